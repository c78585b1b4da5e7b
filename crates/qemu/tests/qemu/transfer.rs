//! A detached disk moves between two hosts (two drivers on two directories sharing the
//! images): the export is a standalone qcow2 with the same bytes, the import becomes a
//! disk of the receiving host that boots there; what cannot move is refused, and a
//! refused import leaves no file behind.

use futures::StreamExt;
use gureum_driver::{
    CreateSpec, DiskExport, DiskManifest, DiskSource, Driver, DriverError, ProviderResource, ProviderStatus,
    ResourceKind,
};
use gureum_qemu::testing::{KillGuests, qemu_io, same_content, tiny_vm};
use gureum_qemu::{Accel, QemuDriver, QemuSettings, READY_MARKER, ZONE};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const BOOT: Duration = Duration::from_secs(120);

struct Host {
    dir: tempfile::TempDir,
    driver: QemuDriver,
}

impl Host {
    fn open(images_dir: &Path) -> Host {
        let dir = tempfile::tempdir().unwrap();
        let settings = QemuSettings { images_dir: images_dir.to_path_buf(), accel: Accel::Tcg };
        let driver = QemuDriver::open(dir.path(), settings).unwrap();
        Host { dir, driver }
    }

    async fn disk(&self, size_gb: i64, source: DiskSource) -> ProviderResource {
        let spec = CreateSpec::Disk {
            name: "moving".into(),
            tag: "disk-tag".into(),
            size_gb,
            zone: ZONE.into(),
            volume_type: "SSD".into(),
            source,
        };
        self.driver.create(spec).await.unwrap()
    }

    fn disk_file(&self, disk: &ProviderResource) -> PathBuf {
        PathBuf::from(disk.attr_str("path").expect("a disk has a path"))
    }

    /// Every file under the host's disks directory.
    fn disk_files(&self) -> Vec<String> {
        let files = std::fs::read_dir(self.dir.path().join("disks")).unwrap().flatten();
        let mut names: Vec<String> = files.map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }
}

