-- Executing maintenance (SPEC §2): the runbook a resource's slot started, when its last
-- run started and ended (for the expected duration shown before the next), and its log.
-- Set once when more resources failed than max_errors allows and the rest was cancelled;
-- what the operator schedules after that runs as asked.
ALTER TABLE maintenance_tasks ADD COLUMN stopped_reason TEXT;
ALTER TABLE maintenance_resources ADD COLUMN op_id TEXT;
ALTER TABLE maintenance_resources ADD COLUMN started_at BIGINT;
ALTER TABLE maintenance_resources ADD COLUMN finished_at BIGINT;
-- Due slots are found by status and time on every scheduler pass.
CREATE INDEX maintenance_resources_due ON maintenance_resources (status, scheduled_at);
CREATE INDEX maintenance_resources_task ON maintenance_resources (task_id);
-- The latest finished runs, for the expected duration a task page shows.
CREATE INDEX maintenance_resources_finished ON maintenance_resources (status, finished_at);

-- What the runbook did to a resource, line by line, in the order it happened.
CREATE TABLE maintenance_log (
    id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL,
    -- The row of maintenance_resources (not the instance).
    resource_row_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    line TEXT NOT NULL
);
CREATE INDEX maintenance_log_resource ON maintenance_log (resource_row_id, at);
