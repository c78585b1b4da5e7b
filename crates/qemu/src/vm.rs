//! A VM's QEMU process: its command line, liveness, readiness and end.

use crate::files::{Forwards, Layout, VmRecord, io_error};
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
    /// The host end of the guest agent's port (see agent.rs).
    pub fn agent(&self) -> PathBuf {
        self.dir.join("agent.sock")
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
    pub(crate) fn blockdev(&self) -> Value {
        json!({"driver": "qcow2", "node-name": self.id, "file": {"driver": "file", "filename": self.path}})
    }

    pub(crate) fn device(&self) -> Value {
        let mut device = json!({"driver": "virtio-blk-pci", "drive": self.id, "id": device_id(self.id)});
        if let Some(port) = self.port {
            device["bus"] = port_id(port).into();
        }
        device
    }
}

pub(crate) fn device_id(disk: &str) -> String {
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
    /// The public IP's forwards, if it has one.
    pub forwards: Forwards,
    /// Cut the guest off from the outside (no outbound rule allows it).
    pub restrict: bool,
    pub accel: Accel,
    /// The guest's network card's address (see [`mac_of`]).
    pub mac: String,
    /// Where the guest agent's socket is made.
    pub agent: PathBuf,
}

/// A VM's own MAC address, the same at every launch: QEMU's prefix 52:54:00 (locally
/// administered) and 3 bytes of a hash of `id` (FNV-1a, stable across builds, unlike
/// std's hasher). Without it every guest has QEMU's one default address.
pub fn mac_of(id: &str) -> String {
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    let [a, b, c, ..] = hash.to_be_bytes();
    format!("52:54:00:{a:02x}:{b:02x}:{c:02x}")
}

/// The guest itself as QEMU runs it: machine, shape, kernel, network, hot-plug ports,
/// disks and the guest agent's port, without how gureum controls the process (serial
/// log, QMP, pidfile). A bare QEMU booting the same guest (the benchmark's floor) uses
/// exactly these.
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
        launch
            .forwards
            .iter()
            .fold(format!("user,id=net0,restrict={}", on_off(launch.restrict)), |netdev, (guest, host)| {
                format!("{netdev},hostfwd={}-:{guest}", forward(*host))
            }),
        "-device".into(),
        format!("virtio-net-pci,netdev=net0,mac={}", launch.mac),
        "-device".into(),
        "virtio-serial-pci".into(),
        "-chardev".into(),
        format!("socket,id=agent,path={},server=on,wait=off", opt(&launch.agent)),
        "-device".into(),
        format!("virtserialport,chardev=agent,name={}", crate::agent::PORT_NAME),
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
    for name in ["hostname", "ssh_key", "user_data", "install"] {
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
/// shape, kernel, network, ports, agent port and root disk `disk`, the hostname through
/// fw_cfg and the agent's socket in `dir`), its serial console on stdout: the floor a
/// VM's boot time is measured against.
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
    let (mac, agent) = (mac_of(hostname), dir.join("agent.sock"));
    let launch = Launch { image, disks: vec![root], forwards: Forwards::new(), restrict: true, accel, mac, agent };
    let mut args = guest_args(vcpus, memory_mib, &launch);
    args.extend(["-serial".into(), "stdio".into(), "-fw_cfg".into()]);
    args.push(format!("name=opt/gureum/hostname,file={}", opt(&hostname_file)));
    let mut cmd = std::process::Command::new(QEMU_SYSTEM);
    cmd.args(&args).current_dir(dir).stdin(std::process::Stdio::null());
    Ok(cmd)
}

/// Runs a QEMU tool to its end; what it wrote to stderr is the error when it fails.
pub(crate) async fn run(cmd: tokio::process::Command, what: &str) -> DriverResult<()> {
    output(cmd, what).await.map(drop)
}

/// Runs a QEMU tool to its end and returns what it wrote to stdout.
pub(crate) async fn output(mut cmd: tokio::process::Command, what: &str) -> DriverResult<Vec<u8>> {
    let out = cmd.output().await.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            DriverError::Unavailable(crate::not_installed(&cmd.as_std().get_program().to_string_lossy()))
        }
        _ => DriverError::Unavailable(format!("running {what}: {e}")),
    })?;
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

/// Makes the running VM's forwards exactly `wanted`: the ones no longer wanted are
/// removed, new ones added, the rest left alone (their connections go on).
pub(crate) async fn set_forwards(files: &VmFiles, wanted: &Forwards) -> DriverResult<()> {
    // `info usernet` lists forwards as
    // "TCP[HOST_FORWARD] <fd> 127.0.0.1 <host port> 10.0.2.15 <guest port> …".
    let table = qmp::human(&files.qmp(), "info usernet").await?;
    let existing: Vec<(u16, u16)> = table
        .lines()
        .filter_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            if words.first() != Some(&"TCP[HOST_FORWARD]") {
                return None;
            }
            Some((words.get(3)?.parse().ok()?, words.get(5)?.parse().ok()?))
        })
        .collect();
    let wanted: Vec<(u16, u16)> = wanted.iter().map(|(guest, host)| (*host, *guest)).collect();
    for (host, _) in existing.iter().filter(|f| !wanted.contains(f)) {
        monitor(files, &format!("hostfwd_remove net0 {}", forward(*host))).await?;
    }
    for (host, guest) in wanted.iter().filter(|f| !existing.contains(f)) {
        monitor(files, &format!("hostfwd_add net0 {}-:{guest}", forward(*host))).await?;
    }
    Ok(())
}

/// A monitor command that changes a forward.
async fn monitor(files: &VmFiles, command: &str) -> DriverResult<()> {
    // hostfwd_add is silent when it works; hostfwd_remove says "… removed".
    let said = qmp::human(&files.qmp(), command).await?;
    if !(said.is_empty() || said.ends_with("removed")) {
        return Err(DriverError::Provider { code: "monitor".into(), message: format!("{command}: {said}") });
    }
    Ok(())
}

pub(crate) fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// A path inside a QEMU option value, where a comma must be doubled.
pub(crate) fn opt(p: &Path) -> String {
    path(p).replace(',', ",,")
}
