//! E-mail codes: mailed only when the Tigr ID and password are right, with the same reply
//! either way; a wrong password counts on the OTP channel like a failed login (it is a
//! guess). The relay must accept the message before the code is recorded: with the relay
//! down, nothing is recorded and the person is told.

use tigr_core::clock::local_text;

use crate::domain::email_code::{StoredCode, code_from_random};
use crate::domain::offline_pause::OfflineVerdict;
use crate::i18n::Lang;
use crate::login::ClientInfo;
use crate::storage::{Actor, AuditEntry, AuditEvent, PauseChannel};
use crate::text::text_with;

use super::{OtpError, OtpService, TypedId, client_detail};

/// The reply to "Envoyer OTP par courriel", the same whether a code was sent or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailCodeReply {
    /// Until when a code sent now is valid (Unix seconds).
    pub valid_until: i64,
}

impl OtpService {
    /// Mails a fresh code to the account of `tigr_id` when `password` is its password and it
    /// has an e-mail address; the previous code stops working. The reply does not say
    /// whether a code went out (see the module docs); `lang` is the language of the mail.
    pub async fn send_email_code(
        &self,
        tigr_id: &str,
        password: &str,
        lang: Lang,
        client: &ClientInfo,
    ) -> Result<EmailCodeReply, OtpError> {
        let Some(mailer) = &self.mailer else {
            return Err(OtpError::MailUnavailable);
        };
        let (typed, now) = self.admitted(tigr_id, client).await?;
        let reply = EmailCodeReply {
            valid_until: now + self.email.ttl,
        };
        let right = self.password_matches(password, typed.phc.clone()).await;
        let address = typed.account.as_ref().and_then(|a| a.email.clone());
        let (Some(account), Some(address), true) = (&typed.account, address, right) else {
            // Counted like a failed login; the reply is the same as for a sent code, until
            // the pause.
            return match self.record_failure(&typed, client, now, "send").await? {
                OtpError::Paused { until, minutes } => Err(OtpError::Paused { until, minutes }),
                _ => Ok(reply),
            };
        };
        let recent = self.store.recent_sends(&account.id, &address, now).await?;
        if let Err(from) = self.email.may_send(recent, now) {
            return Err(OtpError::TooManyCodes { from });
        }
        let mut bytes = [0u8; 8];
        self.random.fill(&mut bytes);
        let code = zeroize::Zeroizing::new(code_from_random(bytes));
        let until_text = local_text(reply.valid_until, &self.time_zone, lang.into());
        let subject = text_with(
            lang,
            "email-otp-subject",
            &[("service", self.service_name.as_str().into())],
        );
        let body = text_with(
            lang,
            "email-otp-body",
            &[
                ("name", account.display_name.as_str().into()),
                ("service", self.service_name.as_str().into()),
                ("code", code.as_str().into()),
                ("until", until_text.as_str().into()),
                ("minutes", ((self.email.ttl + 59) / 60).into()),
            ],
        );
        if let Err(error) = mailer.send(&address, &subject, body).await {
            tracing::warn!(account = %account.id, %error, "e-mail code not sent");
            return Err(OtpError::MailUnavailable);
        }
        let mac = self.sealer.email_code_mac(&account.id, &code);
        let mut tx = self.store.begin_write().await?;
        tx.replace_email_code(
            &account.id,
            &address,
            &mac,
            StoredCode {
                sent_at: now,
                expires_at: reply.valid_until,
            },
        )
        .await?;
        let (ip, user_agent) = client_detail(client);
        tx.audit(&AuditEntry {
            account_id: Some(&account.id),
            ip,
            user_agent,
            detail: Some(format!("expires_at={}", reply.valid_until)),
            ..AuditEntry::new(now, AuditEvent::EmailCodeSent, Actor::Browser)
        })
        .await?;
        tx.commit().await?;
        tracing::info!(account = %account.id, "e-mail code sent");
        Ok(reply)
    }

    /// Counts a failure on the OTP channel of `typed` (one transaction with its audit row)
    /// and returns the refusal to reply: attempts left, or the pause that starts.
    pub(super) async fn record_failure(
        &self,
        typed: &TypedId,
        client: &ClientInfo,
        now: i64,
        step: &str,
    ) -> Result<OtpError, OtpError> {
        let mut tx = self.store.begin_write().await?;
        let record = tx.pause_record(PauseChannel::Otp, &typed.key).await?;
        let (next, event, refusal, extra) = match self.lockout.after_failure(record, now) {
            OfflineVerdict::Counted {
                next,
                attempts_left,
            } => (
                Some(next),
                AuditEvent::OtpFailed,
                OtpError::Refused { attempts_left },
                format!("attempts_left={attempts_left}"),
            ),
            OfflineVerdict::NowPaused { next, pause } => (
                Some(next),
                AuditEvent::OtpPaused,
                OtpError::paused(pause, now),
                format!("until={}", pause.until),
            ),
            OfflineVerdict::AlreadyPaused { pause } => (
                None,
                AuditEvent::RefusedOtpPaused,
                OtpError::paused(pause, now),
                format!("until={}", pause.until),
            ),
        };
        if let Some(next) = next {
            tx.set_pause_record(PauseChannel::Otp, &typed.key, typed.account_id(), next)
                .await?;
        }
        let (ip, user_agent) = client_detail(client);
        tx.audit(&AuditEntry {
            account_id: typed.account_id(),
            ip,
            user_agent,
            detail: Some(format!("step={step} {extra}")),
            ..AuditEntry::new(now, event, Actor::Browser)
        })
        .await?;
        tx.commit().await?;
        Ok(refusal)
    }

    /// What is known of a typed Tigr ID, and the time, once the OTP form is not paused for
    /// it; a paused one is refused (audited) without any check.
    pub(super) async fn admitted(
        &self,
        tigr_id: &str,
        client: &ClientInfo,
    ) -> Result<(TypedId, i64), OtpError> {
        let typed = self.typed_id(tigr_id).await?;
        let now = self.now();
        let record = self
            .store
            .pause_record(PauseChannel::Otp, &typed.key)
            .await?;
        let Err(pause) = self.lockout.admit(record, now) else {
            return Ok((typed, now));
        };
        let mut tx = self.store.begin_write().await?;
        let (ip, user_agent) = client_detail(client);
        tx.audit(&AuditEntry {
            account_id: typed.account_id(),
            ip,
            user_agent,
            ..AuditEntry::new(now, AuditEvent::RefusedOtpPaused, Actor::Browser)
        })
        .await?;
        tx.commit().await?;
        Err(OtpError::paused(pause, now))
    }
}
