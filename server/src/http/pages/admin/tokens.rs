//! TOTP/HOTP tokens on the account page: give an imported hardware token by serial, take it
//! back, revoke, resynchronise (HOTP counter, TOTP drift), invite the owner to enroll an
//! authenticator app (the link shown once); and the import of hardware token files (PSKC or
//! CSV).

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Deserialize;

use crate::admin::AdminError;

use super::accounts::{after, refused};
use super::view::{Time, TokenView, token_view};
use super::{Admin, AdminForm, WebError, account_path};

/// The serial of a token form, and the two codes of a resynchronisation.
#[derive(Debug, Default, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    serial: String,
    #[serde(default)]
    first: String,
    #[serde(default)]
    second: String,
}

/// `POST /admin/accounts/{id}/tokens` (`serial`): gives a hardware token to the account.
pub async fn assign(
    Path(id): Path<String>,
    AdminForm { admin, form }: AdminForm<TokenForm>,
) -> Result<Response, WebError> {
    let result = admin
        .service()
        .assign_token(&admin.actor, &id, &form.serial)
        .await
        .map(drop);
    after(&admin, &id, "", "token_assigned", result).await
}

/// Refused unless `serial` is one of the account's tokens (the page acts on its own tokens
/// only).
async fn own_token(admin: &Admin, id: &str, serial: &str) -> Result<(), AdminError> {
    let tokens = admin.service().tokens(id).await?;
    if tokens.iter().any(|t| t.serial == serial.trim()) {
        Ok(())
    } else {
        Err(AdminError::UnknownToken(serial.trim().to_owned()))
    }
}

/// An action of the account page on one of the account's own tokens.
#[derive(Debug, Clone, Copy)]
enum OwnTokenAction {
    Unassign,
    Revoke,
    Resync,
}

/// Runs `action` on the token of `form` once it is known to be the account's, then goes
/// back to the account page with the outcome (or the refusal).
async fn on_own_token(
    admin: Admin,
    id: &str,
    form: TokenForm,
    action: OwnTokenAction,
) -> Result<Response, WebError> {
    let result: Result<(), AdminError> = async {
        own_token(&admin, id, &form.serial).await?;
        let (service, actor, serial) = (admin.service(), &admin.actor, form.serial.as_str());
        match action {
            OwnTokenAction::Unassign => service.unassign_token(actor, serial).await.map(drop),
            OwnTokenAction::Revoke => service.revoke_token(actor, serial).await.map(drop),
            OwnTokenAction::Resync => service
                .resync_token(actor, serial, &form.first, &form.second)
                .await
                .map(drop),
        }
    }
    .await;
    let outcome = match action {
        OwnTokenAction::Unassign => "token_unassigned",
        OwnTokenAction::Revoke => "token_revoked",
        OwnTokenAction::Resync => "token_resynced",
    };
    after(&admin, id, "", outcome, result).await
}

/// `POST /admin/accounts/{id}/tokens/unassign` (`serial`): takes the hardware token back.
pub async fn unassign(
    Path(id): Path<String>,
    AdminForm { admin, form }: AdminForm<TokenForm>,
) -> Result<Response, WebError> {
    on_own_token(admin, &id, form, OwnTokenAction::Unassign).await
}

/// `POST /admin/accounts/{id}/tokens/revoke` (`serial`): revokes the token for good.
pub async fn revoke(
    Path(id): Path<String>,
    AdminForm { admin, form }: AdminForm<TokenForm>,
) -> Result<Response, WebError> {
    on_own_token(admin, &id, form, OwnTokenAction::Revoke).await
}

/// `POST /admin/accounts/{id}/tokens/resync` (`serial`, `first`, `second`): resynchronises
/// a token (HOTP or TOTP) from two consecutive codes.
pub async fn resync(
    Path(id): Path<String>,
    AdminForm { admin, form }: AdminForm<TokenForm>,
) -> Result<Response, WebError> {
    on_own_token(admin, &id, form, OwnTokenAction::Resync).await
}

/// `POST /admin/accounts/{id}/tokens/invite`: a token invitation; its link, shown once.
pub async fn invite(
    Path(id): Path<String>,
    AdminForm { admin, form: _ }: AdminForm<TokenForm>,
) -> Result<Response, WebError> {
    match admin.service().invite_token(&admin.actor, &id).await {
        Ok(invitation) => Ok(admin.render(
            "admin/token_link.html",
            "accounts",
            context! {
                account => invitation.account_id.as_str(),
                href => account_path(&invitation.account_id),
                link => invitation.link.as_str(),
                replaces => invitation.replaces.as_deref(),
                until => Time::at(invitation.expires_at, admin.zone(), admin.lang()),
            },
        )),
        Err(error) => refused(&admin, &id, error).await,
    }
}

/// The import form: the file's text pasted or read by the page.
#[derive(Debug, Default, Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    content: String,
}

/// The token page: unassigned hardware tokens and the import form, with an outcome.
async fn tokens_page(
    admin: &Admin,
    status: StatusCode,
    imported: Option<usize>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let tokens: Vec<TokenView> = admin
        .service()
        .unassigned_tokens()
        .await
        .map_err(|e| admin.fail(e))?
        .iter()
        .map(|t| token_view(admin.lang(), admin.zone(), t))
        .collect();
    Ok(admin.render_status(
        status,
        "admin/tokens.html",
        "tokens",
        context! { tokens, imported, error },
    ))
}

/// `GET /admin/tokens`: hardware tokens waiting for an account, and the import form.
pub async fn list(admin: Admin) -> Result<Response, WebError> {
    tokens_page(&admin, StatusCode::OK, None, None).await
}

/// `POST /admin/tokens` (`content`): imports a PSKC or CSV file, whole or not at all.
pub async fn import(
    AdminForm { admin, form }: AdminForm<ImportForm>,
) -> Result<Response, WebError> {
    match admin
        .service()
        .import_tokens(&admin.actor, &form.content)
        .await
    {
        Ok(serials) => tokens_page(&admin, StatusCode::OK, Some(serials.len()), None).await,
        Err(error) => {
            let (status, message) = admin.refusal(error)?;
            tokens_page(&admin, status, None, Some(message)).await
        }
    }
}
