//! A VM's life: creating and launching its process, its status, power actions, and
//! carrying stops and resizes through to their end.

use crate::attachments::address;
use crate::driver::{conflict, new_id, view};
use crate::files::{DiskRecord, IpRecord, Power, VmRecord, io_error};
use crate::vm::{self, Disk, GUEST_IP, Launch, VmFiles};
use crate::{QemuDriver, agent, kernels, now_ms, qmp};
use gureum_driver::{DriverResult, ProviderResource, ProviderStatus, ResourceKind, VmAction, VmSpec};
use serde_json::{Value, json};
use std::time::Duration;

/// How long a guest has to power off after ACPI power-down before its process is ended.
const STOP_GRACE: Duration = Duration::from_secs(30);
/// How long a guest has to generalize its system and power off once its agent took a
/// sysprep (seconds; more on a busy host under TCG).
const SYSPREP_GRACE: Duration = Duration::from_secs(120);
/// How long a guest's agent has to take a command: a guest still booting takes it once
/// its agent is up.
const AGENT_ANSWER: Duration = Duration::from_secs(60);
/// How often a VM stopping or restarting is looked at to carry it through.
const SETTLE_EVERY: Duration = Duration::from_millis(100);

impl QemuDriver {
    /// Creates the VM's records under the driver's `lock` (`records`, released before the
    /// launch) and launches it under the VM's own lock.
    pub(crate) async fn create_vm(
        &self,
        spec: VmSpec,
        records: tokio::sync::MutexGuard<'_, ()>,
    ) -> DriverResult<ProviderResource> {
        Self::check_zone(&spec.zone)?;
        let layout = self.layout();
        let mut root: DiskRecord = layout.load(ResourceKind::Disk, &spec.root_disk)?;
        if let Some(vm) = &root.attached_to {
            return Err(conflict(format!("disk {} is attached to {vm}", root.id)));
        }
        // The root disk's image boots the VM. A blank root disk boots the named image as
        // install media: the guest installs a system on it (a template's disk), which
        // that image's kernel boots from then on.
        let boot_image = match self.boot_image_of(&root)? {
            Some(image) => image,
            None => self.base_of(&spec.image)?.1,
        };
        self.image(&boot_image)?;
        let install = root.base_image.is_none();
        let id = new_id("vm");
        let _vm = self.lock_vm(&id).await;
        let files = VmFiles::new(&layout, &id);
        std::fs::create_dir_all(&files.dir).map_err(|e| io_error(&files.dir, e))?;
        vm::write_guest_config(&files, "hostname", Some(&spec.hostname))?;
        vm::write_guest_config(&files, "ssh_key", spec.public_key.as_deref())?;
        vm::write_guest_config(&files, "user_data", spec.user_data.as_deref())?;
        vm::write_guest_config(&files, "install", install.then_some("1"))?;
        let rec = VmRecord {
            id: id.clone(),
            spec: VmSpec { public_key: None, user_data: None, ..spec },
            boot_image,
            kernel: None,
            data_disks: vec![],
            public_ip: None,
            power: Power::Running,
            boot_offset: 0,
            booting: ProviderStatus::Starting,
            created_ms: now_ms(),
        };
        layout.save(ResourceKind::Vm, &id, &rec)?;
        root.attached_to = Some(id.clone());
        if install {
            root.installed_by = Some(rec.boot_image.clone());
        }
        layout.save(ResourceKind::Disk, &root.id, &root)?;
        drop(records);
        if let Err(e) = self.launch(&rec).await {
            // Nothing runs: the VM is kept, in error, for the engine to delete.
            tracing::warn!(vm = %id, "launch failed: {e}");
        }
        self.vm_view(&rec).await
    }

    /// Launches the VM to run, showing `booting` until the guest is ready.
    pub(crate) async fn boot(&self, rec: &mut VmRecord, booting: ProviderStatus) -> DriverResult<()> {
        rec.power = Power::Running;
        rec.booting = booting;
        rec.boot_offset = VmFiles::new(&self.layout(), &rec.id).serial_len();
        self.layout().save(ResourceKind::Vm, &rec.id, rec)?;
        self.launch(rec).await
    }

