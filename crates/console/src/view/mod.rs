//! The building blocks pages are made of. Each block is a small askama template rendered
//! to escaped HTML on its own; a page is a layout plus a list of rendered blocks. Every
//! list, detail, form and confirmation in the console goes through these, so labels,
//! error placement, disabled-action reasons and state colours are the same everywhere.

use askama::Template;

/// Rendered, escaped HTML of one block.
pub type Html = String;

pub fn render(t: &impl Template) -> Html {
    t.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "rendering a console block failed");
        String::from("<p class=\"error\">This part of the page could not be rendered.</p>")
    })
}

mod action;
mod block;
mod form;
mod table;

pub use action::*;
pub use block::*;
pub use form::*;
pub use table::*;
