//! [`H::world`]: everything a finished workflow must leave behind, checked over the
//! whole database and the providers.

use super::*;
use gureum_driver::{DriverError, ProviderStatus};
use gureum_model::billing;

impl H {
    /// Everything a finished workflow must leave, over the whole database and the given
    /// connections' providers.
    pub async fn world(&self, connections: &[&str], r: &mut Report) {
        self.nothing_running(r).await;
        self.nothing_transitional(r).await;
        for c in connections {
            self.no_drift(c, r).await;
        }
        self.instances_match_provider(r).await;
        self.volumes_match_provider(r).await;
        self.ips_match_provider(r).await;
    }

    async fn nothing_running(&self, r: &mut Report) {
        let rows = self
            .engine()
            .store()
            .db
            .query(
                "SELECT kind, target_name, status, id FROM workflows WHERE status IN ('running', 'unwinding')",
                vec![],
            )
            .await
            .expect("db");
        for row in rows {
            r.once(format!("workflow {} {} on {} is still {}", row.text(0), row.text(3), row.text(1), row.text(2)));
        }
    }

    /// No record in a transitional state, none with an operation, every error explained.
    async fn nothing_transitional(&self, r: &mut Report) {
        const TABLES: &[(&str, &[&str])] = &[
            (
                "instances",
                &[
                    "Building",
                    "Scheduling",
                    "Block_device_mapping",
                    "Networking",
                    "Spawning",
                    "Starting",
                    "Powering-off",
                    "Powering-on",
                    "Rebooting",
                    "Reboot_started",
                    "Rebooting_hard",
                    "Rebooting_started_hard",
                    "Shelving",
                    "Unshelving",
                    "Resize_prep",
                    "Resize_migrating",
                    "Resize_migrated",
                    "Resize_finished",
                    "Resize_confirm",
                    "Resize_revert",
                    "Deleting",
                ],
            ),
            ("volumes", &["Creating", "Attaching", "Detaching", "Extending", "Backing-Up", "Uploading", "Deleting"]),
            ("public_ips", &["Allocating", "Attaching", "Detaching", "Releasing"]),
            ("snapshots", &["Creating", "Deleting"]),
            ("images", &["Creating", "Deleting"]),
            ("vpcs", &["Creating", "Deleting"]),
            ("subnets", &["Creating", "Deleting"]),
            ("security_groups", &["Creating", "Deleting"]),
            ("key_pairs", &["Creating", "Deleting"]),
            ("security_group_rules", &["Creating", "Deleting"]),
            ("vm_templates", &["Building", "Starting", "Stopping", "Sysprepping", "Releasing", "Deleting"]),
        ];
        for (table, transitional) in TABLES {
            let name = if *table == "security_group_rules" { "protocol" } else { "name" };
            let sql = format!("SELECT {name}, state, op_id, state_reason, id FROM {table}");
            for row in self.engine().store().db.query(&sql, vec![]).await.expect("db") {
                let id = row.text(4);
                let name = format!("{}#{}", row.text(0), &id[id.len().saturating_sub(8)..]);
                let (state, op, reason) = (row.text(1), row.opt_text(2), row.opt_text(3));
                r.check_once(!transitional.contains(&state.as_str()), || format!("{table} {name} left {state}"));
                r.check_once(op.is_none(), || format!("{table} {name} ({state}) left with operation {op:?}"));
                r.check_once(state != "Error" || reason.as_deref().is_some_and(|s| !s.is_empty()), || {
                    format!("{table} {name} is Error without a reason")
                });
            }
        }
    }

    async fn no_drift(&self, conn: &str, r: &mut Report) {
        let d = self.engine().drift(self.admin(), conn).await.expect("drift");
        for i in &d.only_in_provider {
            r.once(format!(
                "{conn}: {} {} ({}) at the provider, tagged {:?}, is in no record",
                i.kind,
                i.provider_id.as_deref().unwrap_or("?"),
                i.name,
                i.gureum_id
            ));
        }
        for i in &d.only_in_gureum {
            r.once(format!(
                "{conn}: {} {} ({}, {}) records {} which the provider does not have",
                i.gureum_type.as_deref().unwrap_or("?"),
                i.name,
                i.state.as_deref().unwrap_or("?"),
                i.project.as_deref().unwrap_or("-"),
                i.provider_id.as_deref().unwrap_or("?")
            ));
        }
    }

    async fn provider_get(&self, conn: Uuid, kind: ResourceKind, id: &str) -> Option<ProviderResource> {
        let cloud = self.engine().cloud(conn).await.expect("cloud");
        match cloud.get(kind, id).await {
            Ok(res) => Some(res),
            // Drift reports records whose provider resource is gone.
            Err(DriverError::NotFound { .. }) => None,
            Err(e) => panic!("provider get {kind} {id}: {e}"),
        }
    }

