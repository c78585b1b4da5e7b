//! One module per console section. Handlers are thin: read the request, call the engine,
//! build blocks. Failed forms come back with the engine's error next to the field.

pub mod catalog;
pub mod connections;
pub mod customers;
pub mod instances;
pub mod key_pairs;
pub mod lean;
pub mod maintenance;
pub mod members;
pub mod network;
pub mod operations;
pub mod projects;
pub mod provisioning;
pub mod public_ips;
pub mod resellers;
pub mod security_groups;
pub mod servers;
pub mod usage;
pub mod users;
pub mod volumes;

pub(crate) use crate::error::status_of as status;
use crate::forms::{FormData, FormState};
use crate::view::Cell;
use axum::http::StatusCode;
use gureum_engine::Error;

/// The typed confirmation of a destructive action must repeat the resource's name.
pub fn confirmed(form: &FormData, name: &str) -> Result<(), String> {
    let typed = form.get("confirm_name");
    if typed == name {
        Ok(())
    } else if typed.is_empty() {
        Err(format!("type the name {name} to confirm"))
    } else {
        Err(format!("the name you typed ({typed}) is not {name}; nothing was deleted"))
    }
}

/// The error of a form, or a page error when it is not the form's to show.
pub fn form_state(form: &FormData, e: Error, fields: &[&str]) -> Result<(FormState, StatusCode), Error> {
    match e {
        Error::Unauthenticated(_) | Error::Internal(_) => Err(e),
        e => Ok((FormState::from_error(form, &e, fields), status(&e))),
    }
}

/// A link to the operation running on a resource, if any.
pub fn operation_cell(base: &str, op: Option<uuid::Uuid>) -> Cell {
    match op {
        Some(id) => Cell::link(format!("{}…", &id.to_string()[..8]), format!("{base}/operations/{id}")),
        None => Cell::text("–"),
    }
}

/// The refusal message the engine would give, for a disabled action's hover text.
pub fn refusal<T>(r: Result<T, gureum_model::state::Refusal>) -> Result<(), String> {
    r.map(|_| ()).map_err(|e| e.to_string())
}

/// A blank form state (a form shown for the first time).
pub fn fresh() -> FormState {
    FormState::default()
}

/// A read-only note shown instead of what a reader may not use.
pub const READ_ONLY: &str = "You have read-only access to this project.";

/// An optional form field spelled as one of an enum's API spellings.
pub fn spelled<T>(
    f: &crate::forms::FormData,
    field: &str,
    parse: fn(&str) -> Option<T>,
    spellings: &str,
) -> Result<Option<T>, Error> {
    match f.opt(field) {
        None => Ok(None),
        Some(v) => parse(&v).map(Some).ok_or_else(|| Error::invalid(field, format!("must be one of {spellings}"))),
    }
}
