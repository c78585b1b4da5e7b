//! Security-group rules on user-mode networking, which has two switches: the public IP's
//! forwards, one per TCP port an inbound rule opens (added and removed on a running VM),
//! and `restrict`, which cuts the guest off from everything outside it and is set at
//! launch.

use gureum_driver::{RuleOutcome, RuleSpec};
use gureum_model::network::{Direction, Protocol, Rule};
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

/// Where a public IP's connections come from: the forwards listen on the host's loopback.
const FORWARD_SOURCE: Ipv4Addr = Ipv4Addr::LOCALHOST;
pub(crate) const SSH: u16 = 22;
/// The most ports a public IP forwards, and the widest range a rule may open: each
/// forward is a listening port of the host.
pub(crate) const MAX_FORWARDS: usize = 32;

/// What a VM's security groups let through, all their rules together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Policy {
    /// The guest's TCP ports the public IP forwards to: at most [`MAX_FORWARDS`], port 22
    /// first when it is open, then the lowest.
    pub forwards: BTreeSet<u16>,
    /// The guest may reach out (else its netdev is `restrict=on`).
    pub outbound: bool,
}

impl Policy {
    pub fn of<'a>(rules: impl IntoIterator<Item = &'a RuleSpec>) -> Policy {
        let rules: Vec<Rule> = rules.into_iter().filter_map(parse).collect();
        let open: BTreeSet<u16> =
            rules.iter().filter(|r| r.remote.contains(&FORWARD_SOURCE)).flat_map(forwardable).collect();
        let ssh = open.get(&SSH).copied();
        let forwards = ssh.into_iter().chain(open.into_iter().filter(|p| *p != SSH)).take(MAX_FORWARDS).collect();
        Policy { forwards, outbound: rules.iter().any(opens_all_outbound) }
    }
}

