//! The OTP form's login: Tigr ID + password + a one-time password, either the e-mail code
//! or a code of the account's TOTP/HOTP token; one generic refusal with the attempts left on
//! the OTP channel, and on success the same web session as a QR login (method `otp_email`
//! or `otp_token`: `amr` `pwd` + `otp`).

use subtle::ConstantTimeEq as _;

use crate::domain::email_code::typed_code;
use crate::domain::offline_pause::OfflineRecord;
use crate::domain::otp_token::{self, TokenParams, TokenState};
use crate::login::{ClientInfo, LoginMethod, OpenedSession};
use crate::storage::{PauseChannel, StoredToken};

use super::{OtpError, OtpService};

/// What made the one-time password right.
enum Proof {
    /// The e-mail code in force (its MAC, deleted on use).
    Email([u8; 32]),
    /// A code of the account's token: its state before and after.
    Token {
        serial: String,
        seen: TokenState,
        next: TokenState,
    },
}

/// The secret and parameters checked for an ID without a token, so that every ID typed
/// costs the same HMAC work (its codes are never accepted: nothing matches a missing token).
const STAND_IN_SECRET: [u8; 20] = [0x5a; 20];

impl OtpService {
    /// Logs in with the OTP form. Every Tigr ID typed gets the same checks and work (one
    /// argon2id verification, the e-mail code compared, a token's codes computed) and the
    /// same refusal; only the right password and the account's valid e-mail code or token
    /// code open a session, and a code works once.
    /// `previous`: as for [`crate::login::LoginService::open_session`].
    pub async fn login(
        &self,
        tigr_id: &str,
        password: &str,
        otp: &str,
        client: &ClientInfo,
        previous: Option<&str>,
    ) -> Result<OpenedSession, OtpError> {
        let (typed, now) = self.admitted(tigr_id, client).await?;
        let password_right = self.password_matches(password, typed.phc.clone()).await;
        let code = typed_code(otp).unwrap_or_default();
        let account_id = typed.account_id().unwrap_or("");
        let mac = self.sealer.email_code_mac(account_id, &code);
        let (stored, token) = match typed.account_id() {
            Some(id) => (
                self.store.email_code(id).await?,
                self.store.token_of(id).await?,
            ),
            None => (None, None),
        };
        let email_right = stored.as_ref().is_some_and(|(stored_mac, times)| {
            bool::from(stored_mac.as_slice().ct_eq(&mac)) && times.valid_at(now)
        }) && !code.is_empty();
        let token_proof = self.token_proof(token.as_ref(), otp, now);
        let proof = if email_right {
            Some(Proof::Email(mac))
        } else {
            token_proof
        };
        let (Some(account), Some(proof)) =
            (typed.account.as_ref().filter(|_| password_right), proof)
        else {
            return Err(self.record_failure(&typed, client, now, "login").await?);
        };
        let mut tx = self.store.begin_write().await?;
        let (used, method) = match &proof {
            Proof::Email(mac) => (
                tx.consume_email_code(&account.id, mac, now).await?,
                LoginMethod::PasswordEmailCode,
            ),
            Proof::Token { serial, seen, next } => (
                tx.use_token(serial, *seen, *next, now).await?,
                LoginMethod::PasswordTokenCode,
            ),
        };
        if !used {
            // Used by a simultaneous login since it was read.
            drop(tx);
            return Err(self.record_failure(&typed, client, now, "login").await?);
        }
        tx.set_pause_record(
            PauseChannel::Otp,
            &typed.key,
            Some(&account.id),
            OfflineRecord::default(),
        )
        .await?;
        tx.commit().await?;
        Ok(self
            .login
            .open_session(&account.id, None, method, client, previous)
            .await?)
    }
}

impl OtpService {
    /// The proof a token code gives: `token`'s next state when `otp` is one of its codes not
    /// used yet. Without a token, a stand-in one is computed and never accepted.
    fn token_proof(&self, token: Option<&StoredToken>, otp: &str, now: i64) -> Option<Proof> {
        let Some(token) = token else {
            let stand_in = otp_token::app_params(self.tokens.window);
            let _ = otp_token::verify(
                &stand_in,
                &STAND_IN_SECRET,
                TokenState::default(),
                otp,
                now,
                1,
            );
            return None;
        };
        let secret = match self
            .sealer
            .open_token_secret(&token.serial, &token.secret_sealed)
        {
            Ok(secret) => secret,
            Err(error) => {
                tracing::error!(serial = %token.serial, %error, "token secret cannot be opened");
                return None;
            }
        };
        let params: TokenParams = token.params;
        otp_token::verify(
            &params,
            &secret,
            token.state,
            otp,
            now,
            self.tokens.look_ahead,
        )
        .map(|next| Proof::Token {
            serial: token.serial.clone(),
            seen: token.state,
            next,
        })
    }
}
