-- Hosts as pools and nodes (SPEC §1). Portable DDL, like 0001.
-- A pool groups the nodes (hosts) of one connection; placement picks a node of the
-- connection's pool with room for an instance, counting capacity × overcommit.

CREATE TABLE pools (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    cpu_overcommit DOUBLE PRECISION NOT NULL,
    memory_overcommit DOUBLE PRECISION NOT NULL,
    disk_overcommit DOUBLE PRECISION NOT NULL,
    generation BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX pools_name ON pools (name);
-- One pool per connection: placement must know where to look.
CREATE UNIQUE INDEX pools_connection ON pools (connection_id);

CREATE TABLE nodes (
    id TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL,
    name TEXT NOT NULL,
    vcpus BIGINT NOT NULL,
    memory_mib BIGINT NOT NULL,
    disk_gb BIGINT NOT NULL,
    -- Where a remote node's agent serves driver calls; NULL for the server's own host.
    agent_url TEXT,
    -- SHA-256 (hex) of the secret the agent got at join; NULL for the server's own host.
    secret_hash TEXT,
    -- The same secret sealed with the server's key: the server presents it to the agent.
    agent_secret TEXT,
    last_heartbeat_at BIGINT,
    generation BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX nodes_name ON nodes (name);
CREATE INDEX nodes_pool ON nodes (pool_id, id);
CREATE UNIQUE INDEX nodes_secret ON nodes (secret_hash);

-- What each instance holds on its node. Shelving keeps the disk and zeroes vCPUs and
-- memory; deleting the instance deletes the row. The instance's node is this row's.
CREATE TABLE node_allocations (
    instance_id TEXT PRIMARY KEY,
    node_id TEXT NOT NULL,
    vcpus BIGINT NOT NULL,
    memory_mib BIGINT NOT NULL,
    disk_gb BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX node_allocations_node ON node_allocations (node_id);

-- Join tokens: shown once to the administrator, stored as SHA-256 (hex).
CREATE TABLE join_tokens (
    id TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX join_tokens_secret ON join_tokens (secret_hash);