/// Whether each rule is enforced, and why not when it is not.
pub(crate) fn outcomes(rules: &[RuleSpec]) -> Vec<RuleOutcome> {
    let forwarded = Policy::of(rules).forwards;
    rules
        .iter()
        .map(|spec| {
            let (applied, note) = match parse(spec) {
                Some(r) if opens_tcp(&r) && forwardable(&r).next().is_none() => (
                    false,
                    Some(format!(
                        "a QEMU VM's public IP forwards single TCP ports and ranges of at most {MAX_FORWARDS}; \
                         this rule opens nothing"
                    )),
                ),
                Some(r) if opens_tcp(&r) && !small(&r) => (
                    true,
                    Some(format!("of these ports only {SSH} is forwarded (ranges of at most {MAX_FORWARDS} are)")),
                ),
                Some(r)
                    if opens_tcp(&r)
                        && r.remote.contains(&FORWARD_SOURCE)
                        && forwardable(&r).any(|p| !forwarded.contains(&p)) =>
                {
                    (
                        true,
                        Some(format!("a public IP forwards at most {MAX_FORWARDS} ports; some of this rule's are not")),
                    )
                }
                Some(r) if opens_tcp(&r) => (true, None),
                Some(r) if opens_all_outbound(&r) => {
                    (true, Some("outbound opens at each VM's next launch (QEMU sets `restrict` when it starts)".into()))
                }
                Some(r) if r.direction == Direction::Inbound => {
                    (false, Some("a QEMU VM's public IP forwards TCP ports only; this rule opens nothing".into()))
                }
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

/// An inbound rule that decides about TCP ports: it opens their forwards when it allows
/// the forwards' source, and keeps them closed otherwise — enforced either way.
fn opens_tcp(r: &Rule) -> bool {
    r.direction == Direction::Inbound && matches!(r.protocol, Protocol::Tcp | Protocol::All)
}

/// Whether a rule's ports are few enough to be forwarded each.
fn small(r: &Rule) -> bool {
    r.ports.is_some_and(|(from, to)| usize::from(to - from) < MAX_FORWARDS)
}

/// The TCP ports an inbound rule may forward: all of a small range; of a wider one (or
/// of all ports) only port 22, which every rule covering it opened before forwards went
/// beyond SSH.
fn forwardable(r: &Rule) -> impl Iterator<Item = u16> + use<> {
    let (from, to) = r.ports.unwrap_or((1, u16::MAX));
    let ports = match () {
        _ if !opens_tcp(r) => None,
        _ if small(r) => Some(from..=to),
        _ if (from..=to).contains(&SSH) => Some(SSH..=SSH),
        _ => None,
    };
    ports.into_iter().flatten()
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

    fn ports(p: &Policy) -> Vec<u16> {
        p.forwards.iter().copied().collect()
    }

    #[test]
    fn tcp_ports_from_loopback_are_forwarded_and_only_allow_all_opens_outbound() {
        let ssh = rule("inbound", "tcp", Some((22, 22)), "0.0.0.0/0");
        let ssh_elsewhere = rule("inbound", "tcp", Some((20, 30)), "10.0.0.0/8");
        let web = rule("inbound", "tcp", Some((80, 80)), "0.0.0.0/0");
        let dns = rule("inbound", "udp", Some((53, 53)), "0.0.0.0/0");
        let out_all = rule("outbound", "all", None, "0.0.0.0/0");
        let out_https = rule("outbound", "tcp", Some((443, 443)), "0.0.0.0/0");
        let closed = Policy { forwards: BTreeSet::new(), outbound: false };
        assert_eq!(Policy::of([]), closed);
        assert_eq!(Policy::of([&ssh_elsewhere, &dns, &out_https]), closed);
        assert_eq!(ports(&Policy::of([&web])), [80]);
        assert_eq!(Policy::of([&ssh, &web, &out_all]), Policy { forwards: [22, 80].into(), outbound: true });
        // Every port (a protocol-wide rule, or a wide range) opens port 22 alone.
        assert_eq!(ports(&Policy::of([&rule("inbound", "all", None, "127.0.0.0/8")])), [22]);
        assert_eq!(ports(&Policy::of([&rule("inbound", "tcp", Some((1, 1024)), "0.0.0.0/0")])), [22]);
        assert_eq!(ports(&Policy::of([&rule("inbound", "tcp", Some((8000, 8009)), "0.0.0.0/0")])).len(), 10);

        let rules = [ssh, ssh_elsewhere, web, out_all, out_https, dns];
        let applied: Vec<bool> = outcomes(&rules).iter().map(|o| o.applied).collect();
        assert_eq!(applied, [true, true, true, true, false, false]);
        let notes = outcomes(&rules);
        assert!(notes[3].note.as_deref().unwrap().contains("next launch"), "{notes:?}");
        assert!(notes[4].note.as_deref().unwrap().contains("all or nothing"), "{notes:?}");
        assert!(notes[5].note.as_deref().unwrap().contains("TCP ports only"), "{notes:?}");
    }

    #[test]
    fn at_most_32_ports_are_forwarded_port_22_first() {
        let many = rule("inbound", "tcp", Some((1000, 1031)), "0.0.0.0/0");
        let ssh = rule("inbound", "tcp", Some((22, 22)), "0.0.0.0/0");
        let wide = rule("inbound", "tcp", Some((2000, 3000)), "0.0.0.0/0");
        let policy = Policy::of([&many, &ssh]);
        assert_eq!(policy.forwards.len(), MAX_FORWARDS);
        assert!(policy.forwards.contains(&22) && !policy.forwards.contains(&1031), "{policy:?}");
        let notes = outcomes(&[many, ssh, wide]);
        assert!(notes[0].note.as_deref().unwrap().contains("at most 32 ports"), "{notes:?}");
        assert_eq!(notes[1].note, None);
        assert!(!notes[2].applied && notes[2].note.as_deref().unwrap().contains("opens nothing"), "{notes:?}");
    }
}
