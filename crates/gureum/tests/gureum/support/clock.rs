//! RFC 3339 times as the API writes and reads them (UTC, `Z`), to and from microseconds
//! since the epoch (`gureum_store::now()`'s unit), without a date crate in the tests.

/// `micros` as `2026-01-01T00:00:00.123456Z`.
pub fn rfc3339(micros: i64) -> String {
    let (secs, frac) = (micros.div_euclid(1_000_000), micros.rem_euclid(1_000_000));
    let (days, s) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:06}Z", s / 3600, s / 60 % 60, s % 60)
}

/// Microseconds since the epoch of a UTC RFC 3339 time (`…Z`, any fraction digits).
pub fn parse_rfc3339(text: &str) -> i64 {
    let bad = || -> ! { panic!("not a UTC RFC 3339 time: {text:?}") };
    let t = text.strip_suffix('Z').unwrap_or_else(|| bad());
    let (date, clock) = t.split_once('T').unwrap_or_else(|| bad());
    let num = |s: &str| s.parse::<i64>().unwrap_or_else(|_| bad());
    let ymd: Vec<i64> = date.split('-').map(num).collect();
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let hms: Vec<i64> = hms.split(':').map(num).collect();
    if ymd.len() != 3 || hms.len() != 3 || frac.len() > 9 {
        bad();
    }
    let micros = if frac.is_empty() { 0 } else { num(&format!("{frac:0<6}")[..6]) };
    let days = days_from_civil(ymd[0], ymd[1], ymd[2]);
    (days * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2]) * 1_000_000 + micros
}

/// The proleptic Gregorian date of a day number (days since 1970-01-01).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[test]
fn times_go_there_and_back() {
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000Z");
    assert_eq!(parse_rfc3339("2026-01-01T00:00:00Z"), 1_767_225_600_000_000);
    assert_eq!(parse_rfc3339("2024-02-29T23:59:59.5Z"), parse_rfc3339("2024-03-01T00:00:00Z") - 500_000);
    for t in [1_767_225_600_123_456, 951_782_400_000_001, 4_102_444_799_999_999] {
        assert_eq!(parse_rfc3339(&rfc3339(t)), t);
    }
}
