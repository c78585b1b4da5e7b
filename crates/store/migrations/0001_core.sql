-- gureum core schema. Portable DDL: it runs unchanged on SQLite and PostgreSQL.
-- Ids are UUIDv7 text (time-ordered: ORDER BY id is creation order, which keyset
-- pagination relies on). Times are BIGINT microseconds since the Unix epoch. Booleans
-- are BIGINT 0/1. Structured values are JSON text. Every mutable row has a generation
-- that each writer bumps and guards on.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    password_hash TEXT,
    is_admin BIGINT NOT NULL DEFAULT 0,
    generation BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_name ON users (name);

CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    last_used_at BIGINT
);
CREATE UNIQUE INDEX tokens_secret ON tokens (secret_hash);
CREATE INDEX tokens_user ON tokens (user_id, id);

CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    generation BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX projects_name ON projects (name);

CREATE TABLE members (
    project_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX members_user ON members (user_id);

CREATE TABLE connections (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    driver TEXT NOT NULL,
    region TEXT NOT NULL,
    zone TEXT NOT NULL,
    settings TEXT NOT NULL,
    -- AEAD-sealed with the operator's key; never returned by the API.
    credentials TEXT,
    state TEXT NOT NULL,
    generation BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX connections_name ON connections (name);

CREATE TABLE instance_types (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    vcpus BIGINT NOT NULL,
    memory_mib BIGINT NOT NULL,
    gpu TEXT,
    price_per_hour DOUBLE PRECISION NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX instance_types_name ON instance_types (name);

-- Public images have no project; "my images" belong to one project and one connection.
CREATE TABLE images (
    id TEXT PRIMARY KEY,
    project_id TEXT,
    name TEXT NOT NULL,
    os_family TEXT NOT NULL,
    distribution TEXT NOT NULL,
    version TEXT NOT NULL,
    gpu BIGINT NOT NULL DEFAULT 0,
    min_disk_gb BIGINT NOT NULL,
    max_disk_gb BIGINT NOT NULL,
    size_gb BIGINT NOT NULL,
    connection_id TEXT,
    provider_id TEXT,
    source_instance_id TEXT,
    source_volume_id TEXT,
    state TEXT NOT NULL,
    state_reason TEXT,
    op_id TEXT,
    generation BIGINT NOT NULL DEFAULT 1,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX images_name ON images (COALESCE(project_id, ''), name);
CREATE INDEX images_project ON images (project_id, id);

CREATE TABLE key_pairs (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    name TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    provider_id TEXT,
    public_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    key_type TEXT NOT NULL,
    state TEXT NOT NULL,
    state_reason TEXT,
    op_id TEXT,
    generation BIGINT NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX key_pairs_name ON key_pairs (project_id, name);
CREATE INDEX key_pairs_project ON key_pairs (project_id, id);

CREATE TABLE vpcs (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    name TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    provider_id TEXT,
    cidr TEXT NOT NULL,
    state TEXT NOT NULL,
    state_reason TEXT,
    op_id TEXT,
    generation BIGINT NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX vpcs_name ON vpcs (project_id, name);
CREATE INDEX vpcs_project ON vpcs (project_id, id);

CREATE TABLE subnets (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    vpc_id TEXT NOT NULL,
    name TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    provider_id TEXT,
    cidr TEXT NOT NULL,
    zone TEXT NOT NULL,
    state TEXT NOT NULL,
    state_reason TEXT,
    op_id TEXT,
    generation BIGINT NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX subnets_name ON subnets (project_id, name);
CREATE INDEX subnets_vpc ON subnets (vpc_id, id);

CREATE TABLE security_groups (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    vpc_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    connection_id TEXT NOT NULL,
    provider_id TEXT,
    state TEXT NOT NULL,
    state_reason TEXT,
    op_id TEXT,
    generation BIGINT NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX security_groups_name ON security_groups (project_id, name);
CREATE INDEX security_groups_project ON security_groups (project_id, id);

CREATE TABLE security_group_rules (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    security_group_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    protocol TEXT NOT NULL,
    port_from BIGINT,
    port_to BIGINT,
    remote_cidr TEXT NOT NULL,
    -- 0 when the provider accepts the rule but does not enforce it (an explanation is
    -- in state_reason).
    applied BIGINT NOT NULL DEFAULT 1,
    state TEXT NOT NULL,
    state_reason TEXT,
    op_id TEXT,
    generation BIGINT NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX security_group_rules_group ON security_group_rules (security_group_id, id);

CREATE TABLE public_ips (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    name TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    provider_id TEXT,
    kind TEXT NOT NULL,
    address TEXT,
    instance_id TEXT,
    state TEXT NOT NULL,
    state_reason TEXT,
    op_id TEXT,
    generation BIGINT NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX public_ips_name ON public_ips (project_id, name);
CREATE INDEX public_ips_project ON public_ips (project_id, id);
CREATE INDEX public_ips_instance ON public_ips (instance_id);

CREATE TABLE volumes (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    name TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    provider_id TEXT,
    kind TEXT NOT NULL,
    size_gb BIGINT NOT NULL,
    volume_type TEXT NOT NULL DEFAULT 'SSD',
    zone TEXT NOT NULL,
    image_id TEXT,
    snapshot_id TEXT,
    instance_id TEXT,
    -- delete the volume with its instance (root volumes; data volumes on request)
    delete_with_instance BIGINT NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    state_reason TEXT,
    op_id TEXT,
    generation BIGINT NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX volumes_name ON volumes (project_id, name);
CREATE INDEX volumes_project ON volumes (project_id, id);
CREATE INDEX volumes_instance ON volumes (instance_id);

CREATE TABLE snapshots (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    volume_id TEXT NOT NULL,
    name TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    provider_id TEXT,
    size_gb BIGINT NOT NULL,
    state TEXT NOT NULL,
    state_reason TEXT,
    op_id TEXT,
    generation BIGINT NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX snapshots_name ON snapshots (project_id, name);
CREATE INDEX snapshots_volume ON snapshots (volume_id, id);

CREATE TABLE instances (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    name TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    provider_id TEXT,
    instance_type_id TEXT NOT NULL,
    -- the type before a resize, kept until confirm or revert
    previous_instance_type_id TEXT,
    image_id TEXT NOT NULL,
    vpc_id TEXT NOT NULL,
    subnet_id TEXT NOT NULL,
    key_pair_id TEXT,
    public_ip_mode TEXT NOT NULL,
    user_data TEXT,
    zone TEXT NOT NULL,
    private_ip TEXT,
    -- the settled state an action returns to (resize confirm/revert, failed actions)
    return_state TEXT,
    state TEXT NOT NULL,
    state_reason TEXT,
    op_id TEXT,
    generation BIGINT NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    launched_at BIGINT
);
CREATE UNIQUE INDEX instances_name ON instances (project_id, name);
CREATE INDEX instances_project ON instances (project_id, id);
CREATE INDEX instances_project_state ON instances (project_id, state, id);
CREATE INDEX instances_subnet ON instances (subnet_id);

CREATE TABLE instance_security_groups (
    instance_id TEXT NOT NULL,
    security_group_id TEXT NOT NULL,
    PRIMARY KEY (instance_id, security_group_id)
);
CREATE INDEX instance_security_groups_group ON instance_security_groups (security_group_id);

-- Metering: one row per stretch of billed time of an instance at one instance type.
CREATE TABLE usage_intervals (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    instance_name TEXT NOT NULL,
    instance_type_id TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX usage_intervals_project ON usage_intervals (project_id, started_at);
CREATE INDEX usage_intervals_open ON usage_intervals (instance_id) WHERE ended_at IS NULL;

-- Durable workflows; an operation is the user's view of one.
CREATE TABLE workflows (
    id TEXT PRIMARY KEY,
    project_id TEXT,
    kind TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    target_name TEXT NOT NULL,
    params TEXT NOT NULL,
    steps TEXT NOT NULL,
    cursor BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    error TEXT,
    -- a preempting action (delete, hard reboot) asked this workflow to stop
    cancel_requested BIGINT NOT NULL DEFAULT 0,
    -- the workflow this one waits for before its first step (the one it preempted)
    after_id TEXT,
    lease_owner TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0,
    generation BIGINT NOT NULL DEFAULT 1,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX workflows_project ON workflows (project_id, id);
CREATE INDEX workflows_target ON workflows (target_id, id);
CREATE INDEX workflows_unfinished ON workflows (lease_until) WHERE status IN ('running', 'unwinding');

CREATE TABLE idempotency_keys (
    actor_id TEXT NOT NULL,
    key TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    status_code BIGINT,
    response TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (actor_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
