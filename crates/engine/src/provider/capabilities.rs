//! What drivers and connections can do, and whether a connection's provider answers.

use crate::{Engine, OpContext, Result};
use gureum_api_types::{Capabilities, ConnectionVerify};
use gureum_driver::DriverInfo;

fn capabilities(info: DriverInfo, limits: Option<crate::CallLimits>) -> Capabilities {
    Capabilities {
        kinds: serde_json::to_value(&info.kinds).unwrap_or_default(),
        driver: info.driver,
        version: info.version,
        profile: info.profile,
        details: info.details,
        max_concurrent_calls: limits.map(|l| l.max_concurrent_calls as u64),
        calls_per_second: limits.and_then(|l| l.calls_per_second),
    }
}

impl Engine {
    /// Every driver this server has, once per provider profile it can reproduce.
    pub async fn driver_list(&self, ctx: &OpContext) -> Result<Vec<Capabilities>> {
        self.require_admin(ctx, "list drivers")?;
        let drivers = &self.config().drivers;
        Ok(drivers.factories().flat_map(|f| f.profiles()).map(|info| capabilities(info, None)).collect())
    }

    pub async fn connection_capabilities(&self, ctx: &OpContext, connection: &str) -> Result<Capabilities> {
        self.require_admin(ctx, "inspect connections")?;
        let conn = self.connection_record(connection).await?;
        let cloud = self.cloud(conn.id).await?;
        Ok(capabilities(cloud.info(), Some(cloud.limits())))
    }

    /// Asks the provider something with the stored credentials; a refusal is an answer
    /// (`ok: false`), not an error of this request.
    pub async fn connection_verify(&self, ctx: &OpContext, connection: &str) -> Result<ConnectionVerify> {
        self.require_admin(ctx, "verify connections")?;
        let conn = self.connection_record(connection).await?;
        let (ok, message) = match self.cloud(conn.id).await?.verify().await {
            Ok(m) => (true, m),
            Err(e) => (false, e.to_string()),
        };
        Ok(ConnectionVerify { connection: conn.name, ok, message })
    }
}
