//! VPCs, subnets, security groups (and their copies on nodes) and public IPs.

pub(crate) mod node_security_groups;
pub(crate) mod public_ips;
pub(crate) mod security_groups;
pub(crate) mod subnets;
pub(crate) mod vpcs;
