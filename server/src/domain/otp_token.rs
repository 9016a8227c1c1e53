//! TOTP and HOTP tokens (RFC 6238, RFC 4226): hardware tokens and authenticator apps whose
//! codes the OTP form accepts (docs/security.md, "TOTP and HOTP tokens"). Pure: the service
//! passes the time, the opened secret and the token's stored state; the codes themselves are
//! tigr-core's ([`tigr_core::otp`], on the totp-rs crate).
//!
//! * TOTP: a code is accepted for the time steps within `window` steps of the token's own
//!   clock (now plus the drift learned from its last accepted code, RFC 6238 §6), and only
//!   for a step later than the last accepted one, so a code (or an earlier one) is used once.
//!   The drift follows a hardware token's clock as it wanders over the months, never beyond
//!   [`MAX_DRIFT_SECS`] of the server's clock; an administrator resynchronises a token that
//!   went past its window from two consecutive codes ([`resync`]).
//! * HOTP: a code is accepted for the counters from the next expected one to `look_ahead`
//!   further (presses of the button that were never typed); the counter then moves past it,
//!   so a code is used once. A token that fell further behind is resynchronised by an
//!   administrator from two consecutive codes ([`resync`]), as a TOTP token is.

use subtle::ConstantTimeEq as _;
use tigr_core::otp::{HashAlgorithm, Hotp, Totp};

/// Time steps accepted either side of now by default (RFC 6238 §5.2 recommends one).
pub const DEFAULT_WINDOW: u32 = 1;
/// Largest drift window an administrator may set.
pub const MAX_WINDOW: u32 = 10;
/// HOTP counters accepted ahead of the expected one by default.
pub const DEFAULT_LOOK_AHEAD: u32 = 10;
/// How far ahead of the expected counter a resynchronisation searches.
pub const RESYNC_RANGE: u64 = 1000;
/// How far a TOTP token's clock may be from the server's, learned code after code or set by
/// a resynchronisation: 20 minutes (40 steps of 30 s, 20 of 60 s). The bound is what keeps
/// the drift from being steered: codes read off a token whose clock was set ahead (an
/// authenticator app on a phone left unattended, say) could otherwise walk the learned drift
/// forward `window` steps per login until codes for tomorrow work today. With it, whatever
/// codes were accepted before, a code is never accepted more than 20 minutes from the time
/// it was made for (a step past the bound is refused even inside the window). A token
/// further off is broken or tampered with: it is replaced, not followed.
pub const MAX_DRIFT_SECS: i64 = 20 * 60;
/// How far either side of now a TOTP resynchronisation searches for its two codes: one day,
/// so that a token far off is told from two wrong codes (and refused, [`ResyncProblem::TooFar`]).
pub const RESYNC_SECS: i64 = 24 * 60 * 60;
/// The TOTP periods tokens may have, in seconds.
pub const PERIODS: [u32; 2] = [30, 60];
/// The code lengths tokens may have.
pub const DIGITS: [u8; 2] = [6, 8];
/// Shortest secret accepted, in bytes (RFC 4226 §4: 128 bits).
pub const MIN_SECRET_LEN: usize = 16;
/// Longest secret accepted, in bytes.
pub const MAX_SECRET_LEN: usize = 128;

/// Time-based or counter-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// TOTP with its period in seconds (30 or 60).
    Totp {
        /// Seconds of a time step.
        period: u32,
    },
    /// HOTP.
    Hotp,
}

impl TokenKind {
    /// The stored spelling: `totp` or `hotp`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp { .. } => "totp",
            Self::Hotp => "hotp",
        }
    }
}

/// What a token computes, as imported or enrolled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenParams {
    /// TOTP (with its period) or HOTP.
    pub kind: TokenKind,
    /// HMAC hash.
    pub algorithm: HashAlgorithm,
    /// 6 or 8.
    pub digits: u8,
    /// Time steps accepted either side of now (TOTP).
    pub window: u32,
}