    pub(crate) async fn launch(&self, rec: &VmRecord) -> DriverResult<()> {
        let layout = self.layout();
        let image = self.boot_files(rec)?;
        let root = Disk { id: &rec.spec.root_disk, path: layout.disk_image(&rec.spec.root_disk), port: None };
        let data =
            rec.data_disks.iter().map(|d| Disk { id: &d.disk, path: layout.disk_image(&d.disk), port: Some(d.port) });
        let disks = std::iter::once(root).chain(data).collect();
        let policy = self.policy(rec)?;
        let forwards = match &rec.public_ip {
            Some(id) => {
                // The rules may have changed while the VM was stopped.
                let mut ip: IpRecord = layout.load(ResourceKind::PublicIp, id)?;
                self.apply_forwards(rec, &mut ip, true).await?;
                layout.save(ResourceKind::PublicIp, id, &ip)?;
                ip.forwards
            }
            None => Default::default(),
        };
        let files = VmFiles::new(&layout, &rec.id);
        let restrict = !policy.outbound;
        let (mac, agent) = (vm::mac_of(&rec.id), files.agent());
        vm::launch(rec, &files, Launch { image: &image, disks, forwards, restrict, accel: self.accel, mac, agent })
            .await
    }

    /// The VM's status from its record and process. Only reads: ending a process whose
    /// guest is off and relaunching a resized VM are [`QemuDriver::settle`]'s.
    pub(crate) async fn vm_view(&self, rec: &VmRecord) -> DriverResult<ProviderResource> {
        let layout = self.layout();
        let files = VmFiles::new(&layout, &rec.id);
        let pid = files.pid();
        let guest = self.guest_status(&files, pid).await;
        let (status, reason) = match (rec.power, pid, guest.as_deref()) {
            (Power::Stopped, None, _) => (ProviderStatus::Stopped, None),
            // Off: what is left (the process, the record) is settle's to tidy.
            (Power::Stopping { .. }, None, _) => (ProviderStatus::Stopped, None),
            // The guest is off but its process not yet ended (settle's watch does that within
            // moments): a stop is through only once nothing of the VM runs.
            (Power::Stopping { .. }, Some(_), _) => (ProviderStatus::Stopping, None),
            // The guest powered itself off: the VM is stopped.
            (Power::Running, Some(_), Some("shutdown")) => (ProviderStatus::Stopped, None),
            (Power::Running, Some(_), Some("running")) if files.ready_since(rec.boot_offset) => {
                (ProviderStatus::Running, None)
            }
            (Power::Running, Some(_), Some("running" | "prelaunch" | "inmigrate")) => (rec.booting, None),
            (Power::Running, Some(_), Some(other)) => (
                ProviderStatus::Error,
                Some(format!("the guest is {other}: {}", files.last_line().unwrap_or_default())),
            ),
            // The process is there but QMP did not answer: still starting up.
            (Power::Running | Power::Stopped, Some(_), None) => (rec.booting, None),
            (Power::Running, None, _) => (
                ProviderStatus::Error,
                Some(match files.last_line() {
                    Some(line) => format!("the QEMU process is gone; the serial console's last line: {line}"),
                    None => "the QEMU process is gone (it never started or was killed)".into(),
                }),
            ),
            (Power::Stopped, Some(_), _) => (ProviderStatus::Stopping, None),
            (Power::Restarting { .. }, _, _) => (ProviderStatus::Resizing, None),
        };
        let public_ip = match &rec.public_ip {
            Some(ip) => layout.load::<IpRecord>(ResourceKind::PublicIp, ip).ok().map(|ip| address(ip.port)),
            None => None,
        };
        Ok(view(
            ResourceKind::Vm,
            &rec.id,
            &rec.spec.name,
            &rec.spec.tag,
            status,
            reason,
            json!({
                "created_ms": rec.created_ms,
                "zone": rec.spec.zone,
                "hostname": rec.spec.hostname,
                "instance_type": rec.spec.instance_type,
                "vcpus": rec.spec.vcpus,
                "memory_mib": rec.spec.memory_mib,
                "image": rec.spec.image,
                "root_disk": rec.spec.root_disk,
                "disks": rec.disks().collect::<Vec<_>>(),
                "private_ip": GUEST_IP,
                "key_pair": rec.spec.key_pair,
                "public_ip": public_ip,
                "public_ip_id": rec.public_ip,
                "pid": pid,
                "accel": self.accel.as_str(),
                "mac": vm::mac_of(&rec.id),
                "kernel": rec.kernel.clone().or_else(|| kernels::default_release(&self.image_dir(&rec.boot_image))),
            }),
        ))
    }

