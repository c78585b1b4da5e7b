//! The rows of the matrix: each operation, what each role earns, and the fixture it needs.

use super::*;

pub(super) const P1: &str = "/v1/projects/p1";

pub(super) fn instance_action(action: &'static str) -> Case {
    Case::Make(Fresh::Instance { action, method: "POST" })
}

pub(super) fn rows() -> Vec<Row> {
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
        // Another user is outside the subtree of everyone but the system administrator.
        row("DELETE /v1/users/{user}", others_account(204), Make(F::UserDelete)),
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
        row("GET /v1/servers", system(200), Fixed("/v1/servers")),
        // Lean provisioning: profiles and software stacks.
        row("GET /v1/vm-profiles", anyone(200), Fixed("/v1/vm-profiles")),
        row("POST /v1/vm-profiles", system(201), Body("/v1/vm-profiles", |u| profile_body(&format!("prof-{u}")))),
        row("GET /v1/vm-profiles/{profile}", anyone(200), Fixed("/v1/vm-profiles/prof")),
        row("PATCH /v1/vm-profiles/{profile}", system(200), Body("/v1/vm-profiles/prof", |_| json!({"vcpus": 2}))),
        row("DELETE /v1/vm-profiles/{profile}", system(204), Make(F::ProfileDelete)),
        row("GET /v1/software-stacks", anyone(200), Fixed("/v1/software-stacks")),
        row("POST /v1/software-stacks", system(201), Body("/v1/software-stacks", |u| stack_def(&format!("st-{u}")))),
        row("GET /v1/software-stacks/{stack}", anyone(200), Fixed("/v1/software-stacks/django")),
        row("DELETE /v1/software-stacks/{stack}", system(204), Make(F::SoftwareStackDelete)),
        // The template library.
        row("GET /v1/library/templates", anyone(200), Fixed("/v1/library/templates")),
        row(
            "POST /v1/library/templates",
            system(201),
            Body("/v1/library/templates", |u| template_body(&format!("tpl-{u}"))),
        ),
        row("GET /v1/library/templates/{template}", anyone(200), Fixed("/v1/library/templates/static-website")),
        row("DELETE /v1/library/templates/{template}", system(204), Make(F::TemplateDelete)),
        row(
            "POST /v1/projects/{project}/provisionings/plan",
            read(),
            Body("/v1/projects/p1/provisionings/plan", |u| stack_body(&format!("plan-{u}"))),
        ),
        row(
            "POST /v1/projects/{project}/provisionings",
            manage(202),
            Body("/v1/projects/p1/provisionings", |u| stack_body(&format!("st-{u}"))),
        ),
        row("GET /v1/projects/{project}/provisionings", read(), Fixed("/v1/projects/p1/provisionings")),
        row(
            "GET /v1/projects/{project}/provisionings/{provisioning}",
            read(),
            Fixed("/v1/projects/p1/provisionings/stack"),
        ),
        row(
            "GET /v1/projects/{project}/provisionings/{provisioning}/installation-info",
            read(),
            Fixed("/v1/projects/p1/provisionings/stack/installation-info"),
        ),
        row(
            "POST /v1/projects/{project}/provisionings/{provisioning}/return",
            manage(202),
            Make(F::ProvisioningReturn),
        ),
        row("DELETE /v1/projects/{project}/provisionings/{provisioning}", manage(204), Make(F::ProvisioningDelete)),
        row("GET /v1/projects/{project}/provisioning-history", read(), Fixed("/v1/projects/p1/provisioning-history")),
        row("GET /v1/projects/{project}/provisioning-history/{event}/log", read(), Make(F::HistoryLog)),
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
pub(super) type Request = (String, Option<Value>);
