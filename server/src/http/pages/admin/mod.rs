//! The admin web pages: accounts, phones, enrollment invitations, blocked accounts and the
//! audit trail, for signed-in administrators.
//!
//! | route                                   | what                                              |
//! |-----------------------------------------|---------------------------------------------------|
//! | `GET  /admin`                           | dashboard: counts, blocked accounts, pending invitations, recent audit |
//! | `GET  /admin/accounts?q=&status=&role=&page=` | search and list accounts                    |
//! | `GET  /admin/new-account`               | the account creation form                         |
//! | `POST /admin/accounts`                  | creates an account (303 to its page)              |
//! | `GET  /admin/accounts/{id}`             | one account: phone, block state, invitations, actions |
//! | `GET/POST /admin/accounts/{id}/edit`    | name, e-mail, role                                |
//! | `POST /admin/accounts/{id}/disable`, `/enable`, `/unblock`, `/revoke` | the actions of the account page |
//! | `POST /admin/accounts/{id}/password`    | a password invitation; its link, shown once       |
//! | `POST /admin/accounts/{id}/tokens`, `/tokens/unassign`, `/tokens/revoke`, `/tokens/resync` | give a hardware token by serial, take it back, revoke, resynchronise (HOTP counter, TOTP drift) |
//! | `POST /admin/accounts/{id}/tokens/invite` | a token invitation (authenticator app); its link, shown once |
//! | `GET/POST /admin/tokens`                | hardware tokens waiting for an account; import a PSKC or CSV file |
//! | `GET  /admin/accounts/{id}/enroll`      | "Enroll a smartphone": choose the invitation's lifetime |
//! | `POST /admin/accounts/{id}/enroll`      | creates the invitation; its QR and printable sheet, shown once |
//! | `GET  /admin/invitations/{id}/events`   | server-sent events of the invitation's status (live page) |
//! | `GET  /admin/invitations/{id}/status`   | the same as JSON (polling fallback)               |
//! | `POST /admin/invitations/{id}/cancel`   | cancels a pending invitation                      |
//! | `GET  /admin/blocked?page=`             | blocked accounts, why and until when              |
//! | `GET  /admin/audit?account=&event=&actor=&since=&until=&page=` | the audit trail, filtered  |
//! | `POST /admin/audit/export`              | the filtered trail as a CSV download (audited)    |
//! | `GET  /admin/oidc`, `/admin/oidc/new`, `/admin/oidc/{id}` | OpenID Connect services: list, registration form, one service |
//! | `POST /admin/oidc`, `/admin/oidc/{id}/edit`, `/remove`, `/rotate-secret`, `/admin/oidc/rotate-key` | register (secret shown once), edit, remove, new secret, new signing key |
//!
//! **Who**: every handler takes [`Admin`] (GET) or [`AdminForm`] (POST), which build on
//! [`RequireAdmin`] and [`SessionForm`]: people not logged in go to
//! `/login?return=<page>`, logged-in non-administrators get 403, and every post needs the
//! session's CSRF token and a same-origin `Origin`. Administrators' sessions are shorter than
//! others' (`admin_session_idle`, `admin_session_max`; see
//! [`crate::login::SessionSettings::limits`]).
//!
//! **What**: every action goes through [`AdminService`] with [`Actor::web`] (the
//! administrator's Tigr ID, IP address and browser), so it follows the command line's rules
//! and is written to the audit trail in the same transaction. Refusals are shown in the page
//! language with [`AdminError::message`]; failures of the server are logged and shown as a
//! plain "server error".
//!
//! **Live enrollment**: the invitation page subscribes to the account's
//! [`Topic::Invitations`](crate::hub::Topic::Invitations) in the notification hub, which the
//! phone's enrollment wakes; the page's script (`static/admin.js`) follows the events and
//! shows the enrolled phone without a reload.

mod accounts;
mod audit;
mod dashboard;
mod enroll;
mod oidc;
mod tokens;
mod view;

/// The admin pages' query and form types (see [`super::forms`]).
#[cfg(feature = "fuzzing")]
pub mod forms {
    pub use super::accounts::{AccountForm, ActionForm, DetailQuery, ListQuery};
    pub use super::audit::AuditFields;
    pub use super::dashboard::{BlockedQuery, parse_page};
    pub use super::enroll::{EnrollForm, NoFields};
}

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::value::Value;
use serde::de::DeserializeOwned;

use crate::admin::{Actor, AdminError, AdminService};
use crate::i18n::Lang;
use crate::login::ClientInfo;

use super::super::{AppState, live};
use super::{Failure, PageContext, RequireAdmin, SessionForm, WebError, WebSession};

