//! Authenticator apps and browser extensions enrolled by their owner: an administrator's
//! token invitation link shows an `otpauth://` QR code and its secret; the first valid code
//! typed on that page activates the token (docs/security.md, "TOTP and HOTP tokens").

use zeroize::Zeroizing;

use crate::domain::enrollment::CodeStatus;
use crate::domain::otp_token::{self, TokenState};
use crate::login::ClientInfo;
use crate::sealing::sha256;
use crate::storage::{Actor, AuditEntry, AuditEvent, NewToken, TokenInvitationRecord, TokenOrigin};

use super::{OtpError, OtpService, client_detail};

/// Longest invitation code accepted from a link (codes are 26 characters).
const MAX_CODE_LEN: usize = 64;

/// What the page of a usable token invitation shows.
pub struct TokenEnrollmentView {
    /// The account whose token it enrolls.
    pub account_id: String,
    /// Its display name.
    pub display_name: String,
    /// End of validity.
    pub expires_at: i64,
    /// The `otpauth://totp/...` link the QR code carries.
    pub otpauth_uri: Zeroizing<String>,
    /// The secret in base32, in groups of four, for typing into an extension.
    pub secret_text: Zeroizing<String>,
}

impl std::fmt::Debug for TokenEnrollmentView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenEnrollmentView")
            .field("account_id", &self.account_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl OtpService {
    /// The usable token invitation of `code` and its record.
    async fn usable_token_invitation(
        &self,
        code: &str,
    ) -> Result<(TokenInvitationRecord, crate::storage::Account), OtpError> {
        if code.is_empty() || code.len() > MAX_CODE_LEN {
            return Err(OtpError::Invitation(None));
        }
        let invitation = self
            .store
            .token_invitation(&sha256(code.as_bytes()))
            .await?
            .ok_or(OtpError::Invitation(None))?;
        match invitation.code.status(self.now()) {
            CodeStatus::Usable => {}
            other => return Err(OtpError::Invitation(Some(other))),
        }
        let account = self
            .store
            .account(&invitation.code.account_id)
            .await?
            .filter(|a| a.is_enabled())
            .ok_or(OtpError::Invitation(Some(CodeStatus::Cancelled)))?;
        Ok((invitation, account))
    }

    /// The page of a usable token invitation: QR link and secret of the app to enroll.
    pub async fn token_invitation(&self, code: &str) -> Result<TokenEnrollmentView, OtpError> {
        let (invitation, account) = self.usable_token_invitation(code).await?;
        let secret = self.open_invitation_secret(&invitation)?;
        let params = otp_token::app_params(self.tokens.window);
        let base32 = Zeroizing::new(base32::encode(
            base32::Alphabet::Rfc4648 { padding: false },
            &secret,
        ));
        let grouped: String = base32
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        Ok(TokenEnrollmentView {
            otpauth_uri: Zeroizing::new(otp_token::otpauth_uri(
                &self.service_name,
                &account.id,
                &secret,
                &params,
            )),
            secret_text: Zeroizing::new(grouped),
            account_id: account.id,
            display_name: account.display_name,
            expires_at: invitation.code.expires_at,
        })
    }

    fn open_invitation_secret(
        &self,
        invitation: &TokenInvitationRecord,
    ) -> Result<Zeroizing<Vec<u8>>, OtpError> {
        self.sealer
            .open_token_secret(&invitation.serial, &invitation.secret_sealed)
            .map_err(|error| {
                tracing::error!(serial = %invitation.serial, %error, "token secret cannot be opened");
                OtpError::Internal
            })
    }

    /// Activates the invitation's token when `otp` is a valid code of it now: the app holds
    /// the secret and its clock is right. Uses the invitation once; the account's previous
    /// token, if any, is revoked in the same transaction (an account has at most one).
    /// Audited as `token_enrolled`. Returns the account.
    pub async fn enroll_token(
        &self,
        code: &str,
        otp: &str,
        client: &ClientInfo,
    ) -> Result<String, OtpError> {
        let (invitation, account) = self.usable_token_invitation(code).await?;
        let secret = self.open_invitation_secret(&invitation)?;
        let params = otp_token::app_params(self.tokens.window);
        let now = self.now();
        let Some(state) = otp_token::verify(&params, &secret, TokenState::default(), otp, now, 1)
        else {
            return Err(OtpError::TokenCode);
        };
        let mut tx = self.store.begin_write().await?;
        if !tx
            .consume_token_invitation(&sha256(code.as_bytes()), now)
            .await?
        {
            return Err(OtpError::Invitation(Some(CodeStatus::Used)));
        }
        let replaced = tx.token_of(&account.id).await?;
        if let Some(old) = &replaced {
            tx.revoke_token(&old.serial, now).await?;
        }
        tx.insert_token(&NewToken {
            serial: &invitation.serial,
            origin: TokenOrigin::App,
            params,
            state,
            secret_sealed: &invitation.secret_sealed,
            account_id: Some(&account.id),
            created_at: now,
            created_by: &invitation.created_by,
        })
        .await?;
        let (ip, user_agent) = client_detail(client);
        let mut detail = format!("serial={}", invitation.serial);
        if let Some(old) = &replaced {
            detail.push_str(&format!(" replaced={}", old.serial));
        }
        tx.audit(&AuditEntry {
            account_id: Some(&account.id),
            ip,
            user_agent,
            detail: Some(detail),
            ..AuditEntry::new(now, AuditEvent::TokenEnrolled, Actor::Browser)
        })
        .await?;
        tx.commit().await?;
        tracing::info!(account = %account.id, serial = %invitation.serial, "authenticator app enrolled");
        Ok(account.id)
    }
}
