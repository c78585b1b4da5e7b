//! Maintenance (SPEC §2): tasks and the schedules and statuses of their resources, the
//! scheduler that starts each resource's runbook at its time within the task's rate
//! limits, the runbook itself, and the notifications about them with their webhook
//! deliveries.

mod deliveries;
mod log;
mod notifications;
mod resources;
pub(crate) mod runbook;
mod scheduler;
mod targets;
mod tasks;
mod upcoming;
pub mod updates;
mod views;
mod webhook_targets;
mod webhooks;

pub use deliveries::{ATTEMPTS, DELIVER_EVERY, signature};
pub(crate) use scheduler::start;
pub use upcoming::UPCOMING_EVERY;

use crate::Engine;
use gureum_api_types::Page;
use uuid::Uuid;

/// Starts the notification workers: `upcoming` notices and webhook deliveries.
pub(crate) fn start_notifications(engine: &Engine) {
    upcoming::start(engine);
    deliveries::start(engine);
}

/// A page of views of `rows` (a page of at most `limit`), with the cursor of the next.
fn page_of<R, V>(rows: &[R], limit: u32, id: impl Fn(&R) -> Uuid, view: impl FnMut(&R) -> V) -> Page<V> {
    let next_cursor =
        (rows.len() as u32 == limit).then(|| rows.last().map(|r| crate::views::encode_cursor(id(r)))).flatten();
    Page { items: rows.iter().map(view).collect(), next_cursor }
}
