//! Where a webhook may point: any HTTP receiver except link-local, unspecified, broadcast
//! and multicast addresses. Clouds serve instance metadata and credentials on link-local
//! addresses (169.254.169.254, fe80::/10; AWS also at fd00:ec2::254) to the host gureum
//! runs on; a project member must not reach them through deliveries. Loopback and private
//! addresses stay allowed: a private cloud's receivers live there.

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// What the rule refuses, as the error says it.
pub(super) const RULE: &str = "must not point at a link-local, unspecified, broadcast or multicast address";

const AWS_METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);

fn forbidden(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.is_link_local() || v4.is_unspecified() || v4.is_broadcast() || v4.is_multicast(),
        IpAddr::V6(v6) => {
            v6.is_unicast_link_local() || v6.is_unspecified() || v6.is_multicast() || v6 == AWS_METADATA_V6
        }
    }
}

/// Whether the URL's host is an address the rule refuses (a name is checked when it is
/// resolved, by [`GuardedResolver`]: what it resolves to may change).
pub(super) fn literal_forbidden(url: &Url) -> bool {
    // The parser writes every address literal in its plain form (`[…]` around IPv6).
    let host = url.host_str().unwrap_or_default();
    host.trim_start_matches('[').trim_end_matches(']').parse().is_ok_and(forbidden)
}

/// The system's resolver with the refused addresses left out: a delivery never connects
/// to one, even when a name is pointed at it after the webhook was made.
pub(super) struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.filter(|a| !forbidden(a.ip())).collect();
            if addrs.is_empty() {
                return Err(format!("the webhook's host has no address it may reach: it {RULE}").into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> bool {
        literal_forbidden(&Url::parse(url).unwrap())
    }

    #[test]
    fn metadata_and_other_link_local_addresses_are_refused() {
        for url in [
            "http://169.254.169.254/latest/meta-data/",
            // The same address spelled as one number, and mapped into IPv6.
            "http://2852039166/",
            "http://[::ffff:169.254.169.254]/",
            "http://[fe80::1]/",
            "http://[fd00:ec2::254]/",
            "http://0.0.0.0:8080/",
            "http://[::]/",
            "http://255.255.255.255/",
            "http://224.0.0.1/",
        ] {
            assert!(refused(url), "{url} accepted");
        }
    }

    #[test]
    fn loopback_private_public_addresses_and_names_are_allowed() {
        for url in [
            "http://127.0.0.1:9000/h",
            "http://[::1]/",
            "http://10.0.0.5/",
            "http://192.168.1.10/",
            "https://hooks.example.com/x",
            "http://metadata.google.internal/",
        ] {
            assert!(!refused(url), "{url} refused");
        }
    }

    #[tokio::test]
    async fn a_name_resolving_only_to_refused_addresses_fails_and_others_keep_their_allowed_ones() {
        let resolve = |host: &str| GuardedResolver.resolve(host.parse().unwrap());
        // The system resolver answers address literals itself, without a DNS server.
        let err = resolve("169.254.169.254").await.err().expect("a link-local address resolved");
        assert!(err.to_string().contains("link-local"), "{err}");
        let addrs: Vec<SocketAddr> = resolve("127.0.0.1").await.expect("loopback resolves").collect();
        assert_eq!(addrs.iter().map(|a| a.ip().to_string()).collect::<Vec<_>>(), ["127.0.0.1"]);
    }
}