/// Why token parameters or a secret are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParamsProblem {
    /// Neither 6 nor 8 digits.
    #[error("digits must be 6 or 8")]
    Digits,
    /// A TOTP period other than 30 or 60 seconds.
    #[error("the period must be 30 or 60 seconds")]
    Period,
    /// A drift window over [`MAX_WINDOW`].
    #[error("the drift window must be at most {MAX_WINDOW} steps")]
    Window,
    /// A secret under 128 bits or over [`MAX_SECRET_LEN`] bytes.
    #[error("the secret must be 16 to 128 bytes (128 bits at least)")]
    SecretLength,
}

impl TokenParams {
    /// The parameters, checked against the rules above.
    pub fn checked(self) -> Result<Self, ParamsProblem> {
        if !DIGITS.contains(&self.digits) {
            return Err(ParamsProblem::Digits);
        }
        if let TokenKind::Totp { period } = self.kind
            && !PERIODS.contains(&period)
        {
            return Err(ParamsProblem::Period);
        }
        if self.window > MAX_WINDOW {
            return Err(ParamsProblem::Window);
        }
        Ok(self)
    }
}

impl TokenParams {
    /// How administrators read the parameters: `TOTP SHA1 6 30s ±1`, or `HOTP SHA1 6 #12`
    /// with the next counter expected.
    pub fn summary(&self, counter: i64) -> String {
        let (algorithm, digits) = (self.algorithm.name(), self.digits);
        match self.kind {
            TokenKind::Totp { period } => {
                format!("TOTP {algorithm} {digits} {period}s ±{}", self.window)
            }
            TokenKind::Hotp => format!("HOTP {algorithm} {digits} #{counter}"),
        }
    }
}

/// A secret of acceptable length.
pub fn check_secret(secret: &[u8]) -> Result<(), ParamsProblem> {
    if (MIN_SECRET_LEN..=MAX_SECRET_LEN).contains(&secret.len()) {
        Ok(())
    } else {
        Err(ParamsProblem::SecretLength)
    }
}

/// What a token remembers between codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenState {
    /// TOTP: the last time step accepted (`None`: none yet).
    pub last_step: Option<i64>,
    /// HOTP: the next counter expected (the last accepted one plus one).
    pub counter: i64,
    /// TOTP: the token's clock as last seen, in steps from the server's (positive: ahead):
    /// the step of the last accepted code minus the step of the time it was accepted.
    pub drift: i64,
}

/// The largest drift, in steps, of a TOTP token of `period` seconds.
pub fn max_drift(period: u32) -> i64 {
    MAX_DRIFT_SECS / i64::from(period.max(1))
}

impl TokenState {
    /// TOTP: the learned drift in steps and in seconds (`None` for HOTP), for display.
    pub fn drift_of(&self, params: &TokenParams) -> Option<(i64, i64)> {
        match params.kind {
            TokenKind::Totp { period } => Some((self.drift, self.drift * i64::from(period))),
            TokenKind::Hotp => None,
        }
    }
}

