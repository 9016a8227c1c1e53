//! Times that operators type (`2025-03-01`, `2025-03-01T08:30`, `@1740000000`, `24h`), read
//! in the server's time zone unless they say otherwise; times are written by
//! `tigr_core::clock` (RFC 3339 UTC for machines, local time with its offset for people).

use jiff::civil::{Date, DateTime, Time};
use tigr_core::clock::TimeZone;

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

/// A point in time: `YYYY-MM-DD` (midnight), `YYYY-MM-DD[T ]HH:MM[:SS]` in `zone`, or in
/// UTC with a final `Z`; `@<unix seconds>`; or a duration ago (`24h`, `7d`, `30m`) relative
/// to `now`. A local time that a daylight-saving change skips or repeats is read as jiff's
/// "compatible" choice: the later instant of a gap, the earlier of a repeated hour.
pub fn parse_time(text: &str, now: i64, zone: &TimeZone) -> Option<i64> {
    let text = text.trim();
    if let Some(unix) = text.strip_prefix('@') {
        return unix.parse().ok();
    }
    if !text.contains('-') {
        return parse_duration(text)
            .filter(|_| text.ends_with(|c: char| c.is_ascii_alphabetic()))
            .map(|ago| now - ago);
    }
    let (local, zone) = match text.strip_suffix('Z') {
        Some(utc) => (utc, &TimeZone::UTC),
        None => (text, zone),
    };
    let civil = match local.split_once(['T', ' ']) {
        Some((date, time)) => DateTime::from_parts(civil_date(date)?, time.parse().ok()?),
        None => DateTime::from_parts(civil_date(local)?, Time::midnight()),
    };
    unix_of(civil, zone)
}

/// The end of a period typed as its last day (`YYYY-MM-DD`: the whole day, so the next
/// local midnight) or as a time (that time, see [`parse_time`]).
pub fn parse_until(text: &str, now: i64, zone: &TimeZone) -> Option<i64> {
    match civil_date(text.trim()) {
        Some(day) => unix_of(
            DateTime::from_parts(day.tomorrow().ok()?, Time::midnight()),
            zone,
        ),
        None => parse_time(text, now, zone),
    }
}

/// A calendar date `YYYY-MM-DD` of the years 1970 to 9999.
fn civil_date(text: &str) -> Option<Date> {
    let date: Date = text.parse().ok()?;
    (text.len() == 10 && date.year() >= 1970).then_some(date)
}

fn unix_of(civil: DateTime, zone: &TimeZone) -> Option<i64> {
    Some(
        civil
            .to_zoned_datetime(zone.clone())
            .ok()?
            .timestamp()
            .as_second(),
    )
}

#[cfg(test)]
mod tests {
    use tigr_core::clock::rfc3339_utc;

    use super::*;

    fn paris() -> TimeZone {
        TimeZone::get("Europe/Paris").expect("bundled database")
    }

    #[test]
    fn dates_round_trip() {
        let utc = &TimeZone::UTC;
        for unix in [0, 951_782_400, 1_700_000_000, 4_102_444_799] {
            let iso = rfc3339_utc(unix);
            assert_eq!(parse_time(&iso, 0, &paris()), Some(unix), "{iso}");
        }
        assert_eq!(parse_time("2023-11-14", 0, utc), Some(1_699_920_000));
        assert_eq!(
            parse_time("2023-11-14 22:13", 0, utc),
            Some(1_700_000_000 - 20)
        );
        assert_eq!(
            parse_time("2023-11-14T22:13:20", 0, utc),
            Some(1_700_000_000)
        );
        assert_eq!(parse_time("@1700000000", 0, utc), Some(1_700_000_000));
        assert_eq!(
            parse_time("24h", 1_700_000_000, utc),
            Some(1_700_000_000 - 86_400)
        );
        assert_eq!(
            parse_time("7d", 1_000_000, utc),
            Some(1_000_000 - 7 * 86_400)
        );
        for bad in [
            "",
            "2023-02-29",
            "2023-13-01",
            "2023-11-14T25:00",
            "1969-12-31",
            "2023-1-5",
            "yesterday",
            "12",
            "x-y",
        ] {
            assert_eq!(parse_time(bad, 0, utc), None, "{bad}");
        }
        assert!(parse_time("2024-02-29", 0, utc).is_some());
    }

    #[test]
    fn local_dates_follow_the_zone_and_its_daylight_saving_changes() {
        let paris = &paris();
        // Winter: UTC+1; summer: UTC+2.
        assert_eq!(parse_time("2023-11-14", 0, paris), Some(1_699_916_400));
        assert_eq!(
            parse_time("2023-11-14T23:13:20", 0, paris),
            Some(1_700_000_000)
        );
        assert_eq!(
            parse_time("2018-07-26 16:04:04", 0, paris),
            Some(1_532_613_844)
        );
        // 2025-03-30, the last Sunday of March: 02:30 does not exist, read as 03:30 CEST.
        assert_eq!(
            parse_time("2025-03-30T02:30", 0, paris),
            Some(1_743_298_200)
        );
        // 2025-10-26, the last Sunday of October: 02:30 happens twice, the first (CEST).
        assert_eq!(
            parse_time("2025-10-26T02:30", 0, paris),
            Some(1_761_438_600)
        );
        // Whole days: that Sunday lasts 23 hours in March and 25 in October.
        let day =
            |d| parse_until(d, 0, paris).expect("end") - parse_time(d, 0, paris).expect("start");
        assert_eq!(day("2025-03-30"), 23 * 3600);
        assert_eq!(day("2025-10-26"), 25 * 3600);
        assert_eq!(day("2025-06-01"), 24 * 3600);
        assert_eq!(
            parse_until("2025-06-01T12:00", 0, paris),
            parse_time("2025-06-01T12:00", 0, paris)
        );
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
