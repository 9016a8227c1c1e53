//! TOTP and HOTP tokens (RFC 6238, RFC 4226): hardware tokens and authenticator apps whose
//! codes the OTP form accepts (docs/security.md, "TOTP and HOTP tokens"). Pure: the service
//! passes the time, the opened secret and the token's stored state; the codes themselves are
//! tigr-core's ([`tigr_core::otp`], on the totp-rs crate).
//!
//! * TOTP: a code is accepted for the time steps within `window` steps of now, and only for
//!   a step later than the last accepted one, so a code (or an earlier one) is used once.
//! * HOTP: a code is accepted for the counters from the next expected one to `look_ahead`
//!   further (presses of the button that were never typed); the counter then moves past it,
//!   so a code is used once. A token that fell further behind is resynchronised by an
//!   administrator from two consecutive codes ([`resync`]).

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
            let first = (current - window).max(state.last_step.map_or(0, |s| s + 1));
            // Every step of the window is computed, whichever matches: the work does not
            // tell which step it was.
            let mut accepted = None;
            for step in (current - window).max(0)..=current + window {
                let right = same(&totp.code_at(step as u64 * u64::from(period)), &code);
                if right && step >= first && accepted.is_none() {
                    accepted = Some(step);
                }
            }
            accepted.map(|step| TokenState {
                last_step: Some(step),
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

/// HOTP resynchronisation: the counter after `first` and `second`, two consecutive codes
/// found within [`RESYNC_RANGE`] counters of the expected one; `None` when they are not
/// (or the token is a TOTP one).
pub fn resync(
    params: &TokenParams,
    secret: &[u8],
    counter: i64,
    first: &str,
    second: &str,
) -> Option<i64> {
    let first = typed_code(first, params.digits)?;
    let second = typed_code(second, params.digits)?;
    let Generator::Counter(hotp) = Generator::new(params, secret)? else {
        return None;
    };
    let start = counter.max(0) as u64;
    (start..start + RESYNC_RANGE)
        .find(|&c| same(&hotp.code(c), &first) && same(&hotp.code(c + 1), &second))
        .map(|c| c as i64 + 2)
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
        assert_eq!(
            resync(
                &params,
                RFC4226_SECRET,
                0,
                RFC4226_CODES[7],
                RFC4226_CODES[8]
            ),
            Some(9)
        );
        assert_eq!(
            resync(
                &params,
                RFC4226_SECRET,
                0,
                RFC4226_CODES[7],
                RFC4226_CODES[9]
            ),
            None
        );
        // Codes before the expected counter are never found again (no going back).
        assert_eq!(
            resync(
                &params,
                RFC4226_SECRET,
                5,
                RFC4226_CODES[1],
                RFC4226_CODES[2]
            ),
            None
        );
        // A TOTP token has no counter to resynchronise.
        let time = totp(HashAlgorithm::Sha1, 6, 30);
        assert_eq!(resync(&time, RFC4226_SECRET, 0, "755224", "287082"), None);
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
