//! `gureum bench lean`: what lean provisioning costs on this host's QEMU. A real `gureum
//! serve` installs a template from the tiny-linux media, sysprepps and releases it; then
//! (1) linked clones of the released version image are made the way the driver makes a
//! persistent VM's root disk (`qemu-img create -f qcow2 -F qcow2 -b <version> <disk>
//! <size>G`, as crates/qemu/src/disks.rs runs it), each timed; and (2) persistent VMs are
//! created one after another through the API, timed to Active (the guest booted from its
//! clone and printed its readiness marker), alternating with a bare QEMU booting a fresh
//! clone of the same version image with the same arguments ([`gureum_qemu::bare_command`]),
//! timed from exec to the marker: the physical floor.

use crate::bench::{Api, percentile, verdict};
use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::guest_image::TINY_LINUX as IMAGE;
/// The profile's shape, t1.micro's: the instance type a persistent VM of it gets, and
/// what the bare QEMU is given.
const SHAPE: (i64, i64) = (1, 1024);
/// The template's disk: a realistic root disk's virtual size.
const DISK_GB: i64 = 20;
const TARGET_CLONE_P99_MS: f64 = 100.0;
const TARGET_RATIO: f64 = 1.10;
/// Installing under TCG takes minutes; a template stuck longer than this has failed.
const TEMPLATE_TIMEOUT: Duration = Duration::from_secs(1800);

#[derive(clap::Args, Debug, Clone)]
pub struct LeanBenchArgs {
    /// Linked clones of the released version image made (and timed) one by one.
    #[arg(long, default_value_t = 50)]
    pub clones: usize,
    /// Persistent VMs created one after another, each followed by a bare QEMU boot.
    #[arg(long, default_value_t = 5)]
    pub vms: usize,
    /// Directory of guest images holding tiny-linux; by default the user's cached build
    /// (made first when missing, as `gureum serve` does).
    #[arg(long)]
    pub guest_images: Option<PathBuf>,
}

pub async fn bench(args: LeanBenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.clones > 0 && args.vms > 0, "--clones and --vms must be at least 1");
    let Some(host) = crate::bench_qemu::QemuBenchHost::start("lean", args.guest_images).await? else {
        return Ok(());
    };
    let (api, image, server) = (&host.api, &host.image, &host.server);
    println!(
        "gureum bench lean: server {}, {IMAGE} install media, {} clones, {} persistent VMs, {}",
        server.base,
        args.clones,
        args.vms,
        if gureum_qemu::hardware_kvm() { "KVM" } else { "TCG" }
    );
    setup(api).await?;
    let template = template(api).await?;
    let version = version_image(server.data_dir())?;
    let scratch = tempfile::tempdir()?;

    clones(&version, scratch.path(), args.clones)?;
    boots(api, &template, image, &version, scratch.path(), args.vms).await
}

/// The project's network, a template pool and a persistent pool on `local`, each with
/// one node (a node without an agent is the server's own host), and the profile.
async fn setup(api: &Api) -> anyhow::Result<()> {
    api.network("local").await?;
    for (pool, purpose, prefix) in [("bench-tpl", "template", "tpl"), ("bench-pvm", "persistent", "pvm")] {
        let body = json!({"name": pool, "connection": "local", "purpose": purpose, "name_prefix": prefix,
                          "domain": "bench.test"});
        api.post("/v1/pools", body).await?;
        let node = json!({"name": format!("{prefix}-1"), "vcpus": 16, "memory_mib": 65536, "disk_gb": 2000});
        api.post(&format!("/v1/pools/{pool}/nodes"), node).await?;
    }
    let profile = json!({"name": "bench", "base_profile": "linux", "install_media": IMAGE, "os_type": "tiny-linux",
                         "os_version": "1", "memory_mib": SHAPE.1, "disk_gb": DISK_GB, "vcpus": SHAPE.0});
    api.post("/v1/vm-profiles", profile).await?;
    Ok(())
}

