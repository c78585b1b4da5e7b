//! The plan: what an execute would make, in which order, after which checks, and how long
//! it should take: each resource's time from the connection's latency profile, the stack's
//! the critical path of its dependency graph plus the installation.

use super::prepare::Prepared;
use super::readiness::simulated_install;
use gureum_api_types::{Plan, PlannedResource};
use gureum_model::provisioning::{StackNode, StackResourceKind, graph_of};
use serde_json::Value;

/// A provider operation's expected time: the connection's profile, else the simulated
/// cloud's defaults (the same numbers).
fn latency_ms(details: &Value, op: &str) -> u64 {
    let default = match op {
        "vm_create" => 3000,
        "vm_delete" | "disk_create" => 1500,
        "disk_delete" | "disk_attach" | "disk_detach" => 1000,
        "public_ip_associate" | "public_ip_disassociate" => 500,
        "security_group_rules" | "public_ip_create" | "public_ip_delete" => 300,
        _ => 200,
    };
    details["settings"]["latency_ms"][op].as_u64().unwrap_or(default)
}

/// How long making a node takes (its provider calls in the order its workflow makes them).
pub(crate) fn create_ms(node: &StackNode, spec: &Value, details: &Value) -> u64 {
    let l = |op| latency_ms(details, op);
    match node.kind {
        StackResourceKind::SecurityGroup => {
            let rules = spec["rules"].as_array().map_or(0, Vec::len) as u64;
            l("security_group_create") + rules * l("security_group_rules")
        }
        StackResourceKind::Volume => l("disk_create"),
        StackResourceKind::Instance => {
            let ip = if spec["public_ip"].as_bool() == Some(true) {
                l("public_ip_create") + l("public_ip_associate")
            } else {
                0
            };
            l("disk_create") + l("vm_create") + ip
        }
    }
}

/// How long deleting a node takes.
pub(crate) fn delete_ms(node: &StackNode, spec: &Value, details: &Value) -> u64 {
    let l = |op| latency_ms(details, op);
    match node.kind {
        StackResourceKind::SecurityGroup => l("security_group_delete"),
        StackResourceKind::Volume => l("disk_delete"),
        StackResourceKind::Instance => {
            let ip = if spec["public_ip"].as_bool() == Some(true) {
                l("public_ip_disassociate") + l("public_ip_delete")
            } else {
                0
            };
            l("vm_delete") + l("disk_delete") + ip
        }
    }
}

pub(crate) fn plan_view(p: &Prepared) -> Plan {
    let nodes: Vec<StackNode> = p.nodes.iter().map(|n| n.node.clone()).collect();
    let graph = graph_of(&nodes);
    let spec_of = |key: &str| p.nodes.iter().find(|n| n.node.key == key).map(|n| (&n.node, &n.spec));
    let cost = |key: &str| spec_of(key).map_or(0, |(n, s)| create_ms(n, s, &p.driver_details));
    let (create_total, critical_path) = graph.critical_path(cost);
    let (return_total, _) =
        graph.reverse_critical_path(|key| spec_of(key).map_or(0, |(n, s)| delete_ms(n, s, &p.driver_details)));
    let install = simulated_install(p.template.doc.readiness.install_seconds, &p.driver_details);
    let order = graph.order().unwrap_or_default();
    let resources = order
        .iter()
        .filter_map(|k| p.nodes.iter().find(|n| &n.node.key == k))
        .map(|n| PlannedResource {
            key: n.node.key.clone(),
            kind: n.node.kind,
            name: n.name.clone(),
            needs: n.node.needs.clone(),
            spec: n.spec.clone(),
            predicted_seconds: create_ms(&n.node, &n.spec, &p.driver_details) as f64 / 1000.0,
        })
        .collect();
    Plan {
        template: p.template.doc.name.clone(),
        connection: p.connection.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
        resources,
        edges: graph.edges(),
        ok: p.checks.iter().all(|c| c.passed),
        checks: p.checks.clone(),
        predicted_seconds: create_total as f64 / 1000.0 + install.as_secs_f64(),
        critical_path,
        predicted_return_seconds: return_total as f64 / 1000.0,
    }
}