/// The admin pages' routes (wrapped by [`super::secure_pages`] with the other pages).
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/admin", get(dashboard::page))
        .route(
            "/admin/accounts",
            get(accounts::list).post(accounts::create),
        )
        .route("/admin/new-account", get(accounts::new_form))
        .route("/admin/accounts/{id}", get(accounts::detail))
        .route(
            "/admin/accounts/{id}/edit",
            get(accounts::edit_form).post(accounts::edit),
        )
        .route("/admin/accounts/{id}/disable", post(accounts::disable))
        .route("/admin/accounts/{id}/enable", post(accounts::enable))
        .route("/admin/accounts/{id}/unblock", post(accounts::unblock))
        .route("/admin/accounts/{id}/password", post(accounts::password))
        .route("/admin/accounts/{id}/revoke", post(accounts::revoke))
        .route("/admin/accounts/{id}/cards", post(accounts::bind_card))
        .route(
            "/admin/accounts/{id}/cards/unbind",
            post(accounts::unbind_card),
        )
        .route("/admin/accounts/{id}/tokens", post(tokens::assign))
        .route(
            "/admin/accounts/{id}/tokens/unassign",
            post(tokens::unassign),
        )
        .route("/admin/accounts/{id}/tokens/revoke", post(tokens::revoke))
        .route("/admin/accounts/{id}/tokens/resync", post(tokens::resync))
        .route("/admin/accounts/{id}/tokens/invite", post(tokens::invite))
        .route("/admin/tokens", get(tokens::list).post(tokens::import))
        .route(
            "/admin/accounts/{id}/enroll",
            get(enroll::form).post(enroll::create),
        )
        .route(
            "/admin/invitations/{id}/events",
            get(enroll::events).layer(middleware::from_fn_with_state(state.clone(), live::admit)),
        )
        .route("/admin/invitations/{id}/status", get(enroll::status))
        .route("/admin/invitations/{id}/cancel", post(enroll::cancel))
        .route("/admin/blocked", get(dashboard::blocked))
        .route("/admin/audit", get(audit::page))
        .route("/admin/audit/export", post(audit::export))
        .route("/admin/oidc", get(oidc::list).post(oidc::create))
        .route("/admin/oidc/new", get(oidc::new_form))
        .route("/admin/oidc/rotate-key", post(oidc::rotate_key))
        .route("/admin/oidc/{id}", get(oidc::detail))
        .route("/admin/oidc/{id}/edit", post(oidc::edit))
        .route("/admin/oidc/{id}/remove", post(oidc::remove))
        .route("/admin/oidc/{id}/rotate-secret", post(oidc::rotate_secret))
}

/// A request of a signed-in administrator: the page context, the session and the actor that
/// the audit trail records (Tigr ID, IP address, browser).
#[derive(Debug, Clone)]
pub struct Admin {
    app: AppState,
    ctx: PageContext,
    session: WebSession,
    actor: Actor,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, WebError> {
        let RequireAdmin(session) = RequireAdmin::from_request_parts(parts, app).await?;
        let Ok(client) = ClientInfo::from_request_parts(parts, app).await;
        Ok(Admin::new(
            app,
            PageContext::from_parts(parts, app),
            session,
            &client,
        ))
    }
}

/// A form posted by a signed-in administrator (CSRF token and origin checked by
/// [`SessionForm`], then the role).
#[derive(Debug)]
pub struct AdminForm<T> {
    /// Who posts.
    pub admin: Admin,
    /// The fields.
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<AppState> for AdminForm<T> {
    type Rejection = WebError;

    async fn from_request(request: Request, app: &AppState) -> Result<Self, WebError> {
        let (mut parts, body) = request.into_parts();
        let ctx = PageContext::from_parts(&parts, app);
        let Ok(client) = ClientInfo::from_request_parts(&mut parts, app).await;
        let SessionForm { session, form } =
            SessionForm::<T>::from_request(Request::from_parts(parts, body), app).await?;
        if !session.is_admin() {
            return Err(ctx.fail(app, Failure::Forbidden));
        }
        Ok(Self {
            admin: Admin::new(app, ctx, session, &client),
            form,
        })
    }
}

impl Admin {
    fn new(app: &AppState, ctx: PageContext, session: WebSession, client: &ClientInfo) -> Self {
        let actor = Actor::web(&session.account.id, &client.ip, &client.summary);
        Self {
            app: app.clone(),
            ctx,
            session,
            actor,
        }
    }

    fn service(&self) -> &AdminService {
        &self.app.admin
    }

    fn lang(&self) -> Lang {
        self.ctx.lang
    }

    fn zone(&self) -> &tigr_core::clock::TimeZone {
        &self.ctx.time_zone
    }

    fn t(&self, key: &str) -> String {
        self.ctx.t(key)
    }

