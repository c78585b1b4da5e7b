//! `gureum bench qemu`: how much gureum adds to the hypervisor's own boot time. A real
//! `gureum serve` on a temporary data directory boots the tiny-linux guest on the
//! connection `local`, timed from the API create to the instance Active (the guest
//! printed its readiness marker), for VMs one after another and all at once; a bare QEMU
//! boots the same guest with the same machine, shape, kernel and devices
//! ([`gureum_qemu::bare_command`]), timed from exec to the marker on its serial console:
//! the physical floor. Also the resident memory of an idle VM's QEMU process.

use crate::bench::{Api, Server, percentile, verdict};
use anyhow::Context;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// t1.micro, the instance type the benchmark's VMs have.
const SHAPE: (i64, i64) = (1, 1024);
use crate::guest_image::TINY_LINUX as IMAGE;
/// The ratio of gureum's boot time to bare QEMU's that is "almost nothing added".
const TARGET_RATIO: f64 = 1.15;

#[derive(clap::Args, Debug, Clone)]
pub struct QemuBenchArgs {
    /// VMs booted in each phase (one after another, then all at once).
    #[arg(long, default_value_t = 10)]
    pub vms: usize,
    /// Directory of guest images holding tiny-linux; by default the user's cached build
    /// (made first when missing, as `gureum serve` does).
    #[arg(long)]
    pub guest_images: Option<PathBuf>,
}

/// p50 and max of boot times.
struct Boots {
    p50: Duration,
    max: Duration,
}

impl Boots {
    fn of(mut times: Vec<Duration>) -> Boots {
        times.sort();
        Boots { p50: percentile(&times, 0.5), max: *times.last().expect("at least one boot") }
    }

    fn show(&self) -> String {
        format!("p50 {:.2} s, max {:.2} s", self.p50.as_secs_f64(), self.max.as_secs_f64())
    }
}

/// A server on this host's QEMU for a benchmark, with the guest image its VMs boot.
/// Fields drop in order: the guests are killed before the server's directory goes.
pub(crate) struct QemuBenchHost {
    _guests: gureum_qemu::KillGuests,
    pub api: Api,
    pub image: gureum_qemu::ImageFiles,
    pub server: Server,
}

impl QemuBenchHost {
    /// `None` (and why, printed) when this host cannot run QEMU guests.
    pub(crate) async fn start(bench: &str, guest_images: Option<PathBuf>) -> anyhow::Result<Option<QemuBenchHost>> {
        if let Some(why) = gureum_qemu::host_unusable() {
            println!("gureum bench {bench}: skipped: {why}");
            return Ok(None);
        }
        let images = match guest_images {
            Some(dir) => std::path::absolute(dir)?,
            None => tokio::task::spawn_blocking(crate::guest_image::cached).await??,
        };
        let image = gureum_qemu::ImageFiles::of(&images, IMAGE)
            .with_context(|| format!("no {IMAGE} image (vmlinuz, initrd.img, disk.qcow2) in {}", images.display()))?;
        let server = Server::start(None, &["--guest-images".as_ref(), images.as_os_str()])?;
        let _guests = gureum_qemu::KillGuests(server.data_dir().to_path_buf());
        let api = server.api()?;
        let _: serde_json::Value = api
            .get("/v1/connections/local")
            .await
            .context("the server offers no connection `local` on this host's QEMU (see what it printed)")?;
        Ok(Some(QemuBenchHost { _guests, api, image, server }))
    }
}

pub async fn bench(args: QemuBenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.vms > 0, "--vms must be at least 1");
    let Some(host) = QemuBenchHost::start("qemu", args.guest_images).await? else { return Ok(()) };
    let (api, image, server) = (&host.api, &host.image, &host.server);
    println!(
        "gureum bench qemu: server {}, {} VMs per phase, {IMAGE}, t1.micro, {}",
        server.base,
        args.vms,
        if gureum_qemu::hardware_kvm() { "KVM" } else { "TCG" }
    );
    // All of a phase's VMs run at once on this one host: let its node hold them.
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let overcommit = (args.vms as f64 * SHAPE.0 as f64 / cpus).max(1.0);
    api.send(reqwest::Method::PATCH, "/v1/pools/local", serde_json::json!({"cpu_overcommit": overcommit})).await?;
    api.network("local").await?;

    let vms = args.vms;
    let names = move |phase: &'static str| (0..vms).map(move |i| format!("{phase}-{i}"));
    let bare_dir = tempfile::tempdir()?;
    let mut bare = Bare { image, dir: bare_dir.path(), running: vec![] };

    // One after another, a gureum VM then a bare one, so both see the same load (the
    // VMs booted before them idle on; other work on the host comes and goes).
    let (mut sequential, mut bare_sequential) = (vec![], vec![]);
    for (name, bare_name) in names("seq").zip(names("bare-seq")) {
        let t = Instant::now();
        api.instance_of(&name, IMAGE).await?;
        sequential.push(t.elapsed());
        let cmd = bare.prepare(&bare_name)?;
        bare_sequential.push(bare.spawn(cmd)?.join().expect("reader")?);
    }
    let rss = mean_rss_mib(server.data_dir());
    delete_all(api, names("seq")).await?;
    bare.end_all();

    let at_once = futures_all(names("once").map(|name| {
        let api = api.clone();
        async move {
            let t = Instant::now();
            api.instance_of(&name, IMAGE).await?;
            Ok(t.elapsed())
        }
    }))
    .await?;
    delete_all(api, names("once")).await?;
    let commands = names("bare-once").map(|name| bare.prepare(&name)).collect::<anyhow::Result<Vec<_>>>()?;
    let readers = commands.into_iter().map(|cmd| bare.spawn(cmd)).collect::<anyhow::Result<Vec<_>>>()?;
    let bare_at_once = readers.into_iter().map(|r| r.join().expect("reader")).collect::<anyhow::Result<Vec<_>>>()?;
    bare.end_all();
    let (gureum_seq, gureum_once) = (Boots::of(sequential), Boots::of(at_once));
    let (bare_seq, bare_once) = (Boots::of(bare_sequential), Boots::of(bare_at_once));

    println!("API create → guest ready (Active), {} one after another: {}", args.vms, gureum_seq.show());
    println!("API create → guest ready (Active), {} at once: {}", args.vms, gureum_once.show());
    println!("bare QEMU exec → guest ready, {} one after another: {}", args.vms, bare_seq.show());
    println!("bare QEMU exec → guest ready, {} at once: {}", args.vms, bare_once.show());
    for (what, gureum, bare) in [("one after another", &gureum_seq, &bare_seq), ("at once", &gureum_once, &bare_once)] {
        let ratio = gureum.p50.as_secs_f64() / bare.p50.as_secs_f64();
        println!(
            "gureum / bare QEMU, p50 {what}: {ratio:.2}   [target ≤ {TARGET_RATIO}: {}]",
            verdict(ratio <= TARGET_RATIO)
        );
    }
    println!("RSS per idle VM (QEMU process, mean of {}): {rss:.0} MiB", args.vms);
    Ok(())
}

