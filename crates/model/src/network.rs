//! Network rules: VPC and subnet CIDRs, security-group rules.

use crate::FieldError;
use crate::spelled_enum;
use ipnet::Ipv4Net;

/// VPCs use private address space only (RFC 1918).
const PRIVATE_RANGES: [&str; 3] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];
pub const VPC_PREFIX_RANGE: (u8, u8) = (8, 28);
pub const SUBNET_PREFIX_RANGE: (u8, u8) = (16, 29);

/// Parses `a.b.c.d/n`, insisting on the network address itself (`10.0.0.0/16`, not
/// `10.0.0.1/16`) so that what is stored is what the user meant.
pub fn parse_cidr(field: &str, s: &str) -> Result<Ipv4Net, FieldError> {
    let net: Ipv4Net = s
        .parse()
        .map_err(|_| FieldError::new(field, format!("must be an IPv4 CIDR such as 10.0.0.0/16, got {s:?}")))?;
    if net.network() != net.addr() {
        return Err(FieldError::new(field, format!("must be a network address: did you mean {}?", net.trunc())));
    }
    Ok(net)
}

fn check_prefix(field: &str, net: Ipv4Net, (lo, hi): (u8, u8)) -> Result<(), FieldError> {
    if net.prefix_len() < lo || net.prefix_len() > hi {
        return Err(FieldError::new(field, format!("prefix length must be between /{lo} and /{hi}")));
    }
    Ok(())
}

pub fn validate_vpc_cidr(s: &str) -> Result<Ipv4Net, FieldError> {
    let net = parse_cidr("cidr", s)?;
    check_prefix("cidr", net, VPC_PREFIX_RANGE)?;
    let private = PRIVATE_RANGES.iter().any(|r| r.parse::<Ipv4Net>().expect("constant").contains(&net));
    if !private {
        return Err(FieldError::new(
            "cidr",
            "must be inside a private range: 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16",
        ));
    }
    Ok(net)
}

/// A subnet lies inside its VPC and overlaps none of the VPC's other subnets.
pub fn validate_subnet_cidr<'a>(
    s: &str,
    vpc: Ipv4Net,
    siblings: impl IntoIterator<Item = (&'a str, Ipv4Net)>,
) -> Result<Ipv4Net, FieldError> {
    let net = parse_cidr("cidr", s)?;
    check_prefix("cidr", net, SUBNET_PREFIX_RANGE)?;
    if !vpc.contains(&net) {
        return Err(FieldError::new("cidr", format!("must lie inside the VPC's CIDR {vpc}")));
    }
    for (name, other) in siblings {
        if other.contains(&net) || net.contains(&other) {
            return Err(FieldError::new("cidr", format!("overlaps subnet {name} ({other})")));
        }
    }
    Ok(net)
}

spelled_enum! {
    pub enum Direction {
        Inbound => "inbound",
        Outbound => "outbound",
    }
}

spelled_enum! {
    pub enum Protocol {
        Tcp => "tcp",
        Udp => "udp",
        Icmp => "icmp",
        All => "all",
    }
}

/// A validated security-group rule: ports are a closed range, `1..=65535` when the
/// request named none, and absent for protocols without ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub direction: Direction,
    pub protocol: Protocol,
    pub ports: Option<(u16, u16)>,
    pub remote: Ipv4Net,
}

impl Rule {
    pub fn validate(
        direction: Direction,
        protocol: Protocol,
        port_from: Option<i64>,
        port_to: Option<i64>,
        remote_cidr: Option<&str>,
    ) -> Result<Rule, FieldError> {
        let ports = match protocol {
            Protocol::Tcp | Protocol::Udp => {
                let from = port_from.unwrap_or(1);
                let to = port_to.unwrap_or(if port_from.is_some() { from } else { 65_535 });
                crate::validation::in_range("port_from", from, 1, 65_535)?;
                crate::validation::in_range("port_to", to, 1, 65_535)?;
                if from > to {
                    return Err(FieldError::new("port_to", format!("must be at least port_from ({from})")));
                }
                Some((from as u16, to as u16))
            }
            Protocol::Icmp | Protocol::All => {
                if port_from.is_some() || port_to.is_some() {
                    return Err(FieldError::new(
                        if port_from.is_some() { "port_from" } else { "port_to" },
                        format!("ports apply only to tcp and udp, not {protocol}"),
                    ));
                }
                None
            }
        };
        let remote = match remote_cidr {
            Some(s) => parse_cidr("remote_cidr", s)?,
            None => Ipv4Net::default(),
        };
        Ok(Rule { direction, protocol, ports, remote })
    }

    /// Whether two rules of the same direction and protocol cover a common port.
    pub fn overlaps(&self, other: &Rule) -> bool {
        if self.direction != other.direction || self.protocol != other.protocol {
            return false;
        }
        match (self.ports, other.ports) {
            (Some((a1, a2)), Some((b1, b2))) => a1 <= b2 && b1 <= a2,
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vpc_cidrs() {
        assert!(validate_vpc_cidr("10.0.0.0/16").is_ok());
        assert!(validate_vpc_cidr("10.0.0.1/16").unwrap_err().rule.contains("10.0.0.0/16"));
        assert!(validate_vpc_cidr("8.8.0.0/16").unwrap_err().rule.contains("private"));
        assert!(validate_vpc_cidr("10.0.0.0/30").unwrap_err().rule.contains("/8 and /28"));
        assert!(validate_vpc_cidr("banana").unwrap_err().rule.contains("IPv4 CIDR"));
        assert!(validate_vpc_cidr("10.0.0.0/33").is_err());
    }

    #[test]
    fn subnet_inside_and_no_overlap() {
        let vpc: Ipv4Net = "10.0.0.0/16".parse().unwrap();
        let a: Ipv4Net = "10.0.1.0/24".parse().unwrap();
        assert!(validate_subnet_cidr("10.0.2.0/24", vpc, [("a", a)]).is_ok());
        assert!(validate_subnet_cidr("10.1.0.0/24", vpc, []).unwrap_err().rule.contains("inside"));
        let e = validate_subnet_cidr("10.0.1.128/25", vpc, [("a", a)]).unwrap_err();
        assert!(e.rule.contains("overlaps subnet a"), "{}", e.rule);
        assert!(validate_subnet_cidr("10.0.0.0/16", vpc, [("a", a)]).is_err());
    }

    #[test]
    fn rules() {
        let r = Rule::validate(Direction::Inbound, Protocol::Tcp, Some(22), None, None).unwrap();
        assert_eq!(r.ports, Some((22, 22)));
        let all = Rule::validate(Direction::Inbound, Protocol::Tcp, None, None, None).unwrap();
        assert_eq!(all.ports, Some((1, 65_535)));
        assert!(r.overlaps(&all), "TCP 22 and TCP all-ports overlap");
        let udp = Rule::validate(Direction::Inbound, Protocol::Udp, None, None, None).unwrap();
        assert!(!r.overlaps(&udp));
        let e = Rule::validate(Direction::Inbound, Protocol::Icmp, Some(1), None, None).unwrap_err();
        assert_eq!(e.field, "port_from");
        let e = Rule::validate(Direction::Inbound, Protocol::Tcp, Some(100), Some(90), None).unwrap_err();
        assert_eq!(e.field, "port_to");
        let e = Rule::validate(Direction::Inbound, Protocol::Tcp, Some(0), None, None).unwrap_err();
        assert_eq!(e.field, "port_from");
        let e = Rule::validate(Direction::Inbound, Protocol::Tcp, None, None, Some("1.2.3.4")).unwrap_err();
        assert_eq!(e.field, "remote_cidr");
    }
}
