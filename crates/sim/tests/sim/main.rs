//! The simulated cloud used directly, as gureum uses it: through the `Driver` trait.

mod faults;
mod lifecycle;
mod maintenance;
mod persistence;
mod rules;

use gureum_driver::{CreateSpec, DiskSource, Driver, ProviderResource, ProviderStatus, ResourceKind, VmSpec};
use gureum_sim::{SimDriver, SimSettings};
use serde_json::json;
use std::path::Path;
use std::time::Duration;

pub const ZONE: &str = "sim-1a";
pub const WAIT: Duration = Duration::from_secs(30);

pub fn open(dir: &Path, settings: SimSettings) -> SimDriver {
    SimDriver::open(dir, "conn-1", "sim-1", ZONE, settings).expect("open the sim")
}

/// A sim whose every operation settles within its call.
pub fn instant(dir: &Path) -> SimDriver {
    open(dir, SimSettings::instant())
}

pub fn settings(v: serde_json::Value) -> SimSettings {
    SimSettings::parse(&v).expect("valid settings")
}

/// Zero latency except where `v` says otherwise.
pub fn latency(v: serde_json::Value) -> SimSettings {
    let mut map = json!({"default": 0});
    map.as_object_mut().unwrap().extend(v.as_object().unwrap().clone());
    settings(json!({ "latency_ms": map }))
}

pub fn disk_spec(tag: &str, zone: &str, size_gb: i64, source: DiskSource) -> CreateSpec {
    CreateSpec::Disk {
        name: format!("{tag}-disk"),
        tag: tag.into(),
        size_gb,
        zone: zone.into(),
        volume_type: "ssd".into(),
        source,
    }
}

pub fn vm_spec(tag: &str, root_disk: &str) -> VmSpec {
    VmSpec {
        name: tag.into(),
        tag: tag.into(),
        hostname: format!("{tag}-host"),
        zone: ZONE.into(),
        instance_type: "t1.medium".into(),
        vcpus: 2,
        memory_mib: 4096,
        image: "ubuntu-22.04".into(),
        root_disk: root_disk.into(),
        subnet: None,
        security_groups: vec![],
        key_pair: None,
        public_key: None,
        user_data: None,
    }
}

pub async fn root_disk(sim: &SimDriver, tag: &str) -> ProviderResource {
    let spec = disk_spec(&format!("{tag}-root"), ZONE, 20, DiskSource::Image("ubuntu-22.04".into()));
    sim.create(spec).await.expect("create root disk")
}

/// A running VM (on an instant sim) with its root disk.
pub async fn vm(sim: &SimDriver, tag: &str) -> ProviderResource {
    let disk = root_disk(sim, tag).await;
    sim.create(CreateSpec::Vm(vm_spec(tag, &disk.id))).await.expect("create vm")
}

pub async fn status(sim: &SimDriver, kind: ResourceKind, id: &str) -> ProviderStatus {
    sim.get(kind, id).await.expect("get").status
}
