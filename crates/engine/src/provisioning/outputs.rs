//! The installation info: how to reach what was installed (rendered from the template's
//! outputs once the stack is ready) and the initial credentials, sealed at rest.

use super::render;
use super::stack::StackRun;
use gureum_api_types::{AccessInfo, CredentialInfo};
use serde_json::json;

impl StackRun {
    /// The access entries (shown to anyone who sees the project) and the credentials
    /// (sealed; shown to admins and members).
    pub async fn outputs(&self) -> Result<(Vec<AccessInfo>, Vec<CredentialInfo>), String> {
        let rows = self.rows().await.map_err(|e| e.to_string())?;
        let base = super::prepare::base_context(&self.prov.name, &self.params, &self.driver().await);
        let mut access = vec![];
        for a in &self.doc.outputs.access {
            for r in rows.iter().filter(|r| r.resource == a.resource) {
                let Some(id) = r.resource_id else { continue };
                let (address, port) = self.engine.child_address(id, a.port).await.map_err(|e| e.to_string())?;
                let mut ctx = base.clone();
                ctx["address"] = json!(address);
                ctx["port"] = json!(port);
                ctx["instance"] = json!(r.name);
                let url = render::render(&a.url, &ctx).map_err(|e| format!("outputs: {e}"))?;
                access.push(AccessInfo { name: a.name.clone(), instance: r.name.clone(), url, address, port });
            }
        }
        let mut credentials = vec![];
        for c in &self.doc.outputs.credentials {
            let value = render::render(&c.value, &base).map_err(|e| format!("outputs: {e}"))?;
            credentials.push(CredentialInfo { name: c.name.clone(), value });
        }
        Ok((access, credentials))
    }
}
