//! Times of the administration, always UTC: formatting Unix seconds, and reading the dates
//! and durations operators type (`2025-03-01`, `2025-03-01T08:30`, `@1740000000`, `24h`).

use tigr_core::clock::civil_from_days;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD HH:MM UTC`.
pub fn format_utc(unix: i64) -> String {
    let (year, month, day) = civil_from_days(unix.div_euclid(86_400));
    let secs = unix.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60
    )
}

/// ISO 8601 / RFC 3339 `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_iso(unix: i64) -> String {
    let (year, month, day) = civil_from_days(unix.div_euclid(86_400));
    let secs = unix.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// A duration such as `900` (seconds), `90s`, `15m`, `2h` or `7d`.
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let n: i64 = number.parse().ok().filter(|n| *n <= 1_000_000_000)?;
    let factor = match unit.trim() {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" | "j" => 86_400,
        _ => return None,
    };
    Some(n * factor)
}

/// A point in time, UTC: `YYYY-MM-DD`, `YYYY-MM-DD[T ]HH:MM[:SS][Z]`, `@<unix seconds>`, or
/// a duration ago (`24h`, `7d`, `30m`) relative to `now`.
pub fn parse_time(text: &str, now: i64) -> Option<i64> {
    let text = text.trim();
    if let Some(unix) = text.strip_prefix('@') {
        return unix.parse().ok();
    }
    if !text.contains('-') {
        return parse_duration(text)
            .filter(|_| text.ends_with(|c: char| c.is_ascii_alphabetic()))
            .map(|ago| now - ago);
    }
    let (date, time) = match text.split_once(['T', ' ']) {
        Some((date, time)) => (date, Some(time.trim_end_matches('Z'))),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let year: i64 = parts
        .next()?
        .parse()
        .ok()
        .filter(|y| (1970..=9999).contains(y))?;
    let month: i64 = parts
        .next()?
        .parse()
        .ok()
        .filter(|m| (1..=12).contains(m))?;
    let day: i64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=days_in_month(year, month)).contains(&day) {
        return None;
    }
    let mut seconds = 0;
    if let Some(time) = time {
        let fields: Vec<&str> = time.split(':').collect();
        if !(2..=3).contains(&fields.len()) {
            return None;
        }
        let hour: i64 = fields[0].parse().ok().filter(|h| (0..24).contains(h))?;
        let minute: i64 = fields[1].parse().ok().filter(|m| (0..60).contains(m))?;
        let second: i64 = match fields.get(2) {
            Some(s) => s.parse().ok().filter(|s| (0..60).contains(s))?,
            None => 0,
        };
        seconds = hour * 3600 + minute * 60 + second;
    }
    Some(days_from_civil(year, month, day) * 86_400 + seconds)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(1_700_000_000), "2023-11-14 22:13 UTC");
        assert_eq!(format_utc(-1), "1969-12-31 23:59 UTC");
        assert_eq!(format_iso(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn dates_round_trip() {
        for unix in [0, 951_782_400, 1_700_000_000, 4_102_444_799] {
            let iso = format_iso(unix);
            assert_eq!(parse_time(&iso, 0), Some(unix), "{iso}");
        }
        assert_eq!(parse_time("2023-11-14", 0), Some(1_699_920_000));
        assert_eq!(parse_time("2023-11-14 22:13", 0), Some(1_700_000_000 - 20));
        assert_eq!(parse_time("@1700000000", 0), Some(1_700_000_000));
        assert_eq!(
            parse_time("24h", 1_700_000_000),
            Some(1_700_000_000 - 86_400)
        );
        assert_eq!(parse_time("7d", 1_000_000), Some(1_000_000 - 7 * 86_400));
        for bad in [
            "",
            "2023-02-29",
            "2023-13-01",
            "2023-11-14T25:00",
            "yesterday",
            "12",
            "x-y",
        ] {
            assert_eq!(parse_time(bad, 0), None, "{bad}");
        }
        assert!(parse_time("2024-02-29", 0).is_some());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("900"), Some(900));
        assert_eq!(parse_duration("15m"), Some(900));
        assert_eq!(parse_duration("2h"), Some(7200));
        assert_eq!(parse_duration("7d"), Some(604_800));
        assert_eq!(parse_duration("90s"), Some(90));
        for bad in ["", "m", "-5m", "5w", "1.5h", "99999999999"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
