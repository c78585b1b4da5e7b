//! The columns of each list.

use crate::output::{Row, age, opt};
use gureum_api_types::*;

fn ports(from: Option<i64>, to: Option<i64>) -> String {
    match (from, to) {
        (None, None) => "all".into(),
        (Some(a), Some(b)) if a == b => a.to_string(),
        (a, b) => format!("{}-{}", opt(&a), opt(&b)),
    }
}

impl Row for Project {
    const HEADERS: &'static [&'static str] = &["NAME", "ROLE", "RESELLER", "CUSTOMER", "DESCRIPTION", "AGE"];
    fn row(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.role.to_string(),
            self.reseller.clone(),
            self.customer.clone(),
            self.description.clone(),
            age(&self.created_at),
        ]
    }
}

impl Row for Reseller {
    const HEADERS: &'static [&'static str] = &["NAME", "DESCRIPTION", "AGE"];
    fn row(&self) -> Vec<String> {
        vec![self.name.clone(), self.description.clone(), age(&self.created_at)]
    }
}

impl Row for Customer {
    const HEADERS: &'static [&'static str] = &["NAME", "RESELLER", "DESCRIPTION", "AGE"];
    fn row(&self) -> Vec<String> {
        vec![self.name.clone(), self.reseller.clone(), self.description.clone(), age(&self.created_at)]
    }
}

impl Row for TenantUsageLine {
    const HEADERS: &'static [&'static str] =
        &["CUSTOMER", "PROJECT", "INSTANCE", "TYPE", "SECONDS", "PRICE/HOUR", "COST"];
    fn row(&self) -> Vec<String> {
        vec![
            self.customer.clone(),
            self.project.clone(),
            self.instance.clone(),
            self.instance_type.clone(),
            self.seconds.to_string(),
            format!("{:.4}", self.price_per_hour),
            format!("{:.6}", self.cost),
        ]
    }
}

impl Row for Member {
    const HEADERS: &'static [&'static str] = &["USER", "ROLE", "AGE"];
    fn row(&self) -> Vec<String> {
        vec![self.user.clone(), self.role.to_string(), age(&self.created_at)]
    }
}

impl Row for User {
    const HEADERS: &'static [&'static str] =
        &["NAME", "ADMIN", "RESELLER", "CUSTOMER", "TENANCY ROLE", "PASSWORD", "AGE"];
    fn row(&self) -> Vec<String> {
        let yn = |b: bool| if b { "yes" } else { "no" }.to_string();
        vec![
            self.name.clone(),
            yn(self.is_admin),
            self.reseller.clone(),
            self.customer.clone(),
            self.tenancy_role.to_string(),
            yn(self.has_password),
            age(&self.created_at),
        ]
    }
}

impl Row for Token {
    const HEADERS: &'static [&'static str] = &["ID", "NAME", "EXPIRES", "LAST USED", "AGE"];
    fn row(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.name.clone(),
            self.expires_at.clone().unwrap_or_else(|| "never".into()),
            self.last_used_at.as_deref().map(|t| format!("{} ago", age(t))).unwrap_or_else(|| "-".into()),
            age(&self.created_at),
        ]
    }
}

impl Row for ProjectMembership {
    const HEADERS: &'static [&'static str] = &["PROJECT", "ROLE"];
    fn row(&self) -> Vec<String> {
        vec![self.name.clone(), self.role.to_string()]
    }
}

impl Row for InstanceType {
    const HEADERS: &'static [&'static str] = &["NAME", "VCPUS", "MEMORY (MiB)", "GPU", "PRICE/HOUR"];
    fn row(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.vcpus.to_string(),
            self.memory_mib.to_string(),
            opt(&self.gpu),
            format!("{:.4}", self.price_per_hour),
        ]
    }
}

impl Row for Image {
    const HEADERS: &'static [&'static str] =
        &["NAME", "STATE", "OS", "DISTRIBUTION", "VERSION", "GPU", "MIN DISK (GB)", "VISIBILITY", "AGE"];
    fn row(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.state.to_string(),
            self.os_family.to_string(),
            self.distribution.clone(),
            self.version.clone(),
            if self.gpu { "yes" } else { "no" }.into(),
            self.min_disk_gb.to_string(),
            self.visibility.to_string(),
            age(&self.created_at),
        ]
    }
}

