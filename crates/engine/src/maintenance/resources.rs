//! A task's resources: their schedules and the operator's actions on them, each checked
//! against the model's table (a refusal is a 409 naming the status).

use crate::views::parse_ts;
use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::{MaintenanceSchedule, MaintenanceTask};
use gureum_model::maintenance::{ResourceAction, ResourceStatus};
use gureum_store::db::Batch;
use gureum_store::{MaintenanceResourceRecord, Update, Val, now};

impl Engine {
    /// Sets a resource's reserved time (`PUT …/resources/{resource}/schedule`).
    pub async fn maintenance_resource_schedule(
        &self,
        ctx: &OpContext,
        project: &str,
        task: &str,
        resource: &str,
        req: MaintenanceSchedule,
    ) -> Result<MaintenanceTask> {
        let at = future("at", &req.at)?;
        self.maintenance_act(ctx, project, task, resource, ResourceAction::Schedule, Some(at)).await
    }

    /// One of the operator's actions on a resource. `run_now` and `retry` reserve it for
    /// now: the scheduler starts it on its next pass.
    pub async fn maintenance_resource_action(
        &self,
        ctx: &OpContext,
        project: &str,
        task: &str,
        resource: &str,
        action: ResourceAction,
    ) -> Result<MaintenanceTask> {
        let at = match action {
            ResourceAction::RunNow | ResourceAction::Retry => Some(now()),
            _ => None,
        };
        self.maintenance_act(ctx, project, task, resource, action, at).await
    }

    /// Schedules every Pending resource of the task at `at` (`POST …/{task}/schedule`);
    /// the others keep theirs.
    pub async fn maintenance_task_schedule(
        &self,
        ctx: &OpContext,
        project: &str,
        task: &str,
        req: MaintenanceSchedule,
    ) -> Result<MaintenanceTask> {
        let at = future("at", &req.at)?;
        let scope = self.maintenance_admin(ctx, project).await?;
        let t = self.maintenance_task_record(&scope, task).await?;
        let mut batch = Batch::new();
        for r in self.maintenance_resources(&t).await? {
            if r.status == ResourceStatus::Pending {
                batch.push(transition(&r, ResourceStatus::Reserved, Some(at)).stmt(now()));
            }
        }
        if !batch.is_empty() {
            self.store().write(batch).await.map_err(changed_meanwhile(&t.name))?;
        }
        self.maintenance_task_view(t).await
    }

    async fn maintenance_act(
        &self,
        ctx: &OpContext,
        project: &str,
        task: &str,
        resource: &str,
        action: ResourceAction,
        at: Option<i64>,
    ) -> Result<MaintenanceTask> {
        let scope = self.maintenance_admin(ctx, project).await?;
        let t = self.maintenance_task_record(&scope, task).await?;
        let r = self.maintenance_resource_row(&t, resource).await?;
        let to = r.status.check(action)?;
        let mut update = transition(&r, to, at);
        if action == ResourceAction::Retry {
            // A fresh start: the task's retries apply to it again.
            update = update
                .set(MaintenanceResourceRecord::last_error, Val::Null)
                .set(MaintenanceResourceRecord::attempts, 0);
        }
        self.store().write(update.stmt(now())).await.map_err(changed_meanwhile(&t.name))?;
        self.maintenance_task_view(t).await
    }
}

impl Engine {
    /// A resource of the task by its instance's id or name.
    pub(super) async fn maintenance_resource_row(
        &self,
        t: &gureum_store::MaintenanceTaskRecord,
        resource: &str,
    ) -> Result<MaintenanceResourceRecord> {
        self.maintenance_resources(t)
            .await?
            .into_iter()
            .find(|r| r.resource_id.to_string() == resource || r.resource_name == resource)
            .ok_or_else(|| Error::not_found("resource of the task", resource))
    }
}

/// The resource moves to `to` with schedule `at`, if nobody changed it meanwhile.
fn transition(r: &MaintenanceResourceRecord, to: ResourceStatus, at: Option<i64>) -> Update<MaintenanceResourceRecord> {
    Update::<MaintenanceResourceRecord>::of(r.id)
        .set(MaintenanceResourceRecord::status, to.as_str())
        .set(MaintenanceResourceRecord::scheduled_at, at)
        .guard(MaintenanceResourceRecord::generation, r.generation)
}

fn changed_meanwhile(task: &str) -> impl FnOnce(gureum_store::DbError) -> Error + '_ {
    crate::error::on_no_row(move || Error::Conflict(format!("maintenance task {task} changed meanwhile; try again")))
}

/// A time that is not in the past (a minute of slack for clocks and round trips).
fn future(field: &str, s: &str) -> Result<i64> {
    let at = parse_ts(field, s)?;
    if at < now() - 60_000_000 {
        return Err(Error::invalid(field, format!("{s} is in the past")));
    }
    Ok(at)
}
