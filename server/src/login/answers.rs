//! Answers to a login challenge: the phone's signed approval or denial, and the offline
//! Tigr ID + code typed in the browser.
//!
//! An approval and an offline code go the same way:
//! 1. the challenge and the answering phone are read;
//! 2. [`admit_answer`] says, in the order of docs/protocol.md §3.5, whether the answer is
//!    looked at: challenge open (410, 409), account and phone (404, 403), lockout (423, even
//!    if the answer is right; the challenge then ends `blocked`, audited, so that the browser
//!    showing it can say so);
//! 3. the signature / code is checked, else the failure is counted (401 with
//!    `attempts_left`, or 423 when this failure blocks, which ends the challenge `blocked`
//!    too); below the threshold the challenge stays open for another try;
//! 4. one transaction re-checks the account, the lockout and the phone, consumes the
//!    challenge (exactly once), resets the counter and audits.

use tigr_core::ids::{is_valid_account, is_valid_id};
use tigr_core::signing::{Decision, SIGNATURE_LEN};
use tigr_core::wire::{ChallengeState, OfflineAnswer, Outcome, SignedAnswer, b64_decode};

use crate::domain::answer::{
    Answerer, PhoneStanding, admit_answer, offline_code_is_valid, signature_is_valid,
};
use crate::domain::challenge::{LoginChallenge, StoredState};
use crate::domain::lockout::{Block, FailureVerdict};
use crate::storage::{
    Account, Actor, Approval, ApprovalOutcome, AuditEntry, AuditEvent, Device, WriteTx,
};

use super::error::refused;
use super::{AnswerKind, ClientInfo, LoginError, LoginService};

/// Longest offline code accepted as input (the suite's codes have 8 digits).
const MAX_OFFLINE_CODE_LEN: usize = 32;

/// The facts of one answer, for the transaction and the audit trail.
struct AnswerContext<'a> {
    challenge: &'a LoginChallenge,
    /// The answering account and its phone; `None` for a Tigr ID that names no account.
    answerer: Option<(&'a str, &'a str)>,
    kind: AnswerKind,
    actor: Actor,
    client: &'a ClientInfo,
}

impl AnswerContext<'_> {
    fn account(&self) -> &str {
        self.answerer.map_or("", |(account, _)| account)
    }

    fn entry(&self, now: i64, event: AuditEvent, extra: Option<String>) -> AuditEntry<'_> {
        let mut detail = format!("via={}", self.kind.via());
        if let Some(extra) = extra {
            detail.push(' ');
            detail.push_str(&extra);
        }
        AuditEntry {
            account_id: self.answerer.map(|(account, _)| account),
            device_id: self.answerer.map(|(_, phone)| phone),
            challenge_id: Some(&self.challenge.id),
            ip: Some(&self.client.ip),
            user_agent: Some(&self.client.summary),
            detail: Some(detail),
            ..AuditEntry::new(now, event, self.actor)
        }
    }
}

/// What the server found of the phone named by an answer.
fn standing(found: &Result<(Account, Device), LoginError>) -> PhoneStanding {
    match found {
        Ok((account, _)) => PhoneStanding::Active {
            lock: account.lock_state(),
        },
        Err(LoginError::PhoneRevoked) => PhoneStanding::Revoked,
        Err(_) => PhoneStanding::Unknown,
    }
}

impl LoginService {
    /// `POST .../response`: an approval signed with the phone's approval key.
    pub async fn approve(
        &self,
        id: &str,
        answer: &SignedAnswer,
        client: &ClientInfo,
    ) -> Result<Outcome, LoginError> {
        let signature = decode_signature(&answer.signature)?;
        let challenge = self.challenge(id).await?;
        let found = self.phone_of(&answer.account, &answer.device_id).await;
        if let Err(LoginError::Internal) = found {
            return Err(LoginError::Internal);
        }
        let verdict = admit_answer(
            &challenge,
            &answer.account,
            standing(&found),
            &self.lockout,
            self.now(),
        );
        let answerer = found
            .as_ref()
            .ok()
            .map(|(a, d)| (a.id.as_str(), d.id.as_str()));
        let ctx = AnswerContext {
            challenge: &challenge,
            answerer,
            kind: AnswerKind::Approval,
            actor: Actor::Phone,
            client,
        };
        self.admitted(&ctx, verdict).await?;
        let Ok((account, device)) = &found else {
            return Err(LoginError::Internal);
        };
        if !self.signed(Decision::Approve, &challenge, account, device, &signature) {
            return Err(self.record_failure(&ctx).await);
        }
        self.commit_approval(&ctx).await
    }

