//! Connections, drivers and drift.

use super::*;

impl Client {
    pub async fn connection_list(&self) -> Result<Vec<Connection>> {
        self.get("/v1/connections").await
    }

    /// Registers a connection (system administrators).
    pub async fn connection_create(&self, req: &ConnectionCreate) -> Result<Connection> {
        self.post("/v1/connections", req).await
    }

    pub async fn connection_get(&self, connection: &str) -> Result<Connection> {
        self.get(&format!("/v1/connections/{}", seg(connection))).await
    }

    pub async fn connection_delete(&self, connection: &str) -> Result<()> {
        self.delete_no_content(&format!("/v1/connections/{}", seg(connection))).await
    }

    /// The provider's real inventory against gureum's records.
    pub async fn connection_drift(&self, connection: &str) -> Result<Drift> {
        self.get(&format!("/v1/connections/{}/drift", seg(connection))).await
    }

    /// Replaces a connection's settings and/or credentials.
    pub async fn connection_update(&self, connection: &str, req: &ConnectionUpdate) -> Result<Connection> {
        self.patch(&format!("/v1/connections/{}", seg(connection)), req).await
    }

    /// The drivers this server has, once per provider profile.
    pub async fn driver_list(&self) -> Result<Vec<Capabilities>> {
        self.get("/v1/drivers").await
    }

    /// The servers sharing the database and the singleton workers each runs.
    pub async fn server_list(&self) -> Result<Vec<ServerStatus>> {
        self.get("/v1/servers").await
    }

    pub async fn connection_capabilities(&self, connection: &str) -> Result<Capabilities> {
        self.get(&format!("/v1/connections/{}/capabilities", seg(connection))).await
    }

    /// Whether the provider answers with the stored credentials.
    pub async fn connection_verify(&self, connection: &str) -> Result<ConnectionVerify> {
        self.post_empty(&format!("/v1/connections/{}/verify", seg(connection))).await
    }

    /// Registers a resource found only at the provider under a gureum name.
    pub async fn drift_adopt(&self, connection: &str, req: &DriftAdopt) -> Result<DriftItem> {
        self.post(&format!("/v1/connections/{}/drift/adopt", seg(connection)), req).await
    }

    /// Deletes a resource found only at the provider.
    pub async fn drift_delete(&self, connection: &str, req: &DriftDelete) -> Result<()> {
        self.post_no_content(&format!("/v1/connections/{}/drift/delete", seg(connection)), req).await
    }

    /// Forgets a gureum record without touching the provider.
    pub async fn drift_unregister(&self, connection: &str, req: &DriftUnregister) -> Result<()> {
        self.post_no_content(&format!("/v1/connections/{}/drift/unregister", seg(connection)), req).await
    }
}
