//! TOTP and HOTP tokens (docs/security.md, "TOTP and HOTP tokens"): hardware tokens imported
//! from a PSKC or CSV file (the whole file or nothing), given to an account by serial, taken
//! back, revoked, resynchronised from two consecutive codes (HOTP counter, TOTP clock drift);
//! authenticator apps enrolled by their owner from a token invitation link. An account has at
//! most one token in force. Secrets are sealed with the master key before they reach the
//! database.

use tigr_core::ids::random_id;
use zeroize::Zeroizing;

use crate::domain::otp_token::{self, APP_SECRET_LEN, ResyncProblem, TokenKind, TokenState};
use crate::domain::token_import::{ImportProblem, parse_token_file};
use crate::i18n::Lang;
use crate::sealing::sha256;
use crate::storage::{
    AuditEntry, AuditEvent, NewToken, NewTokenInvitation, StoredToken, TokenOrigin, WriteTx,
};
use crate::text::text_with;

use super::rules;
use super::{Actor, AdminError, AdminService, read_account};

/// A token invitation just issued: the link to hand to the account's owner.
#[derive(Debug, Clone)]
pub struct TokenInvitation {
    /// The account.
    pub account_id: String,
    /// `https://auth.example.fr/token/<code>`: the only copy of the code.
    pub link: String,
    /// End of validity (exclusive).
    pub expires_at: i64,
    /// The token in force that the enrolled app will replace, if any.
    pub replaces: Option<String>,
}

/// How administrators read a token's parameters and state, on the pages and in the CLI:
/// `TOTP SHA1 6 30s ±1, drift +3 (+90 s)` with the clock drift learned, or
/// `HOTP SHA1 6 #12` with the next counter expected.
pub fn token_summary(lang: Lang, token: &StoredToken) -> String {
    let summary = token.params.summary(token.state.counter);
    match token.state.drift_of(&token.params) {
        Some((steps, seconds)) => {
            let drift = text_with(
                lang,
                "token-drift",
                &[
                    ("steps", format!("{steps:+}").into()),
                    ("seconds", format!("{seconds:+}").into()),
                ],
            );
            format!("{summary}, {drift}")
        }
        None => summary,
    }
}

/// The audit row of a token action by `actor` (about the token's account, if it has one).
fn token_entry<'a>(
    actor: &'a Actor,
    who: &'a str,
    now: i64,
    event: AuditEvent,
    account: Option<&'a str>,
    detail: String,
) -> AuditEntry<'a> {
    AuditEntry {
        account_id: account,
        ip: actor.ip.as_deref(),
        user_agent: actor.user_agent.as_deref(),
        detail: Some(detail),
        ..AuditEntry::by(now, event, who)
    }
}

/// The token `serial`, read in `tx`, or [`AdminError::UnknownToken`].
async fn read_token(tx: &mut WriteTx, serial: &str) -> Result<StoredToken, AdminError> {
    tx.token(serial.trim())
        .await?
        .ok_or_else(|| AdminError::UnknownToken(serial.trim().to_owned()))
}

/// The token, refused when revoked.
fn in_force(token: StoredToken) -> Result<StoredToken, AdminError> {
    if token.is_active() {
        Ok(token)
    } else {
        Err(AdminError::TokenRevoked(token.serial))
    }
}

impl AdminService {
    /// Imports the hardware tokens of a PSKC or CSV file (`text`), unassigned. Any problem
    /// (a line that does not read, a serial already in the file or in the database) refuses
    /// the whole file with every problem and its line; nothing is imported then. Audited as
    /// `tokens_imported`. Returns the serials imported.
    pub async fn import_tokens(
        &self,
        actor: &Actor,
        text: &str,
    ) -> Result<Vec<String>, AdminError> {
        let tokens =
            parse_token_file(text, self.config.otp.token_window).map_err(AdminError::TokenFile)?;
        let sealer = self.checked_sealer().await?;
        let now = self.now();
        let who = actor.audit_name();
        let mut tx = self.store.begin_write().await?;
        let mut problems = Vec::new();
        for token in &tokens {
            if tx.token(&token.serial).await?.is_some() {
                problems.push(ImportProblem {
                    line: token.line,
                    problem: format!("serial {:?} is already imported", token.serial),
                });
            }
        }
        if !problems.is_empty() {
            return Err(AdminError::TokenFile(problems));
        }
        for token in &tokens {
            let sealed =
                sealer.seal_token_secret(self.config.random.as_ref(), &token.serial, &token.secret);
            tx.insert_token(&NewToken {
                serial: &token.serial,
                origin: TokenOrigin::Hardware,
                params: token.params,
                state: TokenState {
                    counter: token.counter,
                    ..TokenState::default()
                },
                secret_sealed: &sealed,
                account_id: None,
                created_at: now,
                created_by: &who,
            })
            .await?;
        }
        let format = if text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with('<')
        {
            "pskc"
        } else {
            "csv"
        };
        let serials: Vec<String> = tokens.iter().map(|t| t.serial.clone()).collect();
        tx.audit(&token_entry(
            actor,
            &who,
            now,
            AuditEvent::TokensImported,
            None,
            format!("format={format} count={}", serials.len()),
        ))
        .await?;
        tx.commit().await?;
        tracing::info!(count = serials.len(), format, actor = %who, "tokens imported");
        Ok(serials)
    }

