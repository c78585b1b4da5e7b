//! The template library's rows (migration 7).

mod events;
mod provisionings;
mod templates;

pub use events::*;
pub use provisionings::*;
pub use templates::*;
