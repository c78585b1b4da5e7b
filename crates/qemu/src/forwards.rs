//! A public IP's port forwards: which guest ports (its VM's security groups decide) and
//! which ports of 127.0.0.1 listen for them (recorded on the IP, so a forward keeps its
//! port while it exists, across stops and rule changes).

use crate::QemuDriver;
use crate::files::{Forwards, IpRecord, VmRecord};
use crate::firewall::SSH;
use crate::vm::{self, VmFiles};
use gureum_driver::{DriverError, DriverResult, ResourceKind};
use std::collections::BTreeSet;

/// Tries at finding a port no public IP holds before giving up.
const PORT_TRIES: usize = 64;

/// A port of 127.0.0.1 nothing listens on now.
fn free_port() -> DriverResult<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| DriverError::Capacity(format!("no free port on 127.0.0.1: {e}")))?;
    Ok(l.local_addr().map_err(|e| DriverError::Capacity(e.to_string()))?.port())
}

impl QemuDriver {
    /// The ports every public IP holds: a stopped VM's forwards do not listen, yet are
    /// theirs again when it starts.
    pub(crate) fn held_ports(&self) -> BTreeSet<u16> {
        let layout = self.layout();
        let ips = layout.ids(ResourceKind::PublicIp);
        let records = ips.iter().filter_map(|id| layout.load::<IpRecord>(ResourceKind::PublicIp, id).ok());
        records.flat_map(|ip| std::iter::once(ip.port).chain(ip.forwards.into_values())).collect()
    }

    /// A free port of 127.0.0.1 not in `held`, which then holds it.
    pub(crate) fn fresh_port(held: &mut BTreeSet<u16>) -> DriverResult<u16> {
        for _ in 0..PORT_TRIES {
            let port = free_port()?;
            if held.insert(port) {
                return Ok(port);
            }
        }
        Err(DriverError::Capacity("no port of 127.0.0.1 is both free and held by no public IP".into()))
    }

    /// Makes `ip`'s forwards what `rec`'s security groups open (none when `attached` is
    /// false), on the running process too; the caller holds the VM's lock and saves the IP.
    pub(crate) async fn apply_forwards(&self, rec: &VmRecord, ip: &mut IpRecord, attached: bool) -> DriverResult<()> {
        let ports = if attached { self.policy(rec)?.forwards } else { BTreeSet::new() };
        let mut held = None;
        let mut forwards = Forwards::new();
        for guest in ports {
            let host = match ip.forwards.get(&guest) {
                _ if guest == SSH => ip.port,
                Some(host) => *host,
                None => Self::fresh_port(held.get_or_insert_with(|| self.held_ports()))?,
            };
            forwards.insert(guest, host);
        }
        ip.forwards = forwards;
        let files = VmFiles::new(&self.layout(), &rec.id);
        if files.pid().is_some() {
            vm::set_forwards(&files, &ip.forwards).await?;
        }
        Ok(())
    }
}
