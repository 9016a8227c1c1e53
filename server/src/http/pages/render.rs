//! Server-side rendering: minijinja templates embedded in the binary (`server/templates/`),
//! the shared layout, the `t("key")` text function and the static files (`server/static/`).
//!
//! Templates are HTML-escaped automatically (`.html`); `|safe` is used only for the QR SVG
//! that the server renders itself.
//!
//! Adding a page (e.g. the admin pages): put `admin_x.html` in `server/templates/`, add it to
//! [`TEMPLATES`], `{% extends "layout.html" %}`, and render it with
//! [`super::PageContext::render`]; its texts go to the catalogue (`server/text/*.ftl`).

use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error, ErrorKind, State};

use tigr_core::clock::{TimeZone, local_text, rfc3339_utc};

use crate::i18n::Lang;
use crate::text::{self, Arg};

/// Every template, by name. Embedded at compile time, so the binary runs from any folder.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "layout.html",
        include_str!("../../../templates/layout.html"),
    ),
    ("login.html", include_str!("../../../templates/login.html")),
    (
        "login_methods.html",
        include_str!("../../../templates/login_methods.html"),
    ),
    (
        "card_login.html",
        include_str!("../../../templates/card_login.html"),
    ),
    (
        "card_refused.html",
        include_str!("../../../templates/card_refused.html"),
    ),
    (
        "login_otp.html",
        include_str!("../../../templates/login_otp.html"),
    ),
    (
        "password.html",
        include_str!("../../../templates/password.html"),
    ),
    ("token.html", include_str!("../../../templates/token.html")),
    (
        "session.html",
        include_str!("../../../templates/session.html"),
    ),
    (
        "message.html",
        include_str!("../../../templates/message.html"),
    ),
    // OpenID Connect (`http/pages/oidc.rs`).
    (
        "oidc_logout.html",
        include_str!("../../../templates/oidc_logout.html"),
    ),
    (
        "admin/oidc_clients.html",
        include_str!("../../../templates/admin/oidc_clients.html"),
    ),
    (
        "admin/oidc_client.html",
        include_str!("../../../templates/admin/oidc_client.html"),
    ),
    (
        "admin/oidc_client_form.html",
        include_str!("../../../templates/admin/oidc_client_form.html"),
    ),
    (
        "admin/oidc_client_fields.html",
        include_str!("../../../templates/admin/oidc_client_fields.html"),
    ),
    // Admin pages (`http/pages/admin/`).
    (
        "admin/base.html",
        include_str!("../../../templates/admin/base.html"),
    ),
    (
        "admin/message.html",
        include_str!("../../../templates/admin/message.html"),
    ),
    (
        "admin/pager.html",
        include_str!("../../../templates/admin/pager.html"),
    ),
    (
        "admin/audit_rows.html",
        include_str!("../../../templates/admin/audit_rows.html"),
    ),
    (
        "admin/dashboard.html",
        include_str!("../../../templates/admin/dashboard.html"),
    ),
    (
        "admin/accounts.html",
        include_str!("../../../templates/admin/accounts.html"),
    ),
    (
        "admin/account_form.html",
        include_str!("../../../templates/admin/account_form.html"),
    ),
    (
        "admin/account.html",
        include_str!("../../../templates/admin/account.html"),
    ),
    (
        "admin/tokens.html",
        include_str!("../../../templates/admin/tokens.html"),
    ),
    (
        "admin/token_link.html",
        include_str!("../../../templates/admin/token_link.html"),
    ),
    (
        "admin/enroll.html",
        include_str!("../../../templates/admin/enroll.html"),
    ),
    (
        "admin/invitation.html",
        include_str!("../../../templates/admin/invitation.html"),
    ),
    (
        "admin/password_link.html",
        include_str!("../../../templates/admin/password_link.html"),
    ),
    (
        "admin/blocked.html",
        include_str!("../../../templates/admin/blocked.html"),
    ),
    (
        "admin/audit.html",
        include_str!("../../../templates/admin/audit.html"),
    ),
];

/// A static file: path under `/static/`, content type, bytes.
pub type StaticFile = (&'static str, &'static str, &'static [u8]);

/// Every static file (scripts, styles, icons), served from `/static/`.
pub const STATIC_FILES: &[StaticFile] = &[
    (
        "tigr.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../static/tigr.css"),
    ),
    (
        "login.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../static/login.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../../static/favicon.svg"),
    ),
    (
        "admin.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../static/admin.css"),
    ),
    (
        "admin.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../static/admin.js"),
    ),
];

/// The template environment.
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, source) in TEMPLATES {
        // A broken template is a bug caught by the unit tests below.
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("template {name}: {e}"));
    }
    env.add_function("t", translate);
    env
}

/// `t("key", name=value, ...)`: the text of `key` in the page's language (`lang` of the
/// context), with its variables.
fn translate(state: &State<'_, '_>, key: &str, variables: Kwargs) -> Result<String, Error> {
    let lang = match state.lookup("lang").as_ref().and_then(Value::as_str) {
        Some("en") => Lang::En,
        _ => Lang::Fr,
    };
    if !text::has(key) {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("unknown text {key:?}"),
        ));
    }
    let mut args = Vec::new();
    for name in variables.args() {
        let value: Value = variables.get(name)?;
        let arg = match value.as_i64() {
            Some(n) => Arg::from(n),
            None => Arg::from(value.to_string()),
        };
        args.push((name, arg));
    }
    Ok(text::text_with(lang, key, &args))
}

