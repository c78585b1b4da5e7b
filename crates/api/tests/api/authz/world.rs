//! The fixtures the matrix runs against: projects, users and fresh resources per row.

use super::*;

/// p1 with its users and shared fixtures, p2 with `other`.
pub(super) struct World {
    pub(super) api: Api,
    pub(super) callers: Vec<Client>,
    pub(super) seq: AtomicUsize,
    /// An operation of p1.
    pub(super) op: String,
}

pub(super) fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

/// A one-VM static web site on the shared network.
pub(super) fn stack_body(name: &str) -> Value {
    json!({"name": name, "template": "static-website",
           "parameters": {"vpc": "net", "subnet": "net", "key_pair": "kp", "node_count": 1}})
}

/// A Linux VM profile named `name`.
pub(super) fn profile_body(name: &str) -> Value {
    json!({"name": name, "base_profile": "linux", "install_media": "ubuntu-22.04", "os_type": "Ubuntu",
           "os_version": "22.04", "memory_mib": 1024, "disk_gb": 20, "vcpus": 1})
}

/// A software stack named `name` for Ubuntu 22.04.
pub(super) fn stack_def(name: &str) -> Value {
    json!({"name": name, "version": "1", "fits": [{"os_type": "Ubuntu", "os_version": "22.04"}],
           "environments": ["test"], "install_script": "#!/bin/sh\ntrue\n"})
}

/// A library template named `name`.
pub(super) fn template_body(name: &str) -> Value {
    let doc =
        format!("name: {name}\ntitle: T\nversion: '1'\noverview: o\nresources:\n  sg: {{kind: security_group}}\n");
    json!({ "document": doc })
}

pub(super) fn rule_body() -> Value {
    json!({"direction": "inbound", "protocol": "tcp", "port_from": 22, "port_to": 22})
}

impl World {
    pub(super) async fn build() -> World {
        let api = Api::start().await;
        let sys = api.admin();
        for p in ["p1", "p2"] {
            sys.expect(201, Method::POST, "/v1/projects", Some(json!({ "name": p }))).await;
        }
        let adm = api.user("adm").await;
        let mem = api.user("mem").await;
        let rdr = api.user("rdr").await;
        let other = api.user("other").await;
        for name in ["victim", "spare"] {
            sys.expect(201, Method::POST, "/v1/users", Some(json!({ "name": name }))).await;
        }
        for (project, user, role) in
            [("p1", "adm", "admin"), ("p1", "mem", "member"), ("p1", "rdr", "reader"), ("p2", "other", "admin")]
        {
            sys.expect(
                200,
                Method::PUT,
                &format!("/v1/projects/{project}/members/{user}"),
                Some(json!({ "role": role })),
            )
            .await;
        }
        // The shared fixtures, made by p1's admin.
        adm.network("p1").await;
        let rule = adm.expect(202, Method::POST, &format!("{P1}/security-groups/sg/rules"), Some(rule_body())).await;
        adm.settle("p1", &rule).await;
        adm.create(
            "p1",
            &format!("{P1}/key-pairs"),
            json!({"name": "kp", "public_key": PUBLIC_KEY, "connection": FAST}),
        )
        .await;
        adm.create("p1", &format!("{P1}/volumes"), json!({"name": "vol", "size_gb": 1, "connection": FAST})).await;
        let snap =
            adm.expect(202, Method::POST, &format!("{P1}/volumes/vol/snapshots"), Some(json!({"name": "snap"}))).await;
        adm.settle("p1", &snap).await;
        adm.create("p1", &format!("{P1}/public-ips"), json!({"name": "ip", "connection": FAST})).await;
        adm.instance("p1", "vm").await;
        adm.create("p1", &format!("{P1}/volumes"), json!({"name": "src", "size_gb": 1, "connection": FAST})).await;
        let v = adm
            .expect(202, Method::POST, &format!("{P1}/volumes/src/upload"), Some(json!({"image_name": "img"})))
            .await;
        adm.settle("p1", &v).await;
        let img = adm.get(&format!("{P1}/images/img")).await;
        assert_eq!(img["state"], "Active", "{img}");
        sys.expect(201, Method::POST, "/v1/vm-profiles", Some(profile_body("prof"))).await;
        sys.expect(201, Method::POST, "/v1/software-stacks", Some(stack_def("django"))).await;
        World::lean_fixtures(&sys, &adm).await;
        let stack = adm.expect(202, Method::POST, &format!("{P1}/provisionings"), Some(stack_body("stack"))).await;
        adm.settle("p1", &stack).await;
        let ops = adm.get(&format!("{P1}/operations")).await;
        let op = ops["items"][0]["id"].as_str().expect("an operation").to_string();
        // A pool of a connection of its own, so that placement leaves `fast` alone.
        sys.expect(201, Method::POST, "/v1/connections", Some(json!({"name": "pooled", "driver": "sim"}))).await;
        sys.expect(201, Method::POST, "/v1/pools", Some(json!({"name": "pl", "connection": "pooled"}))).await;
        let node = json!({"name": "pl-n1", "vcpus": 64, "memory_mib": 65536, "disk_gb": 1000});
        sys.expect(201, Method::POST, "/v1/pools/pl/nodes", Some(node)).await;
        let anon = api.client(None);
        World { callers: vec![sys, adm, mem, rdr, other, anon], api, seq: AtomicUsize::new(0), op }
    }

