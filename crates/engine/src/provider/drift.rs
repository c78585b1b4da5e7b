//! Drift: the provider's real inventory of a connection (on every node of its pool)
//! against gureum's records, by provider id (and by gureum's tag for resources whose id
//! was never recorded).

use crate::{Engine, OpContext, Result};
use gureum_api_types::{Drift, DriftItem};
use gureum_driver::{ProviderResource, ResourceKind, Support};
use gureum_store::{ProjectRecord, ProviderTable};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// gureum tables and the provider kind their rows map to.
const MAPPING: &[(ProviderTable, &str, ResourceKind)] = &[
    (ProviderTable::Vpcs, "vpc", ResourceKind::Vpc),
    (ProviderTable::Subnets, "subnet", ResourceKind::Subnet),
    (ProviderTable::SecurityGroups, "security group", ResourceKind::SecurityGroup),
    (ProviderTable::KeyPairs, "key pair", ResourceKind::KeyPair),
    (ProviderTable::Instances, "instance", ResourceKind::Vm),
    (ProviderTable::Volumes, "volume", ResourceKind::Disk),
    (ProviderTable::Snapshots, "snapshot", ResourceKind::Snapshot),
    (ProviderTable::Images, "image", ResourceKind::Image),
    (ProviderTable::PublicIps, "public IP", ResourceKind::PublicIp),
];

/// The gureum table that records provider resources of `kind`.
pub(crate) fn table_of(kind: ResourceKind) -> ProviderTable {
    MAPPING.iter().find(|(_, _, k)| *k == kind).map(|(t, _, _)| *t).expect("every kind has a table")
}

/// What gureum calls its records of provider resources of `kind` (`gureum_type`).
pub(crate) fn label_of(kind: ResourceKind) -> &'static str {
    MAPPING.iter().find(|(_, _, k)| *k == kind).map(|(_, l, _)| *l).expect("every kind has a label")
}

impl Engine {
    pub async fn drift(&self, ctx: &OpContext, connection: &str) -> Result<Drift> {
        self.require_admin(ctx, "inspect a connection's drift")?;
        let conn = self.connection_record(connection).await?;
        let clouds = self.provider_clouds(conn.id).await?;
        let info = clouds[0].info();
        let mut drift =
            Drift { connection: conn.name.clone(), mapped: vec![], only_in_gureum: vec![], only_in_provider: vec![] };
        for (table, label, kind) in MAPPING {
            if info.support(*kind) != Support::Native {
                continue;
            }
            let mut rows = self.store().provider_rows(*table, conn.id).await?;
            // Template machines and disks are records too, of no project.
            let templates = self.template_provider_rows(conn.id, *kind).await?;
            let template_ids: HashSet<Uuid> = templates.iter().map(|r| r.id).collect();
            rows.extend(templates);
            let mut provider: Vec<ProviderResource> = vec![];
            for cloud in &clouds {
                provider.extend(cloud.list(*kind).await?);
            }
            let recorded: HashSet<&str> = rows.iter().filter_map(|r| r.provider_id.as_deref()).collect();
            // A host's copy of a group is the group's, not drift (see node_security_groups).
            if *kind == ResourceKind::SecurityGroup {
                let row_ids: HashSet<Uuid> = rows.iter().map(|r| r.id).collect();
                provider.retain(|c| {
                    recorded.contains(c.id.as_str())
                        || !c.tag.as_deref().and_then(|t| Uuid::parse_str(t).ok()).is_some_and(|t| row_ids.contains(&t))
                });
            }
            let by_id: HashMap<&str, &ProviderResource> = provider.iter().map(|p| (p.id.as_str(), p)).collect();
            for r in &rows {
                let project = match r.project_id {
                    Some(p) => Some(self.name_of::<ProjectRecord>(p).await),
                    None => None,
                };
                let item = DriftItem {
                    kind: kind.as_str().into(),
                    provider_id: r.provider_id.clone(),
                    name: r.name.clone(),
                    gureum_type: Some(if template_ids.contains(&r.id) { "VM template" } else { label }.to_string()),
                    gureum_id: Some(r.id),
                    project,
                    state: Some(r.state.clone()),
                };
                match &r.provider_id {
                    Some(pid) if by_id.contains_key(pid.as_str()) => drift.mapped.push(item),
                    Some(_) => drift.only_in_gureum.push(item),
                    // Nothing at the provider is expected for it (not created yet, shelved,
                    // cleaned up after a failure).
                    None => {}
                }
            }
            for p in &provider {
                // A resource tagged with a gureum id that does not record it is drift too:
                // gureum could not manage or clean it up.
                if recorded.contains(p.id.as_str()) {
                    continue;
                }
                drift.only_in_provider.push(DriftItem {
                    kind: kind.as_str().into(),
                    provider_id: Some(p.id.clone()),
                    name: p.name.clone(),
                    gureum_type: None,
                    gureum_id: p.tag.as_deref().and_then(|t| Uuid::parse_str(t).ok()),
                    project: None,
                    state: Some(p.status.as_str().into()),
                });
            }
        }
        Ok(drift)
    }
}
