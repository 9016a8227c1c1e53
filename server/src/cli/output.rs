//! What the command line prints, in French or English. Times are local to the server's
//! time zone, with their offset; audit lines (a log) are in UTC.

use std::fmt::Write as _;
use std::path::Path;

use tigr_core::clock::{TimeZone, local_text, rfc3339_utc};

use crate::admin::{
    AccountDetails, AccountSummary, Invitation, InvitationStatus, Page, Phone, PhoneStatus,
};
use crate::domain::lockout::{BlockReason, LockStatus};
use crate::i18n::Lang;
use crate::storage::{Account, AuditRecord};

/// A time as the operator reads it (see `tigr_core::clock::local_text`).
fn when(lang: Lang, zone: &TimeZone, unix: i64) -> String {
    local_text(unix, zone, lang.into())
}

fn pick(lang: Lang, fr: String, en: String) -> String {
    match lang {
        Lang::Fr => fr,
        Lang::En => en,
    }
}

/// Columns padded to their widest cell (in characters), two spaces apart.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
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

fn reason_text(reason: BlockReason, lang: Lang) -> &'static str {
    match (reason, lang) {
        (BlockReason::TooManyFailures, Lang::Fr) => "trop d'échecs consécutifs",
        (BlockReason::TooManyFailures, Lang::En) => "too many consecutive failures",
        (BlockReason::RepeatedBlocks, Lang::Fr) => "blocages répétés",
        (BlockReason::RepeatedBlocks, Lang::En) => "repeated blocks",
    }
}

/// Short state of an account: disabled, blocked (until when), failures.
fn state(account: &Account, lock: &LockStatus, lang: Lang, zone: &TimeZone) -> String {
    let mut parts = Vec::new();
    if !account.is_enabled() {
        parts.push(pick(lang, "désactivé".into(), "disabled".into()));
    }
    match lock {
        LockStatus::Temporary { until, .. } => parts.push(pick(
            lang,
            format!("bloqué jusqu'à {}", when(lang, zone, *until)),
            format!("blocked until {}", when(lang, zone, *until)),
        )),
        LockStatus::Permanent { .. } => parts.push(pick(
            lang,
            "bloqué (définitif)".into(),
            "blocked (permanent)".into(),
        )),
        LockStatus::Open { failures } if *failures > 0 => parts.push(pick(
            lang,
            format!("{failures} échec(s)"),
            format!("{failures} failure(s)"),
        )),
        LockStatus::Open { .. } => {}
    }
    if parts.is_empty() {
        pick(lang, "actif".into(), "active".into())
    } else {
        parts.join(", ")
    }
}

fn revoked_reason(reason: &str, lang: Lang) -> String {
    match (reason, lang) {
        ("replaced", Lang::Fr) => "remplacé par un nouvel enrôlement".into(),
        ("replaced", Lang::En) => "replaced by a new enrollment".into(),
        ("revoked_by_admin", Lang::Fr) => "révoqué par un administrateur".into(),
        ("revoked_by_admin", Lang::En) => "revoked by an administrator".into(),
        (other, _) => other.to_owned(),
    }
}

fn phone_line(phone: &Phone, lang: Lang, zone: &TimeZone) -> String {
    let enrolled = when(lang, zone, phone.enrolled_at);
    match &phone.status {
        PhoneStatus::Active => pick(
            lang,
            format!(
                "{}, enrôlé à {enrolled} (appareil {})",
                phone.name, phone.id
            ),
            format!(
                "{}, enrolled at {enrolled} (device {})",
                phone.name, phone.id
            ),
        ),
        PhoneStatus::Revoked { at, reason } => pick(
            lang,
            format!(
                "{}, enrôlé à {enrolled}, révoqué à {} : {}",
                phone.name,
                when(lang, zone, *at),
                revoked_reason(reason, lang)
            ),
            format!(
                "{}, enrolled at {enrolled}, revoked at {}: {}",
                phone.name,
                when(lang, zone, *at),
                revoked_reason(reason, lang)
            ),
        ),
    }
}

