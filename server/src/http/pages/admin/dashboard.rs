//! The dashboard (`/admin`) and the blocked accounts (`/admin/blocked`).

use axum::extract::Query;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::admin::{AccountFilter, AdminError, AuditFilter, PageRequest, StatusFilter};

use super::view::{self, Time};
use super::{Admin, WebError};

/// Rows of each list of the dashboard.
const DASHBOARD_ROWS: u32 = 10;
/// Rows of a page of blocked accounts.
const BLOCKED_PER_PAGE: u32 = 50;

/// A count of the dashboard, linking to the matching accounts.
#[derive(Debug, Serialize)]
struct Count {
    key: &'static str,
    label: String,
    value: u64,
    href: String,
}

/// `GET /admin`: counts of accounts, blocked accounts, pending invitations, recent audit.
pub async fn page(admin: Admin) -> Result<Response, WebError> {
    let service = admin.service();
    let mut counts = Vec::new();
    for (status, key, label) in [
        (StatusFilter::Any, "all", "admin-count-all"),
        (StatusFilter::Enabled, "enabled", "admin-count-enabled"),
        (StatusFilter::Blocked, "blocked", "admin-count-blocked"),
        (
            StatusFilter::WithoutPhone,
            "no_phone",
            "admin-count-no-phone",
        ),
        (StatusFilter::Disabled, "disabled", "admin-count-disabled"),
    ] {
        let filter = AccountFilter {
            status,
            ..AccountFilter::default()
        };
        let total = service
            .list_accounts(&filter, PageRequest::new(1, 1))
            .await
            .map_err(|e| admin.fail(e))?
            .total;
        counts.push(Count {
            key,
            label: admin.t(label),
            value: total,
            href: if status == StatusFilter::Any {
                "/admin/accounts".to_owned()
            } else {
                format!("/admin/accounts?status={}", status.as_str())
            },
        });
    }
    let lang = admin.lang();
    let zone = admin.zone().clone();
    let zone = &zone;
    let now = service.now();
    let blocked = service
        .blocked_accounts(PageRequest::new(1, DASHBOARD_ROWS))
        .await
        .map_err(|e| admin.fail(e))?;
    let pending = service
        .pending_invitations(None)
        .await
        .map_err(|e| admin.fail(e))?;
    let recent = service
        .audit(&AuditFilter::default(), PageRequest::new(1, DASHBOARD_ROWS))
        .await
        .map_err(|e| admin.fail(e))?;
    counts.push(Count {
        key: "pending",
        label: admin.t("admin-count-pending"),
        value: pending.len() as u64,
        href: "#pending-invitations".to_owned(),
    });
    Ok(admin.render(
        "admin/dashboard.html",
        "dashboard",
        context! {
            counts,
            blocked => blocked.items.iter().map(|s| view::account_row(lang, zone, s)).collect::<Vec<_>>(),
            blocked_total => blocked.total,
            pending => pending
                .iter()
                .take(DASHBOARD_ROWS as usize)
                .map(|i| view::invitation(lang, zone, i, now))
                .collect::<Vec<_>>(),
            pending_total => pending.len(),
            recent => recent.items.iter().map(|r| view::audit_row(lang, zone, r)).collect::<Vec<_>>(),
            now => Time::at(now, zone, lang),
        },
    ))
}

/// Query of the blocked accounts.
#[derive(Debug, Default, Deserialize)]
pub struct BlockedQuery {
    page: Option<String>,
}

/// `GET /admin/blocked?page=`: accounts blocked now, why, since and until when, with an
/// unblock button each.
pub async fn blocked(
    admin: Admin,
    Query(query): Query<BlockedQuery>,
) -> Result<Response, WebError> {
    let page = parse_page(query.page.as_deref()).map_err(|e| admin.fail(e))?;
    let lang = admin.lang();
    let zone = admin.zone().clone();
    let zone = &zone;
    let listed = admin
        .service()
        .blocked_accounts(PageRequest::new(page, BLOCKED_PER_PAGE))
        .await
        .map_err(|e| admin.fail(e))?;
    Ok(admin.render(
        "admin/blocked.html",
        "blocked",
        context! {
            accounts => listed.items.iter().map(|s| view::account_row(lang, zone, s)).collect::<Vec<_>>(),
            pager => view::pager(&admin.ctx, &listed),
        },
    ))
}

/// A `page` parameter: empty means 1.
pub fn parse_page(text: Option<&str>) -> Result<u32, AdminError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(1),
        Some(t) => t
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=1_000_000).contains(n))
            .ok_or(AdminError::InvalidFilter("page")),
    }
}
