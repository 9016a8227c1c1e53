//! Request limits per client address, in memory (one process).
//!
//! The lockout protects each account; these limits slow down whoever sprays many accounts,
//! enrollment codes or login challenges from one address. A client is an IP address (the
//! proxy-reported one when `trust_proxy` is on). Defaults are generous, because a hospital
//! behind one NAT address is one client for us.
//!
//! Each class is a GCRA ("generic cell rate algorithm", a token bucket that stores one time
//! per client): `per_minute` requests a minute on average, bursts of up to `burst` at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tigr_core::clock::Clock;

/// What a request does, for its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitClass {
    /// Creating login challenges (API, login page, renewal).
    Challenges,
    /// Phones' answers: context, approval, denial.
    Answers,
    /// Offline codes typed into a browser (API or login form).
    Offline,
    /// Enrollment lookups and completions.
    Enrollments,
}

impl LimitClass {
    /// Every class.
    pub const ALL: [Self; 4] = [
        Self::Challenges,
        Self::Answers,
        Self::Offline,
        Self::Enrollments,
    ];

    fn index(self) -> usize {
        match self {
            Self::Challenges => 0,
            Self::Answers => 1,
            Self::Offline => 2,
            Self::Enrollments => 3,
        }
    }
}

/// One class's limit: `per_minute` on average, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Sustained requests per minute.
    pub per_minute: u32,
    /// Requests accepted at once from a quiet client.
    pub burst: u32,
}

impl Limit {
    /// `per_minute` with a burst of a quarter of it (at least 1); `None` for 0 (no limit).
    pub fn per_minute(per_minute: u32) -> Option<Self> {
        (per_minute > 0).then(|| Self {
            per_minute,
            burst: (per_minute / 4).max(1),
        })
    }
}

/// The limits of each class (`None`: unlimited).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimits {
    /// [`LimitClass::Challenges`].
    pub challenges: Option<Limit>,
    /// [`LimitClass::Answers`].
    pub answers: Option<Limit>,
    /// [`LimitClass::Offline`].
    pub offline: Option<Limit>,
    /// [`LimitClass::Enrollments`].
    pub enrollments: Option<Limit>,
}

impl RateLimits {
    /// No limit at all.
    pub const OFF: Self = Self {
        challenges: None,
        answers: None,
        offline: None,
        enrollments: None,
    };

    fn of(&self, class: LimitClass) -> Option<Limit> {
        match class {
            LimitClass::Challenges => self.challenges,
            LimitClass::Answers => self.answers,
            LimitClass::Offline => self.offline,
            LimitClass::Enrollments => self.enrollments,
        }
    }
}

/// A refused request: the client may try again after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    /// Seconds to wait (at least 1).
    pub retry_after: u64,
}

/// The client of a request, as counted: an IPv4 address, or the /64 network of an IPv6
/// address (one host commonly holds a whole /64). Anything else counts as itself.
pub fn client_key(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => {
            let [a, b, c, d, ..] = v6.segments();
            format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
        }
        Ok(std::net::IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.to_owned(),
    }
}

/// Clients remembered per class at most; beyond, clients whose bucket is full again are
/// forgotten (they would start full anyway).
const MAX_CLIENTS: usize = 100_000;

/// The limiter: per class, per client, the "theoretical arrival time" of GCRA.
pub struct RateLimiter {
    limits: RateLimits,
    clock: Arc<dyn Clock>,
    tats: [Mutex<HashMap<String, f64>>; 4],
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// A limiter with `limits`, reading the time from `clock`.
    pub fn new(limits: RateLimits, clock: Arc<dyn Clock>) -> Self {
        Self {
            limits,
            clock,
            tats: Default::default(),
        }
    }

