//! Accounts: search and list, create, the account page (phone, block state, invitations),
//! edit, disable and enable, unblock, revoke the phone.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::admin::{
    AccountChanges, AccountFilter, AdminError, CardKey, NewAccount, PageRequest, Role,
};
use crate::admin::{AccountDetails, StatusFilter};
use crate::login::{BY_FINGERPRINT, BY_NATIONAL_ID};

use super::super::see_other;
use super::dashboard::parse_page;
use super::view::{self, Time};
use super::{Admin, AdminForm, WebError, account_path};

/// Accounts per page of the list.
const PER_PAGE: u32 = 50;

/// Query of the account list.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    role: Option<String>,
    page: Option<String>,
}

/// An option of a `<select>`.
#[derive(Debug, Serialize)]
struct Choice {
    value: &'static str,
    label: String,
    selected: bool,
}

/// The options `(value, text key)`, `chosen` selected.
fn choices(admin: &Admin, options: &[(&'static str, &str)], chosen: &str) -> Vec<Choice> {
    options
        .iter()
        .map(|(value, key)| Choice {
            value,
            label: admin.t(key),
            selected: *value == chosen,
        })
        .collect()
}

fn role_choices(admin: &Admin, chosen: &str) -> Vec<Choice> {
    choices(
        admin,
        &[("user", "admin-role-user"), ("admin", "admin-role-admin")],
        chosen,
    )
}

/// The states of the account filter.
const STATUS_OPTIONS: &[(&str, &str)] = &[
    ("any", "admin-filter-status-any"),
    ("enabled", "admin-filter-status-enabled"),
    ("disabled", "admin-filter-status-disabled"),
    ("blocked", "admin-filter-status-blocked"),
    ("no_phone", "admin-filter-status-no-phone"),
];

/// The roles of the account filter.
const ROLE_OPTIONS: &[(&str, &str)] = &[
    ("any", "admin-filter-role-any"),
    ("user", "admin-filter-role-user"),
    ("admin", "admin-filter-role-admin"),
];

/// `GET /admin/accounts?q=&status=&role=&page=`.
pub async fn list(admin: Admin, Query(query): Query<ListQuery>) -> Result<Response, WebError> {
    let lang = admin.lang();
    let zone = admin.zone().clone();
    let zone = &zone;
    let text = query.q.clone().unwrap_or_default();
    let status_text = query.status.clone().unwrap_or_default();
    let role_text = query.role.clone().unwrap_or_default();
    let filter = (|| -> Result<(AccountFilter, u32), AdminError> {
        let status = match status_text.trim() {
            "" => StatusFilter::Any,
            s => StatusFilter::parse(s)?,
        };
        let role = match role_text.trim() {
            "" | "any" => None,
            r => Some(Role::parse(r)?),
        };
        let filter = AccountFilter {
            text: Some(text.clone()).filter(|t| !t.trim().is_empty()),
            status,
            role,
        };
        Ok((filter, parse_page(query.page.as_deref())?))
    })();
    let listed = match filter {
        Ok((filter, page)) => admin
            .service()
            .list_accounts(&filter, PageRequest::new(page, PER_PAGE))
            .await
            .map(|listed| (filter, listed)),
        Err(e) => Err(e),
    };
    let status_value = |f: &AccountFilter| f.status.as_str();
    let (status, body) = match listed {
        Ok((filter, listed)) => (
            StatusCode::OK,
            context! {
                accounts => listed.items.iter().map(|s| view::account_row(lang, zone, s)).collect::<Vec<_>>(),
                pager => view::pager(&admin.ctx, &listed),
                status_choices => choices(&admin, STATUS_OPTIONS, status_value(&filter)),
                role_choices => choices(
                    &admin,
                    ROLE_OPTIONS,
                    filter.role.map_or("any", Role::as_str),
                ),
                filtered => filter.text.is_some() || filter.status != StatusFilter::Any || filter.role.is_some(),
            },
        ),
        Err(error) => {
            let (status, message) = admin.refusal(error)?;
            (
                status,
                context! {
                    error => message,
                    accounts => Vec::<view::AccountRow>::new(),
                    status_choices => choices(&admin, STATUS_OPTIONS, "any"),
                    role_choices => choices(&admin, ROLE_OPTIONS, "any"),
                    filtered => true,
                },
            )
        }
    };
    Ok(admin.render_status(
        status,
        "admin/accounts.html",
        "accounts",
        context! { ..body, ..context! { q => text } },
    ))
}

/// The fields of the creation and edit forms.
#[derive(Debug, Default, Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

/// The field a refusal is about.
fn field_of(error: &AdminError) -> &'static str {
    match error {
        AdminError::InvalidAccountId(_) | AdminError::DuplicateAccount(_) => "id",
        AdminError::InvalidDisplayName => "display_name",
        AdminError::InvalidEmail(_) => "email",
        AdminError::InvalidRole(_) | AdminError::LastAdmin(_) => "role",
        _ => "",
    }
}

/// `GET /admin/new-account`.
pub async fn new_form(admin: Admin) -> Response {
    admin.render(
        "admin/account_form.html",
        "new",
        context! {
            mode => "create",
            form => context! { id => "", display_name => "", email => "", role => "user" },
            role_choices => role_choices(&admin, "user"),
        },
    )
}

/// `POST /admin/accounts`: creates the account and goes to its page; refusals (invalid
/// field, taken Tigr ID) show the form again with the message.
pub async fn create(
    AdminForm { admin, form }: AdminForm<AccountForm>,
) -> Result<Response, WebError> {
    let created = match Role::parse(&form.role) {
        Ok(role) => {
            admin
                .service()
                .create_account(
                    &admin.actor,
                    NewAccount {
                        id: form.id.clone(),
                        display_name: form.display_name.clone(),
                        email: Some(form.email.clone()),
                        role,
                    },
                )
                .await
        }
        Err(e) => Err(e),
    };
    match created {
        Ok(account) => Ok(see_other(&format!(
            "{}?done=created",
            account_path(&account.id)
        ))),
        Err(error) => {
            let field = field_of(&error);
            let (status, message) = admin.refusal(error)?;
            Ok(admin.render_status(
                status,
                "admin/account_form.html",
                "new",
                context! {
                    mode => "create",
                    error => message,
                    error_field => field,
                    role_choices => role_choices(&admin, form.role.trim()),
                    form => context! {
                        id => form.id, display_name => form.display_name,
                        email => form.email, role => form.role,
                    },
                },
            ))
        }
    }
}

/// Query of the account page: the outcome of the action that led there.
#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    done: Option<String>,
}

