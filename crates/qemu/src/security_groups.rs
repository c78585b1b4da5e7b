//! Security groups: records of their rules, which decide the forwards and network of the
//! VMs in them (see firewall.rs for what the rules can do on user-mode networking).

use crate::driver::{conflict, new_id, view};
use crate::files::{IpRecord, SgRecord, VmRecord, io_error};
use crate::firewall::{self, Policy};
use crate::{QemuDriver, now_ms};
use gureum_driver::{DriverError, DriverResult, ProviderResource, ProviderStatus, ResourceKind, RuleOutcome, RuleSpec};
use serde_json::json;

impl QemuDriver {
    /// Makes a group, or answers the one this host already has with the same tag: the tag
    /// is gureum's id of the group, and two VM creates racing to copy a group onto this
    /// host (each after finding none) must end with one copy, not two. The caller holds
    /// the driver's lock, so the look and the make are one step.
    pub(crate) fn create_sg(&self, name: String, tag: String) -> DriverResult<ProviderResource> {
        let layout = self.layout();
        for id in layout.ids(ResourceKind::SecurityGroup) {
            let sg: SgRecord = layout.load(ResourceKind::SecurityGroup, &id)?;
            if sg.tag == tag {
                return Ok(Self::sg_view(&sg));
            }
        }
        let sg = SgRecord { id: new_id("sg"), name, tag, rules: vec![], created_ms: now_ms() };
        layout.save(ResourceKind::SecurityGroup, &sg.id, &sg)?;
        Ok(Self::sg_view(&sg))
    }

    /// What the VM's security groups let through now.
    pub(crate) fn policy(&self, rec: &VmRecord) -> DriverResult<Policy> {
        let mut groups = vec![];
        for sg in &rec.spec.security_groups {
            match self.layout().load::<SgRecord>(ResourceKind::SecurityGroup, sg) {
                Ok(g) => groups.push(g),
                // A group gureum kept itself (before this driver had them) has no rules here.
                Err(DriverError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Policy::of(groups.iter().flat_map(|g| &g.rules)))
    }

    /// Replaces a group's rules and makes the forwards of its VMs' public IPs follow them
    /// (a stopped VM's are recorded, to listen when it starts).
    pub(crate) async fn set_rules(&self, sg_id: &str, rules: &[RuleSpec]) -> DriverResult<Vec<RuleOutcome>> {
        let layout = self.layout();
        let mut sg: SgRecord = layout.load(ResourceKind::SecurityGroup, sg_id)?;
        sg.rules = rules.to_vec();
        layout.save(ResourceKind::SecurityGroup, sg_id, &sg)?;
        for vm in layout.ids(ResourceKind::Vm) {
            let _vm = self.lock_vm(&vm).await;
            let rec: VmRecord = layout.load(ResourceKind::Vm, &vm)?;
            if !rec.spec.security_groups.iter().any(|g| g == sg_id) {
                continue;
            }
            if let Some(id) = &rec.public_ip {
                let mut ip: IpRecord = layout.load(ResourceKind::PublicIp, id)?;
                self.apply_forwards(&rec, &mut ip, true).await?;
                layout.save(ResourceKind::PublicIp, id, &ip)?;
            }
        }
        Ok(firewall::outcomes(rules))
    }

    pub(crate) fn sg_view(sg: &SgRecord) -> ProviderResource {
        view(
            ResourceKind::SecurityGroup,
            &sg.id,
            &sg.name,
            &sg.tag,
            ProviderStatus::Available,
            None,
            json!({"created_ms": sg.created_ms, "rules": sg.rules.len()}),
        )
    }

    /// Deletes a group no VM is in.
    pub(crate) fn delete_sg(&self, id: &str) -> DriverResult<()> {
        let layout = self.layout();
        let _: SgRecord = layout.load(ResourceKind::SecurityGroup, id)?;
        for vm in layout.ids(ResourceKind::Vm) {
            if layout.load::<VmRecord>(ResourceKind::Vm, &vm)?.spec.security_groups.iter().any(|g| g == id) {
                return Err(conflict(format!("security group {id} is in use by vm {vm}")));
            }
        }
        let record = layout.record(ResourceKind::SecurityGroup, id);
        std::fs::remove_file(&record).map_err(|e| io_error(&record, e))
    }
}

#[cfg(test)]
mod tests {
    use crate::{Accel, QemuDriver, QemuSettings};
    use gureum_driver::{CreateSpec, Driver, ResourceKind};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn creates_of_one_tag_racing_make_one_group_and_other_tags_their_own() {
        let dir = tempfile::tempdir().unwrap();
        let settings = QemuSettings { images_dir: dir.path().join("images"), accel: Accel::Tcg };
        let driver = std::sync::Arc::new(QemuDriver::open(dir.path(), settings).unwrap());
        let spec = |tag: &str| CreateSpec::SecurityGroup { name: "sg".into(), tag: tag.into(), vpc: None };
        let racing: Vec<_> = (0..8)
            .map(|_| {
                let (d, s) = (driver.clone(), spec("group-1"));
                tokio::spawn(async move { d.create(s).await.unwrap().id })
            })
            .collect();
        let mut ids = vec![];
        for r in racing {
            ids.push(r.await.unwrap());
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "one copy of group-1: {ids:?}");
        let other = driver.create(spec("group-2")).await.unwrap().id;
        assert_ne!(other, ids[0], "another tag is another group");
        assert_eq!(driver.list(ResourceKind::SecurityGroup).await.unwrap().len(), 2);
    }
}
