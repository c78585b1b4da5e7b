//! A VM's QEMU process: its command line, liveness, readiness and end.

use crate::files::{Layout, VmRecord, io_error};
use crate::qmp::Qmp;
use crate::{Accel, QEMU_SYSTEM, READY_MARKER, qmp};
use gureum_driver::{DriverError, DriverResult};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The guest's address on QEMU's user-mode network (fixed by QEMU).
pub(crate) const GUEST_IP: &str = "10.0.2.15";
/// How long `quit` may take before the process is killed.
const QUIT_GRACE: Duration = Duration::from_secs(5);
/// Empty `pcie-root-port`s every VM has, so data disks can be hot-plugged (q35 plugs
/// nothing into its root bus while running).
pub(crate) const HOTPLUG_PORTS: u8 = 8;
/// How long the guest has to release a disk being unplugged.
const UNPLUG_GRACE: Duration = Duration::from_secs(30);
/// How long a live copy of a disk may take (seconds for the small disks of one host).
const BACKUP_TIMEOUT: Duration = Duration::from_secs(600);

/// The files an image directory must hold.
pub struct ImageFiles {
    pub kernel: PathBuf,
    pub initrd: PathBuf,
    pub disk: PathBuf,
}

impl ImageFiles {
    pub fn of(images_dir: &Path, name: &str) -> Option<ImageFiles> {
        let dir = images_dir.join(name);
        let f =
            ImageFiles { kernel: dir.join("vmlinuz"), initrd: dir.join("initrd.img"), disk: dir.join("disk.qcow2") };
        (f.kernel.is_file() && f.initrd.is_file() && f.disk.is_file()).then_some(f)
    }
}

/// A VM's files inside its directory.
pub(crate) struct VmFiles {
    pub dir: PathBuf,
}

impl VmFiles {
    pub fn new(layout: &Layout, id: &str) -> VmFiles {
        VmFiles { dir: layout.vm_dir(id) }
    }
    pub fn pidfile(&self) -> PathBuf {
        self.dir.join("qemu.pid")
    }
    pub fn qmp(&self) -> PathBuf {
        self.dir.join("qmp.sock")
    }
    pub fn serial(&self) -> PathBuf {
        self.dir.join("serial.log")
    }
    /// A file the guest reads through fw_cfg as `opt/gureum/<name>`.
    pub fn guest_config(&self, name: &str) -> PathBuf {
        self.dir.join(format!("fw_cfg-{name}"))
    }

    /// The process's pid, if it is alive: the pidfile names a running process whose
    /// command line carries this pidfile (so a recycled pid does not count).
    pub fn pid(&self) -> Option<u32> {
        let pid: u32 = std::fs::read_to_string(self.pidfile()).ok()?.trim().parse().ok()?;
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let pidfile = self.pidfile();
        use std::os::unix::ffi::OsStrExt;
        let ours = cmdline.split(|b| *b == 0).any(|arg| Path::new(std::ffi::OsStr::from_bytes(arg)) == pidfile);
        ours.then_some(pid)
    }

    pub fn serial_len(&self) -> u64 {
        std::fs::metadata(self.serial()).map_or(0, |m| m.len())
    }

    pub fn serial_log(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(self.serial()).unwrap_or_default()).into_owned()
    }

    /// Whether the guest printed its readiness marker since `offset`.
    pub fn ready_since(&self, offset: u64) -> bool {
        use std::io::{Read, Seek};
        let mut tail = vec![];
        let read = std::fs::File::open(self.serial())
            .and_then(|mut f| f.seek(std::io::SeekFrom::Start(offset)).and_then(|_| f.read_to_end(&mut tail)));
        read.is_ok() && tail.windows(READY_MARKER.len()).any(|w| w == READY_MARKER.as_bytes())
    }

    /// The last line the guest printed, for an error's reason.
    pub fn last_line(&self) -> Option<String> {
        self.serial_log().lines().rev().find(|l| !l.trim().is_empty()).map(|l| l.trim().to_string())
    }
}