    /// Every token that was the account's, the one in force first.
    pub async fn tokens(&self, id: &str) -> Result<Vec<StoredToken>, AdminError> {
        let account = self.account(id).await?;
        Ok(self.store.tokens_of(&account.id).await?)
    }

    /// Hardware tokens waiting for an account, by serial.
    pub async fn unassigned_tokens(&self) -> Result<Vec<StoredToken>, AdminError> {
        Ok(self.store.unassigned_tokens().await?)
    }

    /// Gives the unassigned hardware token `serial` to the enabled account `id`, which must
    /// have no token in force. Audited as `token_assigned`.
    pub async fn assign_token(
        &self,
        actor: &Actor,
        id: &str,
        serial: &str,
    ) -> Result<StoredToken, AdminError> {
        let id = rules::account_id(id)?;
        let now = self.now();
        let who = actor.audit_name();
        let mut tx = self.store.begin_write().await?;
        let account = read_account(&mut tx, &id).await?;
        if !account.is_enabled() {
            return Err(AdminError::AccountDisabled(id));
        }
        let token = in_force(read_token(&mut tx, serial).await?)?;
        if let Some(holder) = &token.account_id {
            return Err(AdminError::TokenTaken {
                serial: token.serial,
                account: holder.clone(),
            });
        }
        if let Some(current) = tx.token_of(&id).await? {
            return Err(AdminError::AccountHasToken {
                account: id,
                serial: current.serial,
            });
        }
        if !tx.assign_token(&token.serial, &id, now).await? {
            // Read unassigned in this very transaction (writes are serialised): not reached.
            return Err(AdminError::Storage(crate::storage::StorageError::Corrupt(
                format!("token {} changed during its assignment", token.serial),
            )));
        }
        tx.audit(&token_entry(
            actor,
            &who,
            now,
            AuditEvent::TokenAssigned,
            Some(&id),
            format!("serial={}", token.serial),
        ))
        .await?;
        let assigned = read_token(&mut tx, &token.serial).await?;
        tx.commit().await?;
        tracing::info!(account = %id, serial = %token.serial, actor = %who, "token assigned");
        Ok(assigned)
    }

    /// Takes the hardware token `serial` back from its account; it may then be given to
    /// another (its replay state stays: a code used once never works again). An app token
    /// is revoked instead. Audited as `token_unassigned`. Returns the former account.
    pub async fn unassign_token(&self, actor: &Actor, serial: &str) -> Result<String, AdminError> {
        let now = self.now();
        let who = actor.audit_name();
        let mut tx = self.store.begin_write().await?;
        let token = in_force(read_token(&mut tx, serial).await?)?;
        if token.origin == TokenOrigin::App {
            return Err(AdminError::AppToken(token.serial));
        }
        let Some(account) = token.account_id.clone() else {
            return Err(AdminError::TokenNotAssigned(token.serial));
        };
        tx.unassign_token(&token.serial).await?;
        tx.audit(&token_entry(
            actor,
            &who,
            now,
            AuditEvent::TokenUnassigned,
            Some(&account),
            format!("serial={}", token.serial),
        ))
        .await?;
        tx.commit().await?;
        tracing::info!(account = %account, serial = %token.serial, actor = %who, "token unassigned");
        Ok(account)
    }

    /// Revokes the token `serial` for good (lost, broken, or an app no longer trusted); its
    /// account may then get another. Audited as `token_revoked`.
    pub async fn revoke_token(
        &self,
        actor: &Actor,
        serial: &str,
    ) -> Result<StoredToken, AdminError> {
        let now = self.now();
        let who = actor.audit_name();
        let mut tx = self.store.begin_write().await?;
        let token = in_force(read_token(&mut tx, serial).await?)?;
        tx.revoke_token(&token.serial, now).await?;
        tx.audit(&token_entry(
            actor,
            &who,
            now,
            AuditEvent::TokenRevoked,
            token.account_id.as_deref(),
            format!("serial={}", token.serial),
        ))
        .await?;
        tx.commit().await?;
        tracing::info!(serial = %token.serial, actor = %who, "token revoked");
        Ok(token)
    }