async fn futures_all<T: Send + 'static>(
    tasks: impl Iterator<Item = impl Future<Output = anyhow::Result<T>> + Send + 'static>,
) -> anyhow::Result<Vec<T>> {
    let handles: Vec<_> = tasks.map(tokio::spawn).collect();
    let mut out = vec![];
    for h in handles {
        out.push(h.await??);
    }
    Ok(out)
}

async fn delete_all(api: &Api, names: impl Iterator<Item = String>) -> anyhow::Result<()> {
    futures_all(names.map(|name| {
        let api = api.clone();
        async move { api.delete_instance(&name).await }
    }))
    .await
    .map(drop)
}

/// The mean resident memory of the QEMU processes under the server's data directory.
fn mean_rss_mib(data_dir: &Path) -> f64 {
    let pidfiles = glob_pidfiles(data_dir);
    let rss: Vec<f64> = pidfiles
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok()?.trim().parse::<u32>().ok())
        .map(rss_mib)
        .collect();
    rss.iter().sum::<f64>() / rss.len().max(1) as f64
}

fn glob_pidfiles(data_dir: &Path) -> Vec<PathBuf> {
    let conns = std::fs::read_dir(data_dir.join("qemu")).into_iter().flatten().flatten();
    let vms = conns.flat_map(|c| std::fs::read_dir(c.path().join("vms")).into_iter().flatten().flatten());
    vms.map(|vm| vm.path().join("qemu.pid")).filter(|p| p.is_file()).collect()
}

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

/// Bare QEMUs of the guest, each on its own overlay of the image's disk (made before
/// its clock starts, as gureum's root disks are made before the VM's launch), running
/// until the phase ends, as gureum's VMs do.
struct Bare<'a> {
    image: &'a gureum_qemu::ImageFiles,
    dir: &'a Path,
    running: Vec<std::process::Child>,
}

impl Bare<'_> {
    fn prepare(&self, name: &str) -> anyhow::Result<std::process::Command> {
        let vm_dir = self.dir.join(name);
        std::fs::create_dir_all(&vm_dir)?;
        let disk = vm_dir.join("root.qcow2");
        let status = std::process::Command::new(gureum_qemu::QEMU_IMG)
            .args(["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b"])
            .arg(&self.image.disk)
            .arg(&disk)
            .status()?;
        anyhow::ensure!(status.success(), "qemu-img create {}", disk.display());
        Ok(gureum_qemu::bare_command(self.image, &disk, &vm_dir, name, SHAPE)?)
    }

    /// Starts the QEMU; the thread answers its time from exec to the readiness marker.
    fn spawn(
        &mut self,
        mut cmd: std::process::Command,
    ) -> anyhow::Result<std::thread::JoinHandle<anyhow::Result<Duration>>> {
        let started = Instant::now();
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().context("starting bare QEMU")?;
        let stdout = child.stdout.take().context("bare QEMU stdout")?;
        self.running.push(child);
        Ok(std::thread::spawn(move || ready_after(stdout, started)))
    }

    fn end_all(&mut self) {
        for mut child in self.running.drain(..) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Bare<'_> {
    fn drop(&mut self) {
        self.end_all();
    }
}

/// Reads the serial console until the readiness marker; the time since `started`. The
/// rest of the output is drained so the guest never blocks on a full pipe.
fn ready_after(stdout: std::process::ChildStdout, started: Instant) -> anyhow::Result<Duration> {
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        if line?.contains(gureum_qemu::READY_MARKER) {
            let took = started.elapsed();
            std::thread::spawn(move || lines.for_each(drop));
            return Ok(took);
        }
    }
    anyhow::bail!("a bare QEMU ended before its guest was ready")
}