/// Outcomes that the account page may announce (`?done=`), with their text.
const OUTCOMES: &[(&str, &str)] = &[
    ("created", "admin-done-created"),
    ("edited", "admin-done-edited"),
    ("disabled", "admin-done-disabled"),
    ("enabled", "admin-done-enabled"),
    ("unblocked", "admin-done-unblocked"),
    ("revoked", "admin-done-revoked"),
    ("cancelled", "admin-done-cancelled"),
    ("card_bound", "admin-done-card-bound"),
    ("card_unbound", "admin-done-card-unbound"),
    ("token_assigned", "admin-done-token-assigned"),
    ("token_unassigned", "admin-done-token-unassigned"),
    ("token_revoked", "admin-done-token-revoked"),
    ("token_resynced", "admin-done-token-resynced"),
];

/// `GET /admin/accounts/{id}`.
pub async fn detail(
    admin: Admin,
    Path(id): Path<String>,
    Query(query): Query<DetailQuery>,
) -> Result<Response, WebError> {
    let done = query.done.as_deref().and_then(|done| {
        OUTCOMES
            .iter()
            .find(|(outcome, _)| *outcome == done)
            .map(|(_, key)| admin.t(key))
    });
    account_page(&admin, &id, StatusCode::OK, done.as_deref(), None).await
}

/// The account page, with an outcome or a refusal to show.
async fn account_page(
    admin: &Admin,
    id: &str,
    status: StatusCode,
    done: Option<&str>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let details = admin
        .service()
        .account_details(id)
        .await
        .map_err(|e| admin.fail(e))?;
    let password_set = admin
        .service()
        .password_set_at(&details.account.id)
        .await
        .map_err(|e| admin.fail(e))?
        .map(|at| Time::at(at, admin.zone(), admin.lang()));
    let cards = admin
        .service()
        .card_bindings(id)
        .await
        .map_err(|e| admin.fail(e))?
        .into_iter()
        .map(|b| CardView {
            by_national_id: b.kind == BY_NATIONAL_ID,
            created: Time::at(b.created_at, admin.zone(), admin.lang()),
            kind: b.kind,
            value: b.value,
            created_by: b.created_by,
        })
        .collect::<Vec<_>>();
    let tokens = admin
        .service()
        .tokens(id)
        .await
        .map_err(|e| admin.fail(e))?;
    let has_token = tokens.iter().any(|t| t.is_active());
    let tokens: Vec<_> = tokens
        .iter()
        .map(|t| view::token_view(admin.lang(), admin.zone(), t))
        .collect();
    Ok(admin.render_status(
        status,
        "admin/account.html",
        "accounts",
        context! {
            account => account_view(admin, &details),
            cards,
            tokens,
            has_token,
            flash => done,
            error,
            password_set,
        },
    ))
}

