//! Reading the audit trail: filters, pages, following, CSV export.

use std::io::Write;

use crate::storage::{AuditEvent, AuditQuery, AuditRecord};

use super::csv::AuditCsv;
use super::rules;
use super::{Actor, AdminError, AdminService, Page, PageRequest};

/// Rows read at a time by the export.
const EXPORT_BATCH: u32 = 1000;

/// Which audit rows to read; `None` matches everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditFilter {
    /// Account concerned (Tigr ID).
    pub account: Option<String>,
    /// Event (`device_revoked`, ...; see `AuditEvent::ALL`).
    pub event: Option<String>,
    /// Actor: exact (`cli:root`, `web:dr.martin`, `phone`) or a kind (`cli`, `web`).
    pub actor: Option<String>,
    /// From this time (Unix seconds, inclusive).
    pub since: Option<i64>,
    /// Until this time (Unix seconds, exclusive).
    pub until: Option<i64>,
}

/// A filter checked once.
struct Checked {
    account: Option<String>,
    event: Option<String>,
    actor: Option<String>,
    since: Option<i64>,
    until: Option<i64>,
}

impl Checked {
    fn query(&self) -> AuditQuery<'_> {
        AuditQuery {
            account: self.account.as_deref(),
            event: self.event.as_deref(),
            actor: self.actor.as_deref(),
            since: self.since,
            until: self.until,
        }
    }
}

impl AuditFilter {
    fn checked(&self) -> Result<Checked, AdminError> {
        let account = match self.account.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(id) => {
                Some(rules::account_id(id).map_err(|_| AdminError::InvalidFilter("account"))?)
            }
        };
        let event = rules::audit_word(self.event.as_deref(), "event")?;
        if event
            .as_deref()
            .is_some_and(|e| AuditEvent::parse(e).is_none())
        {
            return Err(AdminError::InvalidFilter("event"));
        }
        let actor = rules::audit_word(self.actor.as_deref(), "actor")?;
        if let (Some(since), Some(until)) = (self.since, self.until)
            && since >= until
        {
            return Err(AdminError::InvalidFilter("since/until"));
        }
        Ok(Checked {
            account,
            event,
            actor,
            since: self.since,
            until: self.until,
        })
    }
}

impl AdminService {
    /// One page of the audit rows matching `filter`, newest first.
    pub async fn audit(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditRecord>, AdminError> {
        let page = page.checked()?;
        let checked = filter.checked()?;
        let (items, total) = self
            .store
            .audit_page(&checked.query(), page.per_page, page.offset())
            .await?;
        Ok(Page {
            items,
            total,
            page: page.page,
            per_page: page.per_page,
        })
    }

    /// Up to `limit` rows matching `filter` after the row `after_id`, oldest first (to follow
    /// the trail: pass the id of the last row seen).
    pub async fn audit_after(
        &self,
        filter: &AuditFilter,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, AdminError> {
        let checked = filter.checked()?;
        Ok(self
            .store
            .audit_after(
                &checked.query(),
                after_id,
                limit.clamp(1, rules::MAX_PER_PAGE),
            )
            .await?)
    }

    /// The latest `limit` rows matching `filter`, oldest first (`tail`).
    pub async fn audit_latest(
        &self,
        filter: &AuditFilter,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, AdminError> {
        let limit = limit.clamp(1, rules::MAX_PER_PAGE);
        let mut rows = self.audit(filter, PageRequest::new(1, limit)).await?.items;
        rows.reverse();
        Ok(rows)
    }

    /// Writes every row matching `filter` as CSV (header first, oldest first) to `out`, then
    /// records the export in the trail (`audit_exported`, with the filter and the count).
    /// Returns the number of rows written.
    pub async fn export_audit_csv<W: Write + ?Sized>(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
        out: &mut W,
    ) -> Result<u64, AdminError> {
        let checked = filter.checked()?;
        let query = checked.query();
        let mut csv = AuditCsv::new(&mut *out)?;
        let mut after = 0;
        let mut count = 0u64;
        loop {
            let rows = self.store.audit_after(&query, after, EXPORT_BATCH).await?;
            for row in &rows {
                csv.row(row)?;
            }
            count += rows.len() as u64;
            match rows.last() {
                Some(last) if rows.len() == EXPORT_BATCH as usize => after = last.id,
                _ => break,
            }
        }
        csv.finish()?;
        out.flush()?;
        let now = self.now();
        let who = actor.audit_name();
        let mut detail = format!("rows={count}");
        for (key, value) in [
            ("account", checked.account.clone()),
            ("event", checked.event.clone()),
            ("actor", checked.actor.clone()),
            ("since", checked.since.map(|t| t.to_string())),
            ("until", checked.until.map(|t| t.to_string())),
        ] {
            if let Some(value) = value {
                detail.push_str(&format!(" {key}={value}"));
            }
        }
        let mut entry = actor.entry(&who, now, AuditEvent::AuditExported, "", detail);
        entry.account_id = None;
        let mut tx = self.store.begin_write().await?;
        tx.audit(&entry).await?;
        tx.commit().await?;
        Ok(count)
    }
}
