//! Maintenance notifications: what they announce, how long before execution the
//! `upcoming` ones are sent, and where each webhook delivery of one stands.

use crate::spelled_enum;
use std::fmt;

spelled_enum! {
    /// What a notification announces about a resource of a task.
    pub enum NoticeKind {
        /// Its reserved time is within one of the task's lead times.
        Upcoming => "upcoming",
        Started => "started",
        Completed => "completed",
        Failed => "failed",
    }
}

spelled_enum! {
    /// Where one webhook delivery of a notification stands.
    pub enum DeliveryStatus {
        /// Not yet answered with a 2xx; retried at `next_attempt_at`.
        Pending => "pending",
        /// Answered with a 2xx.
        Delivered => "delivered",
        /// Every attempt failed; no more are made.
        Failed => "failed",
    }
}

/// How long before a resource's reserved time an `upcoming` notice is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LeadTime {
    seconds: i64,
}

/// The longest lead time: a notice more than 30 days ahead is no longer a warning.
const MAX_SECONDS: i64 = 30 * 86_400;
/// The longest lead time (30 days).
pub const MAX_LEAD: LeadTime = LeadTime { seconds: MAX_SECONDS };
const UNITS: [(char, i64); 4] = [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];

impl LeadTime {
    /// `"24h"`, `"90m"`, `"30s"` or `"2d"`: a whole number of one unit, 1 second to 30 days.
    pub fn parse(s: &str) -> Result<LeadTime, String> {
        let bad = || format!("{s:?} is not a duration such as \"24h\", \"90m\", \"30s\" or \"2d\"");
        let unit = s.chars().last().ok_or_else(bad)?;
        let per = UNITS.iter().find(|(u, _)| *u == unit).map(|(_, per)| *per).ok_or_else(bad)?;
        let digits = &s[..s.len() - 1];
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let n: i64 = digits.parse().map_err(|_| bad())?;
        match n.checked_mul(per) {
            Some(seconds @ 1..=MAX_SECONDS) => Ok(LeadTime { seconds }),
            _ => Err(format!("{s:?}: a lead time is 1s to 30d")),
        }
    }

    pub fn seconds(self) -> i64 {
        self.seconds
    }

    pub fn micros(self) -> i64 {
        self.seconds * 1_000_000
    }
}

impl fmt::Display for LeadTime {
    /// In hours, minutes or seconds, the largest that divides it (days read as hours:
    /// `2d` is `48h`, as a schedule's lead is usually thought of).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (unit, per) = UNITS[1..].iter().find(|(_, per)| self.seconds % per == 0).copied().unwrap_or(('s', 1));
        write!(f, "{}{unit}", self.seconds / per)
    }
}

/// The lead times when a task names none: a day and an hour ahead.
pub const DEFAULT_LEAD_TIMES: [&str; 2] = ["24h", "1h"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lead_times_parse_each_unit_and_refuse_the_rest() {
        assert_eq!(LeadTime::parse("24h").unwrap().seconds(), 86_400);
        assert_eq!(LeadTime::parse("90m").unwrap().seconds(), 5_400);
        assert_eq!(LeadTime::parse("30s").unwrap().seconds(), 30);
        assert_eq!(LeadTime::parse("2d").unwrap().seconds(), 172_800);
        for bad in ["", "h", "1", "-1h", "1.5h", "1w", "0s", "31d", "99999999999999999d", " 1h"] {
            assert!(LeadTime::parse(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn a_lead_time_is_written_in_its_largest_whole_unit() {
        for (given, shown) in
            [("24h", "24h"), ("2d", "48h"), ("1h", "1h"), ("90m", "90m"), ("120s", "2m"), ("30s", "30s")]
        {
            assert_eq!(LeadTime::parse(given).unwrap().to_string(), shown);
        }
    }
}
