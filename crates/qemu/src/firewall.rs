//! Security-group rules on user-mode networking, which has two switches: the public IP's
//! forward to the guest's port 22 (added and removed on a running VM), and `restrict`,
//! which cuts the guest off from everything outside it and is set at launch.

use gureum_driver::{RuleOutcome, RuleSpec};
use gureum_model::network::{Direction, Protocol, Rule};
use std::net::Ipv4Addr;

/// Where a public IP's connections come from: the forward listens on the host's loopback.
const FORWARD_SOURCE: Ipv4Addr = Ipv4Addr::LOCALHOST;
const SSH: u16 = 22;

/// What a VM's security groups let through, all their rules together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Policy {
    /// The public IP's forward to port 22 may exist.
    pub ssh_forward: bool,
    /// The guest may reach out (else its netdev is `restrict=on`).
    pub outbound: bool,
}

impl Policy {
    pub fn of<'a>(rules: impl IntoIterator<Item = &'a RuleSpec>) -> Policy {
        let rules: Vec<Rule> = rules.into_iter().filter_map(parse).collect();
        Policy {
            ssh_forward: rules.iter().any(|r| covers_ssh(r) && r.remote.contains(&FORWARD_SOURCE)),
            outbound: rules.iter().any(opens_all_outbound),
        }
    }
}

/// Whether each rule is enforced, and why not when it is not.
pub(crate) fn outcomes(rules: &[RuleSpec]) -> Vec<RuleOutcome> {
    rules
        .iter()
        .map(|spec| {
            let (applied, note) = match parse(spec) {
                Some(r) if covers_ssh(&r) => (true, None),
                Some(r) if opens_all_outbound(&r) => {
                    (true, Some("outbound opens at each VM's next launch (QEMU sets `restrict` when it starts)".into()))
                }
                Some(r) if r.direction == Direction::Inbound => (
                    false,
                    Some(
                        "a QEMU VM is reachable only on port 22 through its public IP; this rule opens nothing".into(),
                    ),
                ),
                Some(_) => (
                    false,
                    Some(
                        "user-mode networking opens outbound all or nothing: only an all-protocol rule to \
                         0.0.0.0/0 opens it"
                            .into(),
                    ),
                ),
                None => (false, Some("the rule could not be read".into())),
            };
            RuleOutcome { id: spec.id.clone(), applied, note }
        })
        .collect()
}

fn parse(spec: &RuleSpec) -> Option<Rule> {
    let direction = Direction::parse(&spec.direction)?;
    let protocol = Protocol::parse(&spec.protocol)?;
    Rule::validate(direction, protocol, spec.port_from, spec.port_to, Some(&spec.remote_cidr)).ok()
}

/// An inbound rule that decides about port 22: it opens the forward when it allows the
/// forward's source, and keeps it closed otherwise — enforced either way.
fn covers_ssh(r: &Rule) -> bool {
    r.direction == Direction::Inbound
        && matches!(r.protocol, Protocol::Tcp | Protocol::All)
        && r.ports.is_none_or(|(from, to)| (from..=to).contains(&SSH))
}

fn opens_all_outbound(r: &Rule) -> bool {
    r.direction == Direction::Outbound && r.protocol == Protocol::All && r.remote.prefix_len() == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(direction: &str, protocol: &str, ports: Option<(i64, i64)>, cidr: &str) -> RuleSpec {
        RuleSpec {
            id: format!("{direction}-{protocol}-{ports:?}-{cidr}"),
            direction: direction.into(),
            protocol: protocol.into(),
            port_from: ports.map(|p| p.0),
            port_to: ports.map(|p| p.1),
            remote_cidr: cidr.into(),
        }
    }

    #[test]
    fn port_22_from_loopback_opens_the_forward_and_only_allow_all_opens_outbound() {
        let ssh = rule("inbound", "tcp", Some((22, 22)), "0.0.0.0/0");
        let ssh_elsewhere = rule("inbound", "tcp", Some((20, 30)), "10.0.0.0/8");
        let web = rule("inbound", "tcp", Some((80, 80)), "0.0.0.0/0");
        let out_all = rule("outbound", "all", None, "0.0.0.0/0");
        let out_https = rule("outbound", "tcp", Some((443, 443)), "0.0.0.0/0");
        let closed = Policy { ssh_forward: false, outbound: false };
        assert_eq!(Policy::of([]), closed);
        assert_eq!(Policy::of([&ssh_elsewhere, &web, &out_https]), closed);
        assert_eq!(Policy::of([&ssh, &out_all]), Policy { ssh_forward: true, outbound: true });
        assert!(Policy::of([&rule("inbound", "all", None, "127.0.0.0/8")]).ssh_forward);

        let rules = [ssh, ssh_elsewhere, web, out_all, out_https];
        let applied: Vec<bool> = outcomes(&rules).iter().map(|o| o.applied).collect();
        assert_eq!(applied, [true, true, false, true, false]);
        let notes = outcomes(&rules);
        assert!(notes[2].note.as_deref().unwrap().contains("only on port 22"), "{notes:?}");
        assert!(notes[3].note.as_deref().unwrap().contains("next launch"), "{notes:?}");
        assert!(notes[4].note.as_deref().unwrap().contains("all or nothing"), "{notes:?}");
    }
}
