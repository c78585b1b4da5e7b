//! VMs: create and the power and shape actions.

use super::{Ctx, conflict, invalid, not_found, require};
use crate::record::{Body, Usage, Vm};
use crate::settings::Operation;
use crate::state::State;
use gureum_driver::{
    DriverError, DriverResult, Intent, ProviderStatus, ResourceKind, VmAction, VmSpec, split_disk_spec,
};
use gureum_model::catalog;

/// The smallest machine clouds sell.
const MIN_MEMORY_MIB: i64 = 128;

fn check_shape(vcpus: i64, memory_mib: i64) -> DriverResult<()> {
    if vcpus < 1 || memory_mib < MIN_MEMORY_MIB {
        return Err(invalid(format!(
            "a VM needs at least 1 vCPU and {MIN_MEMORY_MIB} MiB of memory, got {vcpus} vCPUs and {memory_mib} MiB"
        )));
    }
    Ok(())
}

impl State {
    pub(super) fn create_vm(&mut self, ctx: &Ctx, spec: VmSpec) -> DriverResult<String> {
        self.check_zone(&spec.zone)?;
        check_shape(spec.vcpus, spec.memory_mib)?;

        let (disk_rec, disk) = self.find_disk(&spec.root_disk)?;
        if let Some(vm) = &disk.attached_to {
            return Err(conflict(format!("root disk {} is attached to {vm}", spec.root_disk)));
        }
        require(disk_rec, &[ProviderStatus::Available], "booting a VM from it")?;
        if disk.zone != spec.zone {
            return Err(invalid(format!(
                "root disk {} is in zone {}, the VM in zone {}",
                spec.root_disk, disk.zone, spec.zone
            )));
        }
        let base_image = disk.base_image.clone();
        let image_def = base_image.as_deref().and_then(catalog::image);
        let gpu = catalog::instance_type(split_disk_spec(&spec.instance_type).0).is_some_and(|t| t.gpu.is_some());
        self.enforce(
            ctx,
            &Intent::Vm {
                instance_type: &spec.instance_type,
                vcpus: spec.vcpus,
                memory_mib: spec.memory_mib,
                gpu,
                image: image_def.map_or(spec.image.as_str(), |i| i.name),
                os_family: image_def.map_or("linux", |i| i.os_family.as_str()),
                zone: &spec.zone,
                root_size_gb: disk.size_gb,
            },
        )?;

        let mut subnet_vpc = None;
        let net = match &spec.subnet {
            Some(id) => {
                let s = self.find(ResourceKind::Subnet, id)?;
                require(s, &[ProviderStatus::Available], "placing a VM in it")?;
                let Body::Subnet { vpc, cidr, zone } = &s.body else {
                    return Err(not_found(ResourceKind::Subnet, id));
                };
                if *zone != spec.zone {
                    return Err(invalid(format!("subnet {id} is in zone {zone}, the VM in zone {}", spec.zone)));
                }
                subnet_vpc = vpc.clone();
                *cidr
            }
            None => self.zone_network(&spec.zone),
        };
        for sg in &spec.security_groups {
            let g = self.find(ResourceKind::SecurityGroup, sg)?;
            require(g, &[ProviderStatus::Available, ProviderStatus::Updating], "using it for a VM")?;
            if let Body::SecurityGroup { vpc: Some(vpc), .. } = &g.body
                && subnet_vpc.as_ref().is_some_and(|v| v != vpc)
            {
                return Err(invalid(format!("security group {sg} belongs to {vpc}, the subnet to another VPC")));
            }
        }
        if let Some(kp) = &spec.key_pair {
            require(self.find(ResourceKind::KeyPair, kp)?, &[ProviderStatus::Available], "using it for a VM")?;
        }

        let need = Usage { instances: 1, vcpus: spec.vcpus, memory_mib: spec.memory_mib, ..Usage::default() };
        self.reserve(&spec.zone, need, &ctx.settings.capacity)?;
        let private_ip = self.allocate_private_ip(spec.subnet.as_deref(), &spec.zone, net).ok_or_else(|| {
            let place =
                spec.subnet.as_deref().map_or_else(|| format!("the default network of {}", spec.zone), str::to_string);
            DriverError::Capacity(format!("{place} ({net}) has no free private addresses"))
        })?;

        let id = self.fresh_id(ResourceKind::Vm);
        self.edit(&spec.root_disk, |d| {
            if let Body::Disk(disk) = &mut d.body {
                disk.attached_to = Some(id.clone());
                // Its first boot installs the guest.
                disk.guest.get_or_insert_default();
            }
            d.status = ProviderStatus::InUse;
        });
        let vm = Vm {
            zone: spec.zone,
            hostname: spec.hostname,
            instance_type: spec.instance_type,
            vcpus: spec.vcpus,
            memory_mib: spec.memory_mib,
            image: spec.image,
            base_image,
            root_disk: spec.root_disk,
            data_disks: vec![],
            subnet: spec.subnet,
            private_ip,
            security_groups: spec.security_groups,
            key_pair: spec.key_pair,
            public_ip: None,
        };
        self.add(ctx, id.clone(), spec.name, spec.tag, Body::Vm(vm), ProviderStatus::Running);
        Ok(id)
    }

    pub fn vm_action(&mut self, ctx: &Ctx, id: &str, action: VmAction) -> DriverResult<()> {
        use ProviderStatus::*;
        let (rec, vm) = self.find_vm(id)?;
        // A boot that never gets ready (a broken kernel) shows Starting with nothing under way.
        let stuck = matches!(rec.status, Starting | Rebooting) && rec.pending.is_none();
        let (op, via, to) = match &action {
            VmAction::Start => {
                require(rec, &[Stopped], "start")?;
                (Operation::VmStart, Starting, Running)
            }
            VmAction::Stop { .. } => {
                if !stuck {
                    require(rec, &[Running], "stop")?;
                }
                (Operation::VmStop, Stopping, Stopped)
            }
            VmAction::Reboot { hard: false } => {
                require(rec, &[Running], "a soft reboot")?;
                (Operation::VmReboot, Rebooting, Running)
            }
            // A hard reboot is the way out of a stuck or failed guest, as in Nova.
            VmAction::Reboot { hard: true } => {
                require(rec, &[Running, Stopped, Error], "a hard reboot")?;
                (Operation::VmReboot, Rebooting, Running)
            }
            VmAction::Resize { vcpus, memory_mib, .. } => {
                require(rec, &[Running, Stopped], "resize")?;
                check_shape(*vcpus, *memory_mib)?;
                let more =
                    Usage { vcpus: vcpus - vm.vcpus, memory_mib: memory_mib - vm.memory_mib, ..Usage::default() };
                self.reserve(&vm.zone, more, &ctx.settings.capacity)?;
                (Operation::VmResize, Resizing, rec.status)
            }
            // The guest generalizes its system, then powers off as a stop does.
            VmAction::Sysprep => {
                require(rec, &[Running], "sysprep")?;
                (Operation::VmSysprep, Stopping, Stopped)
            }
        };
        // A guest that cannot boot stays in its boot, as one whose kernel lacks its drivers.
        let boots = self.guest(vm).boots();
        let to = if to == Running && !boots { via } else { to };
        let pending = ctx.pending(op, Some(to));
        self.edit(id, |r| {
            if let (VmAction::Resize { instance_type, vcpus, memory_mib }, Body::Vm(vm)) = (action, &mut r.body) {
                vm.instance_type = instance_type;
                vm.vcpus = vcpus;
                vm.memory_mib = memory_mib;
            }
            r.begin(via, pending);
        });
        Ok(())
    }
}
