//! Rate values (`max_concurrency`, `max_errors`): a count (`"5"`) or a percentage of the
//! task's resources (`"10%"`).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    Count(u32),
    Percent(u32),
}

impl Rate {
    /// `"5"` or `"10%"`; a count must be at least 1 and a percentage 1 to 100.
    pub fn parse(s: &str) -> Result<Rate, String> {
        Self::parse_from(s, 1)
    }

    /// As `parse`, but zero is allowed: an error limit of `"0"` stops at the first failure.
    pub fn parse_limit(s: &str) -> Result<Rate, String> {
        Self::parse_from(s, 0)
    }

    fn parse_from(s: &str, least: u32) -> Result<Rate, String> {
        let bad = || format!("{s:?} is not a count (\"5\") or a percentage (\"10%\")");
        let (digits, percent) = match s.strip_suffix('%') {
            Some(d) => (d, true),
            None => (s, false),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let n: u32 = digits.parse().map_err(|_| bad())?;
        match (percent, n) {
            (true, _) if n < least || n > 100 => Err(format!("{s:?}: a percentage is {least}% to 100%")),
            (true, _) => Ok(Rate::Percent(n)),
            (false, _) if n < least => Err(format!("{s:?}: a count is at least {least}")),
            (false, _) => Ok(Rate::Count(n)),
        }
    }

    /// How many resources of `total` this allows: a count as is, a percentage of the total
    /// rounded down, so that "10%" never lets more through than asked.
    pub fn resolve(self, total: u32) -> u32 {
        match self {
            Rate::Count(n) => n,
            Rate::Percent(p) => (u64::from(total) * u64::from(p) / 100) as u32,
        }
    }

    /// As `resolve`, but at least 1: a percentage rounding to zero would never run anything.
    pub fn resolve_concurrency(self, total: u32) -> u32 {
        self.resolve(total).max(1)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rate::Count(n) => write!(f, "{n}"),
            Rate::Percent(p) => write!(f, "{p}%"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_percentages_parse_and_print_back() {
        for s in ["5", "1", "10%", "100%"] {
            assert_eq!(Rate::parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn nonsense_zero_and_over_a_hundred_percent_are_refused() {
        for s in ["", "%", "0", "0%", "101%", "-1", "1.5", "5 %", "x"] {
            assert!(Rate::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn an_error_limit_may_be_zero() {
        assert_eq!(Rate::parse_limit("0"), Ok(Rate::Count(0)));
        assert_eq!(Rate::parse_limit("0%"), Ok(Rate::Percent(0)));
        assert!(Rate::parse_limit("101%").is_err());
    }

    #[test]
    fn a_percentage_rounds_down_against_the_total() {
        assert_eq!(Rate::Percent(10).resolve(25), 2);
        assert_eq!(Rate::Percent(50).resolve(3), 1);
        assert_eq!(Rate::Percent(100).resolve(7), 7);
        assert_eq!(Rate::Count(5).resolve(3), 5);
    }

    #[test]
    fn concurrency_is_at_least_one() {
        assert_eq!(Rate::Percent(10).resolve(3), 0);
        assert_eq!(Rate::Percent(10).resolve_concurrency(3), 1);
        assert_eq!(Rate::Percent(10).resolve_concurrency(0), 1);
    }
}
