//! "Enroll a smartphone": the invitation's lifetime, its QR code and printable sheet (shown
//! once), the live status of the invitation (server-sent events, JSON fallback), and
//! cancelling it.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode};
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::admin::InvitationWatch;
use crate::admin::{AdminError, Invitation, InvitationStatus, Phone, time::parse_duration};
use crate::i18n::Lang;
use crate::qr_image;
use crate::text::text_with;

use super::super::super::AppState;
use super::super::see_other;
use super::view::{self, Time};
use super::{Admin, AdminForm, WebError, account_path};

/// The stream re-reads the invitation at least this often (a cancellation from the command
/// line, or another server process, does not wake the hub).
const RECHECK: Duration = Duration::from_secs(5);

/// Lifetimes offered besides the configured default, in seconds.
const TTL_CHOICES: &[i64] = &[15 * 60, 3600, 24 * 3600, 7 * 24 * 3600];

/// An option of the lifetime `<select>`.
#[derive(Debug, Serialize)]
struct TtlChoice {
    value: i64,
    label: String,
    selected: bool,
}

fn ttl_choices(admin: &Admin, chosen: i64) -> Vec<TtlChoice> {
    let default = admin.service().config().enrollment_ttl;
    let mut values = vec![default];
    values.extend(TTL_CHOICES.iter().copied().filter(|v| *v != default));
    values.sort_unstable();
    values
        .into_iter()
        .map(|value| {
            let mut label = view::duration(admin.lang(), value);
            if value == default {
                label = text_with(
                    admin.lang(),
                    "admin-enroll-ttl-default",
                    &[("duration", label.as_str().into())],
                );
            }
            TtlChoice {
                value,
                label,
                selected: value == chosen,
            }
        })
        .collect()
}

/// The account facts the enrollment pages show.
async fn account_facts(admin: &Admin, id: &str) -> Result<minijinja::Value, WebError> {
    let details = admin
        .service()
        .account_details(id)
        .await
        .map_err(|e| admin.fail(e))?;
    Ok(context! {
        id => details.account.id.as_str(),
        href => account_path(&details.account.id),
        display_name => details.account.display_name.as_str(),
        enabled => details.account.is_enabled(),
        phone => details.phone.as_ref().map(|p| view::phone(admin.lang(), admin.zone(), p)),
    })
}

/// `GET /admin/accounts/{id}/enroll`: what will happen, and the invitation's lifetime.
pub async fn form(admin: Admin, Path(id): Path<String>) -> Result<Response, WebError> {
    let account = account_facts(&admin, &id).await?;
    let default = admin.service().config().enrollment_ttl;
    Ok(admin.render(
        "admin/enroll.html",
        "accounts",
        context! { account, ttl_choices => ttl_choices(&admin, default) },
    ))
}

/// The lifetime chosen in the form.
#[derive(Debug, Default, Deserialize)]
pub struct EnrollForm {
    #[serde(default)]
    ttl: String,
}