    /// Resynchronises the token `serial` from two consecutive codes its owner read off it:
    /// an HOTP counter moves past them (never back); a TOTP token's drift becomes its clock's
    /// as the second code shows it (within 20 minutes), its last step the second code's.
    /// Either way the two codes are spent. Audited as `token_resynced`. Returns the token in
    /// its new state.
    pub async fn resync_token(
        &self,
        actor: &Actor,
        serial: &str,
        first: &str,
        second: &str,
    ) -> Result<StoredToken, AdminError> {
        let sealer = self.checked_sealer().await?;
        let now = self.now();
        let who = actor.audit_name();
        let mut tx = self.store.begin_write().await?;
        let token = in_force(read_token(&mut tx, serial).await?)?;
        let secret = sealer
            .open_token_secret(&token.serial, &token.secret_sealed)
            .map_err(|e| AdminError::MasterKey(e.to_string()))?;
        let next = otp_token::resync(&token.params, &secret, token.state, first, second, now)
            .map_err(|problem| match problem {
                ResyncProblem::NotFound => AdminError::ResyncFailed(token.serial.clone()),
                ResyncProblem::TooFar { drift_secs } => AdminError::ClockTooFar {
                    serial: token.serial.clone(),
                    minutes: drift_secs / 60,
                },
            })?;
        if !tx.use_token(&token.serial, token.state, next, now).await? {
            return Err(AdminError::ResyncFailed(token.serial));
        }
        let detail = match token.params.kind {
            TokenKind::Hotp => format!("serial={} counter={}", token.serial, next.counter),
            TokenKind::Totp { .. } => format!("serial={} drift={}", token.serial, next.drift),
        };
        tx.audit(&token_entry(
            actor,
            &who,
            now,
            AuditEvent::TokenResynced,
            token.account_id.as_deref(),
            detail,
        ))
        .await?;
        tx.commit().await?;
        tracing::info!(
            serial = %token.serial,
            counter = next.counter,
            drift = next.drift,
            actor = %who,
            "token resynchronised"
        );
        Ok(StoredToken {
            state: next,
            last_used_at: Some(now),
            ..token
        })
    }

    /// Issues a token invitation for an enabled account: a single-use link whose page shows
    /// the QR code of a new TOTP secret for an authenticator app, valid the configured time;
    /// earlier unused ones stop working. The account's token in force, if any, keeps working
    /// until the app is enrolled. Audited as `token_invitation_created`.
    pub async fn invite_token(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<TokenInvitation, AdminError> {
        let id = rules::account_id(id)?;
        let origin = self.origin()?;
        let sealer = self.checked_sealer().await?;
        let now = self.now();
        let who = actor.audit_name();
        let random = self.config.random.as_ref();
        let mut tx = self.store.begin_write().await?;
        let account = read_account(&mut tx, &id).await?;
        if !account.is_enabled() {
            return Err(AdminError::AccountDisabled(id));
        }
        let mut secret = Zeroizing::new([0u8; APP_SECRET_LEN]);
        random.fill(secret.as_mut());
        let serial = format!("app-{}", random_id(random).to_ascii_lowercase());
        let sealed = sealer.seal_token_secret(random, &serial, secret.as_ref());
        let code = random_id(random);
        let expires_at = now + self.config.otp.token_invitation_ttl;
        let cancelled = tx
            .insert_token_invitation(&NewTokenInvitation {
                code_hash: &sha256(code.as_bytes()),
                account_id: &id,
                serial: &serial,
                secret_sealed: &sealed,
                created_at: now,
                expires_at,
                created_by: &who,
            })
            .await?;
        let replaces = tx.token_of(&id).await?.map(|t| t.serial);
        tx.audit(&actor.entry(
            &who,
            now,
            AuditEvent::TokenInvitationCreated,
            &id,
            format!("expires_at={expires_at} serial={serial} cancelled={cancelled}"),
        ))
        .await?;
        tx.commit().await?;
        tracing::info!(account = %id, actor = %who, "token invitation created");
        Ok(TokenInvitation {
            link: format!("{origin}/token/{code}"),
            account_id: id,
            expires_at,
            replaces,
        })
    }
}
