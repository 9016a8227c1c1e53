//! The login method this browser chose last (QR code by default, or the OTP form),
//! remembered in a cookie; the choice itself is `login_methods.rs`.

use axum::http::HeaderMap;

use super::super::AppState;
use super::CookieName;

/// How long the browser remembers the chosen login method: a year.
const METHOD_COOKIE_SECONDS: i64 = 365 * 24 * 3600;

/// A login method of the login page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageMethod {
    /// The QR code (default).
    Qr,
    /// Tigr ID + password + one-time password.
    Otp,
}

impl PageMethod {
    fn as_str(self) -> &'static str {
        match self {
            Self::Qr => "qr",
            Self::Otp => "otp",
        }
    }

    /// The method this browser chose last (QR when none).
    pub fn remembered(app: &AppState, headers: &HeaderMap) -> Self {
        match app.pages.jar.get(headers, CookieName::Method).as_deref() {
            Some("otp") => Self::Otp,
            _ => Self::Qr,
        }
    }

    /// The `Set-Cookie` that remembers this method.
    pub fn cookie(self, app: &AppState) -> String {
        app.pages.jar.set(
            CookieName::Method,
            self.as_str(),
            Some(METHOD_COOKIE_SECONDS),
        )
    }
}
