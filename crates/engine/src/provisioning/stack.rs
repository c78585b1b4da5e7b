//! One run over a stack's resources, as a workflow step sees it: the provisioning, its
//! template as it ran, its parameters (secrets opened) and the acting user; with the
//! writes every step shares (a resource's progress, a history event with its log).

use super::parameters::Parameters;
use crate::{Engine, Error, OpContext, Result};
use gureum_model::provisioning::{HistoryType, StackResourceState, TemplateDoc};
use gureum_store::{
    HistoryEventRecord, ProvisioningRecord, Record, StackResourceRecord, Stmt, Update, Val, new_id, now,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::time::Duration;
use uuid::Uuid;

/// The typed parameters of the execute and return workflows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StackParams {
    pub provisioning_id: Uuid,
    pub user_id: Uuid,
}

pub(crate) struct StackRun {
    pub engine: Engine,
    pub ctx: OpContext,
    pub prov: ProvisioningRecord,
    pub doc: TemplateDoc,
    pub params: Parameters,
}

/// How often a step looks at the resources it waits on.
pub(crate) const POLL: Duration = Duration::from_millis(200);

impl StackRun {
    pub async fn load(engine: &Engine, p: &StackParams, workflow: Uuid) -> Result<StackRun> {
        let prov = engine
            .store()
            .get_by_id::<ProvisioningRecord>(p.provisioning_id)
            .await?
            .ok_or_else(|| Error::not_found("provisioning", p.provisioning_id))?;
        let doc = TemplateDoc::parse(&prov.document).map_err(|e| Error::Internal(format!("stored template: {e}")))?;
        let mut values: Map<String, Value> = serde_json::from_str(&prov.parameters).unwrap_or_default();
        let mut secret = vec![];
        if let Some(sealed) = &prov.secrets {
            let opened = engine.config().secret_key.open(sealed).map_err(Error::Internal)?;
            let secrets: Map<String, Value> = serde_json::from_slice(&opened).unwrap_or_default();
            secret = secrets.keys().cloned().collect();
            values.extend(secrets);
        }
        let ctx = engine.acting_as(p.user_id, format!("workflow-{workflow}")).await?;
        Ok(StackRun { engine: engine.clone(), ctx, prov, doc, params: Parameters { values, secret } })
    }

    pub async fn rows(&self) -> Result<Vec<StackResourceRecord>> {
        Ok(self.engine.store().stack_resources(self.prov.id).await?)
    }

    /// Records a resource's progress.
    pub async fn mark(
        &self,
        row: Uuid,
        state: StackResourceState,
        reason: Option<&str>,
        resource: Option<Uuid>,
    ) -> Result<()> {
        let t = now();
        let mut u = Update::<StackResourceRecord>::of(row)
            .set(StackResourceRecord::state, state.as_str())
            .set(StackResourceRecord::state_reason, reason.map(str::to_string));
        if let Some(id) = resource {
            u = u.set(StackResourceRecord::resource_id, id);
        }
        u = match state {
            StackResourceState::Creating | StackResourceState::Deleting => u.set(StackResourceRecord::started_at, t),
            _ => u.set(StackResourceRecord::finished_at, t),
        };
        self.engine.store().write(u.stmt(t)).await?;
        Ok(())
    }

    /// A history event of this provisioning, its log made of `headline` and where each
    /// resource stands now.
    pub async fn event(&self, kind: HistoryType, headline: &str) -> Result<Stmt> {
        let rows = self.rows().await?;
        Ok(history_event(&self.engine, &self.prov, kind, &self.ctx.user_name, &log_text(headline, &rows)))
    }
}

/// An event row; its log expires after the configured days.
pub(crate) fn history_event(
    engine: &Engine,
    prov: &ProvisioningRecord,
    kind: HistoryType,
    user: &str,
    log: &str,
) -> Stmt {
    let at = now();
    let keep = engine.config().history_log_days as i64 * 86_400 * 1_000_000;
    HistoryEventRecord {
        id: new_id(),
        project_id: prov.project_id,
        provisioning_id: prov.id,
        provisioning_name: prov.name.clone(),
        template: prov.template.clone(),
        event_type: kind,
        user_name: user.to_string(),
        at,
        log: Some(log.to_string()),
        log_expires_at: at + keep,
    }
    .insert()
}

/// A log: the headline, then one line per resource.
pub(crate) fn log_text(headline: &str, rows: &[StackResourceRecord]) -> String {
    let mut out = format!("{} {headline}\n", crate::views::ts(now()));
    for r in rows {
        let took = match (r.started_at, r.finished_at) {
            (Some(s), Some(f)) if f >= s => format!(" in {:.1} s", (f - s) as f64 / 1e6),
            _ => String::new(),
        };
        let id = r.resource_id.map(|i| format!(" id {i}")).unwrap_or_default();
        let reason = r.state_reason.as_deref().map(|m| format!(": {m}")).unwrap_or_default();
        out.push_str(&format!("  {} {} ({}){id}: {}{took}{reason}\n", r.key, r.name, r.kind, r.state));
    }
    out
}

/// The provisioning's columns a workflow's end writes.
pub(crate) fn settle(prov: Uuid, workflow: Uuid, state: &str, reason: Option<String>) -> Update<ProvisioningRecord> {
    Update::<ProvisioningRecord>::of(prov)
        .set(ProvisioningRecord::state, state)
        .set(ProvisioningRecord::state_reason, reason)
        .set(ProvisioningRecord::op_id, Val::Null)
        .set(ProvisioningRecord::finished_at, now())
        .guard(ProvisioningRecord::op_id, workflow)
}
