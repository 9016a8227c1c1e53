//! E-mail one-time passwords: six digits from the CSPRNG, valid a few minutes, single use,
//! a new one voids the previous, and sends limited per account and per address
//! (docs/security.md, "E-mail one-time passwords"). Pure: the service passes the time,
//! the random bytes and what the store counted.

/// Digits of an e-mail code.
pub const EMAIL_CODE_DIGITS: usize = 6;

/// The rules of e-mail codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmailCodePolicy {
    /// Seconds a code is valid after it was sent.
    pub ttl: i64,
    /// Seconds between two sends to one account.
    pub min_interval: i64,
    /// Sends to one account in [`SEND_WINDOW`] seconds at most.
    pub per_account: u32,
    /// Sends to one e-mail address in [`SEND_WINDOW`] seconds at most (several accounts may
    /// share an address).
    pub per_address: u32,
}

/// The window of the send limits: one hour.
pub const SEND_WINDOW: i64 = 3600;

/// What the store knows of the recent sends, for [`EmailCodePolicy::may_send`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecentSends {
    /// Time of the account's last send, if any in the window.
    pub last_to_account: Option<i64>,
    /// Sends to the account in the window (oldest first: `oldest_to_account`).
    pub to_account: u32,
    /// The oldest of those.
    pub oldest_to_account: Option<i64>,
    /// Sends to the address in the window.
    pub to_address: u32,
    /// The oldest of those.
    pub oldest_to_address: Option<i64>,
}

impl EmailCodePolicy {
    /// `Ok` when a code may be mailed at `now`, else the time from which it may.
    pub fn may_send(&self, recent: RecentSends, now: i64) -> Result<(), i64> {
        let mut from = now;
        if let Some(last) = recent.last_to_account {
            from = from.max(last.saturating_add(self.min_interval));
        }
        if recent.to_account >= self.per_account {
            let oldest = recent.oldest_to_account.unwrap_or(now);
            from = from.max(oldest.saturating_add(SEND_WINDOW));
        }
        if recent.to_address >= self.per_address {
            let oldest = recent.oldest_to_address.unwrap_or(now);
            from = from.max(oldest.saturating_add(SEND_WINDOW));
        }
        if from > now { Err(from) } else { Ok(()) }
    }
}

/// The code made of 8 random bytes: uniform over the 10^6 codes up to a bias below
/// 10^-13 (2^64 is not a multiple of 10^6).
pub fn code_from_random(bytes: [u8; 8]) -> String {
    let n = u64::from_be_bytes(bytes) % 1_000_000;
    format!("{n:06}")
}

/// The code as typed, without the spaces people put in: `Some` when it has the form of an
/// e-mail code.
pub fn typed_code(typed: &str) -> Option<String> {
    let digits: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == EMAIL_CODE_DIGITS && digits.bytes().all(|b| b.is_ascii_digit()))
        .then_some(digits)
}

/// A stored code, as far as the rules need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredCode {
    /// Sending time.
    pub sent_at: i64,
    /// End of validity (exclusive).
    pub expires_at: i64,
}

impl StoredCode {
    /// True while it may still be used.
    pub fn valid_at(&self, now: i64) -> bool {
        now < self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    fn policy() -> EmailCodePolicy {
        EmailCodePolicy {
            ttl: 300,
            min_interval: 60,
            per_account: 5,
            per_address: 10,
        }
    }

    #[test]
    fn codes_have_six_digits_and_cover_the_range() {
        assert_eq!(code_from_random([0; 8]), "000000");
        assert_eq!(code_from_random([0xff; 8]), "551615");
        assert_eq!(code_from_random(999_999_u64.to_be_bytes()), "999999");
        assert_eq!(code_from_random(1_000_042_u64.to_be_bytes()), "000042");
    }

    #[test]
    fn typed_codes_are_six_digits_with_spaces_ignored() {
        assert_eq!(typed_code(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(typed_code("12345"), None);
        assert_eq!(typed_code("1234567"), None);
        assert_eq!(typed_code("12345a"), None);
        assert_eq!(typed_code("١٢٣٤٥٦"), None, "ASCII digits only");
    }

    #[test]
    fn sends_wait_for_the_interval_and_the_hourly_limits() {
        let p = policy();
        assert_eq!(p.may_send(RecentSends::default(), NOW), Ok(()));
        let just_sent = RecentSends {
            last_to_account: Some(NOW - 10),
            to_account: 1,
            oldest_to_account: Some(NOW - 10),
            to_address: 1,
            oldest_to_address: Some(NOW - 10),
        };
        assert_eq!(p.may_send(just_sent, NOW), Err(NOW + 50));
        assert_eq!(
            p.may_send(just_sent, NOW + 50),
            Ok(()),
            "edge: interval elapsed"
        );
        let five = RecentSends {
            last_to_account: Some(NOW - 100),
            to_account: 5,
            oldest_to_account: Some(NOW - 3000),
            ..just_sent
        };
        assert_eq!(
            p.may_send(five, NOW),
            Err(NOW + 600),
            "hour of the oldest send"
        );
        let shared_address = RecentSends {
            to_address: 10,
            oldest_to_address: Some(NOW - 3599),
            ..RecentSends::default()
        };
        assert_eq!(p.may_send(shared_address, NOW), Err(NOW + 1));
    }

    #[test]
    fn a_code_is_valid_until_its_end_exclusive() {
        let code = StoredCode {
            sent_at: NOW,
            expires_at: NOW + 300,
        };
        assert!(code.valid_at(NOW + 299));
        assert!(!code.valid_at(NOW + 300));
    }
}
