//! `upcoming` notices: once a Reserved resource's time is within one of its task's lead
//! times, a notice says when it runs and whether it restarts. Each is written once per
//! resource, reserved time and lead time (a unique key, insert-if-absent), so a restart
//! or a second server does not send it again; a resource moved to another time is
//! announced again for that time.

use super::notifications::{lead_times, notification, subject};
use crate::views::ts;
use crate::worker::Worker;
use crate::{Engine, Result};
use gureum_model::maintenance::{MAX_LEAD, NoticeKind};
use gureum_store::db::Batch;
use gureum_store::{MaintenanceResourceRecord, MaintenanceTaskRecord, now};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::time::Duration;
use uuid::Uuid;

pub const UPCOMING_EVERY: Duration = Duration::from_secs(1);

pub(super) fn start(engine: &Engine) {
    let e = engine.clone();
    Worker::new("maintenance_upcoming", UPCOMING_EVERY).singleton(engine).spawn(engine.shutdown_signal(), move || {
        let engine = e.clone();
        async move { engine.maintenance_upcoming_pass().await.map(|_| ()) }
    });
}

impl Engine {
    /// Writes the `upcoming` notices that are due; returns how many.
    pub async fn maintenance_upcoming_pass(&self) -> Result<usize> {
        let at = now();
        let resources = self.store().maintenance_reserved_between(at, at + MAX_LEAD.micros()).await?;
        let mut tasks: HashMap<Uuid, Option<MaintenanceTaskRecord>> = HashMap::new();
        let mut due = vec![];
        for r in resources {
            let Some(scheduled_at) = r.scheduled_at else { continue };
            if let Entry::Vacant(e) = tasks.entry(r.task_id) {
                e.insert(self.store().get_by_id::<MaintenanceTaskRecord>(r.task_id).await?);
            }
            let Some(Some(task)) = tasks.get(&r.task_id).cloned() else { continue };
            // Only the tightest lead that has come: a resource reserved 30 minutes ahead
            // hears "in 30 minutes" once, not also the day-ahead notice it missed.
            let Some(lead) = lead_times(&task).into_iter().filter(|l| scheduled_at - at <= l.micros()).min() else {
                continue;
            };
            let key = format!("upcoming:{}:{scheduled_at}:{}", r.id, lead.seconds());
            due.push((task, r, key));
        }
        let keys: Vec<String> = due.iter().map(|(_, _, k)| k.clone()).collect();
        let written = self.store().notification_once_keys(&keys).await?;
        let mut batch = Batch::new();
        for (task, r, key) in due.into_iter().filter(|(_, _, k)| !written.contains(k)) {
            let message = upcoming_message(&task, &r, at);
            batch.push(notification(&task, &r, NoticeKind::Upcoming, message, key).insert_once());
        }
        let count = batch.0.len();
        if count > 0 {
            self.store().write(batch).await?;
        }
        Ok(count)
    }
}

fn upcoming_message(task: &MaintenanceTaskRecord, r: &MaintenanceResourceRecord, at: i64) -> String {
    let scheduled_at = r.scheduled_at.unwrap_or(at);
    let restart = if task.downtime { "it will be stopped while it is updated" } else { "it stays up (no downtime)" };
    format!("{} starts at {}, in {}; {restart}", subject(task, r), ts(scheduled_at), about(scheduled_at - at))
}

/// A remaining time in words, rounded to its largest unit.
fn about(micros: i64) -> String {
    let s = micros.max(0) / 1_000_000;
    match s {
        7_200.. => format!("about {} hours", s / 3_600),
        120.. => format!("about {} minutes", s / 60),
        _ => format!("{s} seconds"),
    }
}

#[cfg(test)]
mod tests {
    use super::about;

    #[test]
    fn the_time_left_reads_in_its_largest_unit() {
        assert_eq!(about(30 * 60 * 1_000_000), "about 30 minutes");
        assert_eq!(about(25 * 3_600 * 1_000_000), "about 25 hours");
        assert_eq!(about(45 * 1_000_000), "45 seconds");
        assert_eq!(about(-5), "0 seconds");
    }
}
