//! Injected wall-clock time, and the one way times are written: RFC 3339 UTC for machines
//! and logs ([`rfc3339_utc`]), local time with its offset for people ([`local_text`]).
//!
//! Formatting is pure (jiff): a [`TimeZone`] is given, never looked up here. Finding a zone
//! by name needs a time-zone database, which the server bundles (`TIGR_TIME_ZONE`) and the
//! phone apps take from the platform; the mobile library carries none.

use std::time::{SystemTime, UNIX_EPOCH};

use jiff::Timestamp;
pub use jiff::tz::TimeZone;

/// A source of the current time, in whole seconds since the Unix epoch.
pub trait Clock: Send + Sync {
    /// Seconds since 1970-01-01T00:00:00Z.
    fn now_unix(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }
}

/// The language of text shown to people (times here; the catalogues of the server and the
/// SDK use the same value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// The default. Times read `16:04:04 (UTC+02:00) le 26/07/2018`.
    French,
    /// For `en`, `en-GB`... Times read `16:04:04 (UTC+02:00) on 26 July 2018`.
    English,
}

impl Language {
    /// English for `en`, `en-GB`, `EN`...; French, the default, for any other tag.
    pub fn from_tag(tag: &str) -> Self {
        if tag.trim().to_ascii_lowercase().starts_with("en") {
            Self::English
        } else {
            Self::French
        }
    }

    /// The BCP 47 tag (`fr`, `en`).
    pub fn tag(self) -> &'static str {
        match self {
            Self::French => "fr",
            Self::English => "en",
        }
    }
}

/// The instant of a Unix time (clamped to the years -9999 to 9999 that jiff represents).
fn timestamp(unix: i64) -> Timestamp {
    let unix = unix.clamp(Timestamp::MIN.as_second(), Timestamp::MAX.as_second());
    Timestamp::from_second(unix).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// A Unix time in UTC, RFC 3339 to the second (`2023-11-14T22:13:20Z`): what logs, CSV
/// files and machine-readable attributes carry.
pub fn rfc3339_utc(unix: i64) -> String {
    timestamp(unix).to_string()
}

/// A Unix time as people read it: the local time in `zone` with its offset from UTC, then
/// the date (see [`Language`]). The offset makes the text exact across daylight-saving
/// changes, when one local hour happens twice.
pub fn local_text(unix: i64, zone: &TimeZone, language: Language) -> String {
    let format = match language {
        Language::French => "%H:%M:%S (UTC%:z) le %d/%m/%Y",
        Language::English => "%H:%M:%S (UTC%:z) on %-d %B %Y",
    };
    timestamp(unix)
        .to_zoned_datetime(zone.clone())
        .strftime(format)
        .to_string()
}

/// A clock frozen at a given instant, for tests.
#[derive(Debug)]
pub struct FixedClock(pub std::sync::atomic::AtomicI64);

impl FixedClock {
    /// A clock that reads `now` until [`FixedClock::advance`] is called.
    pub fn at(now: i64) -> Self {
        Self(std::sync::atomic::AtomicI64::new(now))
    }

    /// Moves the clock forward by `seconds`.
    pub fn advance(&self, seconds: i64) {
        self.0
            .fetch_add(seconds, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now_unix(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Paris, built from its rule (no database in the core): CET, CEST from the last Sunday
    /// of March 01:00 UTC to the last Sunday of October 01:00 UTC.
    fn paris() -> TimeZone {
        TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").expect("POSIX rule")
    }

    #[test]
    fn utc_for_machines() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339_utc(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339_utc(i64::MAX), "9999-12-30T22:00:00Z");
    }

    #[test]
    fn local_time_with_its_offset_for_people() {
        // 2018-07-26T14:04:04Z, summer time in Paris.
        assert_eq!(
            local_text(1_532_613_844, &paris(), Language::French),
            "16:04:04 (UTC+02:00) le 26/07/2018"
        );
        assert_eq!(
            local_text(1_532_613_844, &paris(), Language::English),
            "16:04:04 (UTC+02:00) on 26 July 2018"
        );
        assert_eq!(
            local_text(1_700_000_000, &paris(), Language::French),
            "23:13:20 (UTC+01:00) le 14/11/2023"
        );
        assert_eq!(
            local_text(1_700_000_000, &TimeZone::UTC, Language::English),
            "22:13:20 (UTC+00:00) on 14 November 2023"
        );
    }

    #[test]
    fn daylight_saving_edges_in_paris() {
        let at = |unix| local_text(unix, &paris(), Language::French);
        // Last Sunday of March 2025 (the 30th): at 01:00 UTC, 02:00 CET becomes 03:00 CEST.
        let spring = 1_743_296_400; // 2025-03-30T01:00:00Z
        assert_eq!(at(spring - 1), "01:59:59 (UTC+01:00) le 30/03/2025");
        assert_eq!(at(spring), "03:00:00 (UTC+02:00) le 30/03/2025");
        // Last Sunday of October 2025 (the 26th): at 01:00 UTC, 03:00 CEST becomes 02:00
        // CET; the hour from 02:00 happens twice, told apart by the offset.
        let autumn = 1_761_440_400; // 2025-10-26T01:00:00Z
        assert_eq!(at(autumn - 3600), "02:00:00 (UTC+02:00) le 26/10/2025");
        assert_eq!(at(autumn - 1), "02:59:59 (UTC+02:00) le 26/10/2025");
        assert_eq!(at(autumn), "02:00:00 (UTC+01:00) le 26/10/2025");
        // Around the new year, the local date is not the UTC date.
        assert_eq!(at(1_735_685_999), "23:59:59 (UTC+01:00) le 31/12/2024");
        assert_eq!(at(1_735_686_000), "00:00:00 (UTC+01:00) le 01/01/2025");
    }
}
