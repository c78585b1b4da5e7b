"""Seeds a fresh gureum server for the schema fuzzer and writes its schemathesis.toml.

Every path parameter points at a resource that exists, so the fuzzer gets past 404s to
the handlers' real checks. Deletes point at resources of their own (`*-del`), so that
the resources the other operations use survive until the end of the run.

Usage: seed.py BASE_URL TOKEN OUT_TOML
"""

import json
import sys
import time
import urllib.error
import urllib.request

BASE, TOKEN, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
P = "/v1/projects/fuzz"


def call(method, path, body=None, ok=(200, 201, 202, 204)):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {TOKEN}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=90) as r:
            status, text = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    if status not in ok:
        sys.exit(f"seeding failed: {method} {path} answered {status}: {text}")
    return json.loads(text) if text else None


def settle(view):
    """Waits for the operation a 202 started (the sim connection is instant-ish)."""
    op = view.get("operation_id")
    if op:
        done = call("GET", f"{P}/operations/{op}?wait_seconds=60")
        if done["status"] != "succeeded":
            sys.exit(f"seeding failed: operation {op} ended {done['status']}: {done}")
    return view


def create(path, body):
    return settle(call("POST", path, body))


def first_name(path):
    items = call("GET", path)
    items = items["items"] if isinstance(items, dict) else items
    if not items:
        sys.exit(f"seeding failed: {path} is empty")
    return items[0]["name"]


call("POST", "/v1/connections", {"name": "fast", "driver": "sim", "settings": {"latency_ms": 0}})
call("POST", "/v1/connections", {"name": "conn-del", "driver": "sim", "settings": {"latency_ms": 0}})
# fuzz-drift takes the unregisters: the fuzzer reuses names it has seen ("vm"), and an
# unregister in the seeded project would rightly forget the very resources it addresses.
for name in ["fuzz", "fuzz-del", "fuzz-drift"]:
    call("POST", "/v1/projects", {"name": name})
for vpc in ["net", "vpc-del"]:
    create(f"{P}/vpcs", {"name": vpc, "cidr": "10.0.0.0/16", "connection": "fast"})
for subnet, cidr in [("net", "10.0.1.0/24"), ("sub-del", "10.0.2.0/24")]:
    create(f"{P}/vpcs/net/subnets", {"name": subnet, "cidr": cidr})
for sg in ["sg", "sg-del"]:
    create(f"{P}/security-groups", {"name": sg, "vpc": "net"})
rule = create(f"{P}/security-groups/sg/rules", {"direction": "inbound", "protocol": "tcp", "port_from": 22})
rule_del = create(f"{P}/security-groups/sg/rules", {"direction": "inbound", "protocol": "tcp", "port_from": 80})
for kp in ["key", "key-del"]:
    create(f"{P}/key-pairs", {"name": kp, "connection": "fast"})
for vol in ["vol", "vol-del"]:
    create(f"{P}/volumes", {"name": vol, "size_gb": 1, "connection": "fast"})
for snap in ["snap", "snap-del"]:
    create(f"{P}/volumes/vol/snapshots", {"name": snap})
for ip in ["ip", "ip-del"]:
    create(f"{P}/public-ips", {"name": ip, "connection": "fast"})
itype, image = first_name("/v1/instance-types"), first_name("/v1/images")
itypes = [t["name"] for t in call("GET", "/v1/instance-types")]
images = [i["name"] for i in call("GET", "/v1/images")["items"]]
details = call("GET", "/v1/connections/fast/capabilities")["details"]
zones = details.get("zones") or ["sim-1a"]
volume_types = [v["name"] if isinstance(v, dict) else v for v in details.get("volume_types") or []] or ["SSD"]
instance = None
for vm in ["vm", "vm-del"]:
    body = {"name": vm, "instance_type": itype, "image": image, "subnet": "net", "security_groups": ["sg"]}
    view = create(f"{P}/instances", dict(body, key_pair="key"))
    instance = instance or view
call("POST", "/v1/users", {"name": "someone"})
call("PUT", f"{P}/members/someone", {"role": "reader"})
call("POST", "/v1/users", {"name": "member-del"})
call("PUT", f"{P}/members/member-del", {"role": "reader"})
token = call("POST", "/v1/users/someone/tokens", {"name": "t"})["token"]["id"]
template = first_name("/v1/library/templates")
for img in ["img", "img-del"]:
    create(f"{P}/instances/vm/create-image", {"name": img})
# A pool (on a connection of its own) with two nodes, one for the deletes, and an empty
# pool for the deletes.
for pool in ["pool", "pool-del"]:
    call("POST", "/v1/connections", {"name": f"{pool}-conn", "driver": "sim", "settings": {"latency_ms": 0}})
    call("POST", "/v1/pools", {"name": pool, "connection": f"{pool}-conn"})
