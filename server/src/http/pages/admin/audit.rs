//! The audit trail: filters (account, event, actor, date range), pages, CSV export.

use axum::extract::Query;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::{Deserialize, Serialize};

use tigr_core::clock::{TimeZone, rfc3339_utc};

use crate::admin::AuditEvent;
use crate::admin::time::{parse_time, parse_until};
use crate::admin::{AdminError, AuditFilter, PageRequest};

use super::dashboard::parse_page;
use super::view::{self, Time};
use super::{Admin, AdminForm, WebError};

/// Rows per page.
const PER_PAGE: u32 = 50;

/// The filters as typed (query of the page, fields of the export form).
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct AuditFields {
    #[serde(default)]
    account: String,
    #[serde(default)]
    event: String,
    #[serde(default)]
    actor: String,
    /// First day (`YYYY-MM-DD`, in the server's time zone), or any time `tigr-server admin
    /// audit --since` reads.
    #[serde(default)]
    since: String,
    /// Last day, included (`YYYY-MM-DD`, in the server's time zone), or a time (excluded).
    #[serde(default)]
    until: String,
    #[serde(default, skip_serializing)]
    page: String,
}

fn optional(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

impl AuditFields {
    /// The filter of the service; `now` reads relative times (`7d`), dates are days of
    /// `zone`.
    pub fn filter(&self, now: i64, zone: &TimeZone) -> Result<AuditFilter, AdminError> {
        let since = match optional(&self.since) {
            None => None,
            Some(t) => Some(parse_time(&t, now, zone).ok_or(AdminError::InvalidFilter("since"))?),
        };
        let until = match optional(&self.until) {
            None => None,
            // A bare date is a whole day, included.
            Some(t) => Some(parse_until(&t, now, zone).ok_or(AdminError::InvalidFilter("until"))?),
        };
        Ok(AuditFilter {
            account: optional(&self.account),
            event: optional(&self.event),
            actor: optional(&self.actor),
            since,
            until,
        })
    }
}

/// An event of the filter's `<select>`.
#[derive(Debug, Serialize)]
struct EventChoice {
    value: &'static str,
    label: String,
    selected: bool,
}

/// `GET /admin/audit?account=&event=&actor=&since=&until=&page=`, newest first.
pub async fn page(admin: Admin, Query(fields): Query<AuditFields>) -> Result<Response, WebError> {
    let lang = admin.lang();
    let zone = admin.zone().clone();
    let zone = &zone;
    let now = admin.service().now();
    let read = async {
        let filter = fields.filter(now, zone)?;
        let page = parse_page(Some(&fields.page))?;
        admin
            .service()
            .audit(&filter, PageRequest::new(page, PER_PAGE))
            .await
    };
    let events: Vec<EventChoice> = AuditEvent::ALL
        .iter()
        .map(|e| EventChoice {
            value: e.as_str(),
            label: format!("{} ({})", view::event_label(lang, e.as_str()), e.as_str()),
            selected: fields.event.trim() == e.as_str(),
        })
        .collect();
    let (status, body) = match read.await {
        Ok(listed) => (
            StatusCode::OK,
            context! {
                rows => listed.items.iter().map(|r| view::audit_row(lang, zone, r)).collect::<Vec<_>>(),
                pager => view::pager(&admin.ctx, &listed),
            },
        ),
        Err(error) => {
            let (status, message) = admin.refusal(error)?;
            (
                status,
                context! { error => message, rows => Vec::<view::AuditRow>::new() },
            )
        }
    };
    let filtered = [
        &fields.account,
        &fields.event,
        &fields.actor,
        &fields.since,
        &fields.until,
    ]
    .iter()
    .any(|f| !f.trim().is_empty());
    Ok(admin.render_status(
        status,
        "admin/audit.html",
        "audit",
        context! {
            ..body,
            ..context! { fields, events, filtered, now => Time::at(now, zone, lang) }
        },
    ))
}

/// `POST /admin/audit/export`: every row matching the filters, oldest first, as a CSV file
/// (the format of `tigr-server admin audit --csv`); the export itself is audited.
pub async fn export(
    AdminForm { admin, form }: AdminForm<AuditFields>,
) -> Result<Response, WebError> {
    let now = admin.service().now();
    let filter = match form.filter(now, admin.zone()) {
        Ok(filter) => filter,
        Err(error) => return Err(admin.fail(error)),
    };
    let mut csv = Vec::new();
    let rows = admin
        .service()
        .export_audit_csv(&admin.actor, &filter, &mut csv)
        .await
        .map_err(|e| admin.fail(e))?;
    let stamp: String = rfc3339_utc(now)
        .chars()
        .filter(char::is_ascii_digit)
        .take(12)
        .collect();
    let disposition = format!("attachment; filename=\"tigr-audit-{stamp}.csv\"");
    let mut response = csv.into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    if let Ok(value) = HeaderValue::from_str(&rows.to_string()) {
        headers.insert("x-tigr-rows", value);
    }
    Ok(response)
}