impl Row for KeyPair {
    const HEADERS: &'static [&'static str] = &["NAME", "STATE", "TYPE", "FINGERPRINT", "CREATED BY", "AGE"];
    fn row(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.state.to_string(),
            self.key_type.clone(),
            self.fingerprint.clone(),
            self.created_by.clone(),
            age(&self.created_at),
        ]
    }
}

impl Row for Vpc {
    const HEADERS: &'static [&'static str] = &["NAME", "STATE", "CIDR", "CONNECTION", "AGE"];
    fn row(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.state.to_string(),
            self.cidr.clone(),
            self.connection.clone(),
            age(&self.created_at),
        ]
    }
}

impl Row for Subnet {
    const HEADERS: &'static [&'static str] = &["NAME", "STATE", "VPC", "CIDR", "ZONE", "AGE"];
    fn row(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.state.to_string(),
            self.vpc.clone(),
            self.cidr.clone(),
            self.zone.clone(),
            age(&self.created_at),
        ]
    }
}

impl Row for SecurityGroup {
    const HEADERS: &'static [&'static str] = &["NAME", "STATE", "VPC", "RULES", "DESCRIPTION", "AGE"];
    fn row(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.state.to_string(),
            self.vpc.clone(),
            self.rules.len().to_string(),
            self.description.clone(),
            age(&self.created_at),
        ]
    }
}

impl Row for SecurityGroupRule {
    const HEADERS: &'static [&'static str] =
        &["ID", "DIRECTION", "PROTOCOL", "PORTS", "REMOTE CIDR", "STATE", "APPLIED", "NOTE"];
    fn row(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.direction.to_string(),
            self.protocol.to_string(),
            ports(self.port_from, self.port_to),
            self.remote_cidr.clone(),
            self.state.to_string(),
            if self.applied { "yes" } else { "no" }.into(),
            opt(&self.note),
        ]
    }
}

impl Row for PublicIp {
    const HEADERS: &'static [&'static str] = &["NAME", "STATE", "KIND", "ADDRESS", "INSTANCE", "AGE"];
    fn row(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.state.to_string(),
            self.kind.to_string(),
            opt(&self.address),
            opt(&self.instance),
            age(&self.created_at),
        ]
    }
}

impl Row for Volume {
    const HEADERS: &'static [&'static str] = &["NAME", "STATE", "KIND", "SIZE (GB)", "INSTANCE", "ZONE", "AGE"];
    fn row(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.state.to_string(),
            self.kind.to_string(),
            self.size_gb.to_string(),
            opt(&self.instance),
            self.zone.clone(),
            age(&self.created_at),
        ]
    }
}

impl Row for Snapshot {
    const HEADERS: &'static [&'static str] = &["NAME", "STATE", "VOLUME", "SIZE (GB)", "AGE"];
    fn row(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.state.to_string(),
            self.volume.clone(),
            self.size_gb.to_string(),
            age(&self.created_at),
        ]
    }
}

impl Row for Instance {
    const HEADERS: &'static [&'static str] =
        &["NAME", "STATE", "TYPE", "IMAGE", "PRIVATE IP", "PUBLIC IP", "NODE", "AGE"];
    fn row(&self) -> Vec<String> {
        let node = match (&self.node, self.node_state) {
            (Some(n), Some(NodeState::Unreachable)) => format!("{n} (unreachable)"),
            (n, _) => opt(n),
        };
        vec![
            self.name.clone(),
            self.state.to_string(),
            self.instance_type.clone(),
            self.image.clone(),
            opt(&self.private_ip),
            self.public_ip.as_ref().and_then(|p| p.address.clone()).unwrap_or_else(|| "-".into()),
            node,
            age(&self.created_at),
        ]
    }
}

