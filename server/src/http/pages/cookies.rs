//! The pages' cookies: reading the `Cookie` header and writing `Set-Cookie` values.
//!
//! | cookie (Secure / not)                    | holds                                   | attributes |
//! |------------------------------------------|-----------------------------------------|------------|
//! | `__Host-tigr_session` / `tigr_session`   | session id (server keeps SHA-256 of it) | HttpOnly, SameSite=Lax, Path=/, until the absolute end |
//! | `__Host-tigr_login` / `tigr_login`       | browser token of the login page's QR codes, with this server's HMAC tag (`token.tag`) | HttpOnly, SameSite=Lax, Path=/, browser session |
//! | `__Host-tigr_oidc` / `tigr_oidc`         | browser token binding OpenID Connect authorization requests kept during a login | HttpOnly, SameSite=Lax, Path=/, browser session |
//! | `tigr_lang`                              | `fr` or `en` (chosen with `?lang=`)     | HttpOnly, SameSite=Lax, Path=/, one year |
//!
//! The `__Host-` prefix (Secure, no Domain, Path=/) is used whenever cookies are Secure.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

/// Which cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieName {
    /// The logged-in session.
    Session,
    /// The login page's browser token (binds QR codes to this browser).
    Login,
    /// The browser token of OpenID Connect authorization requests (binds a request kept
    /// during the login to this browser).
    Oidc,
    /// The chosen language.
    Lang,
}

/// Cookie names and attributes of this server.
#[derive(Debug, Clone, Copy)]
pub struct CookieJar {
    /// Add `Secure` (and use `__Host-` names).
    pub secure: bool,
}

impl CookieJar {
    /// The name of `cookie`.
    pub fn name(self, cookie: CookieName) -> &'static str {
        match (cookie, self.secure) {
            (CookieName::Session, true) => "__Host-tigr_session",
            (CookieName::Session, false) => "tigr_session",
            (CookieName::Login, true) => "__Host-tigr_login",
            (CookieName::Login, false) => "tigr_login",
            (CookieName::Oidc, true) => "__Host-tigr_oidc",
            (CookieName::Oidc, false) => "tigr_oidc",
            (CookieName::Lang, _) => "tigr_lang",
        }
    }

    /// The value of `cookie` in the request, if present.
    pub fn get(self, headers: &HeaderMap, cookie: CookieName) -> Option<String> {
        let wanted = self.name(cookie);
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == wanted)
            .map(|(_, value)| value.trim_matches('"').to_owned())
    }

    /// A `Set-Cookie` value; `max_age` `None` makes a browser-session cookie, `Some(0)`
    /// deletes it.
    pub fn set(self, cookie: CookieName, value: &str, max_age: Option<i64>) -> String {
        let mut out = format!(
            "{}={value}; Path=/; HttpOnly; SameSite=Lax",
            self.name(cookie)
        );
        if let Some(seconds) = max_age {
            out.push_str(&format!("; Max-Age={}", seconds.max(0)));
        }
        if self.secure {
            out.push_str("; Secure");
        }
        out
    }

    /// A `Set-Cookie` value that deletes `cookie`.
    pub fn clear(self, cookie: CookieName) -> String {
        self.set(cookie, "", Some(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_and_write() {
        let jar = CookieJar { secure: false };
        let mut h = HeaderMap::new();
        h.append(
            COOKIE,
            "a=1; tigr_session=ABC; tigr_lang=en".parse().expect("h"),
        );
        h.append(COOKIE, "tigr_login=XYZ".parse().expect("h"));
        assert_eq!(jar.get(&h, CookieName::Session).as_deref(), Some("ABC"));
        assert_eq!(jar.get(&h, CookieName::Login).as_deref(), Some("XYZ"));
        assert_eq!(jar.get(&h, CookieName::Lang).as_deref(), Some("en"));
        let secure = CookieJar { secure: true };
        assert_eq!(secure.get(&h, CookieName::Session), None);
        assert_eq!(
            jar.set(CookieName::Session, "V", Some(60)),
            "tigr_session=V; Path=/; HttpOnly; SameSite=Lax; Max-Age=60"
        );
        assert_eq!(
            secure.clear(CookieName::Login),
            "__Host-tigr_login=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure"
        );
    }
}