    pub(super) fn caller(&self, who: Who) -> &Client {
        &self.callers[WHO.iter().position(|w| *w == who).expect("a caller")]
    }

    pub(super) fn sys(&self) -> &Client {
        self.caller(Who::Sys)
    }

    pub(super) fn adm(&self) -> &Client {
        self.caller(Who::Adm)
    }

    pub(super) fn uniq(&self) -> String {
        format!("{}", self.seq.fetch_add(1, Ordering::Relaxed))
    }

    pub(super) async fn vpc(&self) -> Value {
        let name = format!("vpc-f{}", self.uniq());
        self.adm()
            .create("p1", &format!("{P1}/vpcs"), json!({"name": name, "cidr": "10.2.0.0/16", "connection": FAST}))
            .await
    }

    pub(super) async fn security_group(&self) -> Value {
        let name = format!("sg-f{}", self.uniq());
        self.adm().create("p1", &format!("{P1}/security-groups"), json!({"name": name, "vpc": "net"})).await
    }

    pub(super) async fn public_ip(&self) -> Value {
        let name = format!("ip-f{}", self.uniq());
        self.adm().create("p1", &format!("{P1}/public-ips"), json!({"name": name, "connection": FAST})).await
    }

    pub(super) async fn volume(&self) -> Value {
        let name = format!("vol-f{}", self.uniq());
        self.adm().create("p1", &format!("{P1}/volumes"), json!({"name": name, "size_gb": 1, "connection": FAST})).await
    }

    /// A provisioned stack; with `returned`, returned too.
    pub(super) async fn stack(&self, returned: bool) -> String {
        let (adm, name) = (self.adm(), format!("st-f{}", self.uniq()));
        let s = adm.expect(202, Method::POST, &format!("{P1}/provisionings"), Some(stack_body(&name))).await;
        adm.settle("p1", &s).await;
        if returned {
            let body = json!({ "confirm": name });
            let r = adm.expect(202, Method::POST, &format!("{P1}/provisionings/{name}/return"), Some(body)).await;
            adm.settle("p1", &r).await;
        }
        name
    }

    pub(super) async fn instance(&self) -> Value {
        self.adm().instance("p1", &format!("vm-f{}", self.uniq())).await
    }