impl Row for Operation {
    const HEADERS: &'static [&'static str] = &["ID", "KIND", "TARGET", "STATUS", "PROGRESS", "BY", "AGE", "ERROR"];
    fn row(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.kind.clone(),
            format!("{} {}", self.target.target_type, self.target.name),
            self.status.to_string(),
            format!("{}/{}", self.progress.done, self.progress.total),
            opt(&self.created_by),
            age(&self.created_at),
            opt(&self.error),
        ]
    }
}

impl Row for OperationStep {
    const HEADERS: &'static [&'static str] = &["STEP", "STATUS", "STARTED", "FINISHED", "ERROR"];
    fn row(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.status.to_string(),
            opt(&self.started_at),
            opt(&self.finished_at),
            opt(&self.error),
        ]
    }
}

impl Row for UsageLine {
    const HEADERS: &'static [&'static str] = &["INSTANCE", "TYPE", "SECONDS", "PRICE/HOUR", "COST"];
    fn row(&self) -> Vec<String> {
        vec![
            self.instance.clone(),
            self.instance_type.clone(),
            self.seconds.to_string(),
            format!("{:.4}", self.price_per_hour),
            format!("{:.6}", self.cost),
        ]
    }
}

impl Row for Connection {
    const HEADERS: &'static [&'static str] = &["NAME", "DRIVER", "REGION", "ZONE", "CREDENTIALS", "AGE"];
    fn row(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.driver.clone(),
            self.region.clone(),
            self.zone.clone(),
            if self.has_credentials { "stored" } else { "-" }.into(),
            age(&self.created_at),
        ]
    }
}

impl Row for Pool {
    const HEADERS: &'static [&'static str] = &["NAME", "CONNECTION", "NODES", "OVERCOMMIT CPU/MEM/DISK", "AGE"];
    fn row(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.connection.clone(),
            self.nodes.to_string(),
            format!("{}/{}/{}", self.cpu_overcommit, self.memory_overcommit, self.disk_overcommit),
            age(&self.created_at),
        ]
    }
}

impl Row for Node {
    const HEADERS: &'static [&'static str] = &[
        "NAME",
        "POOL",
        "STATE",
        "INSTANCES",
        "VCPUS FREE/CAP",
        "MEMORY MiB FREE/CAP",
        "DISK GB FREE/CAP",
        "HEARTBEAT",
    ];
    fn row(&self) -> Vec<String> {
        let (f, c) = (&self.free, &self.capacity);
        vec![
            self.name.clone(),
            self.pool.clone(),
            self.state.to_string(),
            self.instances.to_string(),
            format!("{}/{}", f.vcpus, c.vcpus),
            format!("{}/{}", f.memory_mib, c.memory_mib),
            format!("{}/{}", f.disk_gb, c.disk_gb),
            self.last_heartbeat_at.as_deref().map(|t| format!("{} ago", age(t))).unwrap_or_else(|| "-".into()),
        ]
    }
}

/// A drift item with the side it was found on.
#[derive(serde::Serialize)]
pub struct DriftRow<'a> {
    pub status: &'static str,
    #[serde(flatten)]
    pub item: &'a DriftItem,
}

impl Row for DriftRow<'_> {
    const HEADERS: &'static [&'static str] =
        &["STATUS", "KIND", "NAME", "PROVIDER ID", "GUREUM TYPE", "GUREUM ID", "PROJECT", "STATE"];
    fn row(&self) -> Vec<String> {
        let i = self.item;
        vec![
            self.status.to_string(),
            i.kind.clone(),
            i.name.clone(),
            opt(&i.provider_id),
            opt(&i.gureum_type),
            opt(&i.gureum_id),
            opt(&i.project),
            opt(&i.state),
        ]
    }
}

impl Row for ServerStatus {
    const HEADERS: &'static [&'static str] = &["SERVER", "STATE", "LAST SEEN", "WORKERS"];
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            if self.alive { "alive" } else { "gone" }.into(),
            format!("{} ago", age(&self.seen_at)),
            if self.workers.is_empty() { "-".into() } else { self.workers.join(", ") },
        ]
    }
}
