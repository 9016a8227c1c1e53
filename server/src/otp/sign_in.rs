//! The OTP form's login: Tigr ID + password + e-mail code, one generic refusal with the
//! attempts left on the OTP channel, and on success the same web session as a QR login
//! (method `otp_email`: `amr` `pwd` + `otp`).

use subtle::ConstantTimeEq as _;

use crate::domain::email_code::typed_code;
use crate::domain::offline_pause::OfflineRecord;
use crate::login::{ClientInfo, LoginMethod, OpenedSession};
use crate::storage::PauseChannel;

use super::{OtpError, OtpService};

impl OtpService {
    /// Logs in with the OTP form. Every Tigr ID typed gets the same checks and work (one
    /// argon2id verification, one code comparison) and the same refusal; only the right
    /// password and the account's valid e-mail code open a session, and the code works once.
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
        let stored = match typed.account_id() {
            Some(id) => self.store.email_code(id).await?,
            None => None,
        };
        let code_right = stored.as_ref().is_some_and(|(stored_mac, times)| {
            bool::from(stored_mac.as_slice().ct_eq(&mac)) && times.valid_at(now)
        }) && !code.is_empty();
        let Some(account) = typed
            .account
            .as_ref()
            .filter(|_| password_right && code_right)
        else {
            return Err(self.record_failure(&typed, client, now, "login").await?);
        };
        let mut tx = self.store.begin_write().await?;
        if !tx.consume_email_code(&account.id, &mac, now).await? {
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
            .open_session(
                &account.id,
                None,
                LoginMethod::PasswordEmailCode,
                client,
                previous,
            )
            .await?)
    }
}