/// A disk as QEMU has it: its block node is named by the disk's id, and a data disk
/// sits on a hot-plug port.
pub(crate) struct Disk<'a> {
    pub id: &'a str,
    pub path: PathBuf,
    /// `None` for the root disk, which is on the root bus.
    pub port: Option<u8>,
}

impl Disk<'_> {
    fn blockdev(&self) -> Value {
        json!({"driver": "qcow2", "node-name": self.id, "file": {"driver": "file", "filename": self.path}})
    }

    fn device(&self) -> Value {
        let mut device = json!({"driver": "virtio-blk-pci", "drive": self.id, "id": device_id(self.id)});
        if let Some(port) = self.port {
            device["bus"] = port_id(port).into();
        }
        device
    }
}

fn device_id(disk: &str) -> String {
    format!("dev-{disk}")
}

fn port_id(port: u8) -> String {
    format!("hotplug{port}")
}

/// Everything a launch needs besides the VM's record.
pub(crate) struct Launch<'a> {
    pub image: &'a ImageFiles,
    /// The root disk first.
    pub disks: Vec<Disk<'a>>,
    pub forward_port: Option<u16>,
    /// Cut the guest off from the outside (no outbound rule allows it).
    pub restrict: bool,
    pub accel: Accel,
}

/// The guest itself as QEMU runs it: machine, shape, kernel, network, hot-plug ports and
/// disks, without how gureum controls the process (serial log, QMP, pidfile). A bare
/// QEMU booting the same guest (the benchmark's floor) uses exactly these.
fn guest_args(vcpus: i64, memory_mib: i64, launch: &Launch<'_>) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "-machine".into(),
        "q35".into(),
        "-accel".into(),
        launch.accel.as_str().into(),
        "-m".into(),
        memory_mib.to_string(),
        "-smp".into(),
        vcpus.to_string(),
        "-nodefaults".into(),
        "-no-user-config".into(),
        "-display".into(),
        "none".into(),
        "-kernel".into(),
        path(&launch.image.kernel),
        "-initrd".into(),
        path(&launch.image.initrd),
        "-append".into(),
        "console=ttyS0 panic=-1".into(),
        "-netdev".into(),
        match launch.forward_port {
            Some(port) => format!("user,id=net0,restrict={},hostfwd={}-:22", on_off(launch.restrict), forward(port)),
            None => format!("user,id=net0,restrict={}", on_off(launch.restrict)),
        },
        "-device".into(),
        "virtio-net-pci,netdev=net0".into(),
    ];
    if launch.accel == Accel::Kvm {
        args.extend(["-cpu".into(), "host".into()]);
    }
    for port in 0..HOTPLUG_PORTS {
        args.extend(["-device".into(), format!("pcie-root-port,id={},chassis={},bus=pcie.0", port_id(port), port + 1)]);
    }
    for disk in &launch.disks {
        args.extend(["-blockdev".into(), disk.blockdev().to_string(), "-device".into(), disk.device().to_string()]);
    }
    args
}

/// Starts the VM's QEMU process; returns once QEMU has daemonized (its QMP socket is up).
pub(crate) async fn launch(vm: &VmRecord, files: &VmFiles, launch: Launch<'_>) -> DriverResult<()> {
    let mut args = guest_args(vm.spec.vcpus, vm.spec.memory_mib, &launch);
    args.extend([
        "-name".into(),
        format!("{},process=gureum-{}", vm.spec.name, vm.id),
        "-chardev".into(),
        format!("file,id=serial0,path={},append=on", opt(&files.serial())),
        "-serial".into(),
        "chardev:serial0".into(),
        "-qmp".into(),
        format!("unix:{},server=on,wait=off", opt(&files.qmp())),
        "-pidfile".into(),
        path(&files.pidfile()),
        // A guest that powers off stays visible (status "shutdown") until gureum ends it.
        "-no-shutdown".into(),
        "-daemonize".into(),
    ]);
    for name in ["hostname", "ssh_key", "user_data"] {
        let file = files.guest_config(name);
        if file.is_file() {
            args.extend(["-fw_cfg".into(), format!("name=opt/gureum/{name},file={}", opt(&file))]);
        }
    }
    let _ = std::fs::remove_file(files.qmp());
    let mut cmd = tokio::process::Command::new(QEMU_SYSTEM);
    cmd.args(&args).current_dir(&files.dir).stdin(std::process::Stdio::null());
    run(cmd, QEMU_SYSTEM).await
}

