//! VPCs, subnets, security groups, key pairs and public IPs.

use super::{Ctx, conflict, invalid, require};
use crate::record::{AttachedIp, Body, PublicIp, Usage};
use crate::settings::Operation;
use crate::state::{State, host_range};
use gureum_driver::{DriverError, DriverResult, ProviderStatus, ResourceKind, RuleOutcome, RuleSpec};
use gureum_model::network::{Direction, Protocol, Rule};
use ipnet::Ipv4Net;

const KEY_TYPES: &[&str] =
    &["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"];

/// A CIDR as clouds take it: IPv4, written as its network address.
fn parse_cidr(s: &str) -> DriverResult<Ipv4Net> {
    let net: Ipv4Net = s.parse().map_err(|_| invalid(format!("{s:?} is not an IPv4 CIDR")))?;
    if net.trunc() != net {
        return Err(invalid(format!("{s} is not a network address; did you mean {}?", net.trunc())));
    }
    Ok(net)
}

/// The rules a provider checks on its own, whatever the caller validated before.
fn check_rule(r: &RuleSpec) -> DriverResult<()> {
    let bad = |what: String| invalid(format!("rule {}: {what}", r.id));
    let direction = Direction::parse(&r.direction)
        .ok_or_else(|| bad(format!("direction must be one of {}", Direction::spellings())))?;
    let protocol = Protocol::parse(&r.protocol)
        .ok_or_else(|| bad(format!("protocol must be one of {}", Protocol::spellings())))?;
    Rule::validate(direction, protocol, r.port_from, r.port_to, Some(&r.remote_cidr))
        .map_err(|e| bad(e.to_string()))?;
    Ok(())
}

impl State {
    pub(super) fn create_vpc(&mut self, ctx: &Ctx, name: String, tag: String, cidr: &str) -> DriverResult<String> {
        let cidr = parse_cidr(cidr)?;
        let id = self.fresh_id(ResourceKind::Vpc);
        self.add(ctx, id.clone(), name, tag, Body::Vpc { cidr }, ProviderStatus::Available);
        Ok(id)
    }

    pub(super) fn create_subnet(
        &mut self,
        ctx: &Ctx,
        name: String,
        tag: String,
        vpc: Option<String>,
        cidr: &str,
        zone: String,
    ) -> DriverResult<String> {
        self.check_zone(&zone)?;
        let net = parse_cidr(cidr)?;
        if host_range(net).is_none() {
            return Err(invalid(format!(
                "subnet {net} has no usable addresses: the first four and the last are reserved; use /29 or larger"
            )));
        }
        if let Some(vpc_id) = &vpc {
            let v = self.find(ResourceKind::Vpc, vpc_id)?;
            require(v, &[ProviderStatus::Available], "adding a subnet")?;
            if let Body::Vpc { cidr: outer } = &v.body
                && !outer.contains(&net)
            {
                return Err(invalid(format!("subnet {net} is not inside {vpc_id}'s CIDR {outer}")));
            }
        }
        let overlap = self.records().find_map(|r| match &r.body {
            Body::Subnet { vpc: v, cidr: other, .. } if *v == vpc && (other.contains(&net) || net.contains(other)) => {
                Some(format!("subnet {net} overlaps {} ({other})", r.id))
            }
            _ => None,
        });
        if let Some(msg) = overlap {
            return Err(invalid(msg));
        }
        let id = self.fresh_id(ResourceKind::Subnet);
        self.add(ctx, id.clone(), name, tag, Body::Subnet { vpc, cidr: net, zone }, ProviderStatus::Available);
        Ok(id)
    }

    pub(super) fn create_security_group(
        &mut self,
        ctx: &Ctx,
        name: String,
        tag: String,
        vpc: Option<String>,
    ) -> DriverResult<String> {
        if let Some(vpc_id) = &vpc {
            require(self.find(ResourceKind::Vpc, vpc_id)?, &[ProviderStatus::Available], "adding a security group")?;
        }
        let id = self.fresh_id(ResourceKind::SecurityGroup);
        let body = Body::SecurityGroup { vpc, rules: vec![] };
        self.add(ctx, id.clone(), name, tag, body, ProviderStatus::Available);
        Ok(id)
    }

