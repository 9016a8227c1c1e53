//! Card login pages (docs/cps.md): the method's page on the public origin, the card's step
//! on the card origin (Tigr's TLS listener, or a reverse proxy that forwards the
//! certificate), and the completion back on the public origin.
//!
//! ```text
//!   GET /login/cps                 challenge bound to the login cookie; link to the card origin
//!   GET <card origin>/login/cps/certificate?challenge=…
//!        certificate from the handshake (TLS listener) or from the proxy header (configured
//!        proxies only) ──► LoginService::card_login ──► 303 to /login/cps/complete, or the
//!        refusal page (403) that says why and what to ask the administrator
//!   GET /login/cps/complete?challenge=…   login cookie ──► web session (method cps) ──► 303
//! ```

use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use minijinja::context;
use percent_encoding::percent_decode_str;
use rustls_pki_types::CertificateDer;
use serde::Deserialize;

use crate::domain::card::{CardIdentity, CardRefusal, NationalIdKind};
use crate::login::{CardPath, ClientInfo};

use super::super::AppState;
use super::super::card_listener::PeerCertificates;
use super::login_methods::login_methods;
use super::login_page::{create_challenge, logged_in};
use super::login_start::{LoginCookie, LoginTarget, issued_login_token};
use super::{CookieName, MaybeSession, PageContext, WebError, see_other};

/// Query of the card pages.
#[derive(Debug, Default, Deserialize)]
pub struct CardQuery {
    /// The challenge the card approves (card step, completion).
    challenge: Option<String>,
    /// Where to go after the login (checked against the configuration).
    #[serde(rename = "return")]
    return_to: Option<String>,
    /// The OpenID Connect request kept for this browser (card page only): the login resumes
    /// it, and the phone-less card step names its service.
    authorize: Option<String>,
}

fn query_of(query: Result<Query<CardQuery>, QueryRejection>) -> CardQuery {
    query.map(|Query(q)| q).unwrap_or_default()
}

/// `GET /login/cps`: what to do with the card, and the link that presents it. The link
/// carries a new challenge bound to this browser's login cookie.
pub async fn page(
    State(app): State<AppState>,
    ctx: PageContext,
    MaybeSession(session): MaybeSession,
    client: ClientInfo,
    headers: HeaderMap,
    query: Result<Query<CardQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let query = query_of(query);
    let LoginTarget { oidc, return_to } = match LoginTarget::for_page(
        &app,
        &ctx,
        &headers,
        query.authorize.as_deref(),
        query.return_to.as_deref(),
        session.is_some(),
    )
    .await
    {
        Ok(target) => target,
        Err(at_once) => return Ok(at_once),
    };
    let Some(card) = &app.pages.card else {
        let mut response = refusal_page(&app, &ctx, CardRefusal::NotConfigured, None);
        *response.status_mut() = StatusCode::NOT_FOUND;
        return Ok(response);
    };
    let cookie = LoginCookie::of(&app, &headers);
    let challenge = create_challenge(&app, &client, &cookie.token, oidc.as_ref())
        .await
        .map_err(|f| ctx.fail(&app, f))?;
    let mut link = vec![
        ("challenge", challenge.id.as_str()),
        ("lang", super::lang_code(ctx.lang)),
    ];
    if let Some(r) = return_to.as_deref() {
        link.push(("return", r));
    }
    let card_url = format!(
        "{}/login/cps/certificate?{}",
        card.origin,
        serde_urlencoded::to_string(&link).unwrap_or_default()
    );
    let mut response = ctx.render(
        &app,
        "card_login.html",
        None,
        context! {
            card_url,
            expires_at => challenge.expires_at,
            login_methods => login_methods(&app, &ctx, "cps"),
        },
    );
    cookie.set_if_new(&app, &mut response);
    Ok(response)
}

/// Where the card's certificate came from, or why it cannot be used.
fn presented_chain(
    app: &AppState,
    parts: &Parts,
) -> Result<(Vec<CertificateDer<'static>>, CardPath), (CardRefusal, CardPath)> {
    let Some(card) = &app.pages.card else {
        return Err((CardRefusal::NotConfigured, CardPath::Proxy));
    };
    let peer = parts
        .extensions
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_canonical());
    let forwarded = parts
        .headers
        .get(&card.proxy_header)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && *v != "(null)");
    let from_proxy = peer.is_some_and(|ip| card.proxies.contains(&ip));
    let handshake = parts.extensions.get::<PeerCertificates>();
    match (forwarded, handshake) {
        (Some(_), _) if !from_proxy => Err((
            CardRefusal::UntrustedProxy,
            if handshake.is_some() {
                CardPath::Tls
            } else {
                CardPath::Proxy
            },
        )),
        (_, Some(PeerCertificates(chain))) if !chain.is_empty() => {
            Ok((chain.as_ref().clone(), CardPath::Tls))
        }
        (_, Some(_)) => Err((CardRefusal::NoCertificate, CardPath::Tls)),
        (Some(value), None) => forwarded_certificate(value)
            .map(|der| (vec![der], CardPath::Proxy))
            .ok_or((CardRefusal::Malformed, CardPath::Proxy)),
        (None, None) => Err((CardRefusal::NoCertificate, CardPath::Proxy)),
    }
}

