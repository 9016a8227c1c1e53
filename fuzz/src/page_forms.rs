//! Query strings and form bodies of the web pages, parsed with the pages' own types
//! (`tigr_server::http::pages::forms`, feature `fuzzing`): queries through axum's `Query`
//! extractor, form bodies with serde_urlencoded as `SessionForm` does, the CSRF field of a
//! form, the `?lang=` choice, and the audit filter built from the audit page's query.
//!
//! Properties: a form that parses still parses with a `csrf` field added (the pages' posts
//! carry one that the form types leave undeclared); the CSRF token read from a body is the
//! value of its one `csrf` field; `?lang=` wins over headers; the audit fields serialise
//! back to what they read; an audit filter holds trimmed, non-empty words only.

use axum::extract::Query;
use axum::http::{HeaderMap, Uri};
use serde::de::DeserializeOwned;
use tigr_server::http::extract::{StatusQuery, wait_of};
use tigr_server::http::pages::csrf::submitted_token;
use tigr_server::http::pages::forms::{
    AccountForm, ActionForm, AuditFields, BlockedQuery, DetailQuery, EnrollForm, ListQuery,
    LoginForm, LoginQuery, NoFields, page_lang,
};
use tigr_server::i18n::Lang;

/// A fixed "now" for relative times (`7d`).
const NOW: i64 = 1_750_000_000;

/// The target.
pub fn check(data: &[u8]) {
    let uri = uri_with_query(data);

    // Queries of the pages (GET), through axum's extractor as the handlers receive them.
    query::<LoginQuery>(&uri);
    query::<ListQuery>(&uri);
    query::<DetailQuery>(&uri);
    query::<BlockedQuery>(&uri);
    if let Ok(Query(status)) = Query::<StatusQuery>::try_from_uri(&uri) {
        let asked = status.wait.unwrap_or(0);
        let wait = wait_of(Ok(Query(status))).expect("a parsed query has a wait");
        assert_eq!(wait, asked);
    }
    if let Some(fields) = query::<AuditFields>(&uri) {
        check_audit_fields(&fields);
    }
    check_lang_choice(uri.query());

    // Form bodies of the pages (POST), as `SessionForm` and the login page read them.
    form::<LoginForm>(data);
    form::<AccountForm>(data);
    form::<ActionForm>(data);
    form::<EnrollForm>(data);
    form::<NoFields>(data);
    if let Some(fields) = form::<AuditFields>(data) {
        check_audit_fields(&fields);
    }
    check_csrf_field(data);
}

/// `data` as the query of a request URI: bytes that a URI cannot hold are percent-encoded,
/// so that every input reaches the query decoder (a client would have encoded them).
fn uri_with_query(data: &[u8]) -> Uri {
    let mut text = String::from("/page?");
    for &b in data {
        if b.is_ascii_graphic() && b != b'#' {
            text.push(char::from(b));
        } else {
            text.push_str(&format!("%{b:02X}"));
        }
    }
    text.parse().unwrap_or_else(|_| Uri::from_static("/page"))
}

fn query<T: DeserializeOwned>(uri: &Uri) -> Option<T> {
    Query::<T>::try_from_uri(uri).ok().map(|Query(value)| value)
}

/// Parses a form body; a form that parses must still parse with a CSRF field added.
fn form<T: DeserializeOwned>(body: &[u8]) -> Option<T> {
    let value = serde_urlencoded::from_bytes::<T>(body).ok()?;
    let has_csrf = form_urlencoded::parse(body).any(|(k, _)| k == "csrf");
    if !has_csrf {
        let mut with_token = body.to_vec();
        with_token.extend_from_slice(b"&csrf=Zm9vYmFy");
        assert!(
            serde_urlencoded::from_bytes::<T>(&with_token).is_ok(),
            "{}: a form parses without its CSRF field but not with it",
            std::any::type_name::<T>()
        );
    }
    Some(value)
}

/// The token read from a form body is the value of its one `csrf` field.
fn check_csrf_field(body: &[u8]) {
    let fields: Vec<String> = form_urlencoded::parse(body)
        .filter(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned())
        .collect();
    match submitted_token(&HeaderMap::new(), body) {
        Some(token) => assert_eq!(fields, [token], "the token is not the one csrf field"),
        None => assert_ne!(fields.len(), 1, "the one csrf field was not read"),
    }
}

/// `?lang=fr|en` decides the page language, whatever the headers say.
fn check_lang_choice(query: Option<&str>) {
    let mut headers = HeaderMap::new();
    headers.insert(
        axum::http::header::ACCEPT_LANGUAGE,
        axum::http::HeaderValue::from_static("en"),
    );
    let chosen = query
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "lang"))
        .and_then(|(_, v)| match v.as_str() {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        });
    for secure in [false, true] {
        let lang = page_lang(&headers, query, secure);
        assert_eq!(lang, chosen.unwrap_or(Lang::En), "query {query:?}");
    }
}

/// The audit fields serialise back to what they read (the export form repeats them), and
/// the filter they give holds trimmed, non-empty words.
fn check_audit_fields(fields: &AuditFields) {
    let text = serde_urlencoded::to_string(fields).expect("audit fields serialise");
    let again: AuditFields = serde_urlencoded::from_str(&text).expect("and parse back");
    assert_eq!(
        serde_urlencoded::to_string(&again).expect("serialise"),
        text,
        "audit fields do not round-trip"
    );
    if let Ok(filter) = fields.filter(NOW, super::paris()) {
        for word in [&filter.account, &filter.event, &filter.actor]
            .into_iter()
            .flatten()
        {
            assert!(!word.is_empty() && word.trim() == word, "{word:?}");
        }
    }
}
