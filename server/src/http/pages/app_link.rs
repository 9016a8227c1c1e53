//! The landing page of a Tigr app link opened in a browser instead of the app
//! (`GET /t/1/L/...`, `GET /t/1/E/...`): a page of its own, outside the pages' layout and
//! security headers (it has its own, stricter ones).

use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_LANGUAGE, CONTENT_SECURITY_POLICY, REFERRER_POLICY, VARY};
use axum::response::{Html, IntoResponse, Response};

use crate::i18n::Lang;
use crate::text::{text, text_with};

use super::super::AppState;

/// `GET /t/1/L/...` and `/t/1/E/...`: a Tigr link opened in a browser instead of the app.
/// The page never repeats the link (it carries a nonce or an enrollment code).
pub async fn page(State(app): State<AppState>, lang: Lang) -> Response {
    let service = escape_html(&app.service_name);
    let t = |key: &str| text(lang, key);
    let page = format!(
        r#"<!doctype html>
<html lang="{lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tigr — {service}</title><style>{STYLE}</style></head>
<body><main>
<h1>{heading}</h1>
<p>{intro}</p>
<ol>
<li>{open}</li>
<li>{scan}</li>
<li>{check}</li>
</ol>
<p class="note">{warning}</p>
</main></body></html>"#,
        lang = lang.pick("fr", "en"),
        heading = t("app-link-heading"),
        intro = text_with(
            lang,
            "app-link-intro",
            &[("service", service.as_str().into())]
        ),
        open = t("app-link-step-open"),
        scan = t("app-link-step-scan"),
        check = t("app-link-step-check"),
        warning = t("app-link-warning"),
    );
    let mut response = Html(page).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    // The URL holds a nonce or a code: never send it to another site.
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(VARY, HeaderValue::from_static("accept-language"));
    headers.insert(
        CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.pick("fr", "en")),
    );
    response
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f8;color:#1a1a1a}\
main{max-width:36rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px}\
h1{font-size:1.5rem}.note{color:#5a1a00;font-weight:600}";

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html("<b>\"A&B's\"</b>"),
            "&lt;b&gt;&quot;A&amp;B&#39;s&quot;&lt;/b&gt;"
        );
    }
}