fn invitation_state(invitation: &Invitation, lang: Lang, zone: &TimeZone) -> String {
    match &invitation.status {
        InvitationStatus::Pending { expires_at } => pick(
            lang,
            format!("en attente jusqu'à {}", when(lang, zone, *expires_at)),
            format!("pending until {}", when(lang, zone, *expires_at)),
        ),
        InvitationStatus::Completed { at, device_id } => {
            let device = device_id.as_deref().unwrap_or("?");
            pick(
                lang,
                format!(
                    "utilisée à {} : téléphone {device} enrôlé",
                    when(lang, zone, *at)
                ),
                format!("used at {}: phone {device} enrolled", when(lang, zone, *at)),
            )
        }
        InvitationStatus::Expired { at } => pick(
            lang,
            format!("expirée à {}", when(lang, zone, *at)),
            format!("expired at {}", when(lang, zone, *at)),
        ),
        InvitationStatus::Cancelled { at } => pick(
            lang,
            format!("annulée à {}", when(lang, zone, *at)),
            format!("cancelled at {}", when(lang, zone, *at)),
        ),
    }
}

pub fn created(account: &Account, lang: Lang) -> String {
    let id = &account.id;
    pick(
        lang,
        format!(
            "Compte « {id} » créé (rôle {}). Pour enrôler son téléphone : tigr-server admin \
             enroll {id}",
            account.role
        ),
        format!(
            "Account \"{id}\" created (role {}). To enroll its phone: tigr-server admin enroll \
             {id}",
            account.role
        ),
    )
}

pub fn edited(account: &Account, lang: Lang) -> String {
    let email = account.email.as_deref().unwrap_or("-");
    pick(
        lang,
        format!(
            "Compte « {} » modifié : nom « {} », e-mail {email}, rôle {}.",
            account.id, account.display_name, account.role
        ),
        format!(
            "Account \"{}\" updated: name \"{}\", e-mail {email}, role {}.",
            account.id, account.display_name, account.role
        ),
    )
}

pub fn disabled(id: &str, lang: Lang) -> String {
    pick(
        lang,
        format!(
            "Compte « {id} » désactivé : il ne peut plus se connecter ni enrôler de téléphone \
             (ses invitations en attente sont annulées). Réactivation : tigr-server admin \
             enable {id}"
        ),
        format!(
            "Account \"{id}\" disabled: it can no longer log in or enroll a phone (its pending \
             invitations are cancelled). To enable it again: tigr-server admin enable {id}"
        ),
    )
}

pub fn enabled(id: &str, lang: Lang) -> String {
    pick(
        lang,
        format!("Compte « {id} » réactivé."),
        format!("Account \"{id}\" enabled again."),
    )
}

pub fn revoked(phone: &Phone, lang: Lang) -> String {
    let id = &phone.account_id;
    pick(
        lang,
        format!(
            "Téléphone « {} » du compte « {id} » révoqué : il ne peut plus se connecter. Pour \
             enrôler un nouveau téléphone : tigr-server admin enroll {id}",
            phone.name
        ),
        format!(
            "Phone \"{}\" of account \"{id}\" revoked: it can no longer log in. To enroll a new \
             phone: tigr-server admin enroll {id}",
            phone.name
        ),
    )
}

pub fn unblocked(id: &str, lang: Lang) -> String {
    pick(
        lang,
        format!("Compte « {id} » débloqué ; compteur d'échecs remis à zéro."),
        format!("Account \"{id}\" unblocked; failure counter reset."),
    )
}