/// The code as typed, without spaces: `Some` when it has the token's number of digits.
pub fn typed_code(typed: &str, digits: u8) -> Option<String> {
    let code: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    (code.len() == usize::from(digits) && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The code generator of a token, or `None` when its secret does not fit (refused at import).
enum Generator {
    Time(Totp, u32),
    Counter(Hotp),
}

impl Generator {
    fn new(params: &TokenParams, secret: &[u8]) -> Option<Self> {
        match params.kind {
            TokenKind::Totp { period } => {
                Totp::new(params.algorithm, secret, params.digits, u64::from(period))
                    .ok()
                    .map(|t| Self::Time(t, period))
            }
            TokenKind::Hotp => Hotp::new(params.algorithm, secret, params.digits)
                .ok()
                .map(Self::Counter),
        }
    }
}

/// The code of `secret` at time step or counter `n` (for tests and enrollment checks).
pub fn code_at(params: &TokenParams, secret: &[u8], n: u64) -> Option<String> {
    Some(match Generator::new(params, secret)? {
        Generator::Time(totp, period) => totp.code_at(n * u64::from(period)),
        Generator::Counter(hotp) => hotp.code(n),
    })
}

/// The token's state after accepting `code` at `now`, or `None` when the code is wrong, was
/// already used (or an earlier one was), or is outside the window / look-ahead.
pub fn verify(
    params: &TokenParams,
    secret: &[u8],
    state: TokenState,
    code: &str,
    now: i64,
    look_ahead: u32,
) -> Option<TokenState> {
    let code = typed_code(code, params.digits)?;
    match Generator::new(params, secret)? {
        Generator::Time(totp, period) => {
            let current = now.div_euclid(i64::from(period));
            let window = i64::from(params.window);
            let bound = max_drift(period);
            // The token's clock as last seen (a stored value out of bounds is brought back).
            let center = current + state.drift.clamp(-bound, bound);
            let first = (center - window).max(state.last_step.map_or(0, |s| s + 1));
            // Every step of the window is computed, whichever matches: the work does not
            // tell which step it was.
            let mut accepted = None;
            for step in (center - window).max(0)..=center + window {
                let right = same(&totp.code_at(step as u64 * u64::from(period)), &code);
                if right && step >= first && (step - current).abs() <= bound && accepted.is_none() {
                    accepted = Some(step);
                }
            }
            accepted.map(|step| TokenState {
                last_step: Some(step),
                drift: step - current,
                ..state
            })
        }
        Generator::Counter(hotp) => {
            let start = state.counter.max(0);
            let mut accepted = None;
            for counter in start..start + i64::from(look_ahead.max(1)) {
                if same(&hotp.code(counter as u64), &code) && accepted.is_none() {
                    accepted = Some(counter);
                }
            }
            accepted.map(|counter| TokenState {
                counter: counter + 1,
                ..state
            })
        }
    }
}

/// Why a resynchronisation is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResyncProblem {
    /// The two codes are not consecutive codes of the token in the range searched (or not
    /// after the last code used).
    NotFound,
    /// TOTP: they are, but the token's clock is this many seconds off (positive: ahead),
    /// more than [`MAX_DRIFT_SECS`].
    TooFar {
        /// The token's clock minus the server's, in seconds.
        drift_secs: i64,
    },
}

/// Resynchronisation from `first` and `second`, two consecutive codes read off the token:
/// its state after them, the codes spent.
///
/// * HOTP: found within [`RESYNC_RANGE`] counters ahead of the expected one (never back);
///   the counter moves past them.
/// * TOTP: found for two consecutive steps within [`RESYNC_SECS`] of `now` (the nearest to
///   now first), after the last step used; the drift becomes the second code's step minus
///   now's (the code the token shows now), refused beyond [`MAX_DRIFT_SECS`].
pub fn resync(
    params: &TokenParams,
    secret: &[u8],
    state: TokenState,
    first: &str,
    second: &str,
    now: i64,
) -> Result<TokenState, ResyncProblem> {
    let (Some(first), Some(second)) = (
        typed_code(first, params.digits),
        typed_code(second, params.digits),
    ) else {
        return Err(ResyncProblem::NotFound);
    };
    match Generator::new(params, secret).ok_or(ResyncProblem::NotFound)? {
        Generator::Counter(hotp) => {
            let start = state.counter.max(0) as u64;
            (start..start + RESYNC_RANGE)
                .find(|&c| same(&hotp.code(c), &first) && same(&hotp.code(c + 1), &second))
                .map(|c| TokenState {
                    counter: c as i64 + 2,
                    ..state
                })
                .ok_or(ResyncProblem::NotFound)
        }
        Generator::Time(totp, period) => {
            let current = now.div_euclid(i64::from(period));
            let range = RESYNC_SECS / i64::from(period);
            let not_before = state.last_step.map_or(0, |s| s + 1);
            let code = |step: i64| totp.code_at(step as u64 * u64::from(period));
            // `second` is the code shown now: steps by distance from now, ahead first; the
            // first code's step (`step - 1`) must not have been used.
            let second_step = (0..=range)
                .flat_map(|d| [current + d, current - d])
                .filter(|&step| step > not_before)
                .find(|&step| same(&code(step), &second) && same(&code(step - 1), &first))
                .ok_or(ResyncProblem::NotFound)?;
            let drift = second_step - current;
            if drift.abs() > max_drift(period) {
                return Err(ResyncProblem::TooFar {
                    drift_secs: drift * i64::from(period),
                });
            }
            Ok(TokenState {
                last_step: Some(second_step),
                drift,
                ..state
            })
        }
    }
}

/// The parameters of tokens enrolled in authenticator apps: TOTP, HMAC-SHA-1, six digits,
/// 30 seconds, the only values every app (FreeOTP, Google Authenticator, Aegis, browser
/// extensions) honours.
pub fn app_params(window: u32) -> TokenParams {
    TokenParams {
        kind: TokenKind::Totp { period: 30 },
        algorithm: HashAlgorithm::Sha1,
        digits: 6,
        window,
    }
}

/// Bytes of the secret of an app token (RFC 4226 §4 recommends 160 bits).
pub const APP_SECRET_LEN: usize = 20;

/// The Key Uri Format link an authenticator app scans: `otpauth://totp/Issuer:account?` with
/// the standard parameters only (`secret`, `issuer`, `algorithm`, `digits`, `period`).
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8], params: &TokenParams) -> String {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    let encode = |text: &str| utf8_percent_encode(text, NON_ALPHANUMERIC).to_string();
    let secret = base32::encode(base32::Alphabet::Rfc4648 { padding: false }, secret);
    let mut uri = format!(
        "otpauth://{}/{}:{}?secret={secret}&issuer={}&algorithm={}&digits={}",
        params.kind.as_str(),
        encode(issuer),
        encode(account),
        encode(issuer),
        params.algorithm.name(),
        params.digits,
    );
    if let TokenKind::Totp { period } = params.kind {
        uri.push_str(&format!("&period={period}"));
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4226 Appendix D: the secret "12345678901234567890" and its codes for counters 0 to 9.
    const RFC4226_SECRET: &[u8] = b"12345678901234567890";
    const RFC4226_CODES: [&str; 10] = [
        "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
        "520489",
    ];

    fn hotp() -> TokenParams {
        TokenParams {
            kind: TokenKind::Hotp,
            algorithm: HashAlgorithm::Sha1,
            digits: 6,
            window: DEFAULT_WINDOW,
        }
    }

    fn totp(algorithm: HashAlgorithm, digits: u8, period: u32) -> TokenParams {
        TokenParams {
            kind: TokenKind::Totp { period },
            algorithm,
            digits,
            window: DEFAULT_WINDOW,
        }
    }

    #[test]
    fn rfc4226_vectors_are_accepted_once_in_order() {
        let mut state = TokenState::default();
        for (counter, code) in RFC4226_CODES.iter().enumerate() {
            assert_eq!(
                code_at(&hotp(), RFC4226_SECRET, counter as u64).as_deref(),
                Some(*code)
            );
            state = verify(&hotp(), RFC4226_SECRET, state, code, 0, 1).expect("next code");
            assert_eq!(state.counter, counter as i64 + 1);
            // The same code again: refused (replay).
            assert_eq!(verify(&hotp(), RFC4226_SECRET, state, code, 0, 10), None);
        }
    }

    /// RFC 6238 Appendix B: 8-digit codes of the three algorithms at six times.
    #[test]
    fn rfc6238_vectors() {
        let sha1 = b"12345678901234567890".as_slice();
        let sha256 = b"12345678901234567890123456789012".as_slice();
        let sha512 = b"1234567890123456789012345678901234567890123456789012345678901234".as_slice();
        let cases: [(i64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1_111_111_109, "07081804", "68084774", "25091201"),
            (1_111_111_111, "14050471", "67062674", "99943326"),
            (1_234_567_890, "89005924", "91819424", "93441116"),
            (2_000_000_000, "69279037", "90698825", "38618901"),
            (20_000_000_000, "65353130", "77737706", "47863826"),
        ];
        for (time, c1, c256, c512) in cases {
            for (algorithm, secret, code) in [
                (HashAlgorithm::Sha1, sha1, c1),
                (HashAlgorithm::Sha256, sha256, c256),
                (HashAlgorithm::Sha512, sha512, c512),
            ] {
                let params = totp(algorithm, 8, 30);
                let state = verify(&params, secret, TokenState::default(), code, time, 10)
                    .unwrap_or_else(|| panic!("{algorithm:?} at {time}"));
                assert_eq!(state.last_step, Some(time / 30));
            }
        }
    }

    #[test]
    fn totp_codes_work_within_the_window_once_and_never_an_earlier_step() {
        let params = totp(HashAlgorithm::Sha1, 6, 30);
        let secret = RFC4226_SECRET;
        let now = 1_800_000_015; // step 60_000_000, 15 s in
        let step = now / 30;
        let code = |s: i64| code_at(&params, secret, s as u64).expect("code");
        let fresh = TokenState::default();
        // One step either side: accepted; two: refused.
        for s in [step - 1, step, step + 1] {
            assert!(
                verify(&params, secret, fresh, &code(s), now, 10).is_some(),
                "{s}"
            );
        }
        for s in [step - 2, step + 2] {
            assert_eq!(
                verify(&params, secret, fresh, &code(s), now, 10),
                None,
                "{s}"
            );
        }
        // A wider window (per token) accepts two steps.
        let wide = TokenParams {
            window: 2,
            ..params
        };
        assert!(verify(&wide, secret, fresh, &code(step - 2), now, 10).is_some());
        // Used once: the same step, or an earlier one, is refused after.
        let used = verify(&params, secret, fresh, &code(step), now, 10).expect("first use");
        assert_eq!(used.last_step, Some(step));
        assert_eq!(verify(&params, secret, used, &code(step), now, 10), None);
        assert_eq!(
            verify(&params, secret, used, &code(step - 1), now, 10),
            None
        );
        assert!(verify(&params, secret, used, &code(step + 1), now, 10).is_some());
        // Spaces are fine; other lengths and letters are not.
        let spaced = format!("{} {}", &code(step)[..3], &code(step)[3..]);
        assert!(verify(&params, secret, fresh, &spaced, now, 10).is_some());
        assert_eq!(verify(&params, secret, fresh, "12345", now, 10), None);
        assert_eq!(verify(&params, secret, fresh, "12345a", now, 10), None);
    }

    #[test]
    fn hotp_look_ahead_then_resync_from_two_consecutive_codes() {
        let params = hotp();
        let state = TokenState {
            counter: 0,
            ..TokenState::default()
        };
        // Within the look-ahead: counter 9 with a look-ahead of 10 is accepted.
        let ahead = verify(&params, RFC4226_SECRET, state, RFC4226_CODES[9], 0, 10);
        assert_eq!(ahead.map(|s| s.counter), Some(10));
        // Beyond it: counter 9 with a look-ahead of 5 is refused.
        assert_eq!(
            verify(&params, RFC4226_SECRET, state, RFC4226_CODES[9], 0, 5),
            None
        );
        // Resync: two consecutive codes move the counter past them; codes that do not follow
        // each other do nothing.
        let resynced = |counter: i64, first: &str, second: &str| {
            let state = TokenState {
                counter,
                ..TokenState::default()
            };
            resync(&params, RFC4226_SECRET, state, first, second, 0).map(|s| s.counter)
        };
        assert_eq!(resynced(0, RFC4226_CODES[7], RFC4226_CODES[8]), Ok(9));
        assert_eq!(
            resynced(0, RFC4226_CODES[7], RFC4226_CODES[9]),
            Err(ResyncProblem::NotFound)
        );
        // Codes before the expected counter are never found again (no going back).
        assert_eq!(
            resynced(5, RFC4226_CODES[1], RFC4226_CODES[2]),
            Err(ResyncProblem::NotFound)
        );
    }

    /// A TOTP token of the RFC secret whose clock runs `ahead` steps in front of the server's:
    /// the code it shows at server time `now`.
    fn shown(params: &TokenParams, now: i64, ahead: i64) -> String {
        let TokenKind::Totp { period } = params.kind else {
            unreachable!("a TOTP token")
        };
        let step = now.div_euclid(i64::from(period)) + ahead;
        code_at(params, RFC4226_SECRET, step as u64).expect("code")
    }

    #[test]
    fn totp_drift_is_learned_and_followed_step_by_step_beyond_the_window() {
        let params = totp(HashAlgorithm::Sha1, 6, 30);
        let start = 1_800_000_015;
        // Two steps ahead from the start: outside the ±1 window of a token never seen.
        assert_eq!(
            verify(
                &params,
                RFC4226_SECRET,
                TokenState::default(),
                &shown(&params, start, 2),
                start,
                10
            ),
            None
        );
        // One step ahead: accepted, and the drift learned.
        let mut state = verify(
            &params,
            RFC4226_SECRET,
            TokenState::default(),
            &shown(&params, start, 1),
            start,
            10,
        )
        .expect("within the window");
        assert_eq!(state.drift, 1);
        // The token gains one step between logins, a day apart: each code is one step past
        // the learned drift, inside the window around it, so its drift is followed up to
        // twelve steps (6 min), six times the window.
        for day in 1..=11 {
            let now = start + day * 86_400;
            let code = shown(&params, now, 1 + day);
            // Without the learned drift, the same code would be refused.
            assert_eq!(
                verify(
                    &params,
                    RFC4226_SECRET,
                    TokenState { drift: 0, ..state },
                    &code,
                    now,
                    10
                ),
                None,
                "day {day}"
            );
            state = verify(&params, RFC4226_SECRET, state, &code, now, 10)
                .unwrap_or_else(|| panic!("day {day}"));
            assert_eq!(state.drift, 1 + day);
            assert_eq!(state.last_step, Some(now / 30 + 1 + day));
            // Replay: the same code, or the step before, is refused at once.
            assert_eq!(verify(&params, RFC4226_SECRET, state, &code, now, 10), None);
            let before = shown(&params, now, day);
            assert_eq!(
                verify(&params, RFC4226_SECRET, state, &before, now, 10),
                None
            );
        }
        // The drift is the token's clock as last seen: a token set right again (drift back
        // to one step ahead of the server) is followed back within the window.
        let now = start + 12 * 86_400;
        let back = verify(
            &params,
            RFC4226_SECRET,
            state,
            &shown(&params, now, 11),
            now,
            10,
        )
        .expect("one step back");
        assert_eq!(back.drift, 11);
    }

    #[test]
    fn totp_drift_is_bounded() {
        for period in PERIODS {
            let params = TokenParams {
                window: MAX_WINDOW,
                ..totp(HashAlgorithm::Sha1, 6, period)
            };
            let bound = max_drift(period);
            assert_eq!(bound * i64::from(period), MAX_DRIFT_SECS);
            let now = 1_800_000_015;
            // At the bound: accepted; one step past it, even inside the window around the
            // learned drift: refused, ahead as behind.
            for sign in [1, -1] {
                let at_bound = TokenState {
                    drift: sign * bound,
                    ..TokenState::default()
                };
                let ok = verify(
                    &params,
                    RFC4226_SECRET,
                    at_bound,
                    &shown(&params, now, sign * bound),
                    now,
                    10,
                );
                assert_eq!(ok.map(|s| s.drift), Some(sign * bound), "{period} {sign}");
                for past in 1..=i64::from(MAX_WINDOW) {
                    let code = shown(&params, now, sign * (bound + past));
                    assert_eq!(
                        verify(&params, RFC4226_SECRET, at_bound, &code, now, 10),
                        None,
                        "{period} {sign} {past}"
                    );
                }
                // A stored drift beyond the bound (not written by this code) is brought
                // back to it: codes far off stay refused.
                let corrupt = TokenState {
                    drift: sign * (bound + 5),
                    ..TokenState::default()
                };
                let far = shown(&params, now, sign * (bound + 5));
                assert_eq!(
                    verify(&params, RFC4226_SECRET, corrupt, &far, now, 10),
                    None
                );
            }
        }
    }

    #[test]
    fn totp_resync_finds_the_drift_from_two_consecutive_codes() {
        let params = totp(HashAlgorithm::Sha1, 6, 30);
        let now = 1_800_000_015;
        let current = now / 30;
        let used = TokenState {
            last_step: Some(current - 3),
            ..TokenState::default()
        };
        for ahead in [25, -25, 40, -40, 0] {
            let (first, second) = (shown(&params, now, ahead - 1), shown(&params, now, ahead));
            let state = resync(
                &params,
                RFC4226_SECRET,
                TokenState::default(),
                &first,
                &second,
                now,
            )
            .unwrap_or_else(|p| panic!("{ahead}: {p:?}"));
            assert_eq!(state.drift, ahead);
            assert_eq!(state.last_step, Some(current + ahead));
            // Then a login with the token's next code works, and the codes are spent.
            let next = shown(&params, now + 30, ahead);
            assert!(verify(&params, RFC4226_SECRET, state, &next, now + 30, 10).is_some());
            assert_eq!(
                verify(&params, RFC4226_SECRET, state, &second, now, 10),
                None
            );
            // The same two codes in the wrong order, or not consecutive: refused.
            assert_eq!(
                resync(&params, RFC4226_SECRET, used, &second, &first, now),
                Err(ResyncProblem::NotFound),
                "{ahead}"
            );
            let skipped = shown(&params, now, ahead + 1);
            assert_eq!(
                resync(&params, RFC4226_SECRET, used, &first, &skipped, now),
                Err(ResyncProblem::NotFound),
                "{ahead}"
            );
        }
        // Codes already used (at or before the last step) are not found again.
        let spent = (shown(&params, now, -4), shown(&params, now, -3));
        assert_eq!(
            resync(&params, RFC4226_SECRET, used, &spent.0, &spent.1, now),
            Err(ResyncProblem::NotFound)
        );
        // Found beyond the bound (two hours ahead, within the day searched): refused, with
        // how far off the token is.
        let far = (shown(&params, now, 239), shown(&params, now, 240));
        assert_eq!(
            resync(&params, RFC4226_SECRET, used, &far.0, &far.1, now),
            Err(ResyncProblem::TooFar { drift_secs: 7200 })
        );
        // Beyond the day searched: not found at all.
        let days = 2 * 2880;
        let gone = (shown(&params, now, days - 1), shown(&params, now, days));
        assert_eq!(
            resync(&params, RFC4226_SECRET, used, &gone.0, &gone.1, now),
            Err(ResyncProblem::NotFound)
        );
    }

    #[test]
    fn otpauth_links_carry_the_standard_parameters_only() {
        let uri = otpauth_uri("Tigr Santé", "dr.martin", RFC4226_SECRET, &app_params(1));
        assert_eq!(
            uri,
            "otpauth://totp/Tigr%20Sant%C3%A9:dr%2Emartin?\
             secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Tigr%20Sant%C3%A9&\
             algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn parameters_and_secrets_outside_the_rules_are_refused() {
        assert!(totp(HashAlgorithm::Sha256, 8, 60).checked().is_ok());
        assert_eq!(
            totp(HashAlgorithm::Sha1, 7, 30).checked(),
            Err(ParamsProblem::Digits)
        );
        assert_eq!(
            totp(HashAlgorithm::Sha1, 6, 45).checked(),
            Err(ParamsProblem::Period)
        );
        let wide = TokenParams {
            window: MAX_WINDOW + 1,
            ..hotp()
        };
        assert_eq!(wide.checked(), Err(ParamsProblem::Window));
        assert_eq!(check_secret(&[1; 15]), Err(ParamsProblem::SecretLength));
        assert!(check_secret(&[1; 16]).is_ok());
        assert_eq!(check_secret(&[1; 129]), Err(ParamsProblem::SecretLength));
    }
}