    /// What QEMU says of the guest (`running`, `shutdown`…), when its process answers.
    pub(crate) async fn guest_status(&self, files: &VmFiles, pid: Option<u32>) -> Option<String> {
        pid?;
        let status = qmp::execute(&files.qmp(), "query-status", json!({})).await.ok()?;
        status["status"].as_str().map(str::to_string)
    }

    /// Carries the VM's power state to where its process is: ends the process of a guest
    /// that is off (stopped, or out of its stop grace) and relaunches a VM restarting for
    /// a new shape once its guest is off. The caller holds the VM's lock. Run by the
    /// watch a stop or resize starts, by a reopened driver, and before each power action.
    async fn settle(&self, rec: &mut VmRecord) -> DriverResult<()> {
        let layout = self.layout();
        let files = VmFiles::new(&layout, &rec.id);
        let pid = files.pid();
        let guest = self.guest_status(&files, pid).await;
        let off = pid.is_none() || guest.as_deref() == Some("shutdown");
        match rec.power {
            Power::Restarting { deadline_ms } if off || now_ms() >= deadline_ms => {
                vm::end(&files).await?;
                if let Err(e) = self.boot(rec, ProviderStatus::Resizing).await {
                    tracing::warn!(vm = %rec.id, "relaunch with the new shape failed: {e}");
                }
            }
            Power::Stopping { deadline_ms } if off || now_ms() >= deadline_ms => {
                if pid.is_some() {
                    vm::end(&files).await?;
                }
                rec.power = Power::Stopped;
                layout.save(ResourceKind::Vm, &rec.id, rec)?;
            }
            Power::Running if pid.is_some() && guest.as_deref() == Some("shutdown") => {
                vm::end(&files).await?;
                rec.power = Power::Stopped;
                layout.save(ResourceKind::Vm, &rec.id, rec)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Settles the VM every [`SETTLE_EVERY`] until its stop or resize is through, so
    /// that it completes with nobody asking (a look at the VM only reads).
    pub(crate) fn watch(&self, id: &str) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let (driver, id) = (self.clone(), id.to_string());
        runtime.spawn(async move {
            loop {
                tokio::time::sleep(SETTLE_EVERY).await;
                if !driver.layout().record(ResourceKind::Vm, &id).is_file() {
                    return;
                }
                let _vm = driver.lock_vm(&id).await;
                let Ok(mut rec) = driver.layout().load::<VmRecord>(ResourceKind::Vm, &id) else { return };
                if !rec.power.in_transition() {
                    return;
                }
                if let Err(e) = driver.settle(&mut rec).await {
                    tracing::warn!(vm = %id, "settling: {e}");
                }
            }
        });
    }

    pub(crate) async fn delete_vm(&self, id: &str) -> DriverResult<()> {
        let layout = self.layout();
        let _vm = self.lock_vm(id).await;
        let rec: VmRecord = layout.load(ResourceKind::Vm, id)?;
        let files = VmFiles::new(&layout, id);
        vm::end(&files).await?;
        // What the VM held is released, as a cloud does when an instance is terminated.
        for disk in rec.disks() {
            if let Ok(mut d) = layout.load::<DiskRecord>(ResourceKind::Disk, disk)
                && d.attached_to.as_deref() == Some(id)
            {
                d.attached_to = None;
                layout.save(ResourceKind::Disk, disk, &d)?;
            }
        }
        if let Some(ip) = &rec.public_ip
            && let Ok(mut r) = layout.load::<IpRecord>(ResourceKind::PublicIp, ip)
        {
            // The forwards ended with the process.
            r.attached_to = None;
            r.forwards.clear();
            layout.save(ResourceKind::PublicIp, ip, &r)?;
        }
        std::fs::remove_dir_all(&files.dir).map_err(|e| io_error(&files.dir, e))?;
        self.forget_vm(id);
        Ok(())
    }

    pub(crate) async fn power(&self, id: &str, action: VmAction) -> DriverResult<()> {
        let layout = self.layout();
        let _vm = self.lock_vm(id).await;
        let mut rec: VmRecord = layout.load(ResourceKind::Vm, id)?;
        // A guest that is off since the last look has no process to act on.
        self.settle(&mut rec).await?;
        let files = VmFiles::new(&layout, id);
        let alive = files.pid().is_some();
        match action {
            VmAction::Start if alive => {
                if rec.power != Power::Running {
                    return Err(conflict(format!("vm {id} is still stopping")));
                }
            }
            VmAction::Start => self.boot(&mut rec, ProviderStatus::Starting).await?,
            VmAction::Stop { .. } if !alive => {
                rec.power = Power::Stopped;
                layout.save(ResourceKind::Vm, id, &rec)?;
            }
            VmAction::Stop { force: true } => {
                vm::end(&files).await?;
                rec.power = Power::Stopped;
                layout.save(ResourceKind::Vm, id, &rec)?;
            }
            VmAction::Stop { force: false } => {
                qmp::execute(&files.qmp(), "system_powerdown", json!({})).await?;
                rec.power = Power::Stopping { deadline_ms: now_ms() + STOP_GRACE.as_millis() as u64 };
                layout.save(ResourceKind::Vm, id, &rec)?;
                self.watch(id);
            }
            VmAction::Reboot { .. } if !alive || rec.power != Power::Running => {
                return Err(conflict(format!("vm {id} is not running")));
            }
            VmAction::Reboot { hard } => {
                rec.booting = ProviderStatus::Rebooting;
                rec.boot_offset = files.serial_len();
                layout.save(ResourceKind::Vm, id, &rec)?;
                if hard {
                    qmp::execute(&files.qmp(), "system_reset", json!({})).await?;
                } else {
                    // Ctrl-Alt-Del: the guest's init reboots cleanly.
                    let keys: Vec<Value> =
                        ["ctrl", "alt", "delete"].iter().map(|k| json!({"type": "qcode", "data": k})).collect();
                    qmp::execute(&files.qmp(), "send-key", json!({ "keys": keys })).await?;
                }
            }
            VmAction::Sysprep if !alive || rec.power != Power::Running => {
                return Err(conflict(format!("vm {id} is not running; sysprep needs it running")));
            }
            // The guest powers itself off when done: carried through as a stop is.
            VmAction::Sysprep => {
                agent::ask(&files, id, "sysprep", AGENT_ANSWER).await?;
                rec.power = Power::Stopping { deadline_ms: now_ms() + SYSPREP_GRACE.as_millis() as u64 };
                layout.save(ResourceKind::Vm, id, &rec)?;
                self.watch(id);
            }
            VmAction::Resize { .. } if alive && rec.power != Power::Running => {
                return Err(conflict(format!("vm {id} is stopping or restarting")));
            }
            // The new shape is what the next launch gets; a running VM is powered down
            // for it now and relaunched when off (see settle).
            VmAction::Resize { instance_type, vcpus, memory_mib } => {
                rec.spec = VmSpec { instance_type, vcpus, memory_mib, ..rec.spec };
                if alive {
                    qmp::execute(&files.qmp(), "system_powerdown", json!({})).await?;
                    rec.power = Power::Restarting { deadline_ms: now_ms() + STOP_GRACE.as_millis() as u64 };
                }
                layout.save(ResourceKind::Vm, id, &rec)?;
                if alive {
                    self.watch(id);
                }
            }
        }
        Ok(())
    }
}