/// The command of a bare QEMU booting `image` as gureum boots it (the same machine,
/// shape, kernel, network, ports and root disk `disk`, the hostname through fw_cfg in
/// `dir`), its serial console on stdout: the floor a VM's boot time is measured against.
pub fn bare_command(
    image: &ImageFiles,
    disk: &Path,
    dir: &Path,
    hostname: &str,
    (vcpus, memory_mib): (i64, i64),
) -> std::io::Result<std::process::Command> {
    let hostname_file = dir.join("fw_cfg-hostname");
    std::fs::write(&hostname_file, hostname)?;
    let root = Disk { id: "root", path: disk.to_path_buf(), port: None };
    let accel = if crate::hardware_kvm() { Accel::Kvm } else { Accel::Tcg };
    let launch = Launch { image, disks: vec![root], forward_port: None, restrict: true, accel };
    let mut args = guest_args(vcpus, memory_mib, &launch);
    args.extend(["-serial".into(), "stdio".into(), "-fw_cfg".into()]);
    args.push(format!("name=opt/gureum/hostname,file={}", opt(&hostname_file)));
    let mut cmd = std::process::Command::new(QEMU_SYSTEM);
    cmd.args(&args).current_dir(dir).stdin(std::process::Stdio::null());
    Ok(cmd)
}

/// Runs a QEMU tool to its end; what it wrote to stderr is the error when it fails.
async fn run(cmd: tokio::process::Command, what: &str) -> DriverResult<()> {
    output(cmd, what).await.map(drop)
}

/// Runs a QEMU tool to its end and returns what it wrote to stdout.
async fn output(mut cmd: tokio::process::Command, what: &str) -> DriverResult<Vec<u8>> {
    let out = cmd.output().await.map_err(|e| DriverError::Unavailable(format!("running {what}: {e}")))?;
    if !out.status.success() {
        return Err(DriverError::Provider {
            code: "qemu".into(),
            message: format!("{what} failed: {}", String::from_utf8_lossy(&out.stderr).trim()),
        });
    }
    Ok(out.stdout)
}

