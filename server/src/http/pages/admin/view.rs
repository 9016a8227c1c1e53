//! What the admin templates show: accounts, lockout states, phones, invitations, audit rows
//! and page links, already worded in the page language.

use serde::Serialize;

use super::super::PageContext;
use super::super::render::time_texts;
use crate::admin::{Account, AuditEvent, AuditRecord, StoredToken, TokenOrigin};
use crate::admin::{AccountSummary, Invitation, InvitationStatus, Page, Phone, PhoneStatus, Role};
use crate::domain::lockout::{BlockReason, LockStatus};
use crate::domain::offline_pause::OfflineStatus;
use crate::i18n::Lang;
use tigr_core::clock::TimeZone;

use super::account_path;
use crate::text::{text as tr, text_with};

/// A time as shown (local time with its offset, `09:30:00 (UTC+01:00) le 01/03/2025`) and
/// as machine-readable `datetime` (RFC 3339 UTC).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Time {
    /// For people.
    pub text: String,
    /// ISO 8601.
    pub iso: String,
}

impl Time {
    /// The time `unix`, for a reader in `zone` who reads `lang`.
    pub fn at(unix: i64, zone: &TimeZone, lang: Lang) -> Self {
        let (text, iso) = time_texts(unix, zone, lang);
        Self { text, iso }
    }
}

/// A duration in words: `15 min`, `2 h`, `2 h 30 min`, `7 jours`.
pub fn duration(lang: Lang, seconds: i64) -> String {
    let seconds = seconds.max(0);
    let minutes = (seconds + 59) / 60;
    if minutes < 60 {
        return format!("{minutes} min");
    }
    if seconds % 86_400 == 0 {
        let days = seconds / 86_400;
        return match (lang, days) {
            (Lang::Fr, 1) => "1 jour".to_owned(),
            (Lang::Fr, n) => format!("{n} jours"),
            (Lang::En, 1) => "1 day".to_owned(),
            (Lang::En, n) => format!("{n} days"),
        };
    }
    let (hours, rest) = (minutes / 60, minutes % 60);
    if rest == 0 {
        format!("{hours} h")
    } else {
        format!("{hours} h {rest:02} min")
    }
}

/// The label of a role.
pub fn role_label(lang: Lang, role: Role) -> String {
    match role {
        Role::Admin => tr(lang, "admin-role-admin"),
        Role::User => tr(lang, "admin-role-user"),
    }
}

fn reason_text(lang: Lang, reason: BlockReason) -> String {
    match reason {
        BlockReason::TooManyFailures => tr(lang, "admin-lock-reason-failures"),
        BlockReason::RepeatedBlocks => tr(lang, "admin-lock-reason-repeated"),
    }
}

/// The lockout state of an account.
#[derive(Debug, Clone, Serialize)]
pub struct Lock {
    /// `open`, `temporary` or `permanent`.
    pub state: &'static str,
    /// Blocked now.
    pub blocked: bool,
    /// Consecutive failures counted (open state).
    pub failures: u32,
    /// Start of the block.
    pub since: Option<Time>,
    /// End of a temporary block.
    pub until: Option<Time>,
    /// Why it is blocked.
    pub reason: String,
    /// One sentence: the state, why, since and until when.
    pub text: String,
    /// Whether "unblock" applies (a block, or failures to reset).
    pub can_unblock: bool,
}

/// The lockout state in words.
pub fn lock(lang: Lang, zone: &TimeZone, status: &LockStatus) -> Lock {
    match *status {
        LockStatus::Open { failures } => Lock {
            state: "open",
            blocked: false,
            failures,
            since: None,
            until: None,
            reason: String::new(),
            text: if failures == 0 {
                tr(lang, "admin-lock-open")
            } else {
                text_with(lang, "admin-lock-failures", &[("n", failures.into())])
            },
            can_unblock: failures > 0,
        },
        LockStatus::Temporary {
            since,
            until,
            reason,
        } => {
            let (since, until) = (Time::at(since, zone, lang), Time::at(until, zone, lang));
            Lock {
                state: "temporary",
                blocked: true,
                failures: 0,
                text: text_with(
                    lang,
                    "admin-lock-temporary",
                    &[
                        ("since", since.text.as_str().into()),
                        ("until", until.text.as_str().into()),
                        ("reason", reason_text(lang, reason).into()),
                    ],
                ),
                since: Some(since),
                until: Some(until),
                reason: reason_text(lang, reason),
                can_unblock: true,
            }
        }
        LockStatus::Permanent { since, reason } => {
            let since = Time::at(since, zone, lang);
            Lock {
                state: "permanent",
                blocked: true,
                failures: 0,
                text: text_with(
                    lang,
                    "admin-lock-permanent",
                    &[
                        ("since", since.text.as_str().into()),
                        ("reason", reason_text(lang, reason).into()),
                    ],
                ),
                since: Some(since),
                until: None,
                reason: reason_text(lang, reason),
                can_unblock: true,
            }
        }
    }
}