/// A template installed, sysprepped and released; its assigned name.
async fn template(api: &Api) -> anyhow::Result<String> {
    let t = Instant::now();
    let made = api.post("/v1/vm-templates", json!({"profile": "bench", "pool": "bench-tpl"})).await?;
    let name = made["name"].as_str().context("the template has no name")?.to_string();
    settled(api, &name).await?;
    let installed = t.elapsed();
    let t = Instant::now();
    api.post(&format!("/v1/vm-templates/{name}/sysprep"), json!({})).await?;
    settled(api, &name).await?;
    let sysprepped = t.elapsed();
    let t = Instant::now();
    api.post(&format!("/v1/vm-templates/{name}/release"), json!({})).await?;
    let released = settled(api, &name).await?;
    anyhow::ensure!(released["mode"] == "ready_for_use", "template {name} was not released: {released}");
    println!(
        "template {name}: install {:.1} s, sysprep {:.1} s, release {:.1} s → version {}",
        installed.as_secs_f64(),
        sysprepped.as_secs_f64(),
        t.elapsed().as_secs_f64(),
        released["version"]
    );
    Ok(name)
}

/// Waits until the template's action finished (no operation on it); fails on Error.
async fn settled(api: &Api, name: &str) -> anyhow::Result<Value> {
    let deadline = Instant::now() + TEMPLATE_TIMEOUT;
    loop {
        let t: Value = api.get(&format!("/v1/vm-templates/{name}")).await?;
        if t["state"] == "Error" {
            bail!("template {name} failed: {}", t["state_reason"]);
        }
        if t["operation_id"].is_null() {
            return Ok(t);
        }
        anyhow::ensure!(Instant::now() < deadline, "template {name} still {} after {TEMPLATE_TIMEOUT:?}", t["state"]);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The released version's image file: the only my-image of the server's QEMU
/// connections (`qemu/<connection>/images/<id>.qcow2`).
fn version_image(data_dir: &Path) -> anyhow::Result<PathBuf> {
    let conns = std::fs::read_dir(data_dir.join("qemu")).into_iter().flatten().flatten();
    let files = conns.flat_map(|c| std::fs::read_dir(c.path().join("images")).into_iter().flatten().flatten());
    let mut found: Vec<PathBuf> =
        files.map(|f| f.path()).filter(|p| p.extension().is_some_and(|e| e == "qcow2")).collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        n => bail!("{n} version images under {}, expected 1", data_dir.display()),
    }
}

/// A linked clone of `base` at `disk`, exactly as the driver's `create_disk` makes a
/// root disk on an image (that function is the crate's own; this runs the same command).
fn clone(base: &Path, disk: &Path) -> anyhow::Result<()> {
    let status = Command::new(gureum_qemu::QEMU_IMG)
        .args(["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b"])
        .arg(base)
        .arg(disk)
        .arg(format!("{DISK_GB}G"))
        .status()?;
    anyhow::ensure!(status.success(), "qemu-img create {}", disk.display());
    Ok(())
}

/// Phase 1: `count` clones, each timed alone, then removed.
fn clones(version: &Path, dir: &Path, count: usize) -> anyhow::Result<()> {
    let dir = dir.join("clones");
    std::fs::create_dir_all(&dir)?;
    let mut times = Vec::with_capacity(count);
    for i in 0..count {
        let disk = dir.join(format!("clone-{i}.qcow2"));
        let t = Instant::now();
        clone(version, &disk)?;
        times.push(t.elapsed());
    }
    std::fs::remove_dir_all(&dir)?;
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p99 = ms(percentile(&times, 0.99));
    let base_mib = std::fs::metadata(version)?.len() as f64 / 1_048_576.0;
    println!(
        "linked clone (qemu-img create -b, {DISK_GB} GB virtual base of {base_mib:.0} MiB), {count}: \
         p50 {:.1} ms, p99 {p99:.1} ms, max {:.1} ms   [target p99 ≤ {TARGET_CLONE_P99_MS} ms: {}]",
        ms(percentile(&times, 0.5)),
        ms(*times.last().expect("a clone")),
        verdict(p99 <= TARGET_CLONE_P99_MS)
    );
    Ok(())
}

/// Phase 2: persistent VMs through the API against bare QEMUs, alternating so both see
/// the same load. Each is ended once timed: under TCG an idle guest still takes CPU,
/// which would tax whichever boots later.
async fn boots(
    api: &Api,
    template: &str,
    image: &gureum_qemu::ImageFiles,
    version: &Path,
    dir: &Path,
    count: usize,
) -> anyhow::Result<()> {
    let (mut gureum, mut bare) = (vec![], vec![]);
    for i in 0..count {
        let t = Instant::now();
        let vm = api
            .post(
                "/v1/projects/bench/persistent-vms",
                json!({"template": template, "pool": "bench-pvm", "subnet": "bench", "security_groups": ["bench"]}),
            )
            .await?;
        let (id, op) = (vm["id"].as_str().context("vm id")?, vm["operation_id"].as_str().context("vm operation")?);
        api.succeeded(&format!("persistent VM {}", vm["name"]), op).await?;
        gureum.push(t.elapsed());
        check_ready(api, id).await?;
        delete(api, id).await?;

        let mut b = BareVm::prepare(image, version, &dir.join(format!("bare-{i}")), &format!("bare-{i}"))?;
        bare.push(b.boot()?);
    }
    let (g, b) = (p50_max(gureum), p50_max(bare));
    let s =
        |(p50, max): (Duration, Duration)| format!("p50 {:.2} s, max {:.2} s", p50.as_secs_f64(), max.as_secs_f64());
    println!("persistent VM, API create → Active (guest ready, booted from its clone), {count}: {}", s(g));
    println!("bare QEMU on a fresh clone of the version image, exec → guest ready, {count}: {}", s(b));
    let ratio = g.0.as_secs_f64() / b.0.as_secs_f64();
    println!("gureum / bare QEMU, p50: {ratio:.2}   [target ≤ {TARGET_RATIO:.2}: {}]", verdict(ratio <= TARGET_RATIO));
    Ok(())
}

fn p50_max(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    (percentile(&times, 0.5), *times.last().expect("a boot"))
}

/// The VM is Active, of the shape the bare QEMU is given, and its guest booted the
/// system on its disk (not the install media).
async fn check_ready(api: &Api, id: &str) -> anyhow::Result<()> {
    let i: Value = api.get(&format!("/v1/projects/bench/instances/{id}")).await?;
    anyhow::ensure!(i["state"] == "Active", "persistent VM {id} is {} after its create", i["state"]);
    anyhow::ensure!(i["instance_type"] == "t1.micro", "persistent VM {id} is a {}, not the bare QEMU's shape", i);
    let log: Value = api.get(&format!("/v1/projects/bench/instances/{id}/console")).await?;
    let output = log["output"].as_str().unwrap_or_default();
    let ready = output.lines().rev().find(|l| l.contains(gureum_qemu::READY_MARKER)).unwrap_or_default();
    anyhow::ensure!(ready.contains("system=disk"), "persistent VM {id} did not boot from its disk: {ready:?}");
    Ok(())
}

async fn delete(api: &Api, id: &str) -> anyhow::Result<()> {
    let path = format!("{}/v1/projects/bench/persistent-vms/{id}", api.base);
    let r = api.http.delete(path).bearer_auth(&api.token).send().await?;
    let status = r.status();
    let v: Value = r.json().await?;
    anyhow::ensure!(status.is_success(), "deleting persistent VM {id}: {status} {v}");
    api.succeeded(&format!("deleting {id}"), v["operation_id"].as_str().context("no operation")?).await
}

/// A bare QEMU on its own fresh clone (made before its clock starts, as bench_qemu's
/// are), killed on drop so a failure leaves no guest behind.
struct BareVm {
    cmd: Option<Command>,
    child: Option<std::process::Child>,
}

impl BareVm {
    fn prepare(image: &gureum_qemu::ImageFiles, version: &Path, dir: &Path, name: &str) -> anyhow::Result<BareVm> {
        std::fs::create_dir_all(dir)?;
        let disk = dir.join("root.qcow2");
        clone(version, &disk)?;
        // The tiny-linux kernel and initramfs boot the installed system on the disk, as
        // the driver boots a clone (no install flag in fw_cfg).
        Ok(BareVm { cmd: Some(gureum_qemu::bare_command(image, &disk, dir, name, SHAPE)?), child: None })
    }

    /// Starts it; the time from exec to a readiness marker saying it booted from disk.
    fn boot(&mut self) -> anyhow::Result<Duration> {
        let mut cmd = self.cmd.take().context("booted twice")?;
        let started = Instant::now();
        let child = self.child.insert(cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn()?);
        let stdout = child.stdout.take().context("bare QEMU stdout")?;
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            if line.contains(gureum_qemu::READY_MARKER) {
                let took = started.elapsed();
                anyhow::ensure!(line.contains("system=disk"), "the bare QEMU did not boot from its disk: {line}");
                return Ok(took);
            }
        }
        bail!("a bare QEMU ended before its guest was ready")
    }
}

impl Drop for BareVm {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
