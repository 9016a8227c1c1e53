//! The login page's OTP mode (Tigr ID + password + one-time password, "Envoyer OTP par
//! courriel"), the method choice remembered per browser, and the password pages: choosing
//! one from an invitation link, changing it from a session.
//!
//! The forms work without JavaScript (plain posts, the page again with its message). Their
//! CSRF tokens are bound to the login page's browser cookie (login and invitation forms) or
//! to the session (change of password).

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use minijinja::context;
use serde::Deserialize;
use tigr_core::clock::local_text;

use crate::domain::password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, PasswordProblem};
use crate::i18n::Lang;
use crate::login::ClientInfo;
use crate::oidc::PendingView;
use crate::otp::OtpError;
use crate::text::text_with;

use super::super::AppState;
use super::login_methods::login_methods;
use super::login_page::{LoginQuery, check_login_post, logged_in};
use super::login_start::{LoginCookie, LoginTarget};
use super::method::PageMethod;
use super::render::time_texts;
use super::{CookieName, MaybeSession, PageContext, SessionForm, WebError, WebSession, add_cookie};

/// What the OTP page shows besides the form.
#[derive(Default)]
struct OtpPageState<'a> {
    tigr_id: &'a str,
    return_to: &'a str,
    /// The OpenID Connect request kept for this browser, if any.
    oidc: Option<&'a PendingView>,
    notice: Option<String>,
    error: Option<String>,
}

fn render_otp_page(
    app: &AppState,
    ctx: &PageContext,
    token: &str,
    state: OtpPageState<'_>,
) -> Response {
    ctx.render(
        app,
        "login_otp.html",
        None,
        context! {
            csrf => app.pages.csrf_token(token),
            return_to => state.return_to,
            authorize => state.oidc.map_or("", |v| v.id.as_str()),
            login_service => state.oidc.map(|v| v.client_name.as_str()),
            login_methods => login_methods(app, ctx, "otp"),
            tigr_id => state.tigr_id,
            notice => state.notice,
            error => state.error.unwrap_or_default(),
            email_offered => app.otp.email_codes_offered(),
            code_minutes => (app.otp.email_code_ttl() + 59) / 60,
        },
    )
}

/// `GET /login/otp`: the OTP form; visiting it makes OTP this browser's method.
pub async fn page(
    State(app): State<AppState>,
    ctx: PageContext,
    MaybeSession(session): MaybeSession,
    headers: HeaderMap,
    query: Result<Query<LoginQuery>, QueryRejection>,
) -> Response {
    let Query(query) = query.unwrap_or_default();
    let target = match LoginTarget::for_page(
        &app,
        &ctx,
        &headers,
        query.authorize(),
        query.return_to(),
        session.is_some(),
    )
    .await
    {
        Ok(target) => target,
        Err(at_once) => return at_once,
    };
    let cookie = LoginCookie::of(&app, &headers);
    let mut response = render_otp_page(
        &app,
        &ctx,
        &cookie.token,
        OtpPageState {
            return_to: target.return_to.as_deref().unwrap_or(""),
            oidc: target.oidc.as_ref(),
            ..OtpPageState::default()
        },
    );
    cookie.set_if_new(&app, &mut response);
    add_cookie(&mut response, &PageMethod::Otp.cookie(&app));
    response
}

/// Fields of the OTP form.
#[derive(Debug, Default, Deserialize)]
struct OtpForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    tigr_id: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    otp: String,
    #[serde(default, rename = "return")]
    return_to: String,
    /// The OpenID Connect request kept for this browser (empty: none).
    #[serde(default)]
    authorize: String,
}