pub fn account_list(page: &Page<AccountSummary>, lang: Lang, zone: &TimeZone) -> String {
    if page.items.is_empty() {
        return pick(
            lang,
            format!("Aucun compte (page {} sur {}).", page.page, page.pages()),
            format!("No account (page {} of {}).", page.page, page.pages()),
        );
    }
    let none = pick(lang, "aucun".into(), "none".into());
    let rows: Vec<Vec<String>> = page
        .items
        .iter()
        .map(|s| {
            vec![
                s.account.id.clone(),
                s.account.display_name.clone(),
                s.role.as_str().to_owned(),
                state(&s.account, &s.lock, lang, zone),
                s.phone.as_ref().map_or_else(
                    || none.clone(),
                    |p| format!("{} ({})", p.name, when(lang, zone, p.enrolled_at)),
                ),
            ]
        })
        .collect();
    let last = page.first_index() + page.items.len() as u64 - 1;
    let (head, header) = match lang {
        Lang::Fr => (
            format!(
                "Comptes {} à {last} sur {} (page {} sur {})",
                page.first_index(),
                page.total,
                page.page,
                page.pages()
            ),
            ["IDENTIFIANT", "NOM", "RÔLE", "ÉTAT", "TÉLÉPHONE"],
        ),
        Lang::En => (
            format!(
                "Accounts {} to {last} of {} (page {} of {})",
                page.first_index(),
                page.total,
                page.page,
                page.pages()
            ),
            ["TIGR ID", "NAME", "ROLE", "STATE", "PHONE"],
        ),
    };
    format!("{head}\n{}", table(&header, &rows))
}

pub fn account_details(d: &AccountDetails, lang: Lang, zone: &TimeZone) -> String {
    let a = &d.account;
    let mut out = String::new();
    let fr = lang == Lang::Fr;
    let label = |fr_label: &str, en_label: &str| {
        if fr {
            fr_label.to_owned()
        } else {
            en_label.to_owned()
        }
    };
    let _ = writeln!(
        out,
        "{}",
        pick(
            lang,
            format!("Compte « {} »", a.id),
            format!("Account \"{}\"", a.id)
        )
    );
    let mut fields: Vec<(String, String)> = vec![
        (label("Nom", "Name"), a.display_name.clone()),
        (
            label("E-mail", "E-mail"),
            a.email.clone().unwrap_or_else(|| "-".into()),
        ),
        (label("Rôle", "Role"), d.role.as_str().to_owned()),
        (label("Créé", "Created"), when(lang, zone, a.created_at)),
        (label("État", "State"), state(a, &d.lock, lang, zone)),
    ];
    if let Some(at) = a.disabled_at {
        let reason = a
            .disabled_reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        fields.push((
            label("Désactivé", "Disabled"),
            format!("{}{reason}", when(lang, zone, at)),
        ));
    }
    let block = match d.lock {
        LockStatus::Open { failures } => pick(
            lang,
            format!("non bloqué, {failures} échec(s) consécutif(s)"),
            format!("not blocked, {failures} consecutive failure(s)"),
        ),
        LockStatus::Temporary {
            since,
            until,
            reason,
        } => pick(
            lang,
            format!(
                "bloqué temporairement depuis {} jusqu'à {} ({}) ; levée immédiate : \
                 tigr-server admin unblock {}",
                when(lang, zone, since),
                when(lang, zone, until),
                reason_text(reason, lang),
                a.id
            ),
            format!(
                "blocked for a while since {} until {} ({}); to lift it now: tigr-server admin \
                 unblock {}",
                when(lang, zone, since),
                when(lang, zone, until),
                reason_text(reason, lang),
                a.id
            ),
        ),
        LockStatus::Permanent { since, reason } => pick(
            lang,
            format!(
                "bloqué définitivement depuis {} ({}) ; déblocage : tigr-server admin \
                 unblock {}",
                when(lang, zone, since),
                reason_text(reason, lang),
                a.id
            ),
            format!(
                "blocked permanently since {} ({}); to unblock: tigr-server admin unblock {}",
                when(lang, zone, since),
                reason_text(reason, lang),
                a.id
            ),
        ),
    };
    fields.push((label("Blocage", "Lockout"), block));
    fields.push((
        label("Téléphone", "Phone"),
        d.phone.as_ref().map_or_else(
            || {
                pick(
                    lang,
                    "aucun téléphone actif".into(),
                    "no active phone".into(),
                )
            },
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
        let _ = writeln!(out, "{}", label("Anciens téléphones :", "Former phones:"));
        for phone in old {
            let _ = writeln!(out, "  - {}", phone_line(phone, lang, zone));
        }
    }
    if !d.invitations.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            label("Invitations récentes :", "Recent invitations:")
        );
        for invitation in &d.invitations {
            let by = invitation.created_by.as_deref().unwrap_or("?");
            let _ = writeln!(
                out,
                "  - {} : {} ({} {}, {} {by})",
                invitation.id,
                invitation_state(invitation, lang, zone),
                label("créée à", "created at"),
                when(lang, zone, invitation.created_at),
                label("par", "by"),
            );
        }
    }
    out.pop();
    out
}

