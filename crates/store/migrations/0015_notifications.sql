-- Maintenance notifications (SPEC §2): each task says how long before execution its
-- resources are announced; notices are durable rows, delivered to the project's
-- webhooks as durable deliveries retried with backoff.

-- The lead times of `upcoming` notices, a JSON list such as ["24h","1h"].
ALTER TABLE maintenance_tasks ADD COLUMN notify_before TEXT NOT NULL DEFAULT '["24h","1h"]';

CREATE TABLE maintenance_notifications (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    -- The task and resource as they were named when the notice was written: notices
    -- outlive both.
    task_id TEXT NOT NULL,
    task_name TEXT NOT NULL,
    -- The instance's id and name; null for a notice about the whole task.
    resource_id TEXT,
    resource_name TEXT,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    -- Written once: `upcoming:<resource>:<scheduled_at>:<lead seconds>` for upcoming
    -- notices, so a restart or a second server does not send one twice; null otherwise.
    once_key TEXT,
    -- Whether its deliveries to the project's webhooks were created.
    fanned_out BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX maintenance_notifications_once ON maintenance_notifications (once_key);
CREATE INDEX maintenance_notifications_project ON maintenance_notifications (project_id, id);
CREATE INDEX maintenance_notifications_fan_out ON maintenance_notifications (fanned_out);

CREATE TABLE maintenance_webhooks (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    -- The signing secret, sealed with the server's secret key; never returned.
    secret TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    generation BIGINT NOT NULL
);
CREATE UNIQUE INDEX maintenance_webhooks_name ON maintenance_webhooks (project_id, name);

CREATE TABLE maintenance_deliveries (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    webhook_id TEXT NOT NULL,
    notification_id TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    last_response_code BIGINT,
    last_error TEXT,
    -- Every attempt: a JSON list of {at, response_code, error}.
    attempt_log TEXT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    -- A server sending it holds it until then (a guarded claim: one sender at a time).
    claimed_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    generation BIGINT NOT NULL
);
CREATE UNIQUE INDEX maintenance_deliveries_once ON maintenance_deliveries (webhook_id, notification_id);
CREATE INDEX maintenance_deliveries_due ON maintenance_deliveries (status, next_attempt_at);