/// The offline channel's state of an account's Tigr ID (offline codes typed for it).
#[derive(Debug, Clone, Serialize)]
pub struct OfflineView {
    /// `open` or `paused`.
    pub state: &'static str,
    /// Offline codes are paused now.
    pub paused: bool,
    /// Consecutive failures counted (open state).
    pub failures: u32,
    /// End of the pause.
    pub until: Option<Time>,
    /// One sentence: the state, since and until when.
    pub text: String,
    /// Whether "unblock" has something to reset on this channel.
    pub can_reset: bool,
}

/// The offline channel's state in words.
pub fn offline(lang: Lang, zone: &TimeZone, status: &OfflineStatus) -> OfflineView {
    match *status {
        OfflineStatus::Open { failures } => OfflineView {
            state: "open",
            paused: false,
            failures,
            until: None,
            text: if failures == 0 {
                tr(lang, "admin-offline-open")
            } else {
                text_with(lang, "admin-offline-failures", &[("n", failures.into())])
            },
            can_reset: failures > 0,
        },
        OfflineStatus::Paused {
            since,
            until,
            pauses,
        } => {
            let (since, until) = (Time::at(since, zone, lang), Time::at(until, zone, lang));
            OfflineView {
                state: "paused",
                paused: true,
                failures: 0,
                text: text_with(
                    lang,
                    "admin-offline-paused",
                    &[
                        ("since", since.text.as_str().into()),
                        ("until", until.text.as_str().into()),
                        ("n", pauses.into()),
                    ],
                ),
                until: Some(until),
                can_reset: true,
            }
        }
    }
}

/// The state of an account: `disabled`, `blocked` (phone channel), `paused` (offline
/// codes only) or `active`, and in words (until when it is blocked, failures counted).
pub fn state(
    lang: Lang,
    zone: &TimeZone,
    account: &Account,
    lock: &LockStatus,
    offline: &OfflineStatus,
) -> (&'static str, String) {
    if let Some(at) = account.disabled_at {
        return (
            "disabled",
            text_with(
                lang,
                "admin-state-disabled",
                &[("at", Time::at(at, zone, lang).text.as_str().into())],
            ),
        );
    }
    let until_text = |until| Time::at(until, zone, lang).text;
    match (*lock, *offline) {
        (LockStatus::Temporary { until, .. }, _) => (
            "blocked",
            text_with(
                lang,
                "admin-state-blocked-until",
                &[("until", until_text(until).as_str().into())],
            ),
        ),
        (LockStatus::Permanent { .. }, _) => ("blocked", tr(lang, "admin-state-blocked")),
        (LockStatus::Open { .. }, OfflineStatus::Paused { until, .. }) => (
            "paused",
            text_with(
                lang,
                "admin-state-offline-paused",
                &[("until", until_text(until).as_str().into())],
            ),
        ),
        (LockStatus::Open { failures: 0 }, _) => ("active", tr(lang, "admin-state-active")),
        (LockStatus::Open { failures }, _) => (
            "active",
            text_with(
                lang,
                "admin-state-active-failures",
                &[("n", failures.into())],
            ),
        ),
    }
}

/// A phone.
#[derive(Debug, Clone, Serialize)]
pub struct PhoneView {
    /// Device id.
    pub id: String,
    /// Name the phone gave.
    pub name: String,
    /// Enrollment time.
    pub enrolled: Time,
    /// The account's current phone.
    pub active: bool,
    /// `Actif`, or when and why it was revoked.
    pub status: String,
}

