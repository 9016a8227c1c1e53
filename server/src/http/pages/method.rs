//! The login method choice of the login pages (QR code by default, or the OTP form),
//! remembered per browser in a cookie.

use axum::http::HeaderMap;
use minijinja::context;

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

/// The method choice's links and state, for `method_nav.html`: each method's page keeps
/// the return URL and language.
pub fn method_links(current: PageMethod, return_to: &str) -> minijinja::Value {
    let with_return = |path: &str, extra: &[(&str, &str)]| {
        let mut query: Vec<(&str, &str)> = extra.to_vec();
        if !return_to.is_empty() {
            query.push(("return", return_to));
        }
        let encoded = serde_urlencoded::to_string(&query).unwrap_or_default();
        if encoded.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{encoded}")
        }
    };
    context! {
        method => current.as_str(),
        qr_method_url => with_return("/login", &[("method", "qr")]),
        otp_method_url => with_return("/login/otp", &[]),
    }
}
