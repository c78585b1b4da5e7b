//! Workflows stored by another version of gureum. A stored workflow names its steps; this
//! binary matches them to its own definition by name (through the definition's
//! `renames`), so an upgrade never resumes a workflow at the wrong step. If the stored
//! steps do not map onto this version's, the workflow is unwound with the reason.

use super::WorkflowDef;
use gureum_model::operation::StepStatus;
use gureum_store::DbError;
use gureum_store::{WorkflowRecord, WorkflowStep};
use serde_json::Value;

/// A stored workflow's steps, laid out as this binary's definition has them.
pub(super) struct Aligned {
    /// One per step of the definition, in its order.
    pub steps: Vec<WorkflowStep>,
    /// The index, in the definition, of the step to run or undo next.
    pub cursor: i64,
    /// Why the workflow cannot go on (its steps do not map onto this version's).
    pub incompatible: Option<String>,
    /// Steps of the older version that ran and that this version cannot undo.
    pub undo_error: Option<String>,
}

/// The step names as stored with each workflow.
pub(super) fn def_steps_json(def: &WorkflowDef) -> String {
    let names: Vec<&str> = def.steps.iter().map(|s| s.name).collect();
    serde_json::to_string(&names).expect("names serialize")
}

/// This version's name for a step an older version called `name`.
fn renamed<'a>(def: &'a WorkflowDef, name: &'a str) -> &'a str {
    def.renames.iter().find(|(old, _)| *old == name).map_or(name, |(_, new)| new)
}