    pub fn set_rules(&mut self, ctx: &Ctx, sg: &str, rules: &[RuleSpec]) -> DriverResult<Vec<RuleOutcome>> {
        let rec = self.find(ResourceKind::SecurityGroup, sg)?;
        require(rec, &[ProviderStatus::Available, ProviderStatus::Updating], "changing rules")?;
        rules.iter().try_for_each(check_rule)?;
        self.enforce(ctx, &gureum_driver::Intent::Rules(rules))?;
        let pending = ctx.pending(Operation::SecurityGroupRules, Some(ProviderStatus::Available));
        self.edit(sg, |r| {
            if let Body::SecurityGroup { rules: stored, .. } = &mut r.body {
                *stored = rules.to_vec();
            }
            r.begin(ProviderStatus::Updating, pending);
        });
        Ok(ctx.settings.profile.rule_outcomes(rules))
    }

    pub(super) fn create_key_pair(
        &mut self,
        ctx: &Ctx,
        name: String,
        tag: String,
        public_key: String,
    ) -> DriverResult<String> {
        let key_type = public_key.split_whitespace().next().unwrap_or_default();
        if !KEY_TYPES.contains(&key_type) {
            return Err(invalid(format!(
                "the public key must be in OpenSSH format starting with one of {}",
                KEY_TYPES.join(", ")
            )));
        }
        let id = self.fresh_id(ResourceKind::KeyPair);
        self.add(ctx, id.clone(), name, tag, Body::KeyPair { public_key }, ProviderStatus::Available);
        Ok(id)
    }

    pub(super) fn create_public_ip(
        &mut self,
        ctx: &Ctx,
        name: String,
        tag: String,
        zone: String,
    ) -> DriverResult<String> {
        self.check_zone(&zone)?;
        self.reserve(&zone, Usage { public_ips: 1, ..Usage::default() }, &ctx.settings.capacity)?;
        let address = self
            .allocate_public_ip()
            .ok_or_else(|| DriverError::Capacity("the public address pools are exhausted".into()))?;
        let id = self.fresh_id(ResourceKind::PublicIp);
        let body = Body::PublicIp(PublicIp { zone, address, attached_to: None });
        self.add(ctx, id.clone(), name, tag, body, ProviderStatus::Available);
        Ok(id)
    }

    pub fn public_ip_associate(&mut self, ctx: &Ctx, ip_id: &str, vm_id: &str) -> DriverResult<()> {
        let (ip_rec, ip) = self.find_public_ip(ip_id)?;
        let (vm_rec, vm) = self.find_vm(vm_id)?;
        if let Some(other) = &ip.attached_to {
            return Err(conflict(format!("public IP {ip_id} is already associated with {other}")));
        }
        require(ip_rec, &[ProviderStatus::Available], "associating")?;
        if let Some(other) = &vm.public_ip {
            return Err(conflict(format!("vm {vm_id} already has public IP {} ({})", other.id, other.address)));
        }
        require(vm_rec, &[ProviderStatus::Running, ProviderStatus::Stopped], "associating a public IP")?;
        if ip.zone != vm.zone {
            return Err(invalid(format!("public IP {ip_id} is in zone {}, vm {vm_id} in zone {}", ip.zone, vm.zone)));
        }
        let address = ip.address;
        let pending = ctx.pending(Operation::PublicIpAssociate, Some(ProviderStatus::InUse));
        self.edit(ip_id, |r| {
            if let Body::PublicIp(ip) = &mut r.body {
                ip.attached_to = Some(vm_id.to_string());
            }
            r.begin(ProviderStatus::Updating, pending);
        });
        self.edit(vm_id, |r| {
            if let Body::Vm(vm) = &mut r.body {
                vm.public_ip = Some(AttachedIp { id: ip_id.to_string(), address });
            }
        });
        Ok(())
    }

    pub fn public_ip_disassociate(&mut self, ctx: &Ctx, ip_id: &str, vm_id: &str) -> DriverResult<()> {
        let (ip_rec, ip) = self.find_public_ip(ip_id)?;
        self.find_vm(vm_id)?;
        if ip.attached_to.as_deref() != Some(vm_id) {
            return Err(conflict(format!("public IP {ip_id} is not associated with {vm_id}")));
        }
        require(ip_rec, &[ProviderStatus::InUse], "disassociating")?;
        let pending = ctx.pending(Operation::PublicIpDisassociate, Some(ProviderStatus::Available));
        self.edit(ip_id, |r| {
            if let Body::PublicIp(ip) = &mut r.body {
                ip.attached_to = None;
            }
            r.begin(ProviderStatus::Updating, pending);
        });
        self.edit(vm_id, |r| {
            if let Body::Vm(vm) = &mut r.body {
                vm.public_ip = None;
            }
        });
        Ok(())
    }
}
