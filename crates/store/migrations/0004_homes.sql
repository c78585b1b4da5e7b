-- Where a disk or a public IP lives on a pool of several hosts: the node whose host
-- holds the disk file or the IP's port (NULL: the connection's own provider, e.g. the
-- server's host or a cloud). A snapshot lives with its disk.
ALTER TABLE volumes ADD COLUMN node_id TEXT;
ALTER TABLE public_ips ADD COLUMN node_id TEXT;
ALTER TABLE snapshots ADD COLUMN node_id TEXT;
-- A capacity an administrator set stays until handed back to the agent's reports
-- (heartbeats otherwise overwrite it).
ALTER TABLE nodes ADD COLUMN capacity_pinned BIGINT NOT NULL DEFAULT 0;