    /// Active/Stopped instances have a VM in that power state and of their type; a
    /// shelved one has none; billing runs exactly in billed states.
    async fn instances_match_provider(&self, r: &mut Report) {
        let store = self.engine().store();
        for mut i in store.list_all::<InstanceRecord>(&[]).await.expect("db") {
            i.name = labelled(&i.name, i.id);
            let open = store
                .db
                .query("SELECT COUNT(*) FROM usage_intervals WHERE instance_id = $1 AND ended_at IS NULL", args![i.id])
                .await
                .expect("db")[0]
                .int(0);
            r.check_once(open == i64::from(billing::is_billed(i.state)), || {
                format!("instance {} is {} with {open} open usage interval(s)", i.name, i.state)
            });
            let itype = store.get_by_id::<InstanceTypeRecord>(i.instance_type_id).await.expect("db").expect("type");
            match (i.state, &i.provider_id) {
                (InstanceState::ShelvedOffloaded, Some(vm)) => {
                    r.once(format!("instance {} is Shelved_offloaded but records VM {vm}", i.name))
                }
                (InstanceState::Active | InstanceState::Stopped | InstanceState::Resized, None) => {
                    r.once(format!("instance {} is {} without a VM", i.name, i.state))
                }
                (InstanceState::Active | InstanceState::Stopped | InstanceState::Resized, Some(vm)) => {
                    let Some(res) = self.provider_get(i.connection_id, ResourceKind::Vm, vm).await else { continue };
                    let want = match i.state {
                        InstanceState::Active => vec![ProviderStatus::Running],
                        InstanceState::Stopped => vec![ProviderStatus::Stopped],
                        _ => vec![ProviderStatus::Running, ProviderStatus::Stopped],
                    };
                    r.check_once(want.contains(&res.status), || {
                        format!("instance {} is {} but its VM {vm} is {}", i.name, i.state, res.status)
                    });
                    r.check_once(res.attr_str("instance_type") == Some(itype.name.as_str()), || {
                        format!(
                            "instance {} records type {} but its VM {vm} is {:?}",
                            i.name,
                            itype.name,
                            res.attr_str("instance_type")
                        )
                    });
                }
                _ => {}
            }
        }
    }

    async fn vm_of(&self, instance: Option<Uuid>) -> (Option<String>, Option<InstanceState>) {
        let Some(id) = instance else { return (None, None) };
        match self.engine().store().get_by_id::<InstanceRecord>(id).await.expect("db") {
            Some(i) => (i.provider_id, Some(i.state)),
            None => (None, None),
        }
    }

    /// A volume's state says what the provider shows: In-use is attached to its
    /// instance's VM (unless an instance in error lost it), Available and Reserved are
    /// attached to nothing.
    async fn volumes_match_provider(&self, r: &mut Report) {
        for mut v in self.engine().store().list_all::<VolumeRecord>(&[]).await.expect("db") {
            v.name = labelled(&v.name, v.id);
            let Some(disk) = &v.provider_id else { continue };
            let Some(res) = self.provider_get(v.connection_id, ResourceKind::Disk, disk).await else { continue };
            let attached = res.attr_str("attached_to").map(str::to_string);
            let (vm, inst_state) = self.vm_of(v.instance_id).await;
            match v.state {
                // An instance in error may have lost its VM; its volumes still belong to it.
                VolumeState::InUse if vm.is_none() => {
                    r.check_once(attached.is_none() && inst_state == Some(InstanceState::Error), || {
                        format!(
                            "volume {} is In-use by an instance that is {inst_state:?} without a VM, attached to {attached:?}",
                            v.name
                        )
                    })
                }
                VolumeState::InUse => r.check_once(attached == vm, || {
                    format!("volume {} is In-use on VM {vm:?} but the provider has it attached to {attached:?}", v.name)
                }),
                VolumeState::Available => r.check_once(attached.is_none() && v.instance_id.is_none(), || {
                    format!(
                        "volume {} is Available (instance {:?}) but the provider has it attached to {attached:?}",
                        v.name, v.instance_id
                    )
                }),
                VolumeState::Reserved => {
                    r.check_once(attached.is_none() && inst_state == Some(InstanceState::ShelvedOffloaded), || {
                        format!(
                            "volume {} is Reserved for an instance that is {inst_state:?}, attached to {attached:?}",
                            v.name
                        )
                    })
                }
                _ => {}
            }
            if let Some(size) = res.attr_i64("size_gb") {
                r.check_once(size == v.size_gb, || {
                    format!("volume {} records {} GB, the disk has {size}", v.name, v.size_gb)
                });
            }
        }
    }

    /// A public IP In-use is on its instance's VM (or kept for it while shelved); an
    /// Available one is on nothing.
    async fn ips_match_provider(&self, r: &mut Report) {
        for mut ip in self.engine().store().list_all::<PublicIpRecord>(&[]).await.expect("db") {
            ip.name = labelled(&ip.name, ip.id);
            let Some(pid) = &ip.provider_id else {
                r.check_once(ip.state == PublicIpState::Error, || {
                    format!("public IP {} is {} without an address at the provider", ip.name, ip.state)
                });
                continue;
            };
            let Some(res) = self.provider_get(ip.connection_id, ResourceKind::PublicIp, pid).await else { continue };
            let attached = res.attr_str("attached_to").map(str::to_string);
            let (vm, inst_state) = self.vm_of(ip.instance_id).await;
            match ip.state {
                PublicIpState::InUse if inst_state == Some(InstanceState::ShelvedOffloaded) => r
                    .check_once(attached.is_none(), || {
                        format!("public IP {} of a shelved instance is attached", ip.name)
                    }),
                PublicIpState::InUse => r
                    .check_once(ip.instance_id.is_some() && attached.is_some() && attached == vm, || {
                        format!("public IP {} is In-use on VM {vm:?} but the provider has it on {attached:?}", ip.name)
                    }),
                PublicIpState::Available => r.check_once(attached.is_none() && ip.instance_id.is_none(), || {
                    format!(
                        "public IP {} is Available (instance {:?}) but the provider has it on {attached:?}",
                        ip.name, ip.instance_id
                    )
                }),
                _ => {}
            }
        }
    }
}

/// A record's name with the end of its id, which tells apart same-named records of
/// different projects.
fn labelled(name: &str, id: Uuid) -> String {
    format!("{name}#{}", &id.simple().to_string()[24..])
}
