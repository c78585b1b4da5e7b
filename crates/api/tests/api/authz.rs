//! The authorization matrix: every operation of the served OpenAPI document × {system
//! administrator, project admin, member, reader, another project's admin, no token},
//! each against the exact status its role earns. The list of operations comes from the
//! document, so an endpoint added without a row here fails the test.
//!
//! Every (row, caller) pair gets its own fresh fixture in the state the action needs
//! (an Active instance to stop, a Stopped one to start, a Resized one to confirm…), so
//! an allowed call answers exactly its 2xx and a refused call is refused for its role
//! alone; destructive calls never take away what another row needs.

use crate::support;

use futures::StreamExt;
use gureum_engine::testing::FAST;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use support::{Api, Client, PUBLIC_KEY, Resp};

/// The callers, in the matrix's column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// The system administrator (also admin of every project).
    Sys,
    /// `adm`, admin of p1.
    Adm,
    /// `mem`, member of p1.
    Mem,
    /// `rdr`, reader of p1.
    Rdr,
    /// `other`, admin of p2 only.
    Other,
    /// No token.
    Anon,
}

const WHO: [Who; 6] = [Who::Sys, Who::Adm, Who::Mem, Who::Rdr, Who::Other, Who::Anon];

impl Who {
    fn label(self) -> &'static str {
        match self {
            Who::Sys => "sysadmin",
            Who::Adm => "admin",
            Who::Mem => "member",
            Who::Rdr => "reader",
            Who::Other => "p2-admin",
            Who::Anon => "no token",
        }
    }

    /// The user name; a caller without a token stands in for `adm` where a path needs one.
    fn user(self) -> &'static str {
        match self {
            Who::Sys => "admin",
            Who::Adm | Who::Anon => "adm",
            Who::Mem => "mem",
            Who::Rdr => "rdr",
            Who::Other => "other",
        }
    }

    /// May create resources in p1 (sysadmin, admin, member).
    fn manages_p1(self) -> bool {
        matches!(self, Who::Sys | Who::Adm | Who::Mem)
    }
}

type Expect = [u16; 6];

/// Readable by everyone who may see p1.
const fn read() -> Expect {
    [200, 200, 200, 200, 404, 401]
}
/// Managing p1's resources: admins and members.
const fn manage(ok: u16) -> Expect {
    [ok, ok, ok, 403, 404, 401]
}
/// Project-admin permissions (members, public IP configuration).
const fn project_admin(ok: u16) -> Expect {
    [ok, ok, 403, 403, 404, 401]
}
/// System administration.
const fn system(ok: u16) -> Expect {
    [ok, 403, 403, 403, 403, 401]
}
/// Anyone with a valid token.
const fn anyone(ok: u16) -> Expect {
    [ok, ok, ok, ok, ok, 401]
}
/// Calls that authenticate by a secret in the body (node agents): the same for everyone.
const fn by_body_secret(status: u16) -> Expect {
    [status; 6]
}
/// Another user's account: only the system administrator sees it.
const fn others_account(ok: u16) -> Expect {
    [ok, 404, 404, 404, 404, 401]
}