pub fn invitation_list(invitations: &[Invitation], lang: Lang, zone: &TimeZone) -> String {
    if invitations.is_empty() {
        return pick(
            lang,
            "Aucune invitation en attente.".into(),
            "No pending invitation.".into(),
        );
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
    let header = match lang {
        Lang::Fr => ["INVITATION", "COMPTE", "CRÉÉE LE", "EXPIRE LE", "PAR"],
        Lang::En => ["INVITATION", "ACCOUNT", "CREATED", "EXPIRES", "BY"],
    };
    let head = pick(
        lang,
        format!("{} invitation(s) en attente", invitations.len()),
        format!("{} pending invitation(s)", invitations.len()),
    );
    format!("{head}\n{}", table(&header, &rows))
}

pub fn invitation(invitation: &Invitation, lang: Lang, zone: &TimeZone) -> String {
    pick(
        lang,
        format!(
            "Invitation {} (compte « {} ») : {}.",
            invitation.id,
            invitation.account_id,
            invitation_state(invitation, lang, zone)
        ),
        format!(
            "Invitation {} (account \"{}\"): {}.",
            invitation.id,
            invitation.account_id,
            invitation_state(invitation, lang, zone)
        ),
    )
}

pub fn invitation_cancelled(invitation: &Invitation, lang: Lang) -> String {
    pick(
        lang,
        format!(
            "Invitation {} (compte « {} ») annulée : son QR code ne fonctionne plus.",
            invitation.id, invitation.account_id
        ),
        format!(
            "Invitation {} (account \"{}\") cancelled: its QR code no longer works.",
            invitation.id, invitation.account_id
        ),
    )
}

pub fn invitations_cancelled(account: &str, ids: &[String], lang: Lang) -> String {
    pick(
        lang,
        format!(
            "{} invitation(s) en attente annulée(s) pour le compte « {account} ».",
            ids.len()
        ),
        format!(
            "{} pending invitation(s) cancelled for account \"{account}\".",
            ids.len()
        ),
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
    pick(
        lang,
        "Aucune entrée du journal d'audit ne correspond.".into(),
        "No audit entry matches.".into(),
    )
}

pub fn audit_page(page: &Page<AuditRecord>, lang: Lang) -> String {
    if page.items.is_empty() {
        return audit_empty(lang);
    }
    let last = page.first_index() + page.items.len() as u64 - 1;
    let mut out = pick(
        lang,
        format!(
            "Journal d'audit, du plus récent au plus ancien : entrées {} à {last} sur {} (page \
             {} sur {})",
            page.first_index(),
            page.total,
            page.page,
            page.pages()
        ),
        format!(
            "Audit trail, newest first: entries {} to {last} of {} (page {} of {})",
            page.first_index(),
            page.total,
            page.page,
            page.pages()
        ),
    );
    for row in &page.items {
        out.push('\n');
        out.push_str(&audit_line(row));
    }
    out
}

pub fn exported(count: u64, path: &Path, lang: Lang) -> String {
    pick(
        lang,
        format!(
            "{count} entrée(s) du journal d'audit exportée(s) dans {} (CSV).",
            path.display()
        ),
        format!(
            "{count} audit entries exported to {} (CSV).",
            path.display()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_on_characters() {
        let t = table(
            &["ID", "NOM"],
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
