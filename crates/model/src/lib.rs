//! Pure domain types of gureum: validated names, resource state machines with their
//! transition tables, billing by state, the IAM permission matrix and input validation.
//! Nothing here does I/O, so every rule can be tested exhaustively and cheaply.

pub mod authz;
pub mod billing;
pub mod catalog;
pub mod image;
pub mod instance;
pub mod lean;
pub mod maintenance;
pub mod name;
pub mod network;
pub mod node;
pub mod operation;
pub mod pool;
pub mod provisioning;
pub mod public_ip;
pub mod sign_in;
pub mod state;
pub mod tenancy;
pub mod validation;
pub mod volume;

pub use name::Name;
pub use validation::FieldError;
