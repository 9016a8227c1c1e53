//! Request headers the server reads: `Accept-Language` (language negotiation),
//! `User-Agent` (the browser summary shown on the phone), `Cookie` (the pages' cookies),
//! and `Origin`, `Host`, `Sec-Fetch-Site` (the CSRF origin check).
//!
//! Input: the header values, separated by new lines, in that order (absent when missing or
//! not a valid header value, as the HTTP layer would have it).
//!
//! Properties: English is chosen only when asked for, and a French item of top quality
//! added within the first 32 items always gives French (French wins ties); the browser
//! summary is short and made of letters, digits, spaces and `·` only (a forged header puts
//! no text of its own on the phone); a cookie value read has no `;`; the origin check passes
//! only for a same-origin `Sec-Fetch-Site` and an `Origin` naming this server (scheme, host
//! and port as RFC 6454 compares them, whatever the `Host`).

use axum::http::header::{COOKIE, HOST, ORIGIN};
use axum::http::{HeaderMap, HeaderValue};
use tigr_core::payload::Origin;
use tigr_server::domain::browser::summarize_user_agent;
use tigr_server::http::pages::cookies::{CookieJar, CookieName};
use tigr_server::http::pages::csrf::same_origin;
use tigr_server::i18n::Lang;

/// The target.
pub fn check(data: &[u8]) {
    let mut fields = data.split(|&b| b == b'\n');
    let mut next = || fields.next().and_then(|v| HeaderValue::from_bytes(v).ok());
    let accept_language = next();
    let user_agent = next();
    let cookie = next();
    let origin = next();
    let host = next();
    let fetch_site = next();

    let text =
        |v: &Option<HeaderValue>| v.as_ref().and_then(|v| v.to_str().ok().map(str::to_owned));
    check_language(text(&accept_language).as_deref());
    if let Some(agent) = text(&user_agent) {
        check_summary(&agent);
    }
    check_summary(&super::lossy(data));

    let mut headers = HeaderMap::new();
    for (name, value) in [(COOKIE, cookie), (ORIGIN, origin), (HOST, host)] {
        if let Some(value) = value {
            headers.insert(name, value);
        }
    }
    if let Some(value) = fetch_site {
        headers.insert("sec-fetch-site", value);
    }
    check_cookies(&headers);
    check_origin(&headers);
}

fn check_language(header: Option<&str>) {
    let lang = Lang::from_accept_language(header);
    let Some(header) = header else {
        assert_eq!(lang, Lang::Fr);
        return;
    };
    if lang == Lang::En {
        assert!(header.to_ascii_lowercase().contains("en"), "{header:?}");
    }
    if header.split(',').count() < 32 {
        let with_french = format!("{header},fr");
        assert_eq!(
            Lang::from_accept_language(Some(&with_french)),
            Lang::Fr,
            "{with_french:?}"
        );
    }
}

fn check_summary(user_agent: &str) {
    let summary = summarize_user_agent(user_agent);
    assert!(summary.chars().count() <= 48, "{summary:?}");
    assert!(
        summary
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '·'),
        "{summary:?} from {user_agent:?}"
    );
}

fn check_cookies(headers: &HeaderMap) {
    for secure in [false, true] {
        let jar = CookieJar { secure };
        for cookie in [CookieName::Session, CookieName::Login, CookieName::Lang] {
            if let Some(value) = jar.get(headers, cookie) {
                assert!(!value.contains(';'), "{value:?}");
                assert!(!value.starts_with('"') && !value.ends_with('"'));
                let sent = headers
                    .get_all(COOKIE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .any(|v| v.contains(jar.name(cookie)) && v.contains(&value));
                assert!(sent, "{value:?} was not sent as {}", jar.name(cookie));
            }
        }
    }
}

fn check_origin(headers: &HeaderMap) {
    for own in ["https://auth.example.fr", "http://127.0.0.1:8080"] {
        let own = Origin::parse(own).expect("valid origin");
        if !same_origin(headers, &own) {
            continue;
        }
        if let Some(site) = headers.get("sec-fetch-site") {
            assert_eq!(site.as_bytes(), b"same-origin");
        }
        let Some(origin) = headers.get(ORIGIN) else {
            continue;
        };
        let origin = origin.to_str().expect("a passing Origin is text");
        // Same origin as RFC 6454 defines it: scheme, host and port, a default port written
        // or not (`https://auth.example.fr:443` is `https://auth.example.fr`).
        let read = url::Url::parse(origin).expect("a passing Origin is a URL");
        let ours = url::Url::parse(&own.to_string()).expect("own origin");
        assert_eq!(read.scheme(), ours.scheme(), "{origin:?} passed for {own}");
        assert_eq!(
            read.host_str(),
            ours.host_str(),
            "{origin:?} passed for {own}"
        );
        assert_eq!(
            read.port_or_known_default(),
            ours.port_or_known_default(),
            "{origin:?} passed for {own}"
        );
        assert!(
            read.username().is_empty() && read.password().is_none(),
            "{origin:?} passed for {own}"
        );
    }
}