fn qemu_img_info(file: &Path) -> serde_json::Value {
    let out = std::process::Command::new("qemu-img").args(["info", "--output=json"]).arg(file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Exports `disk` from `from` and imports it into `to`, checking that the imported file
/// is a standalone qcow2 of the same size with the same bytes.
async fn carry(from: &Host, disk: &ProviderResource, to: &Host) -> (DiskManifest, ProviderResource) {
    let DiskExport { manifest, content } = from.driver.disk_export(&disk.id).await.unwrap();
    assert!(
        from.disk_files().iter().all(|f| !f.contains(".export-")),
        "an export's flattened copy has no name once open: {:?}",
        from.disk_files()
    );
    let imported = to.driver.disk_import(manifest.clone(), content).await.unwrap();
    assert_ne!(imported.id, disk.id, "the receiving host gives it an id of its own");
    assert_eq!((imported.status, imported.tag.as_deref()), (ProviderStatus::Available, Some("disk-tag")));
    let file = to.disk_file(&imported);
    let info = qemu_img_info(&file);
    assert_eq!(info["format"], "qcow2");
    assert!(info.get("backing-filename").is_none(), "standalone: {info}");
    assert_eq!(info["virtual-size"].as_i64(), Some(manifest.size_gb << 30));
    assert!(same_content(&from.disk_file(disk), &file), "the same bytes on both hosts");
    assert!(to.disk_files().iter().all(|f| !f.ends_with(".part")), "{:?}", to.disk_files());
    (manifest, imported)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_root_disk_moves_to_another_host_and_boots_there() {
    let Some(images_dir) = gureum_qemu::testing::images_dir() else { return };
    let (a, b) = (Host::open(&images_dir), Host::open(&images_dir));
    let _guests = KillGuests(b.dir.path().to_path_buf());
    let root = a.disk(1, DiskSource::Image("tiny-linux".into())).await;
    assert!(qemu_img_info(&a.disk_file(&root)).get("backing-filename").is_some(), "a root disk is an overlay");
    qemu_io(&a.disk_file(&root), "write -P 0x5a 512M 1M");

    let started = Instant::now();
    let (manifest, moved) = carry(&a, &root, &b).await;
    eprintln!("export + import of a 1 GiB root disk: {:?}", started.elapsed());
    let expected = DiskManifest {
        name: "moving".into(),
        tag: "disk-tag".into(),
        size_gb: 1,
        zone: ZONE.into(),
        volume_type: "SSD".into(),
        boot_image: Some("tiny-linux".into()),
    };
    assert_eq!(manifest, expected);
    qemu_io(&b.disk_file(&moved), "read -P 0x5a 512M 1M");
    assert_eq!(moved.attrs["source"], serde_json::json!({"Image": "tiny-linux"}), "{moved:?}");

    let vm = b.driver.create(CreateSpec::Vm(tiny_vm("moved", "vm-tag", &moved.id))).await.unwrap();
    let running = b.driver.wait(ResourceKind::Vm, &vm.id, &[ProviderStatus::Running], BOOT).await.unwrap();
    assert!(running.is_some());
    assert!(b.driver.console_log(&vm.id).await.unwrap().contains(READY_MARKER));

    match b.driver.disk_export(&moved.id).await {
        Err(DriverError::Conflict(m)) => assert!(m.contains(&vm.id), "names the VM: {m}"),
        Err(e) => panic!("an attached disk does not move: {e:?}"),
        Ok(_) => panic!("an attached disk does not move"),
    }
    b.driver.delete(ResourceKind::Vm, &vm.id).await.unwrap();
}

#[tokio::test]
async fn a_data_disk_moves_and_what_cannot_move_is_refused() {
    let Some(images_dir) = gureum_qemu::testing::images_dir() else { return };
    let (a, b) = (Host::open(&images_dir), Host::open(&images_dir));
    let data = a.disk(2, DiskSource::Blank).await;
    qemu_io(&a.disk_file(&data), "write -P 0xa5 1G 3M");
    let (manifest, moved) = carry(&a, &data, &b).await;
    assert_eq!((manifest.boot_image, manifest.size_gb), (None, 2));
    assert_eq!(moved.attrs["source"], serde_json::json!("Blank"), "{moved:?}");
    qemu_io(&b.disk_file(&moved), "read -P 0xa5 1G 3M");
    let before = b.disk_files();

    let export = || async { a.driver.disk_export(&data.id).await.unwrap() };
    let unknown = DiskManifest { boot_image: Some("windows-11".into()), ..export().await.manifest };
    match b.driver.disk_import(unknown, export().await.content).await {
        Err(DriverError::InvalidRequest(m)) => assert!(m.contains("windows-11") && m.contains("tiny-linux"), "{m}"),
        other => panic!("an image the host lacks is refused: {other:?}"),
    }
    let DiskExport { manifest, content } = export().await;
    match b.driver.disk_import(DiskManifest { size_gb: 3, ..manifest }, content).await {
        Err(DriverError::InvalidRequest(m)) => assert!(m.contains("not the manifest's 3 GiB"), "{m}"),
        other => panic!("content of another size is refused: {other:?}"),
    }
    let DiskExport { manifest, content } = export().await;
    let broken = content.take(2).chain(futures::stream::iter([Err(std::io::Error::other("link down"))])).boxed();
    match b.driver.disk_import(manifest, broken).await {
        Err(DriverError::Unavailable(m)) => assert!(m.contains("link down"), "{m}"),
        other => panic!("content that breaks off is an error: {other:?}"),
    }
    assert_eq!(b.disk_files(), before, "a refused import leaves no file");

    match a.driver.disk_export("disk-000000000000").await {
        Err(DriverError::NotFound { kind: ResourceKind::Disk, id }) => assert_eq!(id, "disk-000000000000"),
        Err(e) => panic!("a missing disk is not found: {e:?}"),
        Ok(_) => panic!("a missing disk is not found"),
    }
}