/// `POST /admin/accounts/{id}/enroll`: creates the invitation and shows its QR code, its
/// printable sheet and its live status. The code exists only in this reply (the server
/// keeps its hash), so the page is never cached.
pub async fn create(
    Path(id): Path<String>,
    AdminForm { admin, form }: AdminForm<EnrollForm>,
) -> Result<Response, WebError> {
    let ttl = match form.ttl.trim() {
        "" => Ok(None),
        text => parse_duration(text)
            .map(Some)
            .ok_or(AdminError::InvalidTtl {
                min: crate::admin::rules::MIN_INVITATION_TTL,
                max: crate::admin::rules::MAX_INVITATION_TTL,
            }),
    };
    let created = match ttl {
        Ok(ttl) => {
            admin
                .service()
                .create_invitation(&admin.actor, &id, ttl)
                .await
        }
        Err(e) => Err(e),
    };
    let created = match created {
        Ok(created) => created,
        Err(error @ (AdminError::UnknownAccount(_) | AdminError::InvalidAccountId(_))) => {
            return Err(admin.fail(error));
        }
        Err(error) => {
            let (status, message) = admin.refusal(error)?;
            let account = account_facts(&admin, &id).await?;
            let chosen =
                parse_duration(&form.ttl).unwrap_or(admin.service().config().enrollment_ttl);
            return Ok(admin.render_status(
                status,
                "admin/enroll.html",
                "accounts",
                context! { account, error => message, ttl_choices => ttl_choices(&admin, chosen) },
            ));
        }
    };
    let account = account_facts(&admin, &id).await?;
    let invitation = &created.invitation;
    let now = admin.service().now();
    let qr_svg = inline_svg(&created.qr_payload).map_err(|e| admin.fail(e))?;
    let mut response = admin.render_status(
        StatusCode::CREATED,
        "admin/invitation.html",
        "accounts",
        context! {
            account,
            invitation => view::invitation(admin.lang(), admin.zone(), invitation, now),
            status_text => view::invitation_status(admin.lang(), admin.zone(), invitation, now, None),
            lifetime => view::duration(admin.lang(), invitation.expires_at - invitation.created_at),
            expires_fr => Time::at(invitation.expires_at, admin.zone(), Lang::Fr),
            server_host => admin.app.origin.display_host(),
            qr_svg,
        },
    );
    // Never kept by the browser or a proxy: the page holds a single-use code.
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// The QR as an inline SVG element (the figure around it carries the text alternative).
fn inline_svg(payload: &str) -> Result<String, AdminError> {
    qr_image::inline_svg(payload)
        .map_err(|e| AdminError::Io(std::io::Error::other(format!("QR rendering failed: {e}"))))
}

/// An enrolled phone as the live page shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
struct PhoneJson {
    id: String,
    name: String,
    enrolled: Time,
}

/// The invitation's status as the live page gets it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
struct StatusJson {
    /// `pending`, `completed`, `expired` or `cancelled`.
    status: &'static str,
    /// The status in words, in the page language.
    text: String,
    /// Expiry (Unix seconds).
    expires_at: i64,
    /// The phone it enrolled.
    device: Option<PhoneJson>,
}

/// The invitation and the phone it enrolled, if any.
async fn status_of(app: &AppState, lang: Lang, id: &str) -> Result<StatusJson, AdminError> {
    let service = &app.admin;
    let zone = &service.config().time_zone;
    let invitation: Invitation = service.invitation(id).await?;
    let now = service.now();
    let phone: Option<Phone> = match &invitation.status {
        InvitationStatus::Completed {
            device_id: Some(device),
            ..
        } => service
            .phones(&invitation.account_id)
            .await?
            .into_iter()
            .find(|p| &p.id == device),
        _ => None,
    };
    Ok(StatusJson {
        status: invitation.status.as_str(),
        text: view::invitation_status(lang, zone, &invitation, now, phone.as_ref()),
        expires_at: invitation.expires_at,
        device: phone.map(|p| PhoneJson {
            enrolled: Time::at(p.enrolled_at, zone, lang),
            id: p.id,
            name: p.name,
        }),
    })
}

/// `GET /admin/invitations/{id}/status`: the status as JSON (the page's fallback when
/// server-sent events are unavailable).
pub async fn status(admin: Admin, Path(id): Path<String>) -> Result<Response, WebError> {
    let status = status_of(&admin.app, admin.lang(), &id)
        .await
        .map_err(|e| admin.fail(e))?;
    Ok(axum::Json(status).into_response())
}

/// `GET /admin/invitations/{id}/events`: a `status` event now and at each change, until
/// the invitation is used, expires or is cancelled.
pub async fn events(admin: Admin, Path(id): Path<String>) -> Result<Response, WebError> {
    let invitation = admin
        .service()
        .invitation(&id)
        .await
        .map_err(|e| admin.fail(e))?;
    // The stream ends when the session would end without other activity: the browser then
    // reconnects, and a session that is over stops the page from following (it does not
    // keep an administrator's session alive by itself).
    let limits = super::super::session::limits(&admin.app, &admin.session.account);
    let now = admin.app.now();
    let left = (admin.session.record.expires_at - now)
        .min(limits.idle)
        .max(1);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(left.unsigned_abs());
    // Subscribe before the first read of the stream, so no change is missed in between.
    let changes = admin.service().watch_invitations(&invitation.account_id);
    let stream = status_stream(StatusWatch {
        lang: admin.lang(),
        app: admin.app,
        id: invitation.id,
        changes,
        deadline,
        last: None,
        done: false,
    });
    Ok(super::super::live_events(stream))
}

struct StatusWatch {
    app: AppState,
    lang: Lang,
    id: String,
    changes: InvitationWatch,
    deadline: tokio::time::Instant,
    last: Option<StatusJson>,
    done: bool,
}

fn status_stream(watch: StatusWatch) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold(watch, |mut w| async move {
        if w.done {
            return None;
        }
        loop {
            let status = match status_of(&w.app, w.lang, &w.id).await {
                Ok(status) => status,
                Err(error) => {
                    tracing::warn!(%error, "invitation events: read failed");
                    return None;
                }
            };
            // The text of a pending invitation changes each minute ("in 14 min"): only a
            // change of status is news.
            if w.last.as_ref().map(|l| l.status) != Some(status.status) {
                w.done = status.status != "pending";
                let data = serde_json::to_string(&status).unwrap_or_default();
                w.last = Some(status);
                return Some((Ok(Event::default().event("status").data(data)), w));
            }
            let until_expiry = u64::try_from(status.expires_at - w.app.now()).unwrap_or(0);
            let wait = RECHECK.min(Duration::from_secs(until_expiry));
            tokio::select! {
                going_on = w.changes.changed_within(wait) => if !going_on { return None },
                () = tokio::time::sleep_until(w.deadline) => return None,
            }
        }
    })
}

/// A form without fields of its own (the CSRF token only).
#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// `POST /admin/invitations/{id}/cancel`: the QR code stops working at once.
pub async fn cancel(
    Path(id): Path<String>,
    AdminForm { admin, .. }: AdminForm<NoFields>,
) -> Result<Response, WebError> {
    let invitation = admin
        .service()
        .invitation(&id)
        .await
        .map_err(|e| admin.fail(e))?;
    admin
        .service()
        .cancel_invitation(&admin.actor, &id)
        .await
        .map_err(|e| admin.fail(e))?;
    Ok(see_other(&format!(
        "{}?done=cancelled",
        account_path(&invitation.account_id)
    )))
}
