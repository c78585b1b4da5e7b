-- Pools by purpose (SPEC §1): a connection keeps one general pool, where placement
-- looks, and may have template and persistent pools besides. Systems placed in a pool
-- are named in sequence from its prefix and domain; the counter only grows, so a name
-- is never reused.
ALTER TABLE pools ADD COLUMN purpose TEXT NOT NULL DEFAULT 'general';
ALTER TABLE pools ADD COLUMN name_prefix TEXT NOT NULL DEFAULT 'kvm';
ALTER TABLE pools ADD COLUMN domain TEXT NOT NULL DEFAULT 'gureum.internal';
ALTER TABLE pools ADD COLUMN next_name BIGINT NOT NULL DEFAULT 1;
DROP INDEX pools_connection;
CREATE UNIQUE INDEX pools_general_connection ON pools (connection_id) WHERE purpose = 'general';