/// `POST /login/otp`: `action=send` mails a code ("Envoyer OTP par courriel"),
/// `action=login` logs in. Refusals show the form again with one message; success opens
/// the session and goes on like a QR login.
pub async fn post(
    State(app): State<AppState>,
    ctx: PageContext,
    client: ClientInfo,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let token = check_login_post(&app, &ctx, &headers, &body)?;
    let form: OtpForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    // A posted form is a login (or a code sent) whether or not a session exists: no shortcut.
    let LoginTarget { oidc, return_to } = match LoginTarget::for_page(
        &app,
        &ctx,
        &headers,
        Some(&form.authorize),
        Some(&form.return_to),
        false,
    )
    .await
    {
        Ok(target) => target,
        Err(refusal) => return Ok(refusal),
    };
    let return_to = return_to.unwrap_or_default();
    let previous = app.pages.jar.get(&headers, CookieName::Session);
    let again = |status: StatusCode, notice: Option<String>, error: Option<String>| {
        let mut response = render_otp_page(
            &app,
            &ctx,
            &token,
            OtpPageState {
                tigr_id: form.tigr_id.trim(),
                return_to: &return_to,
                oidc: oidc.as_ref(),
                notice,
                error,
            },
        );
        *response.status_mut() = status;
        response
    };
    let sending = form.action == "send";
    let missing = form.tigr_id.trim().is_empty()
        || form.password.is_empty()
        || (!sending && form.otp.trim().is_empty());
    if missing {
        let key = if sending {
            "otp-missing-send"
        } else {
            "otp-missing"
        };
        return Ok(again(StatusCode::BAD_REQUEST, None, Some(ctx.t(key))));
    }
    if sending {
        return Ok(
            match app
                .otp
                .send_email_code(&form.tigr_id, &form.password, ctx.lang, &client)
                .await
            {
                Ok(reply) => {
                    let until = local_text(reply.valid_until, &ctx.time_zone, ctx.lang.into());
                    let notice = text_with(ctx.lang, "otp-sent", &[("until", until.into())]);
                    again(StatusCode::OK, Some(notice), None)
                }
                Err(error) => {
                    let (status, message) = otp_refusal(&error, ctx.lang, &ctx);
                    again(status, None, Some(message))
                }
            },
        );
    }
    match app
        .otp
        .login(
            &form.tigr_id,
            &form.password,
            &form.otp,
            &client,
            previous.as_deref(),
        )
        .await
    {
        Ok(opened) => Ok(logged_in(&app, &ctx, opened, &return_to)),
        Err(error) => {
            let (status, message) = otp_refusal(&error, ctx.lang, &ctx);
            Ok(again(status, None, Some(message)))
        }
    }
}

/// The status and sentence of a refusal of the OTP service.
pub(super) fn otp_refusal(error: &OtpError, lang: Lang, ctx: &PageContext) -> (StatusCode, String) {
    let local = |unix: i64| local_text(unix, &ctx.time_zone, lang.into());
    match error {
        OtpError::Refused { attempts_left } => (
            StatusCode::UNAUTHORIZED,
            text_with(lang, "otp-refused", &[("n", (*attempts_left).into())]),
        ),
        OtpError::Paused { until, minutes } => (
            StatusCode::LOCKED,
            text_with(
                lang,
                "otp-paused",
                &[
                    ("until", local(*until).into()),
                    ("minutes", (*minutes).into()),
                ],
            ),
        ),
        OtpError::TooManyCodes { from } => (
            StatusCode::TOO_MANY_REQUESTS,
            text_with(lang, "otp-too-many-codes", &[("from", local(*from).into())]),
        ),
        OtpError::MailUnavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            ctx.t("otp-mail-unavailable"),
        ),
        OtpError::Password(problem) => (StatusCode::BAD_REQUEST, password_problem(*problem, lang)),
        OtpError::WrongCurrentPassword => {
            (StatusCode::UNAUTHORIZED, ctx.t("password-wrong-current"))
        }
        OtpError::Invitation(_) => (StatusCode::GONE, ctx.t("password-invitation-invalid")),
        OtpError::TokenCode => (StatusCode::UNPROCESSABLE_ENTITY, ctx.t("token-code-wrong")),
        OtpError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, ctx.t("error-internal")),
    }
}

/// The sentence of a broken password rule.
fn password_problem(problem: PasswordProblem, lang: Lang) -> String {
    text_with(
        lang,
        problem.text_key(),
        &match problem {
            PasswordProblem::TooShort => vec![("min", MIN_PASSWORD_CHARS.into())],
            PasswordProblem::TooLong => vec![("max", MAX_PASSWORD_CHARS.into())],
            _ => Vec::new(),
        },
    )
}

/// Fields of the password forms.
#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirmation: String,
}

/// What a password page shows.
struct PasswordPage<'a> {
    change: bool,
    account: &'a str,
    action: &'a str,
    csrf: &'a str,
    expires_at: Option<i64>,
    error: Option<String>,
    done: Option<(String, &'a str, String)>,
}

fn render_password_page(
    app: &AppState,
    ctx: &PageContext,
    session: Option<&WebSession>,
    page: PasswordPage<'_>,
) -> Response {
    let expires = page
        .expires_at
        .map(|at| time_texts(at, &ctx.time_zone, ctx.lang));
    let (done, next_url, next_text) = match page.done {
        Some((done, url, text)) => (Some(done), url, text),
        None => (None, "", String::new()),
    };
    ctx.render(
        app,
        "password.html",
        session,
        context! {
            change => page.change,
            account => page.account,
            action => page.action,
            csrf => page.csrf,
            expires_text => expires.as_ref().map(|e| e.0.as_str()),
            expires_iso => expires.as_ref().map(|e| e.1.as_str()),
            error => page.error.unwrap_or_default(),
            done,
            next_url,
            next_text,
            min_chars => MIN_PASSWORD_CHARS,
            max_chars => MAX_PASSWORD_CHARS,
        },
    )
}