    /// Renders an admin template; `nav` names the menu entry of the page.
    fn render(&self, template: &str, nav: &str, extra: Value) -> Response {
        let limits = super::session::limits(&self.app, &self.session.account);
        let (ends_text, ends_iso) =
            super::render::time_texts(self.session.record.expires_at, self.zone(), self.lang());
        self.ctx.render(
            &self.app,
            template,
            Some(&self.session),
            minijinja::context! {
                ..extra,
                ..minijinja::context! {
                    nav,
                    admin_idle_minutes => (limits.idle / 60).max(1),
                    admin_ends_text => ends_text,
                    admin_ends_iso => ends_iso,
                }
            },
        )
    }

    /// [`Admin::render`] with another status than 200.
    fn render_status(
        &self,
        status: StatusCode,
        template: &str,
        nav: &str,
        extra: Value,
    ) -> Response {
        let mut response = self.render(template, nav, extra);
        if response.status() == StatusCode::OK {
            *response.status_mut() = status;
        }
        response
    }

    /// A refused or failed request as a page of its own: the message (404 for unknown
    /// accounts or invitations, 4xx for other refusals), or the logged server error.
    fn fail(&self, error: AdminError) -> WebError {
        if !error.is_client_error() {
            tracing::error!(%error, "administration failed");
            return self.ctx.fail(&self.app, Failure::Internal);
        }
        let status = status_of(&error);
        let message = error.message(self.lang());
        if self.ctx.wants_json {
            return WebError::new(
                (
                    status,
                    axum::Json(serde_json::json!({ "error": "admin", "message": message })),
                )
                    .into_response(),
            );
        }
        let heading = if status == StatusCode::NOT_FOUND {
            self.t("admin-error-not-found")
        } else {
            self.t("admin-error-refused")
        };
        WebError::new(self.render_status(
            status,
            "admin/message.html",
            "",
            minijinja::context! { heading, message },
        ))
    }

    /// The message of a refusal shown inside a page (a form, the account page), or `Err`
    /// with the logged server error.
    fn refusal(&self, error: AdminError) -> Result<(StatusCode, String), WebError> {
        if error.is_client_error() {
            Ok((status_of(&error), error.message(self.lang())))
        } else {
            Err(self.fail(error))
        }
    }
}

/// The HTTP status of a refusal.
fn status_of(error: &AdminError) -> StatusCode {
    match error {
        AdminError::UnknownAccount(_)
        | AdminError::UnknownInvitation(_)
        | AdminError::CardNotBound(_)
        | AdminError::UnknownToken(_)
        | AdminError::UnknownClient(_) => StatusCode::NOT_FOUND,
        AdminError::NotAdmin(_) => StatusCode::FORBIDDEN,
        AdminError::DuplicateAccount(_)
        | AdminError::AccountDisabled(_)
        | AdminError::AlreadyDisabled(_)
        | AdminError::NotDisabled(_)
        | AdminError::NoActivePhone(_)
        | AdminError::NotBlocked(_)
        | AdminError::LastAdmin(_)
        | AdminError::InvitationNotPending { .. }
        | AdminError::CardAlreadyBound { .. }
        | AdminError::NoClientSecret(_)
        | AdminError::TokenTaken { .. }
        | AdminError::AccountHasToken { .. }
        | AdminError::TokenRevoked(_)
        | AdminError::TokenNotAssigned(_)
        | AdminError::AppToken(_)
        | AdminError::AdminExists => StatusCode::CONFLICT,
        AdminError::PublicUrl(_)
        | AdminError::Storage(_)
        | AdminError::Io(_)
        | AdminError::MasterKey(_)
        | AdminError::SigningKey => StatusCode::INTERNAL_SERVER_ERROR,
        AdminError::InvalidAccountId(_)
        | AdminError::InvalidDisplayName
        | AdminError::InvalidEmail(_)
        | AdminError::InvalidRole(_)
        | AdminError::InvalidReason
        | AdminError::InvalidTtl { .. }
        | AdminError::InvalidFilter(_)
        | AdminError::InvalidCardKey(_)
        | AdminError::InvalidClientName
        | AdminError::NoRedirectUri
        | AdminError::TooManyUris
        | AdminError::InvalidUri { .. }
        | AdminError::InvalidScope(_)
        | AdminError::InvalidAuthMethod(_)
        | AdminError::InvalidJwks(_)
        | AdminError::InvalidSubjectType(_)
        | AdminError::TokenFile(_)
        | AdminError::ResyncFailed(_)
        | AdminError::ClockTooFar { .. }
        | AdminError::NothingToChange => StatusCode::BAD_REQUEST,
    }
}

/// The path of an account's page.
fn account_path(id: &str) -> String {
    format!("/admin/accounts/{}", url_part(id))
}

/// A path segment, percent-encoded (Tigr IDs need none, but typed URLs may hold anything).
fn url_part(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