    /// The request `who` sends for `row`: its path (inside the row's template) and body.
    pub(super) async fn prepare(&self, row: &Row, who: Who) -> Request {
        let u = self.uniq();
        match row.case {
            Case::Fixed(path) => (path.replace("{op}", &self.op), None),
            Case::Body(path, body) => (path.to_string(), Some(body(&u))),
            Case::Account { own, suffix, body } => {
                let user = if own { who.user() } else { "victim" };
                (format!("/v1/users/{user}{suffix}"), body.map(|b| b(&u)))
            }
            Case::Make(fresh) => self.fresh(fresh, who, &u).await,
        }
    }

    pub(super) async fn fresh(&self, fresh: Fresh, who: Who, u: &str) -> Request {
        let adm = self.adm();
        let sys = self.sys();
        match fresh {
            Fresh::VmTemplate { .. } | Fresh::SystemOperation | Fresh::PersistentVmDelete | Fresh::NodeShare { .. } => {
                self.lean_fresh(fresh).await
            }
            Fresh::Maintenance { action } => self.maintenance_fresh(action, u).await,
            Fresh::VpcDelete => (format!("{P1}/vpcs/{}", id(&self.vpc().await)), None),
            Fresh::SubnetCreate => (
                format!("{P1}/vpcs/{}/subnets", id(&self.vpc().await)),
                Some(json!({"name": format!("sn-{u}"), "cidr": "10.2.0.0/24"})),
            ),
            Fresh::SubnetDelete | Fresh::VpcSubnetDelete => {
                let vpc = self.vpc().await;
                let s = adm
                    .create(
                        "p1",
                        &format!("{P1}/vpcs/{}/subnets", id(&vpc)),
                        json!({"name": format!("sn-{u}"), "cidr": "10.2.0.0/24"}),
                    )
                    .await;
                if matches!(fresh, Fresh::SubnetDelete) {
                    (format!("{P1}/subnets/{}", id(&s)), None)
                } else {
                    (format!("{P1}/vpcs/{}/subnets/{}", id(&vpc), id(&s)), None)
                }
            }
            Fresh::SecurityGroupDelete => (format!("{P1}/security-groups/{}", id(&self.security_group().await)), None),
            Fresh::RuleCreate => {
                (format!("{P1}/security-groups/{}/rules", id(&self.security_group().await)), Some(rule_body()))
            }
            Fresh::RuleDelete => {
                let sg = id(&self.security_group().await);
                let r =
                    adm.expect(202, Method::POST, &format!("{P1}/security-groups/{sg}/rules"), Some(rule_body())).await;
                adm.settle("p1", &r).await;
                (format!("{P1}/security-groups/{sg}/rules/{}", id(&r)), None)
            }
            Fresh::PublicIpDelete => (format!("{P1}/public-ips/{}", id(&self.public_ip().await)), None),
            Fresh::PublicIpAttach => {
                let (ip, vm) = (self.public_ip().await, self.instance().await);
                (format!("{P1}/public-ips/{}/attach", id(&ip)), Some(json!({"instance": id(&vm)})))
            }
            Fresh::PublicIpDetach => {
                let (ip, vm) = (id(&self.public_ip().await), self.instance().await);
                let path = format!("{P1}/public-ips/{ip}/attach");
                let v = adm.expect(202, Method::POST, &path, Some(json!({"instance": id(&vm)}))).await;
                adm.settle("p1", &v).await;
                (format!("{P1}/public-ips/{ip}/detach"), None)
            }
            Fresh::VolumeDelete => (format!("{P1}/volumes/{}", id(&self.volume().await)), None),
            Fresh::VolumeAttach => {
                let (vol, vm) = (self.volume().await, self.instance().await);
                (format!("{P1}/volumes/{}/attach", id(&vol)), Some(json!({"instance": vm["name"]})))
            }
            Fresh::VolumeDetach => {
                let (vol, vm) = (id(&self.volume().await), self.instance().await);
                let v = adm
                    .expect(
                        202,
                        Method::POST,
                        &format!("{P1}/volumes/{vol}/attach"),
                        Some(json!({"instance": vm["name"]})),
                    )
                    .await;
                adm.settle("p1", &v).await;
                (format!("{P1}/volumes/{vol}/detach"), None)
            }
            Fresh::VolumeExtend => {
                (format!("{P1}/volumes/{}/extend", id(&self.volume().await)), Some(json!({"size_gb": 2})))
            }
            Fresh::VolumeUpload => (
                format!("{P1}/volumes/{}/upload", id(&self.volume().await)),
                Some(json!({"image_name": format!("up-{u}")})),
            ),
            Fresh::SnapshotCreate => (
                format!("{P1}/volumes/{}/snapshots", id(&self.volume().await)),
                Some(json!({"name": format!("snap-{u}")})),
            ),
            Fresh::SnapshotDelete => {
                let vol = id(&self.volume().await);
                let s = adm
                    .expect(
                        202,
                        Method::POST,
                        &format!("{P1}/volumes/{vol}/snapshots"),
                        Some(json!({"name": format!("snap-{u}")})),
                    )
                    .await;
                adm.settle("p1", &s).await;
                (format!("{P1}/volumes/{vol}/snapshots/{}", id(&s)), None)
            }
            Fresh::ImageDelete => {
                let vol = id(&self.volume().await);
                let name = format!("up-{u}");
                let v = adm
                    .expect(202, Method::POST, &format!("{P1}/volumes/{vol}/upload"), Some(json!({"image_name": name})))
                    .await;
                adm.settle("p1", &v).await;
                (format!("{P1}/images/{name}"), None)
            }
            Fresh::Instance { action, method } => {
                let vm = self.instance().await;
                let name = vm["name"].as_str().expect("name").to_string();
                // Bring the instance into the state the action needs.
                let before = match action {
                    // The provider images only a stopped VM's disk (see the report on
                    // create-image from Active).
                    "start" | "create-image" => Some(("stop", None)),
                    "unshelve" => Some(("shelve", None)),
                    "confirm-resize" | "revert-resize" => Some(("resize", Some(json!({"instance_type": "t1.small"})))),
                    _ => None,
                };
                if let Some((step, body)) = before {
                    adm.act("p1", &name, step, body).await;
                }
                let body = match action {
                    "reboot" => Some(json!({"type": "soft"})),
                    "resize" => Some(json!({"instance_type": "t1.small"})),
                    "create-image" => Some(json!({"name": format!("img-{u}")})),
                    _ => None,
                };
                let path = if method == "DELETE" {
                    format!("{P1}/instances/{name}")
                } else {
                    format!("{P1}/instances/{name}/{action}")
                };
                (path, body)
            }
            Fresh::KeyPairDelete { own } => {
                let creator = match (own, who) {
                    (true, w) if w.manages_p1() => w,
                    (true, _) => Who::Adm,
                    (false, Who::Mem) => Who::Adm,
                    (false, _) => Who::Mem,
                };
                let kp = self
                    .caller(creator)
                    .create(
                        "p1",
                        &format!("{P1}/key-pairs"),
                        json!({"name": format!("kp-{u}"), "public_key": PUBLIC_KEY, "connection": FAST}),
                    )
                    .await;
                assert_eq!(kp["created_by"], creator.user(), "{kp}");
                (format!("{P1}/key-pairs/{}", id(&kp)), None)
            }
            Fresh::ProjectDelete => {
                let name = format!("empty-{u}");
                sys.expect(201, Method::POST, "/v1/projects", Some(json!({ "name": name }))).await;
                for (user, role) in [("adm", "admin"), ("mem", "member"), ("rdr", "reader")] {
                    let path = format!("/v1/projects/{name}/members/{user}");
                    sys.expect(200, Method::PUT, &path, Some(json!({ "role": role }))).await;
                }
                (format!("/v1/projects/{name}"), None)
            }
            Fresh::MemberDelete => {
                let user = format!("m-{u}");
                sys.expect(201, Method::POST, "/v1/users", Some(json!({ "name": user }))).await;
                let path = format!("{P1}/members/{user}");
                adm.expect(200, Method::PUT, &path, Some(json!({"role": "reader"}))).await;
                (path, None)
            }
            Fresh::UserDelete => {
                let user = format!("gone-{u}");
                sys.expect(201, Method::POST, "/v1/users", Some(json!({ "name": user }))).await;
                (format!("/v1/users/{user}"), None)
            }
            Fresh::TokenDelete { own } => {
                let user = if own { who.user() } else { "victim" };
                let t = sys
                    .expect(
                        201,
                        Method::POST,
                        &format!("/v1/users/{user}/tokens"),
                        Some(json!({"name": format!("t-{u}")})),
                    )
                    .await;
                (format!("/v1/users/{user}/tokens/{}", t["token"]["id"].as_str().expect("token id")), None)
            }
            Fresh::PoolCreate | Fresh::PoolDelete => {
                let conn = format!("conn-p{u}");
                sys.expect(201, Method::POST, "/v1/connections", Some(json!({"name": conn, "driver": "sim"}))).await;
                let pool = json!({"name": format!("pool-{u}"), "connection": conn});
                if matches!(fresh, Fresh::PoolCreate) {
                    return ("/v1/pools".into(), Some(pool));
                }
                sys.expect(201, Method::POST, "/v1/pools", Some(pool)).await;
                (format!("/v1/pools/pool-{u}"), None)
            }
            Fresh::NodeDelete => {
                let node = json!({"name": format!("n-d{u}"), "vcpus": 1, "memory_mib": 1, "disk_gb": 1});
                sys.expect(201, Method::POST, "/v1/pools/pl/nodes", Some(node)).await;
                (format!("/v1/pools/pl/nodes/n-d{u}"), None)
            }
            Fresh::ProfileDelete => {
                let name = format!("prof-f{u}");
                sys.expect(201, Method::POST, "/v1/vm-profiles", Some(profile_body(&name))).await;
                (format!("/v1/vm-profiles/{name}"), None)
            }
            Fresh::SoftwareStackDelete => {
                let name = format!("st-f{u}");
                sys.expect(201, Method::POST, "/v1/software-stacks", Some(stack_def(&name))).await;
                (format!("/v1/software-stacks/{name}"), None)
            }
            Fresh::TemplateDelete => {
                let name = format!("tpl-f{u}");
                sys.expect(201, Method::POST, "/v1/library/templates", Some(template_body(&name))).await;
                (format!("/v1/library/templates/{name}"), None)
            }
            Fresh::ProvisioningReturn => {
                let name = self.stack(false).await;
                (format!("{P1}/provisionings/{name}/return"), Some(json!({ "confirm": name })))
            }
            Fresh::ProvisioningDelete => {
                let name = self.stack(true).await;
                (format!("{P1}/provisionings/{name}?confirm={name}"), None)
            }
            Fresh::HistoryLog => {
                let events = adm.get(&format!("{P1}/provisioning-history?provisioning=stack")).await;
                (format!("{P1}/provisioning-history/{}/log", id(&events["items"][0])), None)
            }
            Fresh::ConnectionDelete => {
                let name = format!("conn-f{u}");
                sys.expect(201, Method::POST, "/v1/connections", Some(json!({"name": name, "driver": "sim"}))).await;
                (format!("/v1/connections/{name}"), None)
            }
            Fresh::ResellerDelete => {
                let name = format!("res-f{u}");
                sys.expect(201, Method::POST, "/v1/resellers", Some(json!({ "name": name }))).await;
                (format!("/v1/resellers/{name}"), None)
            }
            Fresh::CustomerDelete => {
                let name = format!("cus-f{u}");
                sys.expect(201, Method::POST, "/v1/resellers/default/customers", Some(json!({ "name": name }))).await;
                (format!("/v1/resellers/default/customers/{name}"), None)
            }
        }
    }
}
