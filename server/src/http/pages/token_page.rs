//! The token invitation page (`/token/{code}`): the owner of an account enrolls an
//! authenticator app or browser extension by scanning the `otpauth://` QR code (or typing
//! the secret), then typing the first code the app shows, which activates the token. The
//! form's CSRF token is bound to the login page's browser cookie, like the password
//! invitation's; the page is never cached (it shows a secret).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use minijinja::context;
use serde::Deserialize;

use crate::login::ClientInfo;
use crate::otp::{OtpError, TokenEnrollmentView};
use crate::qr_image;

use super::super::AppState;
use super::login_page::check_login_post;
use super::login_start::LoginCookie;
use super::otp_page::otp_refusal;
use super::render::time_texts;
use super::{PageContext, WebError};

/// What the page shows besides the enrollment view.
struct TokenPage<'a> {
    code: &'a str,
    csrf: &'a str,
    error: Option<String>,
}

fn render_token_page(
    app: &AppState,
    ctx: &PageContext,
    view: &TokenEnrollmentView,
    page: TokenPage<'_>,
) -> Response {
    let Ok(qr_svg) = qr_image::inline_svg(&view.otpauth_uri) else {
        return refused(app, ctx, &OtpError::Internal);
    };
    let expires = time_texts(view.expires_at, &ctx.time_zone, ctx.lang);
    no_store(ctx.render(
        app,
        "token.html",
        None,
        context! {
            account => view.account_id,
            display_name => view.display_name,
            action => format!("/token/{}", page.code),
            csrf => page.csrf,
            qr_svg,
            secret_text => view.secret_text.as_str(),
            expires_text => expires.0,
            expires_iso => expires.1,
            error => page.error.unwrap_or_default(),
        },
    ))
}

/// Never kept by the browser or a proxy: the page holds a secret.
fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    response
}

/// A message page: the invitation cannot be used, or the app is enrolled.
fn message(
    app: &AppState,
    ctx: &PageContext,
    status: StatusCode,
    text: String,
    done: bool,
) -> Response {
    let mut response = ctx.render(
        app,
        "message.html",
        None,
        context! {
            heading => ctx.t("token-title"),
            message => text,
            link_href => if done { "/login/otp" } else { "/login" },
            link_text => ctx.t(if done { "token-go-login" } else { "error-back-to-login" }),
        },
    );
    *response.status_mut() = status;
    no_store(response)
}

fn refused(app: &AppState, ctx: &PageContext, error: &OtpError) -> Response {
    let (status, text) = match error {
        OtpError::Invitation(_) => (StatusCode::GONE, ctx.t("token-invitation-invalid")),
        other => otp_refusal(other, ctx.lang, ctx),
    };
    message(app, ctx, status, text, false)
}

/// `GET /token/{code}`: the QR code and secret of the app to enroll, and the code field.
pub async fn page(
    State(app): State<AppState>,
    ctx: PageContext,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Response {
    let cookie = LoginCookie::of(&app, &headers);
    let mut response = match app.otp.token_invitation(&code).await {
        Ok(view) => render_token_page(
            &app,
            &ctx,
            &view,
            TokenPage {
                code: &code,
                csrf: &app.pages.csrf_token(&cookie.token),
                error: None,
            },
        ),
        Err(error) => refused(&app, &ctx, &error),
    };
    cookie.set_if_new(&app, &mut response);
    response
}

/// Fields of the enrollment form.
#[derive(Debug, Default, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    otp: String,
}

/// `POST /token/{code}`: the app's first code; right, the token is active.
pub async fn post(
    State(app): State<AppState>,
    ctx: PageContext,
    client: ClientInfo,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let token = check_login_post(&app, &ctx, &headers, &body)?;
    let form: TokenForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    match app.otp.enroll_token(&code, &form.otp, &client).await {
        Ok(_) => Ok(message(
            &app,
            &ctx,
            StatusCode::OK,
            ctx.t("token-enrolled"),
            true,
        )),
        Err(OtpError::TokenCode) => {
            let Ok(view) = app.otp.token_invitation(&code).await else {
                return Ok(refused(&app, &ctx, &OtpError::Invitation(None)));
            };
            let mut response = render_token_page(
                &app,
                &ctx,
                &view,
                TokenPage {
                    code: &code,
                    csrf: &app.pages.csrf_token(&token),
                    error: Some(ctx.t("token-code-wrong")),
                },
            );
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(error) => Ok(refused(&app, &ctx, &error)),
    }
}
