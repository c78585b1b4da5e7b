-- The template library (SPEC §0). Templates added through the API (the shipped ones
-- live in the binary); provisionings with the template document they ran, so editing or
-- removing a template never changes a stack that exists; each stack's resources with what
-- they need first; and the history, whose logs expire while the events stay.
CREATE TABLE library_templates (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    document TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    generation BIGINT NOT NULL
);

CREATE TABLE provisionings (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    name TEXT NOT NULL,
    template TEXT NOT NULL,
    template_version TEXT NOT NULL,
    document TEXT NOT NULL,
    parameters TEXT NOT NULL,
    secrets TEXT,
    on_failure TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    state TEXT NOT NULL,
    state_reason TEXT,
    op_id TEXT,
    info TEXT,
    credentials TEXT,
    generation BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT,
    UNIQUE (project_id, name)
);

CREATE TABLE provisioning_resources (
    id TEXT PRIMARY KEY,
    provisioning_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    key TEXT NOT NULL,
    resource TEXT NOT NULL,
    kind TEXT NOT NULL,
    needs TEXT NOT NULL,
    name TEXT NOT NULL,
    resource_id TEXT,
    state TEXT NOT NULL,
    state_reason TEXT,
    started_at BIGINT,
    finished_at BIGINT,
    generation BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (provisioning_id, key)
);

CREATE TABLE provisioning_events (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    provisioning_id TEXT NOT NULL,
    provisioning_name TEXT NOT NULL,
    template TEXT NOT NULL,
    event_type TEXT NOT NULL,
    user_name TEXT NOT NULL,
    at BIGINT NOT NULL,
    log TEXT,
    log_expires_at BIGINT NOT NULL
);
CREATE INDEX provisioning_events_project ON provisioning_events (project_id, at);
CREATE INDEX provisioning_events_expiring ON provisioning_events (log_expires_at);