    /// `POST .../offline` (browser token required): Tigr ID + offline code. Same checks as
    /// the signed approval; an unknown Tigr ID gets the same reply as a wrong code and counts
    /// nothing.
    pub async fn offline(
        &self,
        id: &str,
        browser_token: Option<&[u8]>,
        answer: &OfflineAnswer,
        client: &ClientInfo,
    ) -> Result<Outcome, LoginError> {
        let challenge = self.challenge_for_browser(id, browser_token).await?;
        if answer.otp.len() > MAX_OFFLINE_CODE_LEN {
            return Err(LoginError::MalformedOfflineCode);
        }
        // People type their ID with stray spaces or capitals.
        let tigr_id = answer.tigr_id.trim().to_ascii_lowercase();
        let found = self.active_phone_of(&tigr_id).await?;
        let phone = match &found {
            Some((account, _)) => PhoneStanding::Active {
                lock: account.lock_state(),
            },
            None => PhoneStanding::Unknown,
        };
        let verdict = admit_answer(&challenge, &tigr_id, phone, &self.lockout, self.now());
        let ctx = AnswerContext {
            challenge: &challenge,
            answerer: found.as_ref().map(|(a, d)| (a.id.as_str(), d.id.as_str())),
            kind: AnswerKind::OfflineCode,
            actor: Actor::Browser,
            client,
        };
        if verdict == Err(crate::domain::answer::Refusal::UnknownAccount) {
            // The typed ID is not recorded: it may be a code typed in the wrong field.
            self.audit_only(&ctx, AuditEvent::UnknownAccount).await?;
            return Err(LoginError::InvalidAnswer {
                attempts_left: None,
                kind: AnswerKind::OfflineCode,
            });
        }
        self.admitted(&ctx, verdict).await?;
        let Some((account, device)) = &found else {
            return Err(LoginError::Internal);
        };
        let secret = self
            .sealer
            .open_offline_secret(&account.id, &device.id, &device.offline_secret_enc)
            .map_err(|_| {
                tracing::error!(
                    device = %device.id,
                    "the offline secret of this phone cannot be decrypted with the configured \
                     master key"
                );
                LoginError::Internal
            })?;
        if !offline_code_is_valid(
            &device.ocra_suite,
            &secret,
            &self.origin_text,
            &challenge,
            &answer.otp,
        ) {
            return Err(self.record_failure(&ctx).await);
        }
        self.commit_approval(&ctx).await
    }

    /// `POST .../deny`: "ce n'était pas moi", signed with the identity key. A bad signature
    /// is refused but not counted toward the lockout; a blocked account may still deny.
    pub async fn deny(
        &self,
        id: &str,
        answer: &SignedAnswer,
        client: &ClientInfo,
    ) -> Result<Outcome, LoginError> {
        let signature = decode_signature(&answer.signature)?;
        let challenge = self.challenge(id).await?;
        challenge.check_open(self.now())?;
        let (account, device) = self.phone_of(&answer.account, &answer.device_id).await?;
        let ctx = AnswerContext {
            challenge: &challenge,
            answerer: Some((&account.id, &device.id)),
            kind: AnswerKind::Denial,
            actor: Actor::Phone,
            client,
        };
        if !self.signed(Decision::Deny, &challenge, &account, &device, &signature) {
            self.audit_only(&ctx, AuditEvent::DenyFailed).await?;
            return Err(LoginError::InvalidAnswer {
                attempts_left: None,
                kind: AnswerKind::Denial,
            });
        }
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        if !tx.device_is_active(&account.id, &device.id).await? {
            return Err(LoginError::PhoneRevoked);
        }
        if !tx
            .decide_challenge(&challenge.id, StoredState::Denied, &account.id, now)
            .await?
        {
            drop(tx);
            return Err(self.closed_reason(&challenge.id).await);
        }
        tx.audit(&ctx.entry(now, AuditEvent::Denied, None)).await?;
        tx.commit().await?;
        self.notify_challenge(&challenge.id);
        tracing::info!(account = %account.id, challenge = %challenge.id, "login denied from the phone");
        Ok(Outcome {
            state: ChallengeState::Denied,
            account: account.id,
        })
    }

    /// True when `signature` is `decision` on `challenge` by the account's phone: checked
    /// against its approval key for an approval, its identity key for a denial.
    fn signed(
        &self,
        decision: Decision,
        challenge: &LoginChallenge,
        account: &Account,
        phone: &Device,
        signature: &[u8],
    ) -> bool {
        let key = match decision {
            Decision::Approve => &phone.approval_key,
            Decision::Deny => &phone.identity_key,
        };
        let who = Answerer {
            account: &account.id,
            device_id: &phone.id,
        };
        signature_is_valid(decision, &self.origin_text, challenge, who, key, signature)
    }

