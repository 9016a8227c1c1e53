//! What the command line prints, in French or English (texts `cli-*` of the catalogue,
//! [`crate::text`]). Times are local to the server's time zone, with their offset; audit
//! lines (a log) are in UTC.

use std::fmt::Write as _;
use std::path::Path;

use tigr_core::clock::{TimeZone, local_text, rfc3339_utc};

use crate::admin::{Account, AuditRecord, CardBinding, PasswordInvitation};
use crate::admin::{
    AccountDetails, AccountSummary, Invitation, InvitationStatus, Page, Phone, PhoneStatus,
    REVOKED_BY_ADMIN,
};
use crate::admin::{StoredToken, TokenInvitation, TokenOrigin};
use crate::domain::lockout::{BlockReason, LockStatus};
use crate::domain::offline_pause::OfflineStatus;
use crate::i18n::Lang;
use crate::login::REVOKED_REPLACED;
use crate::text::{Arg, text, text_with};

/// A time as the operator reads it (see `tigr_core::clock::local_text`).
fn when(lang: Lang, zone: &TimeZone, unix: i64) -> String {
    local_text(unix, zone, lang.into())
}

/// A text of the catalogue with its variables.
fn t(lang: Lang, key: &str, args: &[(&str, Arg<'_>)]) -> String {
    text_with(lang, key, args)
}

/// Columns padded to their widest cell (in characters), two spaces apart.
fn table(header: &[String], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header = header.to_vec();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.pop();
    out
}

fn reason_text(reason: BlockReason, lang: Lang) -> String {
    match reason {
        BlockReason::TooManyFailures => text(lang, "cli-block-reason-failures"),
        BlockReason::RepeatedBlocks => text(lang, "admin-lock-reason-repeated"),
    }
}

/// Short state of an account: disabled, blocked (until when), failures, offline codes
/// paused (until when).
fn state(
    account: &Account,
    lock: &LockStatus,
    offline: &OfflineStatus,
    lang: Lang,
    zone: &TimeZone,
) -> String {
    let mut parts = Vec::new();
    if !account.is_enabled() {
        parts.push(text(lang, "cli-state-disabled"));
    }
    match lock {
        LockStatus::Temporary { until, .. } => parts.push(t(
            lang,
            "cli-state-blocked-until",
            &[("until", when(lang, zone, *until).into())],
        )),
        LockStatus::Permanent { .. } => parts.push(text(lang, "cli-state-blocked-permanent")),
        LockStatus::Open { failures } if *failures > 0 => {
            parts.push(t(lang, "cli-state-failures", &[("n", (*failures).into())]))
        }
        LockStatus::Open { .. } => {}
    }
    if let OfflineStatus::Paused { until, .. } = offline {
        parts.push(t(
            lang,
            "cli-state-offline-paused",
            &[("until", when(lang, zone, *until).into())],
        ));
    }
    if parts.is_empty() {
        text(lang, "cli-state-active")
    } else {
        parts.join(", ")
    }
}

fn revoked_reason(reason: &str, lang: Lang) -> String {
    match reason {
        REVOKED_REPLACED => text(lang, "admin-phone-why-replaced"),
        REVOKED_BY_ADMIN => text(lang, "admin-phone-why-admin"),
        other => other.to_owned(),
    }
}

fn phone_line(phone: &Phone, lang: Lang, zone: &TimeZone) -> String {
    let enrolled = when(lang, zone, phone.enrolled_at);
    match &phone.status {
        PhoneStatus::Active => t(
            lang,
            "cli-phone-active",
            &[
                ("name", phone.name.as_str().into()),
                ("enrolled", enrolled.into()),
                ("device", phone.id.as_str().into()),
            ],
        ),
        PhoneStatus::Revoked { at, reason } => t(
            lang,
            "cli-phone-revoked",
            &[
                ("name", phone.name.as_str().into()),
                ("enrolled", enrolled.into()),
                ("at", when(lang, zone, *at).into()),
                ("why", revoked_reason(reason, lang).into()),
            ],
        ),
    }
}

fn invitation_state(invitation: &Invitation, lang: Lang, zone: &TimeZone) -> String {
    match &invitation.status {
        InvitationStatus::Pending { expires_at } => t(
            lang,
            "cli-invitation-pending",
            &[("until", when(lang, zone, *expires_at).into())],
        ),
        InvitationStatus::Completed { at, device_id } => t(
            lang,
            "cli-invitation-used",
            &[
                ("at", when(lang, zone, *at).into()),
                ("device", device_id.as_deref().unwrap_or("?").into()),
            ],
        ),
        InvitationStatus::Expired { at } => t(
            lang,
            "cli-invitation-expired",
            &[("at", when(lang, zone, *at).into())],
        ),
        InvitationStatus::Cancelled { at } => t(
            lang,
            "cli-invitation-cancelled",
            &[("at", when(lang, zone, *at).into())],
        ),
    }
}

fn id_only(lang: Lang, key: &str, id: &str) -> String {
    t(lang, key, &[("id", id.into())])
}

pub fn created(account: &Account, lang: Lang) -> String {
    t(
        lang,
        "cli-created",
        &[
            ("id", account.id.as_str().into()),
            ("role", account.role.as_str().into()),
        ],
    )
}

pub fn edited(account: &Account, lang: Lang) -> String {
    t(
        lang,
        "cli-edited",
        &[
            ("id", account.id.as_str().into()),
            ("name", account.display_name.as_str().into()),
            ("email", account.email.as_deref().unwrap_or("-").into()),
            ("role", account.role.as_str().into()),
        ],
    )
}

pub fn disabled(id: &str, lang: Lang) -> String {
    id_only(lang, "cli-disabled", id)
}

pub fn enabled(id: &str, lang: Lang) -> String {
    id_only(lang, "cli-enabled", id)
}

pub fn revoked(phone: &Phone, lang: Lang) -> String {
    t(
        lang,
        "cli-revoked",
        &[
            ("name", phone.name.as_str().into()),
            ("id", phone.account_id.as_str().into()),
        ],
    )
}

pub fn password_invitation(invitation: &PasswordInvitation, lang: Lang, zone: &TimeZone) -> String {
    text_with(
        lang,
        if invitation.reset {
            "cli-password-reset"
        } else {
            "cli-password-first"
        },
        &[
            ("id", invitation.account_id.as_str().into()),
            ("link", invitation.link.as_str().into()),
            (
                "until",
                local_text(invitation.expires_at, zone, lang.into()).into(),
            ),
        ],
    )
}

pub fn unblocked(id: &str, lang: Lang) -> String {
    id_only(lang, "cli-unblocked", id)
}

pub fn card_bound(binding: &CardBinding, lang: Lang) -> String {
    t(
        lang,
        "cli-card-bound",
        &[
            ("card", binding.value.as_str().into()),
            ("id", binding.account_id.as_str().into()),
        ],
    )
}

pub fn card_unbound(id: &str, lang: Lang) -> String {
    id_only(lang, "cli-card-unbound", id)
}

/// The cards of an account: one line each, `national_id 810001234567 (since …, by …)`.
pub fn card_list(id: &str, bindings: &[CardBinding], lang: Lang, zone: &TimeZone) -> String {
    if bindings.is_empty() {
        return id_only(lang, "cli-card-none", id);
    }
    bindings
        .iter()
        .map(|b| {
            format!(
                "{} {} ({}, {})",
                b.kind,
                b.value,
                when(lang, zone, b.created_at),
                b.created_by
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn tokens_imported(serials: &[String], lang: Lang) -> String {
    let mut out = t(
        lang,
        "cli-tokens-imported",
        &[("count", serials.len().into())],
    );
    for serial in serials {
        out.push_str(&format!("\n  {serial}"));
    }
    out
}

pub fn token_assigned(token: &StoredToken, account: &str, lang: Lang) -> String {
    token_done(lang, "cli-token-assigned", &token.serial, account)
}

/// A token action's outcome: `key` with the serial and the account.
pub fn token_done(lang: Lang, key: &str, serial: &str, account: &str) -> String {
    t(
        lang,
        key,
        &[("serial", serial.into()), ("id", account.into())],
    )
}

pub fn token_resynced(token: &StoredToken, lang: Lang) -> String {
    t(
        lang,
        "cli-token-resynced",
        &[
            ("serial", token.serial.as_str().into()),
            ("params", crate::admin::token_summary(lang, token).into()),
        ],
    )
}

pub fn token_invitation(invitation: &TokenInvitation, lang: Lang, zone: &TimeZone) -> String {
    let mut out = text_with(
        lang,
        "cli-token-invitation",
        &[
            ("id", invitation.account_id.as_str().into()),
            ("link", invitation.link.as_str().into()),
            ("until", when(lang, zone, invitation.expires_at).into()),
        ],
    );
    if let Some(serial) = &invitation.replaces {
        out.push('\n');
        out.push_str(&t(
            lang,
            "cli-token-invitation-replaces",
            &[("serial", serial.as_str().into())],
        ));
    }
    out
}

/// Tokens, one a line: serial, kind, parameters, account or state, last use.
pub fn token_list(
    account: Option<&str>,
    tokens: &[StoredToken],
    lang: Lang,
    zone: &TimeZone,
) -> String {
    if tokens.is_empty() {
        return match account {
            Some(id) => id_only(lang, "cli-token-none", id),
            None => text(lang, "cli-token-none-unassigned"),
        };
    }
    let header: Vec<String> = [
        "cli-token-column-serial",
        "cli-token-column-type",
        "cli-token-column-params",
        "cli-token-column-state",
        "cli-token-column-last-used",
    ]
    .iter()
    .map(|key| text(lang, key))
    .collect();
    let rows: Vec<Vec<String>> = tokens
        .iter()
        .map(|token| {
            let state = match (token.revoked_at, &token.account_id) {
                (Some(at), _) => t(
                    lang,
                    "cli-token-state-revoked",
                    &[("at", when(lang, zone, at).into())],
                ),
                (None, Some(id)) => t(
                    lang,
                    "cli-token-state-assigned",
                    &[("id", id.as_str().into())],
                ),
                (None, None) => text(lang, "cli-token-state-unassigned"),
            };
            vec![
                token.serial.clone(),
                text(
                    lang,
                    match token.origin {
                        TokenOrigin::Hardware => "cli-token-origin-hardware",
                        TokenOrigin::App => "cli-token-origin-app",
                    },
                ),
                crate::admin::token_summary(lang, token),
                state,
                token
                    .last_used_at
                    .map_or_else(|| "-".to_owned(), |at| when(lang, zone, at)),
            ]
        })
        .collect();
    table(&header, &rows)
}

/// The position of a page: first and last item, total, page and pages.
fn position<'a, T>(page: &Page<T>) -> [(&'a str, Arg<'a>); 5] {
    let last = page.first_index() + page.items.len() as u64 - 1;
    [
        ("first", page.first_index().into()),
        ("last", last.into()),
        ("total", page.total.into()),
        ("page", page.page.into()),
        ("pages", page.pages().into()),
    ]
}

pub fn account_list(page: &Page<AccountSummary>, lang: Lang, zone: &TimeZone) -> String {
    if page.items.is_empty() {
        return t(
            lang,
            "cli-no-account",
            &[("page", page.page.into()), ("pages", page.pages().into())],
        );
    }
    let none = text(lang, "admin-phone-none");
    let rows: Vec<Vec<String>> = page
        .items
        .iter()
        .map(|s| {
            vec![
                s.account.id.clone(),
                s.account.display_name.clone(),
                s.role.as_str().to_owned(),
                state(&s.account, &s.lock, &s.offline, lang, zone),
                s.phone.as_ref().map_or_else(
                    || none.clone(),
                    |p| format!("{} ({})", p.name, when(lang, zone, p.enrolled_at)),
                ),
            ]
        })
        .collect();
    let head = t(lang, "cli-account-list", &position(page));
    let header = [
        "cli-column-tigr-id",
        "cli-column-name",
        "cli-column-role",
        "cli-column-state",
        "cli-column-phone",
    ]
    .map(|key| text(lang, key));
    format!("{head}\n{}", table(&header, &rows))
}

pub fn account_details(d: &AccountDetails, lang: Lang, zone: &TimeZone) -> String {
    let a = &d.account;
    let mut out = String::new();
    let _ = writeln!(out, "{}", id_only(lang, "cli-account", &a.id));
    let label = |key: &str| text(lang, key);
    let mut fields: Vec<(String, String)> = vec![
        (label("cli-field-name"), a.display_name.clone()),
        (
            label("cli-field-email"),
            a.email.clone().unwrap_or_else(|| "-".into()),
        ),
        (label("cli-field-role"), d.role.as_str().to_owned()),
        (label("cli-field-created"), when(lang, zone, a.created_at)),
        (
            label("cli-field-state"),
            state(a, &d.lock, &d.offline, lang, zone),
        ),
    ];
    if let Some(at) = a.disabled_at {
        let reason = a
            .disabled_reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        fields.push((
            label("cli-field-disabled"),
            format!("{}{reason}", when(lang, zone, at)),
        ));
    }
    let block = match d.lock {
        LockStatus::Open { failures } => t(lang, "cli-lock-open", &[("n", failures.into())]),
        LockStatus::Temporary {
            since,
            until,
            reason,
        } => t(
            lang,
            "cli-lock-temporary",
            &[
                ("since", when(lang, zone, since).into()),
                ("until", when(lang, zone, until).into()),
                ("reason", reason_text(reason, lang).into()),
                ("id", a.id.as_str().into()),
            ],
        ),
        LockStatus::Permanent { since, reason } => t(
            lang,
            "cli-lock-permanent",
            &[
                ("since", when(lang, zone, since).into()),
                ("reason", reason_text(reason, lang).into()),
                ("id", a.id.as_str().into()),
            ],
        ),
    };
    fields.push((label("cli-field-lockout"), block));
    let offline = match d.offline {
        OfflineStatus::Open { failures } => t(lang, "cli-offline-open", &[("n", failures.into())]),
        OfflineStatus::Paused {
            since,
            until,
            pauses,
        } => t(
            lang,
            "cli-offline-paused",
            &[
                ("since", when(lang, zone, since).into()),
                ("until", when(lang, zone, until).into()),
                ("n", pauses.into()),
                ("id", a.id.as_str().into()),
            ],
        ),
    };
    fields.push((label("cli-field-offline"), offline));
    fields.push((
        label("cli-field-phone"),
        d.phone.as_ref().map_or_else(
            || text(lang, "cli-no-active-phone"),
            |p| phone_line(p, lang, zone),
        ),
    ));
    let width = fields
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    for (key, value) in &fields {
        let pad = " ".repeat(width - key.chars().count());
        let _ = writeln!(out, "  {key}{pad} : {value}");
    }
    let old: Vec<&Phone> = d.phones.iter().filter(|p| !p.is_active()).collect();
    if !old.is_empty() {
        let _ = writeln!(out, "{}", text(lang, "cli-former-phones"));
        for phone in old {
            let _ = writeln!(out, "  - {}", phone_line(phone, lang, zone));
        }
    }
    if !d.invitations.is_empty() {
        let _ = writeln!(out, "{}", text(lang, "cli-recent-invitations"));
        for invitation in &d.invitations {
            let line = t(
                lang,
                "cli-invitation-line",
                &[
                    ("id", invitation.id.as_str().into()),
                    ("state", invitation_state(invitation, lang, zone).into()),
                    ("created", when(lang, zone, invitation.created_at).into()),
                    ("by", invitation.created_by.as_deref().unwrap_or("?").into()),
                ],
            );
            let _ = writeln!(out, "  - {line}");
        }
    }
    out.pop();
    out
}

pub fn invitation_list(invitations: &[Invitation], lang: Lang, zone: &TimeZone) -> String {
    if invitations.is_empty() {
        return text(lang, "admin-dashboard-no-pending");
    }
    let rows: Vec<Vec<String>> = invitations
        .iter()
        .map(|i| {
            vec![
                i.id.clone(),
                i.account_id.clone(),
                when(lang, zone, i.created_at),
                when(lang, zone, i.expires_at),
                i.created_by.clone().unwrap_or_else(|| "?".into()),
            ]
        })
        .collect();
    let header = [
        "cli-column-invitation",
        "cli-column-account",
        "cli-column-created",
        "cli-column-expires",
        "cli-column-by",
    ]
    .map(|key| text(lang, key));
    let head = t(
        lang,
        "cli-pending-invitations",
        &[("n", invitations.len().into())],
    );
    format!("{head}\n{}", table(&header, &rows))
}

pub fn invitation(invitation: &Invitation, lang: Lang, zone: &TimeZone) -> String {
    t(
        lang,
        "cli-invitation",
        &[
            ("id", invitation.id.as_str().into()),
            ("account", invitation.account_id.as_str().into()),
            ("state", invitation_state(invitation, lang, zone).into()),
        ],
    )
}

pub fn invitation_cancelled(invitation: &Invitation, lang: Lang) -> String {
    t(
        lang,
        "cli-invitation-cancelled-now",
        &[
            ("id", invitation.id.as_str().into()),
            ("account", invitation.account_id.as_str().into()),
        ],
    )
}

pub fn invitations_cancelled(account: &str, ids: &[String], lang: Lang) -> String {
    t(
        lang,
        "cli-invitations-cancelled",
        &[("n", ids.len().into()), ("account", account.into())],
    )
}

/// One audit row on one line: time, event, actor, account, then the rest as key=value.
pub fn audit_line(row: &AuditRecord) -> String {
    let mut line = format!(
        "{}  #{}  {}  {}  {}",
        rfc3339_utc(row.at),
        row.id,
        row.event,
        row.actor,
        row.account_id.as_deref().unwrap_or("-")
    );
    for (key, value) in [
        ("device", &row.device_id),
        ("challenge", &row.challenge_id),
        ("ip", &row.ip),
        ("browser", &row.user_agent),
    ] {
        if let Some(value) = value {
            let _ = write!(line, "  {key}={value}");
        }
    }
    if let Some(detail) = &row.detail {
        let _ = write!(line, "  {detail}");
    }
    // One row, one line, whatever a stored value holds.
    line.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

pub fn audit_empty(lang: Lang) -> String {
    text(lang, "cli-audit-empty")
}

pub fn audit_page(page: &Page<AuditRecord>, lang: Lang) -> String {
    if page.items.is_empty() {
        return audit_empty(lang);
    }
    let mut out = t(lang, "cli-audit-page", &position(page));
    for row in &page.items {
        out.push('\n');
        out.push_str(&audit_line(row));
    }
    out
}

pub fn exported(count: u64, path: &Path, lang: Lang) -> String {
    t(
        lang,
        "cli-exported",
        &[
            ("n", count.into()),
            ("path", path.display().to_string().into()),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_on_characters() {
        let t = table(
            &["ID".to_owned(), "NOM".to_owned()],
            &[
                vec!["émilie".into(), "Émilie Martin".into()],
                vec!["bob".into(), "Bob".into()],
            ],
        );
        assert_eq!(t, "ID      NOM\némilie  Émilie Martin\nbob     Bob");
    }

    #[test]
    fn audit_lines_stay_on_one_line() {
        let row = AuditRecord {
            id: 3,
            at: 0,
            event: "account_updated".into(),
            actor: "cli:root".into(),
            account_id: Some("alice".into()),
            device_id: None,
            challenge_id: None,
            ip: None,
            user_agent: None,
            detail: Some("display_name=\"a\nb\"".into()),
        };
        assert_eq!(
            audit_line(&row),
            "1970-01-01T00:00:00Z  #3  account_updated  cli:root  alice  display_name=\"a b\""
        );
    }
}