pub(super) fn align(def: &WorkflowDef, rec: &WorkflowRecord) -> Result<Aligned, DbError> {
    let stored_names = rec.def_step_names()?;
    let stored = rec.step_outcomes()?;
    let current: Vec<&str> = def.steps.iter().map(|s| s.name).collect();
    let mapped: Vec<&str> = stored_names.iter().map(|n| renamed(def, n)).collect();
    let steps: Vec<WorkflowStep> = def
        .steps
        .iter()
        .map(|d| match stored.iter().find(|s| renamed(def, &s.name) == d.name) {
            Some(s) => WorkflowStep { name: d.name.to_string(), ..s.clone() },
            None => WorkflowStep {
                name: d.name.to_string(),
                status: StepStatus::Pending,
                started_at: None,
                finished_at: None,
                output: Value::Null,
                error: None,
                attempts: 0,
            },
        })
        .collect();
    if mapped == current {
        // The stored cursor indexes the stored list: it names the step to go on with.
        let cursor = match usize::try_from(rec.cursor).ok().and_then(|i| stored.get(i)) {
            Some(s) => current.iter().position(|c| *c == renamed(def, &s.name)).unwrap_or(current.len()) as i64,
            None if rec.cursor < 0 => -1,
            None => current.len() as i64,
        };
        return Ok(Aligned { steps, cursor, incompatible: None, undo_error: None });
    }
    let reason = format!(
        "stored by an older gureum with steps [{}]; this version's steps are [{}]; unwound",
        stored_names.join(", "),
        current.join(", ")
    );
    // Unwind from the last step that started; this version can undo only its own steps.
    let cursor = steps.iter().rposition(|s| s.status != StepStatus::Pending).map_or(-1, |i| i as i64);
    let lost: Vec<&str> = stored
        .iter()
        .filter(|s| !current.contains(&renamed(def, &s.name)))
        .filter(|s| {
            matches!(s.status, StepStatus::Done | StepStatus::Running | StepStatus::Failed | StepStatus::Undoing)
        })
        .map(|s| s.name.as_str())
        .collect();
    let undo_error = (!lost.is_empty())
        .then(|| format!("steps [{}] of the older version ran and cannot be undone by this one", lost.join(", ")));
    Ok(Aligned { steps, cursor, incompatible: Some(reason), undo_error })
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::storage::volume_workflows::{ExtendParams, VOLUME_EXTEND};
    use crate::testing::{FAST, TestEngine};
    use crate::workflow::WorkflowDef;
    use gureum_api_types::VolumeCreate;
    use gureum_model::operation::{OperationStatus, StepStatus};
    use gureum_model::volume::VolumeState;
    use gureum_store::record::common;
    use gureum_store::{Batch, Key, Record, Update, VolumeRecord, WorkflowRecord, WorkflowStep, new_id, now};
    use serde_json::Value;
    use std::time::Duration;

    /// volume_extend as a later version would have it, whose first step an older version
    /// called `disk_grow`.
    static EXTEND_V2: WorkflowDef = WorkflowDef {
        kind: "test_volume_extend_v2",
        steps: VOLUME_EXTEND.steps,
        on_failure: VOLUME_EXTEND.on_failure,
        show: VOLUME_EXTEND.show,
        version: 2,
        renames: &[("disk_grow", "disk_extend")],
    };

    /// Test-only kinds the executor also finds.
    pub(crate) static DEFS: &[&WorkflowDef] = &[&EXTEND_V2];

    pub(crate) async fn available_volume(t: &TestEngine, name: &str) -> VolumeRecord {
        let req = VolumeCreate {
            name: name.into(),
            size_gb: 10,
            image: None,
            snapshot: None,
            connection: Some(FAST.into()),
            zone: None,
            volume_type: None,
        };
        let v = t.engine.volume_create(&t.admin, "p", req).await.expect("volume");
        for _ in 0..300 {
            let r = t.engine.store().get::<VolumeRecord>(&[], &Key::Id(v.id)).await.unwrap().unwrap();
            if r.state == VolumeState::Available && r.op_id.is_none() {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("volume {name} never became Available");
    }

    /// Stores an extend of `v` to 20 GB as an older binary would have: its own step list,
    /// the volume Extending with the operation, then lets this binary's executor resume it.
    async fn resume_stored(
        t: &TestEngine,
        v: &VolumeRecord,
        kind: &str,
        steps: &[(&str, StepStatus)],
        cursor: i64,
    ) -> WorkflowRecord {
        let (id, at) = (new_id(), now());
        let names: Vec<&str> = steps.iter().map(|(n, _)| *n).collect();
        let steps: Vec<WorkflowStep> = steps
            .iter()
            .map(|(name, status)| WorkflowStep {
                name: name.to_string(),
                status: *status,
                started_at: (*status != StepStatus::Pending).then_some(at),
                finished_at: None,
                output: Value::Null,
                error: None,
                attempts: 0,
            })
            .collect();
        let params =
            ExtendParams { connection_id: v.connection_id, instance_id: None, size_gb: 20, quota_holder: None };
        let rec = WorkflowRecord {
            id,
            project_id: Some(v.project_id),
            kind: kind.into(),
            target_type: "volume".into(),
            target_id: v.id,
            target_name: v.name.clone(),
            params: serde_json::to_string(&params).unwrap(),
            steps: serde_json::to_string(&steps).unwrap(),
            cursor,
            status: OperationStatus::Running,
            error: None,
            cancel_requested: false,
            after_id: None,
            lease_owner: Some(t.engine.executor().owner().to_string()),
            lease_until: at + 30_000_000,
            generation: 1,
            created_by: None,
            created_at: at,
            updated_at: at,
            finished_at: None,
            def_steps: serde_json::to_string(&names).unwrap(),
            def_version: 1,
        };
        let mut batch = Batch::from(
            Update::<VolumeRecord>::of(v.id)
                .set(common::STATE, VolumeState::Extending.as_str())
                .set(common::OP_ID, id)
                .stmt(at),
        );
        batch.push(rec.insert());
        t.engine.store().write(batch).await.unwrap();
        t.engine.executor().spawn(&t.engine, rec);
        for _ in 0..600 {
            let r = t.engine.store().get_by_id::<WorkflowRecord>(id).await.unwrap().unwrap();
            if r.status.is_finished() {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("workflow {kind} never finished");
    }

    async fn volume(t: &TestEngine, v: &VolumeRecord) -> VolumeRecord {
        t.engine.store().get_by_id::<VolumeRecord>(v.id).await.unwrap().unwrap()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_older_workflow_with_a_renamed_step_resumes_at_that_step() {
        let t = TestEngine::start(gureum_sim::registry()).await;
        t.project("p").await;
        let v = available_volume(&t, "renamed").await;
        let steps = [("disk_grow", StepStatus::Running), ("settle", StepStatus::Pending)];
        let w = resume_stored(&t, &v, EXTEND_V2.kind, &steps, 0).await;
        assert_eq!(w.status, OperationStatus::Succeeded, "{:?}", w.error);
        let names: Vec<String> = w.step_outcomes().unwrap().into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["disk_extend", "settle"]);
        assert_eq!((w.def_version, w.def_steps.as_str()), (2, r#"["disk_extend","settle"]"#));
        let after = volume(&t, &v).await;
        assert_eq!((after.state, after.size_gb, after.op_id), (VolumeState::Available, 20, None));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_older_workflow_with_an_unknown_step_unwinds_with_the_reason() {
        let t = TestEngine::start(gureum_sim::registry()).await;
        t.project("p").await;
        let v = available_volume(&t, "unknown").await;
        // The older version had a step this one does not know, and stopped inside it.
        let steps = [
            ("disk_check", StepStatus::Done),
            ("disk_extend_online", StepStatus::Running),
            ("settle", StepStatus::Pending),
        ];
        let w = resume_stored(&t, &v, VOLUME_EXTEND.kind, &steps, 1).await;
        assert_eq!(w.status, OperationStatus::Failed);
        let error = w.error.unwrap_or_default();
        let reason = "stored by an older gureum with steps [disk_check, disk_extend_online, settle]; \
                      this version's steps are [disk_extend, settle]; unwound";
        assert!(error.starts_with(reason), "{error}");
        assert!(error.contains("[disk_check, disk_extend_online] of the older version"), "{error}");
        // volume_extend's on_failure: the volume settles back, showing why, not grown.
        let after = volume(&t, &v).await;
        assert_eq!((after.state, after.size_gb, after.op_id), (VolumeState::Available, 10, None));
        assert!(after.state_reason.unwrap_or_default().starts_with(reason));
    }
}