/// What a row needs prepared before each caller's request.
#[derive(Debug, Clone, Copy)]
enum Case {
    /// A fixed path to shared fixtures, no body.
    Fixed(&'static str),
    /// A fixed path and a body made from a unique suffix.
    Body(&'static str, fn(&str) -> Value),
    /// `/v1/users/{user}` + suffix: the caller's own account, or `victim`'s.
    Account { own: bool, suffix: &'static str, body: Option<fn(&str) -> Value> },
    /// A fresh fixture of this kind.
    Make(Fresh),
}

#[derive(Debug, Clone, Copy)]
enum Fresh {
    VpcDelete,
    SubnetCreate,
    SubnetDelete,
    VpcSubnetDelete,
    SecurityGroupDelete,
    RuleCreate,
    RuleDelete,
    PublicIpDelete,
    PublicIpAttach,
    PublicIpDetach,
    VolumeDelete,
    VolumeAttach,
    VolumeDetach,
    VolumeExtend,
    VolumeUpload,
    SnapshotCreate,
    SnapshotDelete,
    ImageDelete,
    PoolCreate,
    PoolDelete,
    NodeDelete,
    /// An instance in the state the action needs, and the action's body.
    Instance {
        action: &'static str,
        method: &'static str,
    },
    KeyPairDelete {
        own: bool,
    },
    ProjectDelete,
    MemberDelete,
    UserDelete,
    TokenDelete {
        own: bool,
    },
    ConnectionDelete,
}

struct Row {
    /// `METHOD /path/{param}` as in the OpenAPI document.
    op: &'static str,
    variant: &'static str,
    expect: Expect,
    case: Case,
}

fn row(op: &'static str, expect: Expect, case: Case) -> Row {
    Row { op, variant: "", expect, case }
}

fn variant(op: &'static str, variant: &'static str, expect: Expect, case: Case) -> Row {
    Row { op, variant, expect, case }
}

const P1: &str = "/v1/projects/p1";

fn instance_action(action: &'static str) -> Case {
    Case::Make(Fresh::Instance { action, method: "POST" })
}

fn rows() -> Vec<Row> {
    use Case::*;
    use Fresh as F;
    let own = |suffix| Account { own: true, suffix, body: None };
    let theirs = |suffix| Account { own: false, suffix, body: None };
    let password = |_: &str| json!({"password": "correct horse battery staple"});
    let token = |u: &str| json!({"name": format!("t-{u}")});
    vec![
        // Identity and system-wide administration.
        row("GET /v1/me", anyone(200), Fixed("/v1/me")),
        row("GET /v1/projects", anyone(200), Fixed("/v1/projects")),
        row("POST /v1/projects", system(201), Body("/v1/projects", |u| json!({"name": format!("proj-{u}")}))),
        row("GET /v1/users", system(200), Fixed("/v1/users")),
        row("POST /v1/users", system(201), Body("/v1/users", |u| json!({"name": format!("user-{u}")}))),
        variant("GET /v1/users/{user}", "own", anyone(200), own("")),
        variant("GET /v1/users/{user}", "another user", others_account(200), theirs("")),
        row("DELETE /v1/users/{user}", system(204), Make(F::UserDelete)),
        variant(
            "PUT /v1/users/{user}/password",
            "own",
            anyone(200),
            Account { own: true, suffix: "/password", body: Some(password) },
        ),
        variant(
            "PUT /v1/users/{user}/password",
            "another user",
            others_account(200),
            Account { own: false, suffix: "/password", body: Some(password) },
        ),
        variant("GET /v1/users/{user}/tokens", "own", anyone(200), own("/tokens")),
        variant("GET /v1/users/{user}/tokens", "another user", others_account(200), theirs("/tokens")),
        variant(
            "POST /v1/users/{user}/tokens",
            "own",
            anyone(201),
            Account { own: true, suffix: "/tokens", body: Some(token) },
        ),
        variant(
            "POST /v1/users/{user}/tokens",
            "another user",
            others_account(201),
            Account { own: false, suffix: "/tokens", body: Some(token) },
        ),
        variant("DELETE /v1/users/{user}/tokens/{token}", "own", anyone(204), Make(F::TokenDelete { own: true })),
        variant(
            "DELETE /v1/users/{user}/tokens/{token}",
            "another user",
            others_account(204),
            Make(F::TokenDelete { own: false }),
        ),
        row("GET /v1/connections", anyone(200), Fixed("/v1/connections")),
        row(
            "POST /v1/connections",
            system(201),
            Body("/v1/connections", |u| json!({"name": format!("conn-{u}"), "driver": "sim"})),
        ),
        row("GET /v1/connections/{connection}", anyone(200), Fixed("/v1/connections/fast")),
        row("DELETE /v1/connections/{connection}", system(204), Make(F::ConnectionDelete)),
        row("GET /v1/connections/{connection}/drift", system(200), Fixed("/v1/connections/fast/drift")),
        row(
            "PATCH /v1/connections/{connection}",
            system(200),
            Body("/v1/connections/fast", |_| json!({"settings": {"latency_ms": 0}})),
        ),
        row("GET /v1/drivers", system(200), Fixed("/v1/drivers")),
        row("GET /v1/connections/{connection}/capabilities", system(200), Fixed("/v1/connections/fast/capabilities")),
        row("POST /v1/connections/{connection}/verify", system(200), Fixed("/v1/connections/fast/verify")),
        // Authorized callers get past authorization to the check that nothing is there.
        row(
            "POST /v1/connections/{connection}/drift/adopt",
            system(400),
            Body(
                "/v1/connections/fast/drift/adopt",
                |u| json!({"kind": "disk", "provider_id": "disk-none", "project": "p1", "name": format!("a-{u}")}),
            ),
        ),
        row(
            "POST /v1/connections/{connection}/drift/delete",
            system(400),
            Body("/v1/connections/fast/drift/delete", |_| json!({"kind": "disk", "provider_id": "disk-none"})),
        ),
        row(
            "POST /v1/connections/{connection}/drift/unregister",
            system(404),
            Body(
                "/v1/connections/fast/drift/unregister",
                |u| json!({"kind": "disk", "project": "p1", "name": format!("none-{u}")}),
            ),
        ),
        // Pools and nodes: anyone signed in reads them, system administrators write them.
        row("GET /v1/pools", anyone(200), Fixed("/v1/pools")),
        row("POST /v1/pools", system(201), Make(F::PoolCreate)),
        row("GET /v1/pools/{pool}", anyone(200), Fixed("/v1/pools/pl")),
        row("PATCH /v1/pools/{pool}", system(200), Body("/v1/pools/pl", |_| json!({"cpu_overcommit": 4.0}))),
        row("DELETE /v1/pools/{pool}", system(204), Make(F::PoolDelete)),
        row("GET /v1/pools/{pool}/nodes", anyone(200), Fixed("/v1/pools/pl/nodes")),
        row(
            "POST /v1/pools/{pool}/nodes",
            system(201),
            Body(
                "/v1/pools/pl/nodes",
                |u| json!({"name": format!("n-{u}"), "vcpus": 1, "memory_mib": 1, "disk_gb": 1}),
            ),
        ),
        row("GET /v1/pools/{pool}/nodes/{node}", anyone(200), Fixed("/v1/pools/pl/nodes/pl-n1")),
        row(
            "PATCH /v1/pools/{pool}/nodes/{node}",
            system(200),
            Body("/v1/pools/pl/nodes/pl-n1", |_| json!({"vcpus": 64})),
        ),
        row("DELETE /v1/pools/{pool}/nodes/{node}", system(204), Make(F::NodeDelete)),
        row("GET /v1/nodes", anyone(200), Fixed("/v1/nodes")),
        row("POST /v1/pools/{pool}/join-tokens", system(201), Fixed("/v1/pools/pl/join-tokens")),
        row(
            "POST /v1/nodes/join",
            by_body_secret(401),
            Body(
                "/v1/nodes/join",
                |u| json!({"token": "gjt_none", "name": format!("j-{u}"), "capacity": {"vcpus": 1, "memory_mib": 1, "disk_gb": 1}}),
            ),
        ),
        row(
            "POST /v1/nodes/heartbeat",
            by_body_secret(401),
            Body(
                "/v1/nodes/heartbeat",
                |_| json!({"secret": "gns_none", "capacity": {"vcpus": 1, "memory_mib": 1, "disk_gb": 1}}),
            ),
        ),
        // The catalog.
        row("GET /v1/instance-types", anyone(200), Fixed("/v1/instance-types")),
        row("GET /v1/instance-types/{instance_type}", anyone(200), Fixed("/v1/instance-types/t1.micro")),
        row("GET /v1/images", anyone(200), Fixed("/v1/images")),
        row("GET /v1/images/{image}", anyone(200), Fixed("/v1/images/ubuntu-22.04")),
        // The project and its members.
        row("GET /v1/projects/{project}", read(), Fixed(P1)),
        row("DELETE /v1/projects/{project}", [204, 403, 403, 403, 404, 401], Make(F::ProjectDelete)),
        row("GET /v1/projects/{project}/members", read(), Fixed("/v1/projects/p1/members")),
        row(
            "PUT /v1/projects/{project}/members/{user}",
            project_admin(200),
            Body("/v1/projects/p1/members/spare", |_| json!({"role": "reader"})),
        ),
        row("DELETE /v1/projects/{project}/members/{user}", project_admin(204), Make(F::MemberDelete)),
        row("GET /v1/projects/{project}/operations", read(), Fixed("/v1/projects/p1/operations")),
        // The operation id is filled in at run time (see `World::prepare`).
        row("GET /v1/projects/{project}/operations/{operation}", read(), Fixed("/v1/projects/p1/operations/{op}")),
        row("GET /v1/projects/{project}/usage", read(), Fixed("/v1/projects/p1/usage")),
        // Networks.
        row("GET /v1/projects/{project}/vpcs", read(), Fixed("/v1/projects/p1/vpcs")),
        row(
            "POST /v1/projects/{project}/vpcs",
            manage(202),
            Body(
                "/v1/projects/p1/vpcs",
                |u| json!({"name": format!("vpc-{u}"), "cidr": "10.1.0.0/16", "connection": FAST}),
            ),
        ),
        row("GET /v1/projects/{project}/vpcs/{vpc}", read(), Fixed("/v1/projects/p1/vpcs/net")),
        row("DELETE /v1/projects/{project}/vpcs/{vpc}", manage(202), Make(F::VpcDelete)),
        row("GET /v1/projects/{project}/vpcs/{vpc}/subnets", read(), Fixed("/v1/projects/p1/vpcs/net/subnets")),
        row("POST /v1/projects/{project}/vpcs/{vpc}/subnets", manage(202), Make(F::SubnetCreate)),
        row("GET /v1/projects/{project}/subnets", read(), Fixed("/v1/projects/p1/subnets")),
        row("GET /v1/projects/{project}/subnets/{subnet}", read(), Fixed("/v1/projects/p1/subnets/net")),
        row("DELETE /v1/projects/{project}/subnets/{subnet}", manage(202), Make(F::SubnetDelete)),
        row(
            "GET /v1/projects/{project}/vpcs/{vpc}/subnets/{subnet}",
            read(),
            Fixed("/v1/projects/p1/vpcs/net/subnets/net"),
        ),
        row("DELETE /v1/projects/{project}/vpcs/{vpc}/subnets/{subnet}", manage(202), Make(F::VpcSubnetDelete)),
        row(
            "GET /v1/projects/{project}/security-groups/{security_group}/rules",
            read(),
            Fixed("/v1/projects/p1/security-groups/sg/rules"),
        ),
        row("GET /v1/projects/{project}/security-groups", read(), Fixed("/v1/projects/p1/security-groups")),
        row(
            "POST /v1/projects/{project}/security-groups",
            manage(202),
            Body("/v1/projects/p1/security-groups", |u| json!({"name": format!("sg-{u}"), "vpc": "net"})),
        ),
        row(
            "GET /v1/projects/{project}/security-groups/{security_group}",
            read(),
            Fixed("/v1/projects/p1/security-groups/sg"),
        ),
        row(
            "DELETE /v1/projects/{project}/security-groups/{security_group}",
            manage(202),
            Make(F::SecurityGroupDelete),
        ),
        row("POST /v1/projects/{project}/security-groups/{security_group}/rules", manage(202), Make(F::RuleCreate)),
        row(
            "DELETE /v1/projects/{project}/security-groups/{security_group}/rules/{rule}",
            manage(202),
            Make(F::RuleDelete),
        ),
        row("GET /v1/projects/{project}/public-ips", read(), Fixed("/v1/projects/p1/public-ips")),
        row(
            "POST /v1/projects/{project}/public-ips",
            project_admin(202),
            Body("/v1/projects/p1/public-ips", |u| json!({"name": format!("ip-{u}"), "connection": FAST})),
        ),
        row("GET /v1/projects/{project}/public-ips/{public_ip}", read(), Fixed("/v1/projects/p1/public-ips/ip")),
        row("DELETE /v1/projects/{project}/public-ips/{public_ip}", project_admin(202), Make(F::PublicIpDelete)),
        row("POST /v1/projects/{project}/public-ips/{public_ip}/attach", project_admin(202), Make(F::PublicIpAttach)),
        row("POST /v1/projects/{project}/public-ips/{public_ip}/detach", project_admin(202), Make(F::PublicIpDetach)),
        // Storage.
        row("GET /v1/projects/{project}/volumes", read(), Fixed("/v1/projects/p1/volumes")),
        row(
            "POST /v1/projects/{project}/volumes",
            manage(202),
            Body("/v1/projects/p1/volumes", |u| json!({"name": format!("vol-{u}"), "size_gb": 1, "connection": FAST})),
        ),
        row("GET /v1/projects/{project}/volumes/{volume}", read(), Fixed("/v1/projects/p1/volumes/vol")),
        row("DELETE /v1/projects/{project}/volumes/{volume}", manage(202), Make(F::VolumeDelete)),
        row("POST /v1/projects/{project}/volumes/{volume}/attach", manage(202), Make(F::VolumeAttach)),
        row("POST /v1/projects/{project}/volumes/{volume}/detach", manage(202), Make(F::VolumeDetach)),
        row("POST /v1/projects/{project}/volumes/{volume}/extend", manage(202), Make(F::VolumeExtend)),
        row("POST /v1/projects/{project}/volumes/{volume}/upload", manage(202), Make(F::VolumeUpload)),
        row(
            "GET /v1/projects/{project}/volumes/{volume}/snapshots",
            read(),
            Fixed("/v1/projects/p1/volumes/vol/snapshots"),
        ),
        row("POST /v1/projects/{project}/volumes/{volume}/snapshots", manage(202), Make(F::SnapshotCreate)),
        row(
            "GET /v1/projects/{project}/volumes/{volume}/snapshots/{snapshot}",
            read(),
            Fixed("/v1/projects/p1/volumes/vol/snapshots/snap"),
        ),
        row(
            "DELETE /v1/projects/{project}/volumes/{volume}/snapshots/{snapshot}",
            manage(202),
            Make(F::SnapshotDelete),
        ),
        row("GET /v1/projects/{project}/images", read(), Fixed("/v1/projects/p1/images")),
        row("GET /v1/projects/{project}/images/{image}", read(), Fixed("/v1/projects/p1/images/img")),
        row("DELETE /v1/projects/{project}/images/{image}", manage(202), Make(F::ImageDelete)),
        // Compute.
        row("GET /v1/projects/{project}/instances", read(), Fixed("/v1/projects/p1/instances")),
        row(
            "POST /v1/projects/{project}/instances",
            manage(202),
            Body("/v1/projects/p1/instances", |u| {
                json!({"name": format!("new-{u}"), "instance_type": "t1.micro", "image": "ubuntu-22.04",
                       "subnet": "net", "security_groups": ["sg"], "key_pair": "kp", "public_ip": "ephemeral"})
            }),
        ),
        variant(
            "POST /v1/projects/{project}/instances",
            "static public IP",
            project_admin(202),
            Body("/v1/projects/p1/instances", |u| {
                json!({"name": format!("static-{u}"), "instance_type": "t1.micro", "image": "ubuntu-22.04",
                       "subnet": "net", "public_ip": "static"})
            }),
        ),
        row("GET /v1/projects/{project}/instances/{instance}", read(), Fixed("/v1/projects/p1/instances/vm")),
        row(
            "DELETE /v1/projects/{project}/instances/{instance}",
            manage(202),
            Make(F::Instance { action: "", method: "DELETE" }),
        ),
        row(
            "GET /v1/projects/{project}/instances/{instance}/console",
            read(),
            Fixed("/v1/projects/p1/instances/vm/console"),
        ),
        row("POST /v1/projects/{project}/instances/{instance}/start", manage(202), instance_action("start")),
        row("POST /v1/projects/{project}/instances/{instance}/stop", manage(202), instance_action("stop")),
        row("POST /v1/projects/{project}/instances/{instance}/shelve", manage(202), instance_action("shelve")),
        row("POST /v1/projects/{project}/instances/{instance}/unshelve", manage(202), instance_action("unshelve")),
        row("POST /v1/projects/{project}/instances/{instance}/reboot", manage(202), instance_action("reboot")),
        row("POST /v1/projects/{project}/instances/{instance}/resize", manage(202), instance_action("resize")),
        row(
            "POST /v1/projects/{project}/instances/{instance}/confirm-resize",
            manage(202),
            instance_action("confirm-resize"),
        ),
        row(
            "POST /v1/projects/{project}/instances/{instance}/revert-resize",
            manage(202),
            instance_action("revert-resize"),
        ),
        row(
            "POST /v1/projects/{project}/instances/{instance}/create-image",
            manage(202),
            instance_action("create-image"),
        ),
        row("GET /v1/projects/{project}/key-pairs", read(), Fixed("/v1/projects/p1/key-pairs")),
        row(
            "POST /v1/projects/{project}/key-pairs",
            manage(202),
            Body("/v1/projects/p1/key-pairs", |u| json!({"name": format!("kp-{u}"), "connection": FAST})),
        ),
        row("GET /v1/projects/{project}/key-pairs/{key_pair}", read(), Fixed("/v1/projects/p1/key-pairs/kp")),
        variant(
            "DELETE /v1/projects/{project}/key-pairs/{key_pair}",
            "own",
            manage(202),
            Make(F::KeyPairDelete { own: true }),
        ),
        variant(
            "DELETE /v1/projects/{project}/key-pairs/{key_pair}",
            "another member's",
            [403, 403, 403, 403, 404, 401],
            Make(F::KeyPairDelete { own: false }),
        ),
    ]
}

/// A request's path and body.
type Request = (String, Option<Value>);

/// p1 with its users and shared fixtures, p2 with `other`.
struct World {
    api: Api,
    callers: Vec<Client>,
    seq: AtomicUsize,
    /// An operation of p1.
    op: String,
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

fn rule_body() -> Value {
    json!({"direction": "inbound", "protocol": "tcp", "port_from": 22, "port_to": 22})
}

impl World {
    async fn build() -> World {
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

    fn caller(&self, who: Who) -> &Client {
        &self.callers[WHO.iter().position(|w| *w == who).expect("a caller")]
    }

    fn sys(&self) -> &Client {
        self.caller(Who::Sys)
    }

    fn adm(&self) -> &Client {
        self.caller(Who::Adm)
    }

    fn uniq(&self) -> String {
        format!("{}", self.seq.fetch_add(1, Ordering::Relaxed))
    }

    async fn vpc(&self) -> Value {
        let name = format!("vpc-f{}", self.uniq());
        self.adm()
            .create("p1", &format!("{P1}/vpcs"), json!({"name": name, "cidr": "10.2.0.0/16", "connection": FAST}))
            .await
    }

    async fn security_group(&self) -> Value {
        let name = format!("sg-f{}", self.uniq());
        self.adm().create("p1", &format!("{P1}/security-groups"), json!({"name": name, "vpc": "net"})).await
    }

    async fn public_ip(&self) -> Value {
        let name = format!("ip-f{}", self.uniq());
        self.adm().create("p1", &format!("{P1}/public-ips"), json!({"name": name, "connection": FAST})).await
    }

    async fn volume(&self) -> Value {
        let name = format!("vol-f{}", self.uniq());
        self.adm().create("p1", &format!("{P1}/volumes"), json!({"name": name, "size_gb": 1, "connection": FAST})).await
    }

    async fn instance(&self) -> Value {
        self.adm().instance("p1", &format!("vm-f{}", self.uniq())).await
    }

    /// The request `who` sends for `row`: its path (inside the row's template) and body.
    async fn prepare(&self, row: &Row, who: Who) -> Request {
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

    async fn fresh(&self, fresh: Fresh, who: Who, u: &str) -> Request {
        let adm = self.adm();
        let sys = self.sys();
        match fresh {
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
            Fresh::ConnectionDelete => {
                let name = format!("conn-f{u}");
                sys.expect(201, Method::POST, "/v1/connections", Some(json!({"name": name, "driver": "sim"}))).await;
                (format!("/v1/connections/{name}"), None)
            }
        }
    }
}

/// Whether `path` is an instance of the document's `template`.
fn fits(template: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| if t.starts_with('{') { !p.is_empty() } else { t == p })
}

/// Every `METHOD /path` of the served document.
async fn documented_operations(api: &Api) -> BTreeSet<String> {
    let r = api.client(None).send(Method::GET, "/v1/openapi.json", None).await;
    assert_eq!(r.status, 200, "the document is public: {}", r.text);
    let mut ops = BTreeSet::new();
    for (path, item) in r.body["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if ["get", "put", "post", "delete", "patch", "head", "options", "trace"].contains(&method.as_str()) {
                ops.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    ops
}

fn error_code(status: u16) -> Option<&'static str> {
    match status {
        401 => Some("unauthenticated"),
        403 => Some("forbidden"),
        404 => Some("not_found"),
        _ => None,
    }
}

/// What one caller got for one row: the status, and what was wrong (if anything).
struct Outcome {
    status: u16,
    problem: Option<String>,
    /// The operation an accepted call started.
    operation: Option<String>,
}

fn judge(expected: u16, r: &Resp) -> Option<String> {
    if r.status != expected {
        return Some(format!("{} (want {expected}): {}", r.status, r.text.chars().take(300).collect::<String>()));
    }
    if let Some(code) = error_code(expected) {
        let e = &r.body["error"];
        let well_formed = e["code"] == code
            && e["message"].as_str().is_some_and(|m| !m.is_empty())
            && e["request_id"].as_str().is_some()
            && e["request_id"].as_str() == r.header("x-request-id");
        if !well_formed {
            return Some(format!("{} without the error body (code {code}, request_id): {}", r.status, r.text));
        }
    } else if expected != 204 && r.body.is_null() {
        return Some(format!("{} without a JSON body: {}", r.status, r.text));
    }
    None
}

fn render(rows: &[Row], outcomes: &[Vec<Outcome>]) -> String {
    let label = |r: &Row| if r.variant.is_empty() { r.op.to_string() } else { format!("{} [{}]", r.op, r.variant) };
    let width = rows.iter().map(|r| label(r).len()).max().unwrap_or(0);
    let mut out = format!("{:width$}", "");
    for w in WHO {
        out.push_str(&format!(" | {:>16}", w.label()));
    }
    out.push('\n');
    let mut problems = String::new();
    for (r, row) in rows.iter().enumerate() {
        let mut line = format!("{:width$}", label(row));
        for (w, o) in outcomes[r].iter().enumerate() {
            let cell = match &o.problem {
                None => format!("{}", o.status),
                Some(_) if o.status == row.expect[w] => format!("✗ {} (see below)", o.status),
                Some(_) => format!("✗ {} want {}", o.status, row.expect[w]),
            };
            line.push_str(&format!(" | {cell:>16}"));
            if let Some(p) = &o.problem {
                problems.push_str(&format!("{} / {}: {p}\n", label(row), WHO[w].label()));
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    format!("{out}\n{problems}")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_endpoint_answers_every_role_as_the_matrix_says() {
    let world = World::build().await;
    let rows = rows();

    // The table covers the document, and only the document.
    let documented = documented_operations(&world.api).await;
    let tabled: BTreeSet<String> = rows.iter().map(|r| r.op.to_string()).collect();
    let missing: Vec<&String> = documented.difference(&tabled).collect();
    let unknown: Vec<&String> = tabled.difference(&documented).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "operations in /v1/openapi.json without a row in the authz matrix: {missing:#?}\n\
         rows for operations the document does not have: {unknown:#?}"
    );

    // A fresh fixture for every row and caller, prepared concurrently.
    let jobs: Vec<(usize, usize)> = (0..rows.len()).flat_map(|r| (0..WHO.len()).map(move |w| (r, w))).collect();
    let mut prepared: Vec<((usize, usize), Request)> = futures::stream::iter(jobs)
        .map(|(r, w)| {
            let (world, rows) = (&world, &rows);
            async move { ((r, w), world.prepare(&rows[r], WHO[w]).await) }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    prepared.sort_by_key(|(k, _)| *k);

    // The walk.
    let mut outcomes: Vec<Vec<Outcome>> = rows.iter().map(|_| Vec::new()).collect();
    for ((r, w), (path, body)) in prepared {
        let row = &rows[r];
        let (method, template) = row.op.split_once(' ').expect("METHOD /path");
        assert!(fits(template, &path), "{path} does not fit {template}");
        let method = Method::from_bytes(method.as_bytes()).expect("a method");
        let resp = world.caller(WHO[w]).send(method, &path, body.as_ref()).await;
        let mut problem = judge(row.expect[w], &resp);
        let operation = resp.body["operation_id"].as_str().map(str::to_string);
        if resp.status == 202 && operation.is_none() && problem.is_none() {
            problem = Some(format!("202 without an operation to follow: {}", resp.text));
        }
        outcomes[r].push(Outcome { status: resp.status, problem, operation });
    }
    // Every accepted call is carried out: its preconditions held.
    for (r, row) in rows.iter().enumerate() {
        for (w, o) in outcomes[r].iter_mut().enumerate() {
            let Some(op) = o.operation.take() else { continue };
            let done = world.caller(Who::Sys).finished_op("p1", &op).await;
            if done["status"] != "succeeded" {
                o.problem =
                    Some(format!("{} accepted, but its operation ended {}: {done}", row.expect[w], done["status"]));
            }
        }
    }
    let failed = outcomes.iter().flatten().filter(|o| o.problem.is_some()).count();
    assert!(failed == 0, "{failed} cells of the authz matrix differ:\n{}", render(&rows, &outcomes));
    // Refused callers started nothing.
    let started: Vec<String> = world
        .sys()
        .list_all(&format!("{P1}/operations"))
        .await
        .into_iter()
        .filter(|o| ["rdr", "other"].contains(&o["created_by"].as_str().unwrap_or_default()))
        .map(|o| o.to_string())
        .collect();
    assert!(started.is_empty(), "refused callers started operations: {started:#?}");
}
