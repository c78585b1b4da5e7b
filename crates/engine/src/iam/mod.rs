//! Identity and access: users, projects and roles, sessions, the one authorization
//! check, and the key that seals secrets.

pub(crate) mod authz;
pub mod idempotency;
pub(crate) mod projects;
pub(crate) mod secrets;
pub mod sessions;
pub(crate) mod users;