/// A short fingerprint of the static files, appended to their URLs (`?v=`) so that browsers
/// never use an old script with a new page.
pub fn asset_version() -> String {
    let mut all = Vec::new();
    for (name, _, bytes) in STATIC_FILES {
        all.extend_from_slice(name.as_bytes());
        all.extend_from_slice(bytes);
    }
    hex_prefix(&crate::sealing::sha256(&all), 6)
}

fn hex_prefix(bytes: &[u8], n: usize) -> String {
    bytes.iter().take(n).map(|b| format!("{b:02x}")).collect()
}

/// A time for a page: as its reader reads it (local time in `zone` with its offset, in
/// `lang`), and RFC 3339 UTC for the `datetime` attribute.
pub fn time_texts(unix: i64, zone: &TimeZone, lang: Lang) -> (String, String) {
    (local_text(unix, zone, lang.into()), rfc3339_utc(unix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::context;

    fn base(lang: &str) -> Value {
        context! {
            lang,
            other_lang => if lang == "fr" { "en" } else { "fr" },
            service_name => "ESEA <Nouvelle-Aquitaine>",
            asset_version => "x",
            lang_switch_url => "/login?lang=en",
            session => context! {
                display_name => "Alice <b>",
                account => "alice",
                role => "admin",
                csrf => "TOKEN",
            },
        }
    }

    #[test]
    fn every_template_renders_in_both_languages_and_escapes() {
        let env = environment();
        for lang in ["fr", "en"] {
            let login = env
                .get_template("login.html")
                .expect("login")
                .render(context! {
                    ..base(lang),
                    ..context! {
                        mode => "qr", challenge_id => "C", expires_at => 1, now => 0, ttl => 120,
                        max_renewals => 10, csrf => "K", return_to => "/x\"y", qr_svg => "<svg></svg>",
                        countdown_text => "2:00", remaining => 120, notice => "n",
                        offline_error => "", offline_tigr_id => "", qr_mode_url => "/login",
                        offline_mode_url => "/login?mode=offline", demo_payload => "P<",
                        login_methods => vec![
                            context! { id => "qr", label => "QR", href => "/login", current => true },
                            context! { id => "cps", label => "CPS", href => "/login/cps", current => false },
                        ],
                    }
                })
                .expect("login renders");
            assert!(login.contains("<svg></svg>"));
            assert!(login.contains("ESEA &lt;Nouvelle-Aquitaine&gt;"));
            assert!(login.contains("x&quot;y"));
            assert!(login.contains("P&lt;"));
            assert!(login.contains("data-method=\"cps\""), "{login}");
            assert!(!login.contains("style="), "no inline style (CSP)");
            assert!(!login.contains("<script>"), "no inline script (CSP)");
            let session = env
                .get_template("session.html")
                .expect("session")
                .render(context! {
                    ..base(lang),
                    ..context! {
                        since_iso => "a", since_text => "b", ends_iso => "c", ends_text => "d",
                        idle_minutes => 30, method => "qr",
                    }
                })
                .expect("session renders");
            assert!(session.contains("Alice &lt;b&gt;"));
            assert!(session.contains("30 min"));
            let card = env
                .get_template("card_login.html")
                .expect("card login")
                .render(context! {
                    ..base(lang),
                    ..context! {
                        card_url => "https://a.fr:8443/login/cps/certificate?challenge=C&return=/x\"y",
                        login_methods => vec![
                            context! { id => "qr", label => "QR <", href => "/login", current => false },
                            context! { id => "cps", label => "CPS", href => "/login/cps", current => true },
                        ],
                    }
                })
                .expect("card login renders");
            assert!(card.contains("challenge=C&amp;return="), "{card}");
            assert!(card.contains("x&quot;y"), "{card}");
            assert!(card.contains("QR &lt;"));
            assert!(card.contains("aria-current=\"page\""));
            let refused = env
                .get_template("card_refused.html")
                .expect("card refused")
                .render(context! {
                    ..base(lang),
                    ..context! {
                        heading => "h", text => "t", todo => "d", reason => "unbound",
                        audited => true, name => "Jeanne <M>", national_id => "810001234567",
                        id_kind => "RPPS", fingerprint => "ab", login_url => "/login/cps",
                        qr_url => "/login",
                    }
                })
                .expect("card refused renders");
            assert!(refused.contains("Jeanne &lt;M&gt;"));
            assert!(refused.contains("810001234567"));
            env.get_template("message.html")
                .expect("message")
                .render(context! {
                    ..base(lang),
                    ..context! { heading => "h", message => "m", link_href => "/", link_text => "l" }
                })
                .expect("message renders");
        }
        assert!(
            environment()
                .render_str("{{ t('nope') }}", context! { lang => "fr" })
                .is_err()
        );
    }

    #[test]
    fn dates() {
        let paris = TimeZone::get("Europe/Paris").expect("zone");
        assert_eq!(
            time_texts(0, &paris, Lang::Fr),
            (
                "01:00:00 (UTC+01:00) le 01/01/1970".to_owned(),
                "1970-01-01T00:00:00Z".to_owned()
            )
        );
        assert_eq!(
            time_texts(1_741_788_300, &paris, Lang::En).0,
            "15:05:00 (UTC+01:00) on 12 March 2025"
        );
        assert_eq!(
            time_texts(951_782_400, &TimeZone::UTC, Lang::Fr).0,
            "00:00:00 (UTC+00:00) le 29/02/2000"
        );
    }
}
