//! The login methods the login pages offer, in one list: each method's page shows the list
//! (pictogram and name) with itself marked current. A new method is one more entry here
//! and its own page.

use serde::Serialize;

use super::super::AppState;
use super::PageContext;

/// One entry of the method choice.
#[derive(Debug, Clone, Serialize)]
pub struct LoginMethodLink {
    /// `qr`, `cps`: names its pictogram (`method-icon-<id>` in tigr.css).
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
/// CPS card when card login is configured.
pub fn login_methods(app: &AppState, ctx: &PageContext, current: &str) -> Vec<LoginMethodLink> {
    let mut methods = vec![("qr", "/login", "login-method-qr")];
    if app.pages.card.is_some() {
        methods.push(("cps", "/login/cps", "login-method-cps"));
    }
    methods
        .into_iter()
        .map(|(id, path, label)| LoginMethodLink {
            id,
            label: ctx.t(label),
            href: ctx.url_for(path, &["return", "authorize", "lang"]),
            current: id == current,
        })
        .collect()
}