/// A certificate as reverse proxies forward it: PEM, URL-encoded (nginx
/// `$ssl_client_escaped_cert`) or with its line breaks turned into spaces (Apache
/// `%{SSL_CLIENT_CERT}s`), or bare base64 DER.
fn forwarded_certificate(value: &str) -> Option<CertificateDer<'static>> {
    use base64::Engine as _;
    let decoded = percent_decode_str(value).decode_utf8().ok()?;
    let body = decoded
        .replace("-----BEGIN CERTIFICATE-----", "")
        .replace("-----END CERTIFICATE-----", "");
    let base64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(base64)
        .ok()
        .filter(|der| der.first() == Some(&0x30))
        .map(CertificateDer::from)
}

/// `GET /login/cps/certificate?challenge=…&return=…` on the card origin: checks the
/// presented card and approves the challenge, then back to the public origin; otherwise
/// the refusal page. Every outcome is audited.
pub async fn certificate(
    State(app): State<AppState>,
    ctx: PageContext,
    client: ClientInfo,
    parts: Parts,
) -> Result<Response, WebError> {
    let query: CardQuery = parts
        .uri
        .query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let challenge = query.challenge.clone().unwrap_or_default();
    let result = match presented_chain(&app, &parts) {
        Err((refusal, path)) => Err((refusal, path)),
        Ok((chain, path)) => {
            // Where the card origin shares the login cookie (same host, other port), it must
            // be the cookie of the browser that started this login.
            let foreign = match app.pages.jar.get(&parts.headers, CookieName::Login) {
                Some(token) => app.login.bound_challenge(&challenge, &token).await.is_err(),
                None => false,
            };
            if foreign {
                Err((CardRefusal::NoLoginStarted, path))
            } else {
                Ok(app
                    .login
                    .card_login(&challenge, &chain, path, &client)
                    .await)
            }
        }
    };
    let result = match result {
        Ok(checked) => checked,
        Err((refusal, path)) => Err(app
            .login
            .refuse_card(refusal, Some(&challenge), path, &client, None)
            .await),
    };
    match result {
        Ok(approval) => {
            let mut back = vec![("challenge", approval.challenge_id.as_str())];
            if let Some(r) = query.return_to.as_deref() {
                back.push(("return", r));
            }
            Ok(see_other(&format!(
                "{}/login/cps/complete?{}",
                app.origin,
                serde_urlencoded::to_string(&back).unwrap_or_default()
            )))
        }
        Err(refused) if refused.internal => Err(ctx.fail(&app, super::Failure::Internal)),
        Err(refused) => {
            let mut response = refusal_page(&app, &ctx, refused.refusal, refused.identity.as_ref());
            *response.status_mut() = StatusCode::FORBIDDEN;
            Ok(response)
        }
    }
}

