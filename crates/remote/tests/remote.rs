//! A driver served by `router` and called through `RemoteDriver` answers as it would
//! in process: results come back whole, typed errors keep their variant, and a caller
//! without the node's secret gets nothing.

use gureum_driver::{CreateSpec, DiskSource, Driver, DriverError, ResourceKind};
use gureum_remote::{RemoteDriver, router};
use gureum_sim::{SimDriver, SimSettings};
use std::sync::Arc;
use std::time::Duration;

fn sim(dir: &std::path::Path) -> Arc<dyn Driver> {
    let settings = SimSettings::parse(&serde_json::json!({"latency_ms": 0})).expect("settings");
    Arc::new(SimDriver::open(dir, "remote-test", "sim-1", "sim-1a", settings).expect("a sim cloud"))
}

#[tokio::test]
async fn a_served_driver_answers_like_a_local_one() {
    let dir = tempfile::tempdir().unwrap();
    let served = sim(&dir.path().join("served"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = router(served.clone(), "gns_secret");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let local = sim(&dir.path().join("local"));
    let remote = RemoteDriver::new("far-1", &url, "gns_secret", local.clone(), Duration::from_secs(10));

    let spec = CreateSpec::Disk {
        name: "d".into(),
        tag: "tag-1".into(),
        size_gb: 5,
        zone: "sim-1a".into(),
        volume_type: "SSD".into(),
        source: DiskSource::Blank,
    };
    let made = remote.create(spec).await.expect("created through the agent");
    assert_eq!(served.get(ResourceKind::Disk, &made.id).await.expect("the served host has it").id, made.id);
    assert!(local.get(ResourceKind::Disk, &made.id).await.is_err(), "the local driver was not used");
    let found = remote.find_by_tag(ResourceKind::Disk, "tag-1").await.unwrap().expect("found by tag");
    assert_eq!(found.id, made.id);
    match remote.get(ResourceKind::Vm, "vm-none").await {
        Err(DriverError::NotFound { kind: ResourceKind::Vm, id }) => assert_eq!(id, "vm-none"),
        other => panic!("not found keeps its type: {other:?}"),
    }
    assert_eq!(remote.info().driver, local.info().driver, "what needs no call comes from the local driver");

    let stranger = RemoteDriver::new("far-1", &url, "gns_wrong", local, Duration::from_secs(10));
    match stranger.list(ResourceKind::Disk).await {
        Err(DriverError::Unavailable(m)) => assert!(m.contains("401"), "{m}"),
        other => panic!("a wrong secret is refused: {other:?}"),
    }
}
