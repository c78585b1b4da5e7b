//! The store on a real database (SQLite file, or PostgreSQL with
//! `GUREUM_TEST_DATABASE_URL`): batches, guards, claims and filters.

use gureum_model::operation::OperationStatus;
use gureum_model::state::LifecycleState;
use gureum_store::testing::fresh_database;
use gureum_store::{
    Batch, DbError, Key, Page, ProjectRecord, Record, Stmt, Store, Update, Val, VpcRecord, WorkflowRecord, args,
    new_id, now,
};
use uuid::Uuid;

async fn store() -> (Store, tempfile::TempDir) {
    let (url, guard) = fresh_database().await.unwrap();
    (Store::open(&url).await.unwrap(), guard)
}

fn project(name: &str) -> ProjectRecord {
    let t = now();
    ProjectRecord {
        id: new_id(),
        name: name.into(),
        description: String::new(),
        customer_id: gureum_model::tenancy::DEFAULT_CUSTOMER_ID,
        generation: 1,
        created_at: t,
        updated_at: t,
    }
}

fn workflow(owner: &str, lease_until: i64, status: OperationStatus) -> WorkflowRecord {
    let t = now();
    WorkflowRecord {
        id: new_id(),
        project_id: None,
        kind: "test".into(),
        target_type: "thing".into(),
        target_id: new_id(),
        target_name: "thing".into(),
        params: "{}".into(),
        steps: "[]".into(),
        cursor: 0,
        status,
        error: None,
        cancel_requested: false,
        after_id: None,
        lease_owner: Some(owner.into()),
        lease_until,
        generation: 1,
        created_by: None,
        created_at: t,
        updated_at: t,
        finished_at: None,
        def_steps: "[]".into(),
        def_version: 1,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_batch_changes_nothing_and_spares_concurrent_batches() {
    let (store, _g) = store().await;
    let a = project("a");
    store.write(a.insert()).await.unwrap();
    // Many batches at once are group-committed; the ones that violate the unique name
    // constraint must fail alone and leave no trace.
    let mut tasks = Vec::new();
    for i in 0..50 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut batch = Batch::from(project(&format!("p{i}")).insert());
            if i % 5 == 0 {
                batch.push(project("a").insert());
            }
            store.write(batch).await
        }));
    }
    let mut failed = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => {}
            Err(DbError::Unique(_)) => failed += 1,
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(failed, 10);
    let all = store.list_all::<ProjectRecord>(&[]).await.unwrap();
    assert_eq!(all.len(), 41, "40 good batches + the first project");
    for i in (0..50).step_by(5) {
        let name = format!("p{i}");
        assert!(store.get::<ProjectRecord>(&[], &Key::Name(name)).await.unwrap().is_none());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn generation_guards_refuse_a_stale_update_atomically() {
    let (store, _g) = store().await;
    let p = project("guarded");
    store.write(p.insert()).await.unwrap();
    let first = Update::<ProjectRecord>::of(p.id)
        .set(ProjectRecord::description, "first")
        .guard(ProjectRecord::generation, 1_i64);
    store.write(first.stmt(now())).await.unwrap();
    // A writer that saw generation 1 is too late now; its other statement is undone too.
    let mut stale = Batch::from(project("side-effect").insert());
    stale.push(
        Update::<ProjectRecord>::of(p.id)
            .set(ProjectRecord::description, "stale")
            .guard(ProjectRecord::generation, 1_i64)
            .stmt(now()),
    );
    assert!(matches!(store.write(stale).await, Err(DbError::Conflict { index: 1, affected: 0, .. })));
    let now_p = store.get_by_id::<ProjectRecord>(p.id).await.unwrap().unwrap();
    assert_eq!((now_p.description.as_str(), now_p.generation), ("first", 2));
    assert!(store.get::<ProjectRecord>(&[], &Key::Name("side-effect".into())).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn claims_take_expired_leases_and_own_ones_only_when_asked() {
    let (store, _g) = store().await;
    let t = now();
    let mine_running = workflow("me", t + 30_000_000, OperationStatus::Running);
    let theirs_alive = workflow("other", t + 30_000_000, OperationStatus::Running);
    let theirs_dead = workflow("other", t - 1, OperationStatus::Unwinding);
    let finished = workflow("dead", t - 1, OperationStatus::Succeeded);
    for w in [&mine_running, &theirs_alive, &theirs_dead, &finished] {
        store.write(w.insert()).await.unwrap();
    }
    let ids = |v: Vec<WorkflowRecord>| {
        let mut v: Vec<Uuid> = v.into_iter().map(|w| w.id).collect();
        v.sort();
        v
    };
    // A periodic claim must not take this server's own running workflows again: a second
    // run of a workflow that is finishing would replay it from a stale record.
    let periodic = store.workflows_claim("me", false, now(), now() + 30_000_000, 100).await.unwrap();
    assert_eq!(ids(periodic), vec![theirs_dead.id]);
    let again = store.workflows_claim("me", false, now(), now() + 30_000_000, 100).await.unwrap();
    assert!(again.is_empty(), "a claimed workflow is leased");
    // After a restart, its own come back at once.
    let at_start = store.workflows_claim("me", true, now(), now() + 30_000_000, 100).await.unwrap();
    assert_eq!(ids(at_start), ids(vec![mine_running.clone(), theirs_dead.clone()]));
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_lists_counts_and_pages() {
    let (store, _g) = store().await;
    let p = project("net");
    store.write(p.insert()).await.unwrap();
    let t = now();
    let mut ids = vec![];
    for i in 0..25 {
        let v = VpcRecord {
            id: new_id(),
            project_id: p.id,
            name: format!("vpc-{i:02}"),
            connection_id: new_id(),
            provider_id: (i % 2 == 0).then(|| format!("vpc-{i}")),
            cidr: "10.0.0.0/16".into(),
            state: LifecycleState::Available,
            state_reason: None,
            op_id: None,
            generation: 1,
            created_by: new_id(),
            created_at: t,
            updated_at: t,
        };
        ids.push(v.id);
        store.write(v.insert()).await.unwrap();
    }
    let scope = [("project_id", Val::from(p.id))];
    assert_eq!(store.count::<VpcRecord>(&scope).await.unwrap(), 25);
    assert_eq!(store.count::<VpcRecord>(&[("provider_id", Val::Null)]).await.unwrap(), 12, "NULL filters mean IS NULL");
    let named = store.list_named::<VpcRecord>(&scope, Some("vpc-1"), &Page { limit: 100, after: None }).await.unwrap();
    assert_eq!(named.len(), 10, "vpc-10 … vpc-19");
    let first = store.list::<VpcRecord>(&scope, &Page { limit: 10, after: None }).await.unwrap();
    let second = store.list::<VpcRecord>(&scope, &Page { limit: 10, after: Some(first[9].id) }).await.unwrap();
    let seen: Vec<Uuid> = first.iter().chain(&second).map(|v| v.id).collect();
    assert_eq!(seen, ids[..20], "pages follow creation order without gaps");
    let by_name = store.get::<VpcRecord>(&scope, &Key::Name("vpc-03".into())).await.unwrap().unwrap();
    assert_eq!(by_name.id, ids[3]);
    let other_project = store.get::<VpcRecord>(&[("project_id", new_id().into())], &Key::Id(ids[3])).await.unwrap();
    assert!(other_project.is_none(), "scope applies to lookups by id");
}

#[tokio::test(flavor = "multi_thread")]
async fn statements_can_return_rows_inside_a_batch() {
    let (store, _g) = store().await;
    let p = project("returning");
    store.write(p.insert()).await.unwrap();
    let r = store
        .write(Stmt::returning("UPDATE projects SET description = $1 WHERE id = $2 RETURNING name", args!["x", p.id]))
        .await
        .unwrap();
    assert_eq!(r[0].rows[0].text(0), "returning");
}