/// Ends the process: `quit` over QMP, then SIGKILL if it is still there after a grace.
pub(crate) async fn end(files: &VmFiles) -> DriverResult<()> {
    let Some(pid) = files.pid() else { return Ok(()) };
    if let Err(e) = qmp::execute(&files.qmp(), "quit", json!({})).await {
        tracing::warn!(pid, "QMP quit failed ({e}); killing the process");
    }
    let deadline = tokio::time::Instant::now() + QUIT_GRACE;
    while files.pid().is_some() {
        if tokio::time::Instant::now() >= deadline {
            let status = tokio::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status().await;
            if !status.is_ok_and(|s| s.success()) && files.pid().is_some() {
                return Err(DriverError::Provider {
                    code: "qemu".into(),
                    message: format!("cannot kill process {pid}"),
                });
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// Creates `disk`, a qcow2 of `size_gb`, as an overlay on `base` when there is one.
pub(crate) async fn create_disk(disk: &Path, base: Option<&Path>, size_gb: i64) -> DriverResult<()> {
    let mut args: Vec<String> = vec!["create".into(), "-q".into(), "-f".into(), "qcow2".into()];
    if let Some(base) = base {
        args.extend(["-F".into(), "qcow2".into(), "-b".into(), path(base)]);
    }
    args.extend([path(disk), format!("{size_gb}G")]);
    qemu_img(&args).await
}

pub(crate) async fn resize_disk(disk: &Path, size_gb: i64) -> DriverResult<()> {
    qemu_img(&["resize".into(), "-q".into(), "-f".into(), "qcow2".into(), path(disk), format!("{size_gb}G")]).await
}

/// Where a copy to `to` is written until it is whole: a crash leaves no half copy at `to`.
fn partial(to: &Path) -> PathBuf {
    to.with_extension("qcow2.tmp")
}

/// Writes `disk` and everything under it (its image) into one standalone qcow2 at `to`.
pub(crate) async fn flatten_disk(disk: &Path, to: &Path) -> DriverResult<()> {
    let tmp = partial(to);
    qemu_img(&[
        "convert".into(),
        "-q".into(),
        "-f".into(),
        "qcow2".into(),
        "-O".into(),
        "qcow2".into(),
        path(disk),
        path(&tmp),
    ])
    .await?;
    std::fs::rename(&tmp, to).map_err(|e| io_error(to, e))
}

/// Hot-plugs a data disk into the running VM; a disk already plugged (a retry after an
/// answer was lost) is left as it is.
pub(crate) async fn plug_disk(files: &VmFiles, disk: &Disk<'_>) -> DriverResult<()> {
    let mut qmp = Qmp::connect(&files.qmp()).await?;
    let devices = qmp.execute("qom-list", json!({"path": "/machine/peripheral"})).await?;
    let device = device_id(disk.id);
    if devices.as_array().into_iter().flatten().any(|d| d["name"] == device.as_str()) {
        return Ok(());
    }
    qmp.execute("blockdev-add", disk.blockdev()).await?;
    if let Err(e) = qmp.execute("device_add", disk.device()).await {
        let _ = qmp.execute("blockdev-del", json!({"node-name": disk.id})).await;
        return Err(e);
    }
    Ok(())
}

/// Unplugs a data disk from the running VM: the guest is asked to release it (ACPI
/// eject) and QEMU reports when it did; then the block node is closed.
pub(crate) async fn unplug_disk(files: &VmFiles, disk: &str) -> DriverResult<()> {
    let mut qmp = Qmp::connect(&files.qmp()).await?;
    let device = device_id(disk);
    match qmp.execute("device_del", json!({"id": device})).await {
        // Gone already: an earlier unplug finished.
        Err(DriverError::Provider { code, .. }) if code == "DeviceNotFound" => {}
        // An earlier unplug is still waiting for the guest.
        Err(DriverError::Provider { message, .. }) if message.contains("already in the process of unplug") => {
            qmp.event("DEVICE_DELETED", |d| d["device"] == device, UNPLUG_GRACE).await?
        }
        Err(e) => return Err(e),
        Ok(_) => qmp.event("DEVICE_DELETED", |d| d["device"] == device, UNPLUG_GRACE).await?,
    }
    match qmp.execute("blockdev-del", json!({"node-name": disk})).await {
        Err(DriverError::Provider { message, .. }) if message.contains("Failed to find node") => Ok(()),
        r => r.map(drop),
    }
}

/// Copies the disk `disk` (its block node) of the running VM, as it is at this instant,
/// into a standalone qcow2 at `to` of `size_gb` (the disk's size: a backup needs equal
/// sizes), without pausing the guest. Crash-consistent: what the guest has not yet
/// written out is not in the copy.
pub(crate) async fn backup_live(files: &VmFiles, disk: &str, size_gb: i64, to: &Path) -> DriverResult<()> {
    let tmp = partial(to);
    create_disk(&tmp, None, size_gb).await?;
    // Named after the copy, so a copy that failed and left its node open does not stand
    // in the next one's way.
    let name = to.file_stem().map_or_else(|| disk.into(), |s| s.to_string_lossy());
    if let Err(e) = backup_job(files, disk, &tmp, &name).await {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, to).map_err(|e| io_error(to, e))
}

/// A full backup job `<name>-backup` from the block node `disk` to the existing qcow2
/// `target`, open as the block node `<name>-target` for the job's time.
async fn backup_job(files: &VmFiles, disk: &str, target: &Path, name: &str) -> DriverResult<()> {
    let (node, job) = (format!("{name}-target"), format!("{name}-backup"));
    let mut qmp = Qmp::connect(&files.qmp()).await?;
    qmp.execute("blockdev-add", Disk { id: &node, path: target.to_path_buf(), port: None }.blockdev()).await?;
    // BLOCK_JOB_COMPLETED carries the job's error, if it failed.
    let failure = std::sync::Mutex::new(None);
    let ours = |d: &Value| {
        let ours = d["device"] == job.as_str();
        if ours {
            *failure.lock().expect("backup failure") = d["error"].as_str().map(str::to_string);
        }
        ours
    };
    let backup = json!({"job-id": job, "device": disk, "target": node, "sync": "full"});
    let copied = match qmp.execute("blockdev-backup", backup).await {
        Ok(_) => qmp.event("BLOCK_JOB_COMPLETED", ours, BACKUP_TIMEOUT).await,
        Err(e) => Err(e),
    };
    let closed = qmp.execute("blockdev-del", json!({"node-name": node})).await;
    copied?;
    if let Some(why) = failure.into_inner().expect("backup failure") {
        return Err(DriverError::Provider {
            code: "qemu".into(),
            message: format!("the live copy of disk {disk} failed: {why}"),
        });
    }
    closed.map(drop)
}

/// Grows a disk the running VM has open; the guest sees the new size at once.
pub(crate) async fn resize_live(files: &VmFiles, disk: &str, size_gb: i64) -> DriverResult<()> {
    qmp::execute(&files.qmp(), "block_resize", json!({"node-name": disk, "size": size_gb << 30})).await.map(drop)
}

/// What `qemu-img info` says of the image at `disk` (its format probed, not assumed).
pub(crate) async fn image_info(disk: &Path) -> DriverResult<Value> {
    let mut cmd = tokio::process::Command::new(crate::QEMU_IMG);
    cmd.args(["info", "--output=json"]).arg(disk);
    let out = output(cmd, "qemu-img info").await?;
    serde_json::from_slice(&out).map_err(|e| DriverError::Provider {
        code: "qemu".into(),
        message: format!("qemu-img info of {}: {e}", disk.display()),
    })
}

async fn qemu_img(args: &[String]) -> DriverResult<()> {
    let mut cmd = tokio::process::Command::new(crate::QEMU_IMG);
    cmd.args(args);
    run(cmd, &format!("qemu-img {}", args[0])).await
}

/// Writes what the guest reads through fw_cfg; an absent value removes the file.
pub(crate) fn write_guest_config(files: &VmFiles, name: &str, value: Option<&str>) -> DriverResult<()> {
    let file = files.guest_config(name);
    match value {
        Some(v) => std::fs::write(&file, v).map_err(|e| io_error(&file, e)),
        None => match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_error(&file, e)),
            _ => Ok(()),
        },
    }
}

fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

/// A public IP's forward rule, as `hostfwd` options name it.
fn forward(port: u16) -> String {
    format!("tcp:127.0.0.1:{port}")
}

/// Makes the running VM's forward from `port` to its port 22 exist or not, as `wanted`
/// says; what is already so is left alone.
pub(crate) async fn set_forward(files: &VmFiles, port: u16, wanted: bool) -> DriverResult<()> {
    let rule = forward(port);
    // `info usernet` lists forwards as "TCP[HOST_FORWARD] <fd> 127.0.0.1 <port> …".
    let table = qmp::human(&files.qmp(), "info usernet").await?;
    let exists = table.lines().any(|l| {
        let words: Vec<&str> = l.split_whitespace().collect();
        words.first() == Some(&"TCP[HOST_FORWARD]") && words.get(3) == Some(&port.to_string().as_str())
    });
    let command = match (wanted, exists) {
        (true, false) => format!("hostfwd_add net0 {rule}-:22"),
        (false, true) => format!("hostfwd_remove net0 {rule}"),
        _ => return Ok(()),
    };
    // hostfwd_add is silent when it works; hostfwd_remove says "… removed".
    let said = qmp::human(&files.qmp(), &command).await?;
    if !(said.is_empty() || said.ends_with("removed")) {
        return Err(DriverError::Provider { code: "monitor".into(), message: format!("{command}: {said}") });
    }
    Ok(())
}

fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// A path inside a QEMU option value, where a comma must be doubled.
fn opt(p: &Path) -> String {
    path(p).replace(',', ",,")
}
