//! Maintenance notifications: durable notices about a task's resources (`upcoming` at
//! the task's lead times, `started`, `completed`, `failed`), listed per project and
//! delivered to its webhooks (see `deliveries`).

use crate::views::{page_request, ts};
use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::{NoticeSubject, Notification, Page, PageQuery};
use gureum_model::authz::Permission;
use gureum_model::maintenance::{DEFAULT_LEAD_TIMES, LeadTime, NoticeKind};
use gureum_store::db::Stmt;
use gureum_store::{MaintenanceResourceRecord, MaintenanceTaskRecord, NotificationRecord, new_id, now};

/// The most lead times a task may name.
const MAX_LEAD_TIMES: usize = 5;

/// The notice of `kind` about `resource`, to write in the same batch as the resource's
/// status change that it announces: the change is guarded by the resource's generation,
/// and the notice is keyed by it too, so it is written exactly once with the change.
pub(crate) fn notice(
    task: &MaintenanceTaskRecord,
    resource: &MaintenanceResourceRecord,
    kind: NoticeKind,
    message: String,
) -> Stmt {
    let once = format!("{kind}:{}:{}", resource.id, resource.generation);
    notification(task, resource, kind, message, once).insert_once()
}

/// What a notice is about: `kernel_upgrade of vm-1 (task kernel)`.
pub(super) fn subject(task: &MaintenanceTaskRecord, resource: &MaintenanceResourceRecord) -> String {
    format!("{} of {} (task {})", task.maintenance_type, resource.resource_name, task.name)
}

/// A notice about `resource`, written only if none with `once_key` was.
pub(super) fn notification(
    task: &MaintenanceTaskRecord,
    resource: &MaintenanceResourceRecord,
    kind: NoticeKind,
    message: String,
    once_key: String,
) -> NotificationRecord {
    NotificationRecord {
        id: new_id(),
        project_id: task.project_id,
        task_id: task.id,
        task_name: task.name.clone(),
        resource_id: Some(resource.resource_id),
        resource_name: Some(resource.resource_name.clone()),
        kind,
        message,
        once_key: Some(once_key),
        fanned_out: false,
        created_at: now(),
    }
}

pub(super) fn notification_view(n: &NotificationRecord) -> Notification {
    Notification {
        id: n.id,
        project_id: n.project_id,
        task: NoticeSubject { id: n.task_id, name: n.task_name.clone() },
        resource: n.resource_id.zip(n.resource_name.clone()).map(|(id, name)| NoticeSubject { id, name }),
        kind: n.kind,
        message: n.message.clone(),
        created_at: ts(n.created_at),
    }
}

/// The stored form of a task's `notify_before` (a JSON list in canonical spelling), or a
/// 400 naming the field.
pub(super) fn lead_times_column(given: Option<&[String]>) -> Result<String> {
    let given: Vec<&str> = match given {
        None => DEFAULT_LEAD_TIMES.to_vec(),
        Some(g) => g.iter().map(String::as_str).collect(),
    };
    if given.len() > MAX_LEAD_TIMES {
        return Err(Error::invalid("notify_before", format!("at most {MAX_LEAD_TIMES} lead times")));
    }
    let mut leads = vec![];
    for s in given {
        let lead = LeadTime::parse(s).map_err(|e| Error::invalid("notify_before", e))?;
        if leads.contains(&lead) {
            return Err(Error::invalid("notify_before", format!("{s:?} is named twice")));
        }
        leads.push(lead);
    }
    leads.sort_by(|a, b| b.cmp(a));
    Ok(serde_json::to_string(&leads.iter().map(ToString::to_string).collect::<Vec<_>>()).unwrap_or_default())
}

/// A task's lead times as stored (written by [`lead_times_column`]).
pub(super) fn lead_times(task: &MaintenanceTaskRecord) -> Vec<LeadTime> {
    let spelled: Vec<String> = serde_json::from_str(&task.notify_before).unwrap_or_default();
    spelled.iter().filter_map(|s| LeadTime::parse(s).ok()).collect()
}