for node in ["node", "node-del"]:
    call("POST", "/v1/pools/pool/nodes", {"name": node, "vcpus": 8, "memory_mib": 16384, "disk_gb": 200})
prov_params = {"vpc": "net", "subnet": "net", "key_pair": "key"}
create(f"{P}/provisionings", {"name": "prov", "template": "static-website", "parameters": prov_params})
event = call("GET", f"{P}/provisioning-history")["items"][0]["id"]
templates = [t["name"] for t in call("GET", "/v1/library/templates")["items"]]
linux_images = [i["name"] for i in call("GET", "/v1/images")["items"] if i.get("os_family") == "linux"]
for prof in ["prof", "prof-del"]:
    call("POST", "/v1/vm-profiles", {"name": prof, "base_profile": "linux", "install_media": linux_images[0],
                                     "os_type": "Ubuntu", "os_version": "22.04", "memory_mib": 1024,
                                     "disk_gb": 20, "vcpus": 1})
for stack in ["stack", "stack-del"]:
    call("POST", "/v1/software-stacks", {"name": stack, "version": "1", "install_script": "#!/bin/sh\ntrue\n",
                                         "fits": [{"os_type": "Ubuntu", "os_version": "22.04"}]})
# Lean provisioning: a template pool and a persistent pool on `fast`, a released VM
# template to act on and one to delete, and a persistent VM to read and one to delete.
for pool, purpose, prefix in [("tplpool", "template", "tt"), ("pvmpool", "persistent", "pv")]:
    call("POST", "/v1/pools", {"name": pool, "connection": "fast", "purpose": purpose, "name_prefix": prefix,
                               "domain": "fuzz.net"})
    call("POST", f"/v1/pools/{pool}/nodes", {"name": f"{pool}-node", "vcpus": 1 << 20, "memory_mib": 1 << 40,
                                             "disk_gb": 1 << 40})


def template_settled(name):
    for _ in range(600):
        view = call("GET", f"/v1/vm-templates/{name}")
        if view["operation_id"] is None:
            return view
        time.sleep(0.05)
    sys.exit(f"template {name} did not settle")


vm_templates = []
for _ in range(2):
    name = call("POST", "/v1/vm-templates", {"profile": "prof", "pool": "tplpool"})["name"]
    template_settled(name)
    for action in ["sysprep", "release"]:
        call("POST", f"/v1/vm-templates/{name}/{action}")
        template_settled(name)
    vm_templates.append(name)
# A pool of the node pool's connection that shares its node, and one to stop sharing.
for pool in ["share", "share-del"]:
    call("POST", "/v1/pools", {"name": pool, "connection": "pool-conn", "purpose": "persistent"})
    call("POST", f"/v1/pools/{pool}/shared-nodes", {"node": "node"})
persistent_vms = [
    create(f"{P}/persistent-vms", {"template": vm_templates[0], "pool": "pvmpool", "subnet": "net"})["name"]
    for _ in range(2)
]
# Tenancy: a reseller with a customer to address, and one of each to delete.
for reseller in ["res", "res-del"]:
    call("POST", "/v1/resellers", {"name": reseller})
for customer in ["cus", "cus-del"]:
    call("POST", "/v1/resellers/res/customers", {"name": customer})
# Maintenance: a task over the instance to address, and one to delete.
for task in ["mt", "mt-del"]:
    call("POST", f"{P}/maintenance-tasks", {"name": task, "requirement": "mandatory", "type": "os_update",
                                            "apply": {"version": "12.8"}, "downtime": True,
                                            "deadline": "2099-01-01T00:00:00Z", "resources": ["vm"]})
# Webhooks to address and to delete; nothing listens on the discard port, so deliveries
# fail and are retried without reaching anything.
for hook in ["hook", "hook-del"]:
    call("POST", f"{P}/webhooks", {"name": hook, "url": "http://127.0.0.1:9/hook", "secret": "fuzz-secret-0123456789"})