/// A phone in words.
pub fn phone(lang: Lang, zone: &TimeZone, phone: &Phone) -> PhoneView {
    let status = match &phone.status {
        PhoneStatus::Active => tr(lang, "admin-phone-active"),
        PhoneStatus::Revoked { at, reason } => {
            let why = match reason.as_str() {
                "replaced" => tr(lang, "admin-phone-why-replaced"),
                "revoked_by_admin" => tr(lang, "admin-phone-why-admin"),
                _ => tr(lang, "admin-phone-why-other"),
            };
            text_with(
                lang,
                "admin-phone-revoked",
                &[
                    ("at", Time::at(*at, zone, lang).text.as_str().into()),
                    ("why", why.as_str().into()),
                ],
            )
        }
    };
    PhoneView {
        id: phone.id.clone(),
        name: phone.name.clone(),
        enrolled: Time::at(phone.enrolled_at, zone, lang),
        active: phone.is_active(),
        status,
    }
}

/// An account in a list.
#[derive(Debug, Clone, Serialize)]
pub struct AccountRow {
    /// Tigr ID.
    pub id: String,
    /// Link to its page.
    pub href: String,
    /// Name.
    pub display_name: String,
    /// E-mail, if any.
    pub email: Option<String>,
    /// `user` or `admin`.
    pub role: &'static str,
    /// The role in words.
    pub role_label: String,
    /// `active`, `disabled` or `blocked`.
    pub state: &'static str,
    /// The state in words.
    pub state_text: String,
    /// The phone channel's lockout state.
    pub lock: Lock,
    /// The offline channel's state.
    pub offline: OfflineView,
    /// Its current phone.
    pub phone: Option<PhoneView>,
}

/// An account of a listing, in words.
pub fn account_row(lang: Lang, zone: &TimeZone, summary: &AccountSummary) -> AccountRow {
    let (state, state_text) = state(
        lang,
        zone,
        &summary.account,
        &summary.lock,
        &summary.offline,
    );
    AccountRow {
        id: summary.account.id.clone(),
        href: account_path(&summary.account.id),
        display_name: summary.account.display_name.clone(),
        email: summary.account.email.clone(),
        role: summary.role.as_str(),
        role_label: role_label(lang, summary.role),
        state,
        state_text,
        lock: lock(lang, zone, &summary.lock),
        offline: offline(lang, zone, &summary.offline),
        phone: summary.phone.as_ref().map(|p| phone(lang, zone, p)),
    }
}

/// An enrollment invitation.
#[derive(Debug, Clone, Serialize)]
pub struct InvitationView {
    /// Its id.
    pub id: String,
    /// The account.
    pub account: String,
    /// Link to the account's page.
    pub account_href: String,
    /// `pending`, `completed`, `expired` or `cancelled`.
    pub status: &'static str,
    /// Its status in words.
    pub status_text: String,
    /// Creation.
    pub created: Time,
    /// Expiry.
    pub expires: Time,
    /// Who issued it.
    pub created_by: String,
}

/// The status of an invitation in words (`phone` names the phone it enrolled, if known).
pub fn invitation_status(
    lang: Lang,
    zone: &TimeZone,
    invitation: &Invitation,
    now: i64,
    phone: Option<&Phone>,
) -> String {
    match &invitation.status {
        InvitationStatus::Pending { expires_at } => text_with(
            lang,
            "admin-invitation-pending",
            &[
                (
                    "until",
                    Time::at(*expires_at, zone, lang).text.as_str().into(),
                ),
                ("left", duration(lang, expires_at - now).into()),
            ],
        ),
        InvitationStatus::Completed { at, .. } => match phone {
            Some(phone) => text_with(
                lang,
                "admin-invitation-completed-phone",
                &[
                    ("name", phone.name.as_str().into()),
                    ("at", Time::at(*at, zone, lang).text.as_str().into()),
                ],
            ),
            None => text_with(
                lang,
                "admin-invitation-completed",
                &[("at", Time::at(*at, zone, lang).text.as_str().into())],
            ),
        },
        InvitationStatus::Expired { at } => text_with(
            lang,
            "admin-invitation-expired",
            &[("at", Time::at(*at, zone, lang).text.as_str().into())],
        ),
        InvitationStatus::Cancelled { at } => text_with(
            lang,
            "admin-invitation-cancelled",
            &[("at", Time::at(*at, zone, lang).text.as_str().into())],
        ),
    }
}

/// An invitation in words.
pub fn invitation(
    lang: Lang,
    zone: &TimeZone,
    invitation: &Invitation,
    now: i64,
) -> InvitationView {
    InvitationView {
        id: invitation.id.clone(),
        account: invitation.account_id.clone(),
        account_href: account_path(&invitation.account_id),
        status: invitation.status.as_str(),
        status_text: invitation_status(lang, zone, invitation, now, None),
        created: Time::at(invitation.created_at, zone, lang),
        expires: Time::at(invitation.expires_at, zone, lang),
        created_by: invitation
            .created_by
            .clone()
            .unwrap_or_else(|| "-".to_owned()),
    }
}