    fn lock(&self, class: LimitClass) -> MutexGuard<'_, HashMap<String, f64>> {
        // Every update leaves the map consistent: a panicking holder cannot corrupt it.
        self.tats[class.index()]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Counts one request of `client` in `class`: Ok, or refused with the wait.
    pub fn check(&self, class: LimitClass, client: &str) -> Result<(), Limited> {
        let Some(limit) = self.limits.of(class) else {
            return Ok(());
        };
        let now = self.clock.now_unix() as f64;
        let interval = 60.0 / f64::from(limit.per_minute);
        let tolerance = interval * f64::from(limit.burst.saturating_sub(1));
        let mut tats = self.lock(class);
        let tat = tats.get(client).copied().unwrap_or(now).max(now);
        if tat - now > tolerance {
            let wait = (tat - now - tolerance).ceil().max(1.0);
            return Err(Limited {
                retry_after: wait as u64,
            });
        }
        if let Some(known) = tats.get_mut(client) {
            *known = tat + interval;
        } else {
            if tats.len() >= MAX_CLIENTS {
                tats.retain(|_, t| *t > now);
            }
            tats.insert(client.to_owned(), tat + interval);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tigr_core::clock::FixedClock;

    fn limiter(limits: RateLimits) -> (RateLimiter, Arc<FixedClock>) {
        let clock = Arc::new(FixedClock::at(1_800_000_000));
        (RateLimiter::new(limits, clock.clone()), clock)
    }

    fn offline_only(per_minute: u32) -> RateLimits {
        RateLimits {
            offline: Limit::per_minute(per_minute),
            ..RateLimits::OFF
        }
    }

    #[test]
    fn a_burst_passes_then_the_sustained_rate_applies() {
        // 60 a minute: one a second, bursts of 15.
        let (limiter, clock) = limiter(offline_only(60));
        for i in 0..15 {
            assert_eq!(
                limiter.check(LimitClass::Offline, "10.0.0.1"),
                Ok(()),
                "{i}"
            );
        }
        assert_eq!(
            limiter.check(LimitClass::Offline, "10.0.0.1"),
            Err(Limited { retry_after: 1 })
        );
        // One more each second, not two.
        clock.advance(1);
        assert_eq!(limiter.check(LimitClass::Offline, "10.0.0.1"), Ok(()));
        assert!(limiter.check(LimitClass::Offline, "10.0.0.1").is_err());
        // A quiet minute fills the bucket again.
        clock.advance(60);
        for _ in 0..15 {
            assert_eq!(limiter.check(LimitClass::Offline, "10.0.0.1"), Ok(()));
        }
        assert!(limiter.check(LimitClass::Offline, "10.0.0.1").is_err());
    }

    #[test]
    fn clients_and_classes_are_counted_apart() {
        let (limiter, _) = limiter(RateLimits {
            offline: Limit::per_minute(4),
            enrollments: Limit::per_minute(4),
            ..RateLimits::OFF
        });
        assert_eq!(limiter.check(LimitClass::Offline, "a"), Ok(()));
        let refused = limiter.check(LimitClass::Offline, "a");
        // 4 a minute: the next one in 15 s.
        assert_eq!(refused, Err(Limited { retry_after: 15 }));
        assert_eq!(limiter.check(LimitClass::Offline, "b"), Ok(()));
        assert_eq!(limiter.check(LimitClass::Enrollments, "a"), Ok(()));
        // Unlimited classes are never refused.
        for _ in 0..1000 {
            assert_eq!(limiter.check(LimitClass::Challenges, "a"), Ok(()));
        }
    }

    #[test]
    fn a_refusal_does_not_push_the_wait_further() {
        let (limiter, clock) = limiter(offline_only(4));
        assert!(limiter.check(LimitClass::Offline, "a").is_ok());
        for _ in 0..50 {
            assert!(limiter.check(LimitClass::Offline, "a").is_err());
        }
        clock.advance(15);
        assert_eq!(limiter.check(LimitClass::Offline, "a"), Ok(()));
    }

    #[test]
    fn zero_means_unlimited_and_bursts_are_a_quarter() {
        assert_eq!(Limit::per_minute(0), None);
        assert_eq!(
            Limit::per_minute(600),
            Some(Limit {
                per_minute: 600,
                burst: 150
            })
        );
        assert_eq!(Limit::per_minute(2).map(|l| l.burst), Some(1));
    }

    #[test]
    fn ipv6_clients_count_per_64_network() {
        assert_eq!(client_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(
            client_key("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            "2001:db8:1:2::/64"
        );
        assert_eq!(client_key("192.0.2.7"), "192.0.2.7");
        assert_eq!(client_key("unknown"), "unknown");
    }

    #[test]
    fn memory_is_bounded() {
        let (limiter, clock) = limiter(offline_only(60));
        for i in 0..MAX_CLIENTS {
            limiter
                .check(LimitClass::Offline, &format!("c{i}"))
                .expect("first request");
        }
        clock.advance(120);
        limiter
            .check(LimitClass::Offline, "newcomer")
            .expect("accepted");
        assert!(limiter.lock(LimitClass::Offline).len() < 10);
    }
}