/// A card binding on the account page.
#[derive(Debug, Serialize)]
struct CardView {
    kind: String,
    by_national_id: bool,
    value: String,
    created: Time,
    created_by: String,
}

/// The card of a bind or unbind form: `kind` (`national_id`, `fingerprint`) and `value`.
#[derive(Debug, Default, Deserialize)]
pub struct CardForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    value: String,
}

impl CardForm {
    fn key(&self) -> CardKey {
        if self.kind == BY_FINGERPRINT {
            CardKey::Fingerprint(self.value.clone())
        } else {
            CardKey::NationalId(self.value.clone())
        }
    }
}

/// `POST /admin/accounts/{id}/cards` (`kind`, `value`): binds a CPS card to the account.
pub async fn bind_card(
    Path(id): Path<String>,
    AdminForm { admin, form }: AdminForm<CardForm>,
) -> Result<Response, WebError> {
    let result = admin
        .service()
        .bind_card(&admin.actor, &id, &form.key())
        .await
        .map(drop);
    after(&admin, &id, "", "card_bound", result).await
}

/// `POST /admin/accounts/{id}/cards/unbind` (`kind`, `value`): removes a card binding.
pub async fn unbind_card(
    Path(id): Path<String>,
    AdminForm { admin, form }: AdminForm<CardForm>,
) -> Result<Response, WebError> {
    let result = admin
        .service()
        .unbind_card(&admin.actor, &id, &form.key())
        .await;
    after(&admin, &id, "", "card_unbound", result).await
}

fn account_view(admin: &Admin, details: &AccountDetails) -> minijinja::Value {
    let lang = admin.lang();
    let zone = admin.zone().clone();
    let zone = &zone;
    let now = admin.service().now();
    let account = &details.account;
    let history: Vec<_> = details
        .phones
        .iter()
        .filter(|p| !p.is_active())
        .map(|p| view::phone(lang, zone, p))
        .collect();
    let (state, state_text) = view::state(lang, zone, account, &details.lock, &details.offline);
    let lock = view::lock(lang, zone, &details.lock);
    let offline = view::offline(lang, zone, &details.offline);
    context! {
        id => account.id.as_str(),
        href => account_path(&account.id),
        state,
        state_text,
        display_name => account.display_name.as_str(),
        email => account.email.as_deref(),
        role => details.role.as_str(),
        role_label => view::role_label(lang, details.role),
        created => Time::at(account.created_at, zone, lang),
        enabled => account.is_enabled(),
        disabled => account.disabled_at.map(|at| Time::at(at, zone, lang)),
        disabled_reason => account.disabled_reason.as_deref(),
        can_unblock => lock.can_unblock || offline.can_reset,
        lock,
        offline,
        phone => details.phone.as_ref().map(|p| view::phone(lang, zone, p)),
        history,
        invitations => details
            .invitations
            .iter()
            .map(|i| view::invitation(lang, zone, i, now))
            .collect::<Vec<_>>(),
        is_self => account.id == admin.session.account.id,
    }
}

/// `GET /admin/accounts/{id}/edit`.
pub async fn edit_form(admin: Admin, Path(id): Path<String>) -> Result<Response, WebError> {
    let account = admin
        .service()
        .account(&id)
        .await
        .map_err(|e| admin.fail(e))?;
    let role = Role::of(&account).as_str();
    Ok(admin.render(
        "admin/account_form.html",
        "accounts",
        context! {
            mode => "edit",
            href => account_path(&account.id),
            role_choices => role_choices(&admin, role),
            form => context! {
                id => account.id.as_str(),
                display_name => account.display_name.as_str(),
                email => account.email.as_deref().unwrap_or(""),
                role,
            },
        },
    ))
}