/// The label of an audit event (`enrolled` → "Téléphone enrôlé"), or the event itself
/// (a row written by a newer version).
pub fn event_label(lang: Lang, event: &str) -> String {
    let key = match AuditEvent::parse(event) {
        Some(AuditEvent::EnrollmentCreated) => "admin-event-enrollment-created",
        Some(AuditEvent::Enrolled) => "admin-event-enrolled",
        Some(AuditEvent::DeviceRevoked) => "admin-event-device-revoked",
        Some(AuditEvent::Approved) => "admin-event-approved",
        Some(AuditEvent::Denied) => "admin-event-denied",
        Some(AuditEvent::ResponseFailed) => "admin-event-response-failed",
        Some(AuditEvent::AccountBlocked) => "admin-event-account-blocked",
        Some(AuditEvent::RefusedBlocked) => "admin-event-refused-blocked",
        Some(AuditEvent::DenyFailed) => "admin-event-deny-failed",
        Some(AuditEvent::UnknownAccount) => "admin-event-unknown-account",
        Some(AuditEvent::OfflinePaused) => "admin-event-offline-paused",
        Some(AuditEvent::RefusedOfflinePaused) => "admin-event-refused-offline-paused",
        Some(AuditEvent::WebLogin) => "admin-event-web-login",
        Some(AuditEvent::WebLogout) => "admin-event-web-logout",
        Some(AuditEvent::AccountCreated) => "admin-event-account-created",
        Some(AuditEvent::AccountUpdated) => "admin-event-account-updated",
        Some(AuditEvent::AccountDisabled) => "admin-event-account-disabled",
        Some(AuditEvent::AccountEnabled) => "admin-event-account-enabled",
        Some(AuditEvent::AccountUnblocked) => "admin-event-account-unblocked",
        Some(AuditEvent::EnrollmentCancelled) => "admin-event-enrollment-cancelled",
        Some(AuditEvent::AdminBootstrap) => "admin-event-admin-bootstrap",
        Some(AuditEvent::AuditExported) => "admin-event-audit-exported",
        Some(AuditEvent::PasswordInvitationCreated) => "admin-event-password-invitation-created",
        Some(AuditEvent::PasswordSet) => "admin-event-password-set",
        Some(AuditEvent::EmailCodeSent) => "admin-event-email-code-sent",
        Some(AuditEvent::OtpFailed) => "admin-event-otp-failed",
        Some(AuditEvent::OtpPaused) => "admin-event-otp-paused",
        Some(AuditEvent::RefusedOtpPaused) => "admin-event-refused-otp-paused",
        Some(AuditEvent::CardLogin) => "admin-event-card-login",
        Some(AuditEvent::CardRefused) => "admin-event-card-refused",
        Some(AuditEvent::CardBound) => "admin-event-card-bound",
        Some(AuditEvent::CardUnbound) => "admin-event-card-unbound",
        Some(AuditEvent::OidcAuthorized) => "admin-event-oidc-authorized",
        Some(AuditEvent::OidcTokensIssued) => "admin-event-oidc-tokens-issued",
        Some(AuditEvent::OidcCodeReplayed) => "admin-event-oidc-code-replayed",
        Some(AuditEvent::OidcClientAuthFailed) => "admin-event-oidc-client-auth-failed",
        Some(AuditEvent::OidcLogoutDelivered) => "admin-event-oidc-logout-delivered",
        Some(AuditEvent::OidcLogoutFailed) => "admin-event-oidc-logout-failed",
        Some(AuditEvent::OidcClientRegistered) => "admin-event-oidc-client-registered",
        Some(AuditEvent::OidcClientUpdated) => "admin-event-oidc-client-updated",
        Some(AuditEvent::OidcClientRemoved) => "admin-event-oidc-client-removed",
        Some(AuditEvent::OidcSecretRotated) => "admin-event-oidc-secret-rotated",
        Some(AuditEvent::TokensImported) => "admin-event-tokens-imported",
        Some(AuditEvent::TokenAssigned) => "admin-event-token-assigned",
        Some(AuditEvent::TokenUnassigned) => "admin-event-token-unassigned",
        Some(AuditEvent::TokenRevoked) => "admin-event-token-revoked",
        Some(AuditEvent::TokenResynced) => "admin-event-token-resynced",
        Some(AuditEvent::TokenInvitationCreated) => "admin-event-token-invitation-created",
        Some(AuditEvent::TokenEnrolled) => "admin-event-token-enrolled",
        Some(AuditEvent::OidcKeyRotated) => "admin-event-oidc-key-rotated",
        None => return event.to_owned(),
    };
    tr(lang, key)
}

