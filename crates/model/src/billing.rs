//! Billing by instance state (SPEC §4): which states accrue usage, and what usage costs.

use crate::instance::InstanceState as S;

/// Whether time spent in `state` is billed. Running, stopped (resources still held),
/// rebooting, shelving and powering on/off are billed; provisioning, shelved-offloaded,
/// unshelving, resizing, deleting and error are not.
pub fn is_billed(state: S) -> bool {
    matches!(
        state,
        S::Active
            | S::Stopped
            | S::Rebooting
            | S::RebootStarted
            | S::RebootingHard
            | S::RebootingStartedHard
            | S::Shelving
            | S::PoweringOff
            | S::PoweringOn
    )
}

/// Cost of `seconds` of use at `price_per_hour`.
pub fn cost(seconds: i64, price_per_hour: f64) -> f64 {
    seconds as f64 * price_per_hour / 3600.0
}

/// Seconds of the interval `[start, end)` that fall inside `[from, to)`; all in
/// microseconds since the epoch, result in whole seconds (rounded down).
pub fn overlap_seconds(start: i64, end: i64, from: i64, to: i64) -> i64 {
    let lo = start.max(from);
    let hi = end.min(to);
    if hi > lo { (hi - lo) / 1_000_000 } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn billed_states_follow_the_seed_table() {
        let billed: Vec<_> = S::ALL.iter().copied().filter(|s| is_billed(*s)).map(S::as_str).collect();
        assert_eq!(
            billed,
            [
                "Active",
                "Powering-off",
                "Stopped",
                "Powering-on",
                "Rebooting",
                "Reboot_started",
                "Rebooting_hard",
                "Rebooting_started_hard",
                "Shelving"
            ]
        );
        for s in [S::ShelvedOffloaded, S::Error, S::Building, S::Unshelving, S::Resized, S::Deleting] {
            assert!(!is_billed(s), "{s}");
        }
    }

    #[test]
    fn cost_is_seconds_times_hourly_price() {
        assert_eq!(cost(3600, 0.5), 0.5);
        assert_eq!(cost(90, 1.2), 0.03);
    }

    #[test]
    fn overlap_clips_to_the_range() {
        let s = 1_000_000;
        assert_eq!(overlap_seconds(0, 10 * s, 2 * s, 5 * s), 3);
        assert_eq!(overlap_seconds(0, 10 * s, 20 * s, 30 * s), 0);
        assert_eq!(overlap_seconds(5 * s, 10 * s, 0, 7 * s), 2);
    }
}