# Fields that name another resource or a server-side thing draw their values from what
# exists: a JSON Schema can say a name's shape, not that it names something, and a
# random name is rightly refused (400, naming the field).
dictionaries = {
    "instance_type": itypes,
    "image": images,
    "subnet": ["net"],
    "vpc": ["net"],
    "connection": ["fast"],
    "instance": ["vm"],
    "key_pair": ["key"],
    "security_groups[*]": ["sg"],
    "volumes[*]": ["vol"],
    "snapshot": ["snap"],
    "zone": zones,
    "template": templates,
    "driver": ["sim"],
    "project": ["fuzz"],
    "public_key": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPvsGmumMNYICdnIs4LDyDZyasKBsIIqGkxquto1PsVp fuzz"],
    # Inside the seeded VPC (10.0.0.0/16) and also fine as a VPC of its own.
    "cidr": [f"10.0.{i}.0/24" for i in range(100, 200)],
    "remote_cidr": ["0.0.0.0/0", "10.0.0.0/8", "192.168.1.0/24"],
    "volume_type": volume_types,
    "confirm": ["prov"],
    "install_media": images,
    "profile": ["prof"],
    "reseller": ["default", "res"],
    "customer": ["default", "cus"],
    "resources[*]": ["vm"],
    "notify_before[*]": ["24h", "1h", "30m", "90s", "2d"],
    "url": ["http://127.0.0.1:9/hook", "https://127.0.0.1:9/other"],
}

# Where a request valid by the schema may still be refused with 400 because the rule
# relates it to other fields or to what exists (the document says so in words; JSON
# Schema cannot): the positive-data check accepts 400 there and only there.
ACCEPTED = ["2xx", "401", "403", "404", "409", "429"]
relational = {
    "usage": "`from` must be before `to`",
    "reseller_usage": "`from` must be before `to`",
    "customer_usage": "`from` must be before `to`",
    "project_create": "the customer must be one of the reseller's",
    "user_create": "the customer must be one of the reseller's",
    "history_list": "`provisioning` names a provisioning in the history",
    "connection_create": "settings, region and zone are the driver's to check",
    "connection_update": "settings are the driver's to check",
    "drift_adopt": "provider_id names a resource at the provider",
    "drift_delete": "provider_id names a resource at the provider",
    "drift_unregister": "name names a gureum resource of that kind",
    "template_create": "the document must be a template",
    "provisioning_create": "parameters follow the template's own schema",
    "provisioning_plan": "parameters follow the template's own schema",
    "rule_create": "ports only for tcp/udp; no overlap with the group's rules",
    "subnet_create": "the CIDR lies in the VPC's and overlaps no sibling",
    "volume_create": "an image or a snapshot, not both; sizes within the image's",
    "volume_extend": "the new size exceeds the current one",
    "instance_resize": "the new type differs from the current one",
    # The schema says each once, but a dictionary of the few seeded names repeats them.
    "instance_create": "volumes and security groups name seeded resources, each once",
    "vm_profile_create": "the install media is an image of the base profile's OS family",
    "vm_profile_update": "the install media is an image of the profile's OS family",
    "vm_template_create": "a template pool, a node of it, a profile's sizes",
    "vm_template_update": "a disk only grows; only do_not_use is set directly",
    "persistent_vm_create": "a released template; a persistent pool and node; a stack and environment that fit",
    "node_share": "a node of another pool of the same connection, not shared yet",
    "maintenance_task_create": "a deadline (mandatory) or recommended date (recommended), not both; "
    "rate values; instances of the project, each once; what to apply as its type reads it "
    "(apply.kernel, apply.version or apply.settings), downtime for an update that restarts",
    "maintenance_task_schedule": "`at` is not in the past",
    "maintenance_resource_schedule": "`at` is not in the past",
    "webhook_create": "an http(s) URL with a host and no user or password, not a link-local, "
    "unspecified, broadcast or multicast address",
}

params = {
    "project": "fuzz",
    "connection": "fast",
    "vpc": "net",
    "subnet": "net",
    "security_group": "sg",
    "rule": rule["id"],
    "key_pair": "key",
    "volume": "vol",
    "snapshot": "snap",
    "public_ip": "ip",
    "instance": "vm",
    "instance_type": itype,
    "image": image,
    "operation": instance["operation_id"],
    "user": "someone",
    "token": token,
    "template": template,
    "provisioning": "prov",
    "event": event,
    "pool": "pool",
    "node": "node",
    "profile": "prof",
    "stack": "stack",
    "vm_template": vm_templates[0],
    "vm": persistent_vms[0],
    "reseller": "res",
    "customer": "cus",
    "task": "mt",
    "resource": "vm",
    "webhook": "hook",
}
deleted = dict(
    params,
    project="fuzz-del",
    connection="conn-del",
    vpc="vpc-del",
    subnet="sub-del",
    security_group="sg-del",
    key_pair="key-del",
    volume="vol-del",
    snapshot="snap-del",
    public_ip="ip-del",
    instance="vm-del",
    user="member-del",
    profile="prof-del",
    stack="stack-del",
    reseller="res-del",
)


def table(values):
    return "{ " + ", ".join(f'"path.{k}" = {json.dumps(v)}' for k, v in values.items()) + " }"


