//! The matrix rows of VM templates and persistent VMs, and their fixtures: a template
//! pool and a persistent pool on `fast`, the released template `tt-0001.x.net` and the
//! persistent VM cloned from it, and fresh templates in the state each action needs.

use super::*;

/// The released template of the shared fixtures.
pub(super) const TEMPLATE: &str = "tt-0001.x.net";

pub(super) fn vm_body() -> Value {
    json!({"template": TEMPLATE, "pool": "pp", "subnet": "net", "security_groups": ["sg"]})
}

pub(super) fn rows() -> Vec<Row> {
    use Case::*;
    let action = |action: &'static str| Make(Fresh::VmTemplate { action });
    vec![
        row("GET /v1/vm-templates", anyone(200), Fixed("/v1/vm-templates")),
        row(
            "POST /v1/vm-templates",
            system(202),
            Body("/v1/vm-templates", |_| json!({"profile": "prof", "pool": "tp"})),
        ),
        row("GET /v1/vm-templates/{vm_template}", anyone(200), Fixed("/v1/vm-templates/tt-0001.x.net")),
        row(
            "PATCH /v1/vm-templates/{vm_template}",
            system(200),
            Body("/v1/vm-templates/tt-0001.x.net", |u| json!({"description": format!("d{u}")})),
        ),
        row("DELETE /v1/vm-templates/{vm_template}", system(202), action("delete")),
        row("GET /v1/vm-templates/{vm_template}/console", system(200), Fixed("/v1/vm-templates/tt-0001.x.net/console")),
        row("POST /v1/vm-templates/{vm_template}/start", system(202), action("start")),
        row("POST /v1/vm-templates/{vm_template}/stop", system(202), action("stop")),
        row("POST /v1/vm-templates/{vm_template}/sysprep", system(202), action("sysprep")),
        row("POST /v1/vm-templates/{vm_template}/release", system(202), action("release")),
        row("POST /v1/vm-templates/{vm_template}/maintenance", system(200), action("maintenance")),
        row("GET /v1/operations/{operation}", system(200), Make(Fresh::SystemOperation)),
        row("POST /v1/pools/{pool}/shared-nodes", system(201), Make(Fresh::NodeShare { unshare: false })),
        row("DELETE /v1/pools/{pool}/shared-nodes/{node}", system(204), Make(Fresh::NodeShare { unshare: true })),
        row("GET /v1/projects/{project}/persistent-vms", read(), Fixed("/v1/projects/p1/persistent-vms")),
        row(
            "POST /v1/projects/{project}/persistent-vms",
            manage(202),
            Body("/v1/projects/p1/persistent-vms", |_| vm_body()),
        ),
        row(
            "GET /v1/projects/{project}/persistent-vms/{vm}",
            read(),
            Fixed("/v1/projects/p1/persistent-vms/pv-0001.x.net"),
        ),
        row("DELETE /v1/projects/{project}/persistent-vms/{vm}", manage(202), Make(Fresh::PersistentVmDelete)),
    ]
}

/// Waits until template `name` settles.
async fn settled(c: &Client, name: &str) -> Value {
    for _ in 0..400 {
        let t = c.get(&format!("/v1/vm-templates/{name}")).await;
        if t["operation_id"].is_null() {
            return t;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("template {name} did not settle");
}

async fn template_act(c: &Client, name: &str, action: &str) {
    c.expect(202, Method::POST, &format!("/v1/vm-templates/{name}/{action}"), None).await;
    settled(c, name).await;
}

impl World {
    /// The pools, the released template and its persistent VM (p1 has its network).
    pub(super) async fn lean_fixtures(sys: &Client, adm: &Client) {
        for (pool, purpose, prefix, node) in [("tp", "template", "tt", "tp-n1"), ("pp", "persistent", "pv", "pp-n1")] {
            let body = json!({"name": pool, "connection": FAST, "purpose": purpose, "name_prefix": prefix,
                              "domain": "x.net"});
            sys.expect(201, Method::POST, "/v1/pools", Some(body)).await;
            let n = json!({"name": node, "vcpus": 100000, "memory_mib": 1 << 30, "disk_gb": 1 << 30});
            sys.expect(201, Method::POST, &format!("/v1/pools/{pool}/nodes"), Some(n)).await;
        }
        let t = sys.expect(202, Method::POST, "/v1/vm-templates", Some(json!({"profile": "prof", "pool": "tp"}))).await;
        assert_eq!(t["name"], TEMPLATE, "{t}");
        settled(sys, TEMPLATE).await;
        template_act(sys, TEMPLATE, "sysprep").await;
        template_act(sys, TEMPLATE, "release").await;
        let vm = adm.expect(202, Method::POST, &format!("{P1}/persistent-vms"), Some(vm_body())).await;
        adm.settle("p1", &vm).await;
        assert_eq!(vm["name"], "pv-0001.x.net", "{vm}");
    }

    /// A fresh template in the state `action` needs, or a persistent VM to delete, or a
    /// template's operation.
    pub(super) async fn lean_fresh(&self, fresh: Fresh) -> Request {
        let sys = self.sys();
        match fresh {
            Fresh::VmTemplate { action } => {
                let t = sys
                    .expect(202, Method::POST, "/v1/vm-templates", Some(json!({"profile": "prof", "pool": "tp"})))
                    .await;
                let name = t["name"].as_str().expect("template name").to_string();
                settled(sys, &name).await;
                match action {
                    "start" => template_act(sys, &name, "stop").await,
                    "release" => template_act(sys, &name, "sysprep").await,
                    "maintenance" => {
                        template_act(sys, &name, "sysprep").await;
                        template_act(sys, &name, "release").await;
                    }
                    _ => {}
                }
                if action == "delete" {
                    return (format!("/v1/vm-templates/{name}"), None);
                }
                (format!("/v1/vm-templates/{name}/{action}"), None)
            }
            Fresh::SystemOperation => {
                let t = sys
                    .expect(202, Method::POST, "/v1/vm-templates", Some(json!({"profile": "prof", "pool": "tp"})))
                    .await;
                (format!("/v1/operations/{}", t["operation_id"].as_str().expect("an operation")), None)
            }
            Fresh::NodeShare { unshare } => {
                // A pool of its own on `pooled`, served by pool pl's node too.
                let pool = format!("sp-{}", self.uniq());
                let body = json!({"name": pool, "connection": "pooled", "purpose": "persistent"});
                sys.expect(201, Method::POST, "/v1/pools", Some(body)).await;
                let share = json!({"node": "pl-n1"});
                if !unshare {
                    return (format!("/v1/pools/{pool}/shared-nodes"), Some(share));
                }
                sys.expect(201, Method::POST, &format!("/v1/pools/{pool}/shared-nodes"), Some(share)).await;
                (format!("/v1/pools/{pool}/shared-nodes/pl-n1"), None)
            }
            Fresh::PersistentVmDelete => {
                let vm = self.adm().expect(202, Method::POST, &format!("{P1}/persistent-vms"), Some(vm_body())).await;
                self.adm().settle("p1", &vm).await;
                (format!("{P1}/persistent-vms/{}", id(&vm)), None)
            }
            other => unreachable!("{other:?} is not a lean fixture"),
        }
    }
}