impl Engine {
    /// The project's maintenance notifications, newest first (every project role).
    pub async fn maintenance_notification_list(
        &self,
        ctx: &OpContext,
        project: &str,
        q: &PageQuery,
    ) -> Result<Page<Notification>> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        let page = page_request(q.limit, q.cursor.as_deref())?;
        let rows = self.store().notifications_page(scope.id, &page).await?;
        Ok(super::page_of(&rows, page.limit, |n| n.id, notification_view))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gureum_model::maintenance::{MaintenanceType, Priority, Requirement, ResourceStatus, Service};

    fn task() -> MaintenanceTaskRecord {
        MaintenanceTaskRecord {
            id: new_id(),
            project_id: new_id(),
            name: "kernel".into(),
            service: Service::Instance,
            requirement: Requirement::Recommended,
            deadline: None,
            recommended_date: Some(0),
            priority: Priority::High,
            maintenance_type: MaintenanceType::KernelUpgrade,
            apply: "{}".into(),
            downtime: true,
            max_concurrency: "1".into(),
            max_errors: "1".into(),
            retries: 0,
            retry_backoff_seconds: 60,
            notify_before: lead_times_column(None).unwrap(),
            created_by: new_id(),
            stopped_reason: None,
            created_at: 0,
            updated_at: 0,
            generation: 1,
        }
    }

    fn resource(task: &MaintenanceTaskRecord, generation: i64) -> MaintenanceResourceRecord {
        MaintenanceResourceRecord {
            id: new_id(),
            task_id: task.id,
            resource_id: new_id(),
            resource_name: "vm-1".into(),
            status: ResourceStatus::InProgress,
            scheduled_at: Some(0),
            last_error: None,
            attempts: 1,
            op_id: None,
            started_at: None,
            finished_at: None,
            updated_at: 0,
            generation,
        }
    }

    #[test]
    fn a_notice_is_keyed_by_the_transition_it_is_written_with() {
        let t = task();
        let r = resource(&t, 7);
        for kind in [NoticeKind::Started, NoticeKind::Completed, NoticeKind::Failed] {
            let stmt = notice(&t, &r, kind, format!("vm-1 {kind}"));
            assert!(stmt.sql.starts_with("INSERT INTO maintenance_notifications"), "{}", stmt.sql);
            assert!(stmt.sql.ends_with("ON CONFLICT DO NOTHING"), "{}", stmt.sql);
            let once = format!("{kind}:{}:7", r.id);
            assert!(stmt.args.contains(&once.as_str().into()), "keyed {once}: {:?}", stmt.args);
            assert!(stmt.args.contains(&kind.as_str().into()));
        }
        let next = notice(&t, &resource(&t, 8), NoticeKind::Started, "again".into());
        assert!(!next.args.contains(&format!("started:{}:7", r.id).as_str().into()), "a new transition, a new key");
    }

    #[test]
    fn a_notification_names_its_task_and_resource() {
        let t = task();
        let r = resource(&t, 1);
        let n = notification(&t, &r, NoticeKind::Failed, "boom".into(), "k".into());
        let v = notification_view(&n);
        assert_eq!((v.task.id, v.task.name.as_str()), (t.id, "kernel"));
        let res = v.resource.expect("a resource");
        assert_eq!((res.id, res.name.as_str()), (r.resource_id, "vm-1"));
        assert_eq!((v.kind, v.project_id), (NoticeKind::Failed, t.project_id));
    }

    #[test]
    fn lead_times_default_sort_and_refuse_bad_values_naming_the_field() {
        assert_eq!(lead_times_column(None).unwrap(), r#"["24h","1h"]"#);
        let given = ["30m".to_string(), "2d".to_string()];
        assert_eq!(lead_times_column(Some(&given)).unwrap(), r#"["48h","30m"]"#);
        assert_eq!(lead_times_column(Some(&[])).unwrap(), "[]");
        for bad in [vec!["soon"], vec!["1h", "60m"], vec!["1s", "2s", "3s", "4s", "5s", "6s"]] {
            let bad: Vec<String> = bad.into_iter().map(String::from).collect();
            match lead_times_column(Some(&bad)) {
                Err(Error::Invalid(e)) => assert_eq!(e.field, "notify_before", "{bad:?}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
}
