-- Singleton background work (reconciler passes, purges, the maintenance scheduler…):
-- one row per worker, held by one server until `expires_at` (µs since the epoch). A
-- server renews its lease while it lives; when it dies, the lease runs out and another
-- server claims it.
CREATE TABLE worker_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- A value sealed with the servers' secret key when the database was first used: a
-- server started with another key (which could open none of the sealed credentials,
-- idempotent answers or webhook secrets) finds out at start, not at the first request.
CREATE TABLE secret_key_check (
    id INTEGER PRIMARY KEY,
    sealed TEXT NOT NULL
);

-- The servers sharing the database, each heartbeating while it lives: how a server
-- tells that another one died (an idempotency key it held mid-request is free again).
CREATE TABLE servers (
    id TEXT PRIMARY KEY,
    seen_at BIGINT NOT NULL
);

-- The server running the request that reserved the key (null: reserved before servers
-- were recorded).
ALTER TABLE idempotency_keys ADD COLUMN holder TEXT;
