//! Maintenance tasks: create, list, get, delete. Project admins (and system
//! administrators) write them; every project role reads them.

use crate::iam::authz::ProjectScope;
use crate::views::parse_ts;
use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::{MaintenanceTask, MaintenanceTaskCreate};
use gureum_model::Name;
use gureum_model::authz::{Permission, Role};
use gureum_model::maintenance::{Priority, Rate, Requirement, ResourceStatus, Service};
use gureum_store::db::{Batch, Stmt};
use gureum_store::{Key, MaintenanceResourceRecord, MaintenanceTaskRecord, Record, args, new_id, now};

impl Engine {
    /// The project for a change to its maintenance: admins only.
    pub(super) async fn maintenance_admin(&self, ctx: &OpContext, project: &str) -> Result<ProjectScope> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        if scope.role != Role::Admin {
            return Err(Error::Forbidden(format!(
                "your role in project {} is {}, which may not manage maintenance tasks",
                scope.name, scope.role
            )));
        }
        Ok(scope)
    }

    pub(super) async fn maintenance_task_record(
        &self,
        scope: &ProjectScope,
        key: &str,
    ) -> Result<MaintenanceTaskRecord> {
        self.store()
            .get::<MaintenanceTaskRecord>(&scope.filter(), &Key::parse(key))
            .await?
            .ok_or_else(|| Error::not_found("maintenance task", key))
    }

    pub(super) async fn maintenance_resources(
        &self,
        task: &MaintenanceTaskRecord,
    ) -> Result<Vec<MaintenanceResourceRecord>> {
        Ok(self.store().list_all::<MaintenanceResourceRecord>(&[("task_id", task.id.into())]).await?)
    }

    pub async fn maintenance_task_create(
        &self,
        ctx: &OpContext,
        project: &str,
        req: MaintenanceTaskCreate,
    ) -> Result<MaintenanceTask> {
        let scope = self.maintenance_admin(ctx, project).await?;
        let name = Name::parse("name", &req.name)?;
        let t = now();
        let (deadline, recommended_date) = dates(&req, t)?;
        let max_concurrency = rate("max_concurrency", req.max_concurrency.as_deref())?;
        let max_errors = req
            .max_errors
            .as_deref()
            .map_or(Ok(Rate::Count(0)), |v| Rate::parse_limit(v).map_err(|e| Error::invalid("max_errors", e)))?;
        let retries = bounded("retries", req.retries.unwrap_or(0), 10)?;
        let retry_backoff_seconds = bounded("retry_backoff_seconds", req.retry_backoff_seconds.unwrap_or(60), 86_400)?;
        let notify_before = super::notifications::lead_times_column(req.notify_before.as_deref())?;
        let apply = match req.apply {
            None => serde_json::json!({}),
            Some(v @ serde_json::Value::Object(_)) => v,
            Some(_) => return Err(Error::invalid("apply", "must be a JSON object")),
        };
        super::updates::guest_update(req.maintenance_type, &apply, req.downtime)?;
        super::updates::health_timeout(&apply)?;
        let task = MaintenanceTaskRecord {
            id: new_id(),
            project_id: scope.id,
            name: name.to_string(),
            service: req.service.unwrap_or(Service::Instance),
            requirement: req.requirement,
            deadline,
            recommended_date,
            priority: req.priority.unwrap_or(Priority::Medium),
            maintenance_type: req.maintenance_type,
            apply: apply.to_string(),
            downtime: req.downtime,
            max_concurrency: max_concurrency.to_string(),
            max_errors: max_errors.to_string(),
            retries,
            retry_backoff_seconds,
            notify_before,
            created_by: ctx.user_id,
            stopped_reason: None,
            created_at: t,
            updated_at: t,
            generation: 1,
        };
        let targets = self.maintenance_targets(&scope, task.service, &req.resources).await?;
        let mut batch = Batch::new();
        batch.push(task.insert());
        for inst in targets {
            let r = MaintenanceResourceRecord {
                id: new_id(),
                task_id: task.id,
                resource_id: inst.id,
                resource_name: inst.name,
                status: ResourceStatus::Pending,
                scheduled_at: None,
                last_error: None,
                attempts: 0,
                op_id: None,
                started_at: None,
                finished_at: None,
                updated_at: t,
                generation: 1,
            };
            batch.push(r.insert());
        }
        self.store()
            .write(batch)
            .await
            .map_err(crate::workflow::operations::name_taken("maintenance task", &task.name))?;
        self.maintenance_task_view(task).await
    }

    pub async fn maintenance_task_get(&self, ctx: &OpContext, project: &str, key: &str) -> Result<MaintenanceTask> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        self.maintenance_task_view(self.maintenance_task_record(&scope, key).await?).await
    }

    pub async fn maintenance_task_delete(&self, ctx: &OpContext, project: &str, key: &str) -> Result<()> {
        let scope = self.maintenance_admin(ctx, project).await?;
        let t = self.maintenance_task_record(&scope, key).await?;
        // A runbook under way finishes (or rolls back) first: its rows are what it writes to.
        let running: Vec<String> = self
            .maintenance_resources(&t)
            .await?
            .into_iter()
            .filter(|r| r.status == ResourceStatus::InProgress)
            .map(|r| r.resource_name)
            .collect();
        if !running.is_empty() {
            return Err(Error::Conflict(format!(
                "maintenance task {} is In_progress on {}; delete it once they finish",
                t.name,
                running.join(", ")
            )));
        }
        let mut batch = Batch::new();
        batch.push(Stmt::new("DELETE FROM maintenance_resources WHERE task_id = $1", args![t.id]));
        batch.push(Stmt::new("DELETE FROM maintenance_log WHERE task_id = $1", args![t.id]));
        batch.push(gureum_store::record::delete::<MaintenanceTaskRecord>(t.id));
        self.store().write(batch).await?;
        Ok(())
    }
}

/// A mandatory task needs a future deadline; a recommended one a recommended date. The
/// other date is refused rather than ignored, so a mistaken requirement shows.
fn dates(req: &MaintenanceTaskCreate, now: i64) -> Result<(Option<i64>, Option<i64>)> {
    let (needed, other) = match req.requirement {
        Requirement::Mandatory => (("deadline", &req.deadline), ("recommended_date", &req.recommended_date)),
        Requirement::Recommended => (("recommended_date", &req.recommended_date), ("deadline", &req.deadline)),
    };
    if other.1.is_some() {
        return Err(Error::invalid(other.0, format!("is not for a {} task", req.requirement)));
    }
    let Some(at) = needed.1 else {
        return Err(Error::invalid(needed.0, format!("a {} task needs one", req.requirement)));
    };
    let at = parse_ts(needed.0, at)?;
    if needed.0 == "deadline" && at <= now {
        return Err(Error::invalid("deadline", "must be in the future"));
    }
    Ok(match req.requirement {
        Requirement::Mandatory => (Some(at), None),
        Requirement::Recommended => (None, Some(at)),
    })
}

fn rate(field: &str, value: Option<&str>) -> Result<Rate> {
    value.map_or(Ok(Rate::Count(1)), |v| Rate::parse(v).map_err(|e| Error::invalid(field, e)))
}

fn bounded(field: &str, v: i64, max: i64) -> Result<i64> {
    if (0..=max).contains(&v) { Ok(v) } else { Err(Error::invalid(field, format!("must be 0–{max}, got {v}"))) }
}
