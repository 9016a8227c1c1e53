//! The login methods the login pages offer, in one list: each method's page shows the list
//! (pictogram and name) with itself marked current. A new method is one more entry here
//! and its own page.

use serde::Serialize;

use super::super::AppState;
use super::PageContext;

/// One entry of the method choice.
#[derive(Debug, Clone, Serialize)]
pub struct LoginMethodLink {
    /// `qr`, `otp`, `cps`: names its pictogram (`method-icon-<id>` in tigr.css).
    pub id: &'static str,
    /// Its name in the page language.
    pub label: String,
    /// Its page, with this page's `return`, `authorize` (a kept OpenID Connect request) and
    /// `lang`.
    pub href: String,
    /// True on the method's own page.
    pub current: bool,
}

/// The methods this server offers, `current` marked: the QR code first (the default), the
/// OTP form (Tigr ID + password + code), the CPS card when card login is configured. The
/// QR entry says `method=qr`, so that choosing it overrides a remembered OTP choice.
pub fn login_methods(app: &AppState, ctx: &PageContext, current: &str) -> Vec<LoginMethodLink> {
    let mut methods = vec![
        ("qr", "/login", "login-method-qr"),
        ("otp", "/login/otp", "login-method-otp"),
    ];
    if app.pages.card.is_some() {
        methods.push(("cps", "/login/cps", "login-method-cps"));
    }
    methods
        .into_iter()
        .map(|(id, path, label)| {
            let mut query: Vec<(&str, &str)> = Vec::new();
            if id == "qr" {
                query.push(("method", "qr"));
            }
            query.extend(
                ctx.query
                    .iter()
                    .filter(|(k, _)| KEPT.contains(&k.as_str()))
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            );
            let encoded = serde_urlencoded::to_string(&query).unwrap_or_default();
            LoginMethodLink {
                id,
                label: ctx.t(label),
                href: if encoded.is_empty() {
                    path.to_owned()
                } else {
                    format!("{path}?{encoded}")
                },
                current: id == current,
            }
        })
        .collect()
}

/// What each method's page keeps of the current page's query.
const KEPT: [&str; 3] = ["return", "authorize", "lang"];