/// A row of the audit trail.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRow {
    /// Sequence number.
    pub id: i64,
    /// When.
    pub at: Time,
    /// The stored event.
    pub event: String,
    /// The event in words.
    pub event_label: String,
    /// Who.
    pub actor: String,
    /// Account concerned.
    pub account: Option<String>,
    /// Link to the account's page.
    pub account_href: Option<String>,
    /// Device concerned.
    pub device: Option<String>,
    /// Requester IP.
    pub ip: Option<String>,
    /// Requester browser.
    pub user_agent: Option<String>,
    /// Extra facts.
    pub detail: Option<String>,
}

/// An audit row as shown.
pub fn audit_row(lang: Lang, zone: &TimeZone, row: &AuditRecord) -> AuditRow {
    AuditRow {
        id: row.id,
        at: Time::at(row.at, zone, lang),
        event_label: event_label(lang, &row.event),
        event: row.event.clone(),
        actor: row.actor.clone(),
        account_href: row.account_id.as_deref().map(account_path),
        account: row.account_id.clone(),
        device: row.device_id.clone(),
        ip: row.ip.clone(),
        user_agent: row.user_agent.clone().filter(|u| !u.is_empty()),
        detail: row.detail.clone(),
    }
}

/// Where a listing stands and the links to its neighbours.
#[derive(Debug, Clone, Serialize)]
pub struct Pager {
    /// This page (from 1).
    pub page: u32,
    /// Number of pages.
    pub pages: u64,
    /// Items over all pages.
    pub total: u64,
    /// Position of the first item shown (0 when none).
    pub first: u64,
    /// Position of the last item shown.
    pub last: u64,
    /// The previous page, if any.
    pub prev_href: Option<String>,
    /// The next page, if any.
    pub next_href: Option<String>,
    /// "Items 1 to 50 of 120 (page 1 of 3)".
    pub summary: String,
}

/// The pager of `page`, with links built from the current URL.
pub fn pager<T>(ctx: &PageContext, page: &Page<T>) -> Pager {
    let pages = page.pages();
    let first = page.first_index();
    let last = if page.items.is_empty() {
        0
    } else {
        first + page.items.len() as u64 - 1
    };
    let link = |n: u32| ctx.url_with("page", Some(&n.to_string()));
    let summary = if page.total == 0 {
        ctx.t("admin-pager-none")
    } else {
        text_with(
            ctx.lang,
            "admin-pager-summary",
            &[
                ("first", first.into()),
                ("last", last.into()),
                ("total", page.total.into()),
                ("page", page.page.into()),
                ("pages", pages.into()),
            ],
        )
    };
    Pager {
        page: page.page,
        pages,
        total: page.total,
        first,
        last,
        prev_href: (page.page > 1).then(|| link(page.page - 1)),
        next_href: (u64::from(page.page) < pages).then(|| link(page.page + 1)),
        summary,
    }
}

/// A token as the account page and the token page show it.
#[derive(Debug, Serialize)]
pub(super) struct TokenView {
    serial: String,
    app: bool,
    params: String,
    active: bool,
    revoked: Option<Time>,
    last_used: Option<Time>,
    created: Time,
}