/// The page of a refused card: what happened, what to do, and for a card the server does
/// not know, the identifier and fingerprint to give the administrator.
fn refusal_page(
    app: &AppState,
    ctx: &PageContext,
    refusal: CardRefusal,
    identity: Option<&CardIdentity>,
) -> Response {
    let (heading, text, todo) = match refusal {
        CardRefusal::NoCertificate => (
            "card-refused-no-certificate-heading",
            "card-refused-no-certificate",
            "card-todo-retry",
        ),
        CardRefusal::Unbound => (
            "card-refused-unbound-heading",
            "card-refused-unbound",
            "card-todo-bind",
        ),
        CardRefusal::Expired => (
            "card-refused-heading",
            "card-refused-expired",
            "card-todo-renew",
        ),
        CardRefusal::NotYetValid => (
            "card-refused-heading",
            "card-refused-not-yet-valid",
            "card-todo-retry",
        ),
        CardRefusal::Revoked => (
            "card-refused-heading",
            "card-refused-revoked",
            "card-todo-renew",
        ),
        CardRefusal::UnknownCa => (
            "card-refused-heading",
            "card-refused-unknown-ca",
            "card-todo-admin",
        ),
        CardRefusal::WrongUsage => (
            "card-refused-heading",
            "card-refused-wrong-usage",
            "card-todo-admin",
        ),
        CardRefusal::RevocationUnknown => (
            "card-refused-heading",
            "card-refused-revocation-unknown",
            "card-todo-later",
        ),
        CardRefusal::Malformed | CardRefusal::Invalid => (
            "card-refused-heading",
            "card-refused-invalid",
            "card-todo-admin",
        ),
        CardRefusal::AccountDisabled => (
            "card-refused-heading",
            "card-refused-account-disabled",
            "card-todo-admin",
        ),
        CardRefusal::AccountBlocked => (
            "card-refused-heading",
            "card-refused-account-blocked",
            "card-todo-admin",
        ),
        CardRefusal::UntrustedProxy => (
            "card-refused-heading",
            "card-refused-untrusted-proxy",
            "card-todo-admin",
        ),
        CardRefusal::NoLoginStarted => (
            "card-refused-heading",
            "card-refused-no-login-started",
            "card-todo-retry",
        ),
        CardRefusal::NotConfigured => (
            "card-unavailable-heading",
            "card-unavailable",
            "card-todo-other-method",
        ),
    };
    let national_id = identity.and_then(|i| i.national_id.as_ref());
    let id_kind = national_id.map(|id| match id.kind() {
        NationalIdKind::Rpps => ctx.t("card-id-kind-rpps"),
        NationalIdKind::Adeli => ctx.t("card-id-kind-adeli"),
        NationalIdKind::Staff => ctx.t("card-id-kind-staff"),
        NationalIdKind::Other => ctx.t("card-id-kind-other"),
    });
    ctx.render(
        app,
        "card_refused.html",
        None,
        context! {
            heading => ctx.t(heading),
            text => ctx.t(text),
            todo => ctx.t(todo),
            reason => refusal.as_str(),
            audited => refusal != CardRefusal::NotConfigured,
            name => identity.map(|i| i.name.as_str()).filter(|n| !n.is_empty()),
            national_id => national_id.map(|id| id.as_str()),
            id_kind,
            fingerprint => identity.map(|i| i.fingerprint.as_str()),
            login_url => format!("{}/login/cps?lang={}", app.origin, super::lang_code(ctx.lang)),
            qr_url => format!("{}/login?lang={}", app.origin, super::lang_code(ctx.lang)),
        },
    )
}

/// `GET /login/cps/complete?challenge=…&return=…` on the public origin: the challenge a
/// card approved opens this browser's session (login cookie), once, then on to `return`
/// or `/session`.
pub async fn complete(
    State(app): State<AppState>,
    ctx: PageContext,
    client: ClientInfo,
    headers: HeaderMap,
    query: Result<Query<CardQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let query = query_of(query);
    let token = issued_login_token(&app, &headers)
        .ok_or_else(|| ctx.fail(&app, super::Failure::NotBound))?;
    let previous = app.pages.jar.get(&headers, CookieName::Session);
    let opened = app
        .login
        .open_card_session(
            query.challenge.as_deref().unwrap_or(""),
            &token,
            &client,
            previous.as_deref(),
        )
        .await
        .map_err(|error| {
            ctx.fail(
                &app,
                match error {
                    crate::login::LoginError::BrowserMismatch
                    | crate::login::LoginError::UnknownChallenge => super::Failure::NotBound,
                    other => other.into(),
                },
            )
        })?;
    Ok(logged_in(
        &app,
        &ctx,
        opened,
        query.return_to.as_deref().unwrap_or(""),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_certificates_are_read_in_every_proxy_spelling() {
        use base64::Engine as _;
        let der = vec![0x30, 0x82, 0x01, 0x0a, 0xfb, 0xff, 0x3e];
        let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
        let pem = format!("-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\n");
        let nginx: String =
            percent_encoding::utf8_percent_encode(&pem, percent_encoding::NON_ALPHANUMERIC)
                .collect();
        let apache = pem.replace('\n', " ");
        for value in [pem.as_str(), nginx.as_str(), apache.as_str(), b64.as_str()] {
            assert_eq!(
                forwarded_certificate(value).map(|c| c.to_vec()),
                Some(der.clone()),
                "{value}"
            );
        }
        assert_eq!(forwarded_certificate("not a certificate"), None);
        assert_eq!(forwarded_certificate("%ZZ"), None);
    }
}
