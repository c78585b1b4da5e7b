-- A host may serve several pools of its connection (SPEC §1: a template pool and a
-- persistent pool on the same hosts). The node keeps its home pool; this lists the
-- others it serves. Its capacity is one: allocations are per node, whichever pool placed
-- them, so sharing never double-books it.
CREATE TABLE pool_nodes (
    id TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL,
    node_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX pool_nodes_pair ON pool_nodes (pool_id, node_id);
CREATE INDEX pool_nodes_node ON pool_nodes (node_id);