def delete_op(path, values):
    return f'[[operations]]\ninclude-method = "DELETE"\ninclude-path = "{path}"\nparameters = {table(values)}\n'


def key(field):
    return field.replace("[*]", "").replace("_", "-")


with open(OUT, "w") as f:
    # The stateful phase follows links it infers from responses, but the path parameters
    # are pinned to the seeded resources, so a link's created resource is never the one
    # its next step addresses (false "created resource not found").
    # Each run starts fresh (a fixed seed makes it repeatable); nothing lands in the tree.
    f.write("[cache]\nenabled = false\n\n")
    f.write("[phases.stateful]\nenabled = false\n\n")
    # The coverage phase derives boundary values from the schema alone (the dictionaries
    # below do not reach it), so a field that names a resource gets "" or "A", which the
    # server rightly refuses with 400 naming the field. The fuzzing phase, which draws
    # such fields from the dictionaries, keeps the strict check.
    f.write("[phases.coverage.checks.positive_data_acceptance]\n")
    f.write(f"expected-statuses = {json.dumps(ACCEPTED + ['400'])}\n\n")
    for field, values in dictionaries.items():
        f.write(f"[dictionaries.{key(field)}]\nvalues = {json.dumps(values)}\n\n")
    f.write("[parameters]\n")
    for k, v in params.items():
        f.write(f'"path.{k}" = {json.dumps(v)}\n')
    for field in dictionaries:
        f.write(f'"body.{field}" = {{ dictionary = "{key(field)}" }}\n')
    # A cursor is opaque and signed: only one the server issued is valid.
    f.write('"query.cursor" = ""\n\n')
    for op, why in relational.items():
        f.write(f'# {why}\n[[operations]]\ninclude-operation-id = "{op}"\n')
        if op == "drift_unregister":
            f.write('parameters = { "body.project" = "fuzz-drift" }\n')
        f.write(f"[operations.checks.positive_data_acceptance]\nexpected-statuses = {json.dumps(ACCEPTED + ['400'])}\n\n")
    # Project-level deletes take the project of their own; resource deletes keep the
    # project and take the doomed resource.
    f.write(delete_op("/v1/projects/{project}", deleted))
    f.write(delete_op("/v1/connections/{connection}", deleted))
    f.write(delete_op("/v1/resellers/{reseller}", deleted))
    f.write(delete_op("/v1/resellers/{reseller}/customers/{customer}", dict(params, customer="cus-del")))
    f.write(delete_op("/v1/pools/{pool}", dict(params, pool="pool-del")))
    f.write(delete_op("/v1/pools/{pool}/nodes/{node}", dict(params, node="node-del")))
    f.write(delete_op("/v1/vm-templates/{vm_template}", dict(params, vm_template=vm_templates[1])))
    f.write(delete_op("/v1/pools/{pool}/shared-nodes/{node}", dict(params, pool="share-del")))
    f.write(delete_op("/v1/projects/{project}/persistent-vms/{vm}", dict(params, vm=persistent_vms[1])))
    f.write(delete_op("/v1/projects/{project}/images/{image}", dict(params, image="img-del")))
    f.write(delete_op("/v1/projects/{project}/maintenance-tasks/{task}", dict(params, task="mt-del")))
    f.write(delete_op("/v1/projects/{project}/webhooks/{webhook}", dict(params, webhook="hook-del")))
    f.write(f'[[operations]]\ninclude-path = "/v1/projects/{{project}}/images/{{image}}"\n')
    f.write(f"parameters = {table(dict(params, image='img'))}\n")
    in_project = dict(deleted, project="fuzz")
    for path in [
        "/v1/projects/{project}/vpcs/{vpc}",
        "/v1/projects/{project}/subnets/{subnet}",
        "/v1/projects/{project}/security-groups/{security_group}",
        "/v1/projects/{project}/key-pairs/{key_pair}",
        "/v1/projects/{project}/volumes/{volume}",
        "/v1/projects/{project}/public-ips/{public_ip}",
        "/v1/projects/{project}/instances/{instance}",
        "/v1/projects/{project}/members/{user}",
    ]:
        f.write(delete_op(path, in_project))
    f.write(delete_op("/v1/projects/{project}/vpcs/{vpc}/subnets/{subnet}", dict(in_project, vpc="net")))
    f.write(delete_op("/v1/projects/{project}/volumes/{volume}/snapshots/{snapshot}", dict(params, snapshot="snap-del")))
    f.write(
        delete_op(
            "/v1/projects/{project}/security-groups/{security_group}/rules/{rule}", dict(params, rule=rule_del["id"])
        )
    )
print(f"seeded project fuzz: instance type {itype}, image {image}, template {template}, volume types {volume_types}")
