//! Identity and access: resellers, customers, users, projects and roles, quotas,
//! sessions, the one authorization check, and the key that seals secrets.

pub(crate) mod authz;
pub(crate) mod customers;
pub mod idempotency;
pub(crate) mod projects;
pub(crate) mod quotas;
pub(crate) mod resellers;
pub(crate) mod secrets;
pub mod sessions;
pub mod tenant_usage;
pub(crate) mod users;
