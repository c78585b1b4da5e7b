//! Throttling of password sign-in: after a few wrong passwords in a row for one user
//! name, each further try waits, doubling, up to a ceiling. A person who mistypes waits
//! a second; guessing is held to a few tries an hour. The count is per name, kept in
//! the database, so every server sharing it applies the same wait.

use std::time::Duration;

/// Wrong passwords in a row that cost nothing.
pub const FREE_FAILURES: i64 = 5;
/// The longest wait between two tries.
pub const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// Failures older than this are forgotten: the next one counts as the first. Longer
/// than [`MAX_WAIT`], so a wait always runs out before its count is forgotten.
pub const FAILURES_KEPT: Duration = Duration::from_secs(3600);

/// How long after the last failure the next try is taken, after `failures` in a row.
pub fn wait_after(failures: i64) -> Duration {
    if failures < FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_FAILURES).min(20) as u32;
    Duration::from_secs(1u64 << doublings).min(MAX_WAIT)
}

/// The failures in a row that still count at `now`, of `seen` (count, last at): none
/// once the last is older than [`FAILURES_KEPT`].
pub fn counted(seen: Option<(i64, i64)>, now: i64) -> i64 {
    match seen {
        Some((failures, last)) if now - last < FAILURES_KEPT.as_micros() as i64 => failures,
        _ => 0,
    }
}

/// How much longer a try at `now` must wait (µs since the epoch, like every stored time),
/// given the failures in a row and when the last one was; zero when it may go ahead.
pub fn wait_left(failures: i64, last_failed_at: i64, now: i64) -> Duration {
    let until = last_failed_at + wait_after(failures).as_micros() as i64;
    Duration::from_micros(until.saturating_sub(now).max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000;

    #[test]
    fn the_first_failures_cost_nothing() {
        for f in 0..FREE_FAILURES {
            assert_eq!(wait_after(f), Duration::ZERO, "{f}");
        }
    }

    #[test]
    fn each_failure_after_them_doubles_the_wait_up_to_the_ceiling() {
        let waits: Vec<u64> = (FREE_FAILURES..FREE_FAILURES + 12).map(|f| wait_after(f).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]);
        assert_eq!(wait_after(i64::MAX), MAX_WAIT);
    }

    #[test]
    fn the_wait_runs_from_the_last_failure() {
        let last = 1_000 * S;
        assert_eq!(wait_left(FREE_FAILURES + 2, last, last + S), Duration::from_secs(3));
        assert_eq!(wait_left(FREE_FAILURES + 2, last, last + 4 * S), Duration::ZERO);
        assert_eq!(wait_left(FREE_FAILURES - 1, last, last), Duration::ZERO);
    }

    #[test]
    fn failures_older_than_an_hour_no_longer_count() {
        let last = 1_000 * S;
        let hour = FAILURES_KEPT.as_micros() as i64;
        assert_eq!(counted(Some((9, last)), last + hour - 1), 9);
        assert_eq!(counted(Some((9, last)), last + hour), 0);
        assert_eq!(counted(None, last), 0);
    }
}
