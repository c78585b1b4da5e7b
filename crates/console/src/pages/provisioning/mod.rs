//! The template library (SPEC §0): the catalog and a template's details, the execute form
//! built from the template's parameter schema with a plan before the run, the
//! provisionings followed live with their installation info, return and status delete,
//! and the history with its logs.

pub mod execute;
pub mod history;
pub mod library;
mod params;
pub mod status;

use crate::page::Layout;

/// `/projects/<project>/provisionings`.
fn provisionings(project: &str) -> String {
    format!("/projects/{}/provisionings", crate::page::enc(project))
}

/// `/projects/<project>/library`.
fn library(l: &Layout) -> String {
    format!("{}/library", l.base())
}