/// The view of `token` in the page's language and zone.
pub(super) fn token_view(lang: Lang, zone: &TimeZone, token: &StoredToken) -> TokenView {
    TokenView {
        serial: token.serial.clone(),
        app: token.origin == TokenOrigin::App,
        params: crate::admin::token_summary(lang, token),
        active: token.is_active(),
        revoked: token.revoked_at.map(|at| Time::at(at, zone, lang)),
        last_used: token.last_used_at.map(|at| Time::at(at, zone, lang)),
        created: Time::at(token.created_at, zone, lang),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration(Lang::Fr, 900), "15 min");
        assert_eq!(duration(Lang::Fr, 61), "2 min");
        assert_eq!(duration(Lang::Fr, 3600), "1 h");
        assert_eq!(duration(Lang::En, 9000), "2 h 30 min");
        assert_eq!(duration(Lang::Fr, 86_400), "1 jour");
        assert_eq!(duration(Lang::En, 7 * 86_400), "7 days");
        assert_eq!(duration(Lang::Fr, -5), "0 min");
    }

    #[test]
    fn lock_states_in_both_languages() {
        for lang in [Lang::Fr, Lang::En] {
            let open = lock(lang, &TimeZone::UTC, &LockStatus::Open { failures: 0 });
            assert!(!open.blocked && !open.can_unblock);
            let counting = lock(lang, &TimeZone::UTC, &LockStatus::Open { failures: 3 });
            assert!(counting.text.contains('3') && counting.can_unblock);
            let paris = TimeZone::get("Europe/Paris").expect("zone");
            let temporary = lock(
                lang,
                &paris,
                &LockStatus::Temporary {
                    since: 1_741_788_300,
                    until: 1_741_789_200,
                    reason: BlockReason::TooManyFailures,
                },
            );
            assert!(temporary.blocked);
            let (since, until) = match lang {
                Lang::Fr => (
                    "15:05:00 (UTC+01:00) le 12/03/2025",
                    "15:20:00 (UTC+01:00) le 12/03/2025",
                ),
                Lang::En => (
                    "15:05:00 (UTC+01:00) on 12 March 2025",
                    "15:20:00 (UTC+01:00) on 12 March 2025",
                ),
            };
            assert!(temporary.text.contains(since), "{}", temporary.text);
            assert!(temporary.text.contains(until), "{}", temporary.text);
            let permanent = lock(
                lang,
                &paris,
                &LockStatus::Permanent {
                    since: 0,
                    reason: BlockReason::RepeatedBlocks,
                },
            );
            assert!(permanent.blocked && permanent.until.is_none());
            for text in [open.text, counting.text, temporary.text, permanent.text] {
                assert!(!text.contains('{') && !text.contains('?'), "{text}");
            }
        }
        let fr = lock(
            Lang::Fr,
            &TimeZone::UTC,
            &LockStatus::Permanent {
                since: 0,
                reason: BlockReason::TooManyFailures,
            },
        );
        assert!(fr.text.contains("Bloqué"), "{}", fr.text);
    }

    #[test]
    fn offline_states_in_both_languages() {
        let paused = OfflineStatus::Paused {
            since: 1_800_000_000,
            until: 1_800_000_900,
            pauses: 2,
        };
        for lang in [Lang::Fr, Lang::En] {
            let open = offline(lang, &TimeZone::UTC, &OfflineStatus::Open { failures: 0 });
            assert!(!open.paused && !open.can_reset);
            let counting = offline(lang, &TimeZone::UTC, &OfflineStatus::Open { failures: 3 });
            assert!(counting.text.contains('3') && counting.can_reset);
            let view = offline(lang, &TimeZone::UTC, &paused);
            assert!(view.paused && view.can_reset);
            assert_eq!(
                view.until.as_ref().map(|t| t.iso.as_str()),
                Some("2027-01-15T08:15:00Z")
            );
            assert!(view.text.contains("QR"), "{}", view.text);
            for text in [open.text, counting.text, view.text] {
                assert!(!text.contains('{') && !text.contains('?'), "{text}");
            }
        }
        let account = crate::admin::Account {
            display_name: "Alice".into(),
            ..crate::admin::Account::for_tests("alice")
        };
        let open = LockStatus::Open { failures: 0 };
        let (state_name, text) = state(Lang::Fr, &TimeZone::UTC, &account, &open, &paused);
        assert_eq!(state_name, "paused");
        assert!(
            text.starts_with("Saisie hors connexion suspendue jusqu'à 08:15:00"),
            "{text}"
        );
        let blocked = LockStatus::Permanent {
            since: 0,
            reason: BlockReason::TooManyFailures,
        };
        assert_eq!(
            state(Lang::En, &TimeZone::UTC, &account, &blocked, &paused).0,
            "blocked",
            "the phone channel's block comes first"
        );
    }

    #[test]
    fn every_event_has_a_label() {
        for event in AuditEvent::ALL {
            for lang in [Lang::Fr, Lang::En] {
                assert_ne!(event_label(lang, event.as_str()), event.as_str());
            }
        }
        assert_eq!(event_label(Lang::Fr, "future_event"), "future_event");
    }
}
