"""Drives a live server through the client openapi-python-client generated from
docs/openapi.json: a project, VPC, subnet, key pair and instance, read back.

Usage: client_test.py BASE_URL TOKEN
"""

import sys

from gureum_client import AuthenticatedClient
from gureum_client.api.compute import instance_create, instance_get, key_pair_create
from gureum_client.api.iam import project_create
from gureum_client.api.network import subnet_create, vpc_create
from gureum_client.api.operations import operation_get
from gureum_client.api.catalog import image_list, instance_type_list
from gureum_client.models import (
    InstanceCreate,
    KeyPairCreate,
    ProjectCreate,
    SubnetCreate,
    VpcCreate,
)

client = AuthenticatedClient(base_url=sys.argv[1], token=sys.argv[2], raise_on_unexpected_status=True)
P = "client"


def parsed(resp, status):
    """The typed body of a response with the expected status."""
    assert resp.status_code == status, f"{resp.status_code}: {resp.content!r}"
    assert resp.parsed is not None, f"no typed body for {resp.content!r}"
    return resp.parsed


def settle(view):
    op = parsed(operation_get.sync_detailed(P, str(view.operation_id), client=client, wait_seconds=60), 200)
    assert op.status.value == "succeeded", op
    return view


parsed(project_create.sync_detailed(client=client, body=ProjectCreate(name=P)), 201)
settle(parsed(vpc_create.sync_detailed(P, client=client, body=VpcCreate(name="net", cidr="10.1.0.0/16")), 202))
settle(parsed(subnet_create.sync_detailed(P, "net", client=client, body=SubnetCreate(name="web", cidr="10.1.1.0/24")), 202))
key = settle(parsed(key_pair_create.sync_detailed(P, client=client, body=KeyPairCreate(name="key")), 202))
itype = parsed(instance_type_list.sync_detailed(client=client), 200)[0].name
image = parsed(image_list.sync_detailed(client=client), 200).items[0].name
body = InstanceCreate(name="vm", instance_type=itype, image=image, subnet="web", key_pair=key.name)
settle(parsed(instance_create.sync_detailed(P, client=client, body=body), 202))
vm = parsed(instance_get.sync_detailed(P, "vm", client=client), 200)
assert (vm.name, vm.subnet, vm.key_pair, vm.state.value) == ("vm", "web", "key", "Active"), vm
print(f"generated client: created and read back instance {vm.name} ({vm.state.value}, {vm.private_ip})")