/// `GET /password/{code}`: the invitation's form (choose a password, typed twice).
pub async fn invitation_page(
    State(app): State<AppState>,
    ctx: PageContext,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Response {
    let cookie = LoginCookie::of(&app, &headers);
    let action = format!("/password/{code}");
    let mut response = match app.otp.password_invitation(&code).await {
        Ok(view) => render_password_page(
            &app,
            &ctx,
            None,
            PasswordPage {
                change: false,
                account: &view.account_id,
                action: &action,
                csrf: &app.pages.csrf_token(&cookie.token),
                expires_at: Some(view.expires_at),
                error: None,
                done: None,
            },
        ),
        Err(error) => invitation_refused(&app, &ctx, &error),
    };
    cookie.set_if_new(&app, &mut response);
    response
}

/// A message page for an invitation that cannot be used.
fn invitation_refused(app: &AppState, ctx: &PageContext, error: &OtpError) -> Response {
    let (status, message) = otp_refusal(error, ctx.lang, ctx);
    let mut response = ctx.render(
        app,
        "message.html",
        None,
        context! {
            heading => ctx.t("password-title"),
            message,
            link_href => "/login",
            link_text => ctx.t("error-back-to-login"),
        },
    );
    *response.status_mut() = status;
    response
}

/// `POST /password/{code}`: sets the password, uses the invitation.
pub async fn invitation_post(
    State(app): State<AppState>,
    ctx: PageContext,
    client: ClientInfo,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let token = check_login_post(&app, &ctx, &headers, &body)?;
    let form: PasswordForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let action = format!("/password/{code}");
    let csrf = app.pages.csrf_token(&token);
    match app
        .otp
        .set_password(&code, &form.password, &form.confirmation, &client)
        .await
    {
        Ok(account) => Ok(render_password_page(
            &app,
            &ctx,
            None,
            PasswordPage {
                change: false,
                account: &account,
                action: &action,
                csrf: &csrf,
                expires_at: None,
                error: None,
                done: Some((
                    ctx.t("password-set-done"),
                    "/login/otp",
                    ctx.t("password-go-login"),
                )),
            },
        )),
        Err(error @ OtpError::Password(_)) => {
            let view = app.otp.password_invitation(&code).await;
            let Ok(view) = view else {
                return Ok(invitation_refused(&app, &ctx, &error));
            };
            let (status, message) = otp_refusal(&error, ctx.lang, &ctx);
            let mut response = render_password_page(
                &app,
                &ctx,
                None,
                PasswordPage {
                    change: false,
                    account: &view.account_id,
                    action: &action,
                    csrf: &csrf,
                    expires_at: Some(view.expires_at),
                    error: Some(message),
                    done: None,
                },
            );
            *response.status_mut() = status;
            Ok(response)
        }
        Err(error) => Ok(invitation_refused(&app, &ctx, &error)),
    }
}

/// The change-of-password page of `session`, with its outcome.
fn change_password_page(
    app: &AppState,
    ctx: &PageContext,
    session: &WebSession,
    error: Option<String>,
    done: Option<(String, &str, String)>,
) -> Response {
    render_password_page(
        app,
        ctx,
        Some(session),
        PasswordPage {
            change: true,
            account: &session.account.id,
            action: "/session/password",
            csrf: &session.csrf,
            expires_at: None,
            error,
            done,
        },
    )
}

/// `GET /session/password`: the change-of-password form of the logged-in person.
pub async fn change_page(
    State(app): State<AppState>,
    ctx: PageContext,
    session: WebSession,
) -> Response {
    change_password_page(&app, &ctx, &session, None, None)
}

/// `POST /session/password` (session CSRF): current password, then the new one twice.
pub async fn change_post(
    State(app): State<AppState>,
    ctx: PageContext,
    client: ClientInfo,
    SessionForm { session, form }: SessionForm<PasswordForm>,
) -> Response {
    let outcome = app
        .otp
        .change_password(
            &session.account.id,
            &form.current,
            &form.password,
            &form.confirmation,
            &client,
        )
        .await;
    let (status, error, done) = match outcome {
        Ok(()) => (
            StatusCode::OK,
            None,
            Some((
                ctx.t("password-changed"),
                "/session",
                ctx.t("password-back-to-session"),
            )),
        ),
        Err(error) => {
            let (status, message) = otp_refusal(&error, ctx.lang, &ctx);
            (status, Some(message), None)
        }
    };
    let mut response = change_password_page(&app, &ctx, &session, error, done);
    *response.status_mut() = status;
    response
}
