-- Console sign-in sessions. Portable DDL (SQLite and PostgreSQL), like 0001.
-- The id is the SHA-256 (hex) of the random secret kept in the browser's cookie, so a
-- database leak does not hand out live sessions. Times are BIGINT microseconds.

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    -- Sent back in a hidden field of every console form and checked on every POST.
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);
