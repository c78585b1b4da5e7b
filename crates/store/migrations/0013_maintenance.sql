-- Maintenance tasks (SPEC §2): a task groups resources of a project to update; each
-- resource has its own schedule and execution status. The task's status is not stored:
-- it is derived from its resources' whenever it is read, so it can never disagree.
CREATE TABLE maintenance_tasks (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    name TEXT NOT NULL,
    service TEXT NOT NULL,
    requirement TEXT NOT NULL,
    deadline BIGINT,
    recommended_date BIGINT,
    priority TEXT NOT NULL,
    maintenance_type TEXT NOT NULL,
    -- What to apply (JSON), read by the runbook.
    apply TEXT NOT NULL,
    downtime BIGINT NOT NULL,
    -- A count ("5") or a percentage of the resources ("10%").
    max_concurrency TEXT NOT NULL,
    max_errors TEXT NOT NULL,
    retries BIGINT NOT NULL,
    retry_backoff_seconds BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    generation BIGINT NOT NULL
);
CREATE UNIQUE INDEX maintenance_tasks_name ON maintenance_tasks (project_id, name);

CREATE TABLE maintenance_resources (
    id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL,
    -- The instance's id and its name when it was added.
    resource_id TEXT NOT NULL,
    resource_name TEXT NOT NULL,
    status TEXT NOT NULL,
    scheduled_at BIGINT,
    last_error TEXT,
    attempts BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    generation BIGINT NOT NULL
);
CREATE UNIQUE INDEX maintenance_resources_target ON maintenance_resources (task_id, resource_id);