/// `POST /admin/accounts/{id}/edit`: name, e-mail (empty removes it), role.
pub async fn edit(
    Path(id): Path<String>,
    AdminForm { admin, form }: AdminForm<AccountForm>,
) -> Result<Response, WebError> {
    let edited = match Role::parse(&form.role) {
        Ok(role) => {
            admin
                .service()
                .edit_account(
                    &admin.actor,
                    &id,
                    AccountChanges {
                        display_name: Some(form.display_name.clone()),
                        email: Some(form.email.clone()),
                        role: Some(role),
                    },
                )
                .await
        }
        Err(e) => Err(e),
    };
    match edited {
        Ok(account) => Ok(see_other(&format!(
            "{}?done=edited",
            account_path(&account.id)
        ))),
        Err(error @ (AdminError::UnknownAccount(_) | AdminError::InvalidAccountId(_))) => {
            Err(admin.fail(error))
        }
        Err(error) => {
            let field = field_of(&error);
            let (status, message) = admin.refusal(error)?;
            Ok(admin.render_status(
                status,
                "admin/account_form.html",
                "accounts",
                context! {
                    mode => "edit",
                    href => account_path(&id),
                    error => message,
                    error_field => field,
                    role_choices => role_choices(&admin, form.role.trim()),
                    form => context! {
                        id, display_name => form.display_name,
                        email => form.email, role => form.role,
                    },
                },
            ))
        }
    }
}

/// The optional reason of a disabling or revocation, and where to go back.
#[derive(Debug, Default, Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    reason: String,
    /// `blocked` to come back to the blocked accounts.
    #[serde(default)]
    from: String,
}

/// After an action: back to the account page with its outcome, or (`from=blocked`) to the
/// blocked accounts; a refusal shows the account page with the message.
pub(super) async fn after(
    admin: &Admin,
    id: &str,
    from: &str,
    outcome: &str,
    result: Result<(), AdminError>,
) -> Result<Response, WebError> {
    match result {
        Ok(()) if from == "blocked" => Ok(see_other("/admin/blocked")),
        Ok(()) => Ok(see_other(&format!("{}?done={outcome}", account_path(id)))),
        Err(error) => refused(admin, id, error).await,
    }
}

/// A refused action: the account page with the message (an unknown account is not found).
pub(super) async fn refused(
    admin: &Admin,
    id: &str,
    error: AdminError,
) -> Result<Response, WebError> {
    match error {
        error @ (AdminError::UnknownAccount(_) | AdminError::InvalidAccountId(_)) => {
            Err(admin.fail(error))
        }
        error => {
            let (status, message) = admin.refusal(error)?;
            account_page(admin, id, status, None, Some(message)).await
        }
    }
}

/// `POST /admin/accounts/{id}/disable` (optional `reason`).
pub async fn disable(
    Path(id): Path<String>,
    AdminForm { admin, form }: AdminForm<ActionForm>,
) -> Result<Response, WebError> {
    let result = admin
        .service()
        .disable_account(&admin.actor, &id, Some(&form.reason))
        .await
        .map(drop);
    after(&admin, &id, &form.from, "disabled", result).await
}

/// `POST /admin/accounts/{id}/enable`.
pub async fn enable(
    Path(id): Path<String>,
    AdminForm { admin, form }: AdminForm<ActionForm>,
) -> Result<Response, WebError> {
    let result = admin
        .service()
        .enable_account(&admin.actor, &id)
        .await
        .map(drop);
    after(&admin, &id, &form.from, "enabled", result).await
}

/// `POST /admin/accounts/{id}/unblock`: lifts the block and resets the failure counter.
pub async fn unblock(
    Path(id): Path<String>,
    AdminForm { admin, form }: AdminForm<ActionForm>,
) -> Result<Response, WebError> {
    let result = admin.service().unblock(&admin.actor, &id).await.map(drop);
    after(&admin, &id, &form.from, "unblocked", result).await
}

/// `POST /admin/accounts/{id}/revoke` (optional `reason`): the phone can no longer log in.
pub async fn revoke(
    Path(id): Path<String>,
    AdminForm { admin, form }: AdminForm<ActionForm>,
) -> Result<Response, WebError> {
    let result = admin
        .service()
        .revoke_phone(&admin.actor, &id, Some(&form.reason))
        .await
        .map(drop);
    after(&admin, &id, &form.from, "revoked", result).await
}

/// `POST /admin/accounts/{id}/password`: a password invitation; the page shows its link,
/// the only copy, to hand to the account's owner (administrators never choose passwords).
pub async fn password(
    Path(id): Path<String>,
    AdminForm { admin, form: _ }: AdminForm<ActionForm>,
) -> Result<Response, WebError> {
    match admin.service().invite_password(&admin.actor, &id).await {
        Ok(invitation) => Ok(admin.render(
            "admin/password_link.html",
            "accounts",
            context! {
                account => invitation.account_id.as_str(),
                href => account_path(&invitation.account_id),
                link => invitation.link.as_str(),
                reset => invitation.reset,
                until => Time::at(invitation.expires_at, admin.zone(), admin.lang()),
            },
        )),
        Err(error) => refused(&admin, &id, error).await,
    }
}