    /// Carries out a refusal of [`admit_answer`]: an attempt on a blocked account is audited
    /// (not counted) and ends the challenge `blocked`.
    async fn admitted(
        &self,
        ctx: &AnswerContext<'_>,
        verdict: Result<(), crate::domain::answer::Refusal>,
    ) -> Result<(), LoginError> {
        let Err(refusal) = verdict else {
            return Ok(());
        };
        if let crate::domain::answer::Refusal::Blocked(block) = refusal {
            tracing::warn!(account = %ctx.account(), "attempt on a blocked account refused");
            self.refuse_blocked(ctx, block).await?;
        }
        Err(refused(refusal, self.now()))
    }

    /// The account and its phone named by a phone: unknown unless the phone belongs to an
    /// enabled account, revoked when that phone was revoked or replaced.
    async fn phone_of(
        &self,
        account: &str,
        device_id: &str,
    ) -> Result<(Account, Device), LoginError> {
        if !is_valid_account(account) || !is_valid_id(device_id) {
            return Err(LoginError::UnknownAccount);
        }
        let (account, device) = self
            .store
            .account_with_device(account, device_id)
            .await?
            .filter(|(account, _)| account.is_enabled())
            .ok_or(LoginError::UnknownAccount)?;
        match device {
            Some(device) if device.is_active() => Ok((account, device)),
            Some(_) => Err(LoginError::PhoneRevoked),
            // Unknown, or another account's.
            None => Err(LoginError::UnknownAccount),
        }
    }

    /// The enabled account with this Tigr ID and its active phone, if both exist.
    async fn active_phone_of(
        &self,
        tigr_id: &str,
    ) -> Result<Option<(Account, Device)>, LoginError> {
        if !is_valid_account(tigr_id) {
            return Ok(None);
        }
        Ok(self
            .store
            .account_with_active_device(tigr_id)
            .await?
            .filter(|(account, _)| account.is_enabled())
            .and_then(|(account, device)| Some((account, device?))))
    }

