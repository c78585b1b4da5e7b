//! A resource's runbook log, as the API shows it (`GET …/resources/{r}/log`).

use crate::views::ts;
use crate::{Engine, OpContext, Result};
use gureum_api_types::MaintenanceLogLine;
use gureum_model::authz::Permission;

impl Engine {
    /// Every line the runbooks of the resource wrote, oldest first (all attempts).
    pub async fn maintenance_resource_log(
        &self,
        ctx: &OpContext,
        project: &str,
        task: &str,
        resource: &str,
    ) -> Result<Vec<MaintenanceLogLine>> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        let t = self.maintenance_task_record(&scope, task).await?;
        let r = self.maintenance_resource_row(&t, resource).await?;
        let lines = self.store().maintenance_log(r.id).await?;
        Ok(lines.into_iter().map(|l| MaintenanceLogLine { at: ts(l.at), line: l.line }).collect())
    }
}
