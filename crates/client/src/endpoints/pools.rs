//! Pools, nodes and joining.

use super::*;

impl Client {
    pub async fn pool_list(&self) -> Result<Vec<Pool>> {
        self.get("/v1/pools").await
    }

    /// Makes a pool of a connection's hosts (system administrators).
    pub async fn pool_create(&self, req: &PoolCreate) -> Result<Pool> {
        self.post("/v1/pools", req).await
    }

    pub async fn pool_get(&self, pool: &str) -> Result<Pool> {
        self.get(&format!("/v1/pools/{}", seg(pool))).await
    }

    /// Changes a pool's overcommit ratios.
    pub async fn pool_update(&self, pool: &str, req: &PoolUpdate) -> Result<Pool> {
        self.patch(&format!("/v1/pools/{}", seg(pool)), req).await
    }

    pub async fn pool_delete(&self, pool: &str) -> Result<()> {
        self.delete_no_content(&format!("/v1/pools/{}", seg(pool))).await
    }

    /// The nodes of one pool, or of every pool.
    pub async fn node_list(&self, pool: Option<&str>) -> Result<Vec<Node>> {
        match pool {
            Some(p) => self.get(&format!("/v1/pools/{}/nodes", seg(p))).await,
            None => self.get("/v1/nodes").await,
        }
    }

    /// Adds a host without an agent.
    /// Lets `pool` place on a node of another pool of its connection.
    pub async fn node_share(&self, pool: &str, req: &NodeShare) -> Result<Node> {
        self.post(&format!("/v1/pools/{}/shared-nodes", seg(pool)), req).await
    }

    pub async fn node_unshare(&self, pool: &str, node: &str) -> Result<()> {
        self.delete_no_content(&format!("/v1/pools/{}/shared-nodes/{}", seg(pool), seg(node))).await
    }

    pub async fn node_create(&self, pool: &str, req: &NodeCreate) -> Result<Node> {
        self.post(&format!("/v1/pools/{}/nodes", seg(pool)), req).await
    }

    pub async fn node_get(&self, pool: &str, node: &str) -> Result<Node> {
        self.get(&format!("/v1/pools/{}/nodes/{}", seg(pool), seg(node))).await
    }

    /// Changes a node's recorded capacity.
    pub async fn node_update(&self, pool: &str, node: &str, req: &NodeUpdate) -> Result<Node> {
        self.patch(&format!("/v1/pools/{}/nodes/{}", seg(pool), seg(node)), req).await
    }

    pub async fn node_delete(&self, pool: &str, node: &str) -> Result<()> {
        self.delete_no_content(&format!("/v1/pools/{}/nodes/{}", seg(pool), seg(node))).await
    }

    /// A one-time token for `gureum agent --join-token`.
    pub async fn join_token_create(&self, pool: &str) -> Result<JoinToken> {
        self.post_empty(&format!("/v1/pools/{}/join-tokens", seg(pool))).await
    }

    /// An agent joins a pool (no API token needed).
    pub async fn node_join(&self, req: &NodeJoin) -> Result<NodeJoined> {
        self.post("/v1/nodes/join", req).await
    }

    /// An agent's heartbeat (no API token needed).
    pub async fn node_heartbeat(&self, req: &NodeHeartbeat) -> Result<()> {
        self.post_no_content("/v1/nodes/heartbeat", req).await
    }
}