    /// Appends one audit row in its own transaction.
    async fn audit_only(
        &self,
        ctx: &AnswerContext<'_>,
        event: AuditEvent,
    ) -> Result<(), LoginError> {
        let mut tx = self.store.begin_write().await?;
        tx.audit(&ctx.entry(self.now(), event, None)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Audits an attempt on a blocked account and ends its challenge `blocked`.
    async fn refuse_blocked(
        &self,
        ctx: &AnswerContext<'_>,
        block: Block,
    ) -> Result<(), LoginError> {
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        tx.audit(&ctx.entry(now, AuditEvent::RefusedBlocked, None))
            .await?;
        let ended = end_blocked(&mut tx, ctx, block, now).await?;
        tx.commit().await?;
        if ended {
            self.notify_challenge(&ctx.challenge.id);
        }
        Ok(())
    }

    /// Counts a wrong answer (one transaction: counter, block, audit) and returns the reply.
    async fn record_failure(&self, ctx: &AnswerContext<'_>) -> LoginError {
        match self.try_record_failure(ctx).await {
            Ok(reply) | Err(reply) => reply,
        }
    }

    async fn try_record_failure(&self, ctx: &AnswerContext<'_>) -> Result<LoginError, LoginError> {
        let now = self.now();
        let account_id = ctx.account();
        let mut tx = self.store.begin_write().await?;
        // Read again inside the transaction: concurrent failures must all be counted.
        let account = tx
            .account(account_id)
            .await?
            .ok_or(LoginError::UnknownAccount)?;
        let mut ended = false;
        let reply = match self.lockout.after_failure(account.lock_state(), now) {
            FailureVerdict::Counted {
                next,
                attempts_left,
            } => {
                tx.set_lock_state(account_id, next).await?;
                tx.audit(&ctx.entry(
                    now,
                    AuditEvent::ResponseFailed,
                    Some(format!("attempts_left={attempts_left}")),
                ))
                .await?;
                tracing::info!(account = %account_id, attempts_left, via = ctx.kind.via(), "wrong answer");
                LoginError::InvalidAnswer {
                    attempts_left: Some(attempts_left),
                    kind: ctx.kind,
                }
            }
            FailureVerdict::NowBlocked { next, block } => {
                tx.set_lock_state(account_id, next).await?;
                tx.audit(&ctx.entry(
                    now,
                    AuditEvent::ResponseFailed,
                    Some("attempts_left=0".to_owned()),
                ))
                .await?;
                tx.audit(&ctx.entry(
                    now,
                    AuditEvent::AccountBlocked,
                    Some(format!(
                        "failures={} {} reason={}",
                        next.failures,
                        match block.until {
                            Some(until) => format!("until={until}"),
                            None => "permanent".to_owned(),
                        },
                        block.reason.as_str()
                    )),
                ))
                .await?;
                tracing::warn!(
                    account = %account_id,
                    permanent = block.is_permanent(),
                    "account blocked after too many failed answers"
                );
                ended = end_blocked(&mut tx, ctx, block, now).await?;
                LoginError::blocked(block, now)
            }
            FailureVerdict::AlreadyBlocked { block } => {
                tx.audit(&ctx.entry(now, AuditEvent::RefusedBlocked, None))
                    .await?;
                ended = end_blocked(&mut tx, ctx, block, now).await?;
                LoginError::blocked(block, now)
            }
        };
        tx.commit().await?;
        if ended {
            self.notify_challenge(&ctx.challenge.id);
        }
        Ok(reply)
    }

    /// Approves the challenge for the account: one transaction (shared with the approvals
    /// committed at the same moment) re-checks the account, the lockout and the phone,
    /// consumes the challenge exactly once, resets the counter and audits.
    async fn commit_approval(&self, ctx: &AnswerContext<'_>) -> Result<Outcome, LoginError> {
        let Some((account, device)) = ctx.answerer else {
            return Err(LoginError::Internal);
        };
        let now = self.now();
        let approval = Approval {
            challenge_id: ctx.challenge.id.clone(),
            account_id: account.to_owned(),
            device_id: device.to_owned(),
            now,
            actor: ctx.actor,
            ip: ctx.client.ip.clone(),
            user_agent: ctx.client.summary.clone(),
            detail: format!("via={}", ctx.kind.via()),
        };
        // In its own task: once queued, the approval may be committed with others even if
        // this request is cancelled, and its browser must still be notified.
        let service = self.clone();
        let outcome = tokio::spawn(async move {
            let challenge = approval.challenge_id.clone();
            let outcome = service.store.approve(approval, &service.lockout).await;
            if outcome.as_ref().is_ok_and(|o| o.changed_challenge()) {
                service.notify_challenge(&challenge);
            }
            outcome
        })
        .await
        .map_err(|_| LoginError::Internal)??;
        match outcome {
            ApprovalOutcome::Approved => {
                // Debug only: approvals are the hot path, and the audit trail records each.
                tracing::debug!(account, challenge = %ctx.challenge.id, via = ctx.kind.via(), "login approved");
                Ok(Outcome {
                    state: ChallengeState::Approved,
                    account: account.to_owned(),
                })
            }
            // Disabled by an administrator since the first check: like an unknown account.
            ApprovalOutcome::UnknownAccount => Err(LoginError::UnknownAccount),
            ApprovalOutcome::DeviceRevoked => Err(LoginError::PhoneRevoked),
            // Blocked by a concurrent failure since the first check.
            ApprovalOutcome::Blocked { block, .. } => Err(LoginError::blocked(block, now)),
            ApprovalOutcome::ChallengeClosed => Err(self.closed_reason(&ctx.challenge.id).await),
        }
    }

    /// Why a challenge could not be consumed: expired, or decided.
    async fn closed_reason(&self, id: &str) -> LoginError {
        match self.store.challenge(id).await {
            Ok(Some(challenge)) => match challenge.check_open(self.now()) {
                Err(closed) => closed.into(),
                Ok(()) => LoginError::ChallengeUsed,
            },
            Ok(None) => LoginError::UnknownChallenge,
            Err(e) => e.into(),
        }
    }
}

/// Ends the challenge answered by a blocked account as `blocked` (when still open). True
/// when it did: once committed, the browser showing the QR is to be notified.
async fn end_blocked(
    tx: &mut WriteTx,
    ctx: &AnswerContext<'_>,
    block: Block,
    now: i64,
) -> Result<bool, LoginError> {
    Ok(tx
        .block_challenge(&ctx.challenge.id, ctx.account(), now, block.until)
        .await?)
}

fn decode_signature(text: &str) -> Result<Vec<u8>, LoginError> {
    b64_decode(text)
        .filter(|s| s.len() == SIGNATURE_LEN)
        .ok_or(LoginError::MalformedSignature)
}
