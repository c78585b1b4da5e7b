//! The maintenance runbook on the zero-latency connection: a kernel upgrade of instance
//! `vm`, started by the scheduler when the resource is run now.

use super::*;
use gureum_api_types::{MaintenanceTask, MaintenanceTaskCreate};
use gureum_model::maintenance::{MaintenanceType, Requirement, ResourceAction, ResourceStatus};

pub(super) async fn prepare(h: &H, p: &str) {
    h.network(p, C).await;
    h.instance(p, "vm", PublicIpMode::None, &[]).await;
    let req = MaintenanceTaskCreate {
        name: "m".into(),
        service: None,
        requirement: Requirement::Recommended,
        deadline: None,
        recommended_date: Some("2026-01-01T00:00:00Z".into()),
        priority: None,
        maintenance_type: MaintenanceType::KernelUpgrade,
        apply: Some(serde_json::json!({"kernel": "6.12", "health_timeout_seconds": 10})),
        downtime: true,
        resources: vec!["vm".into()],
        max_concurrency: None,
        max_errors: None,
        retries: None,
        retry_backoff_seconds: None,
        notify_before: None,
    };
    h.engine().maintenance_task_create(h.admin(), p, req).await.expect("task");
}

async fn task(h: &H, p: &str) -> MaintenanceTask {
    h.engine().maintenance_task_get(h.admin(), p, "m").await.expect("task")
}

/// Runs the resource now and waits for the scheduler to start its runbook.
pub(super) async fn start(h: &H, p: &str) -> Result<Option<Uuid>, Error> {
    h.engine().maintenance_resource_action(h.admin(), p, "m", "vm", ResourceAction::RunNow).await?;
    for _ in 0..200 {
        if let Some(op) = task(h, p).await.resources[0].operation {
            return Ok(Some(op));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the scheduler never started the runbook");
}

/// The resource's status and error, the instance's state, snapshots the run left.
async fn seen(h: &H, p: &str) -> (ResourceStatus, Option<String>, Option<InstanceState>, usize) {
    let t = task(h, p).await;
    let r = &t.resources[0];
    let snapshots = match r.operation {
        Some(op) => h.tagged(C, ResourceKind::Snapshot, op).await.len(),
        None => 0,
    };
    (r.status, r.last_error.clone(), h.get_instance(p, "vm").await.map(|i| i.state), snapshots)
}

pub(super) async fn check_succeeded(h: &H, p: &str, r: &mut Report) {
    let got = seen(h, p).await;
    let want = (ResourceStatus::Completed, None, Some(InstanceState::Active), 0);
    r.check(got == want, || format!("resource, error, instance, snapshots: {got:?}, want {want:?}"));
}

/// A failed run is rolled back: the instance is Active again, the snapshot gone, the
/// resource Failed with the reason (the task has no retries).
pub(super) async fn check_failed(h: &H, p: &str, r: &mut Report) {
    let (status, error, state, snapshots) = seen(h, p).await;
    r.check(status == ResourceStatus::Failed, || format!("resource is {status}"));
    r.check(error.as_deref().is_some_and(|m| m.contains("injected failure")), || format!("reason {error:?}"));
    r.check(state == Some(InstanceState::Active), || format!("instance is {state:?}"));
    r.check(snapshots == 0, || format!("{snapshots} snapshots left by the rollback"));
}
