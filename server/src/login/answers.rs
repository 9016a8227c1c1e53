//! Answers to a login challenge: the phone's signed approval or denial, and the offline
//! Tigr ID + code typed in the browser.
//!
//! An approval goes:
//! 1. the challenge and the answering phone are read;
//! 2. [`admit_answer`] says, in the order of docs/protocol.md §3.5, whether the answer is
//!    looked at: challenge open (410, 409), account and phone (404, 403), the phone
//!    channel's lockout (423, even if the answer is right; the challenge then ends
//!    `blocked`, audited, so that the browser showing it can say so);
//! 3. the signature is checked, else the failure is counted on the phone channel (401 with
//!    `attempts_left`, or 423 when this failure blocks, which ends the challenge `blocked`
//!    too); below the threshold the challenge stays open for another try;
//! 4. one transaction re-checks the account, the lockout and the phone, consumes the
//!    challenge (exactly once), resets the counter and audits.
//!
//! An offline code goes on the offline channel, the same way for every Tigr ID typed
//! (docs/security.md, "Lockout channels" and "Account enumeration"):
//! 1. the challenge, the account named by the ID (if any) and the ID's offline record are
//!    read (one read each, whatever the ID);
//! 2. [`admit_offline`]: challenge open (410, 409), offline form not paused for the ID (423
//!    `offline_paused`, even if the code is right);
//! 3. the code is checked against the phone's secret when the ID names an account whose
//!    offline codes are accepted ([`offline_codes_accepted`]), else against a stand-in
//!    secret (same work) and refused; a refusal is counted on the ID's record (401 with
//!    `attempts_left`, or 423 `offline_paused` at the threshold). The challenge stays open:
//!    its QR still works;
//! 4. a right code: one transaction re-checks, consumes the challenge, clears the ID's
//!    record and audits. Nothing of the offline channel reads or writes the phone
//!    channel's counter.
//!
//! Whatever the path, the reply leaves the configured reply time after the request came in
//! (`pacing.rs`), so that what differs in the work does not show in the reply's time.

use tigr_core::ids::{is_valid_account, is_valid_id};
use tigr_core::offline::OFFLINE_SUITE;
use tigr_core::signing::{Decision, SIGNATURE_LEN};
use tigr_core::wire::{ChallengeState, OfflineAnswer, Outcome, SignedAnswer, b64_decode};

use crate::domain::answer::{
    Answerer, OfflineRefusal, PhoneStanding, Refusal, admit_answer, admit_offline,
    offline_code_is_valid, offline_codes_accepted, signature_is_valid,
};
use crate::domain::challenge::{LoginChallenge, StoredState};
use crate::domain::lockout::{Block, FailureVerdict};
use crate::domain::offline_pause::OfflineVerdict;
use crate::storage::{
    Account, Actor, Approval, ApprovalOutcome, AuditEntry, AuditEvent, Device, WriteTx,
};

use super::blocked_log::LogLine;
use super::error::{refused, refused_offline};
use super::pacing::paced;
use super::{AnswerKind, ClientInfo, LoginError, LoginService};

/// Longest offline code accepted as input (the suite's codes have 8 digits).
const MAX_OFFLINE_CODE_LEN: usize = 32;

/// The facts of one answer, for the transaction and the audit trail.
struct AnswerContext<'a> {
    challenge: &'a LoginChallenge,
    /// The answering account, when known (never the ID typed for an unknown one).
    account: Option<&'a str>,
    /// Its phone, when it has an active one.
    device: Option<&'a str>,
    kind: AnswerKind,
    actor: Actor,
    client: &'a ClientInfo,
}

impl AnswerContext<'_> {
    fn account(&self) -> &str {
        self.account.unwrap_or("")
    }

    fn entry(&self, now: i64, event: AuditEvent, extra: Option<String>) -> AuditEntry<'_> {
        let mut detail = format!("via={}", self.kind.via());
        if let Some(extra) = extra {
            detail.push(' ');
            detail.push_str(&extra);
        }
        AuditEntry {
            account_id: self.account,
            device_id: self.device,
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

/// A Tigr ID typed into the offline form, with what the server knows of it.
struct TypedId {
    /// The key of its offline record (`SecretSealer::tigr_id_key` of the normalised ID).
    key: [u8; 32],
    /// The account it names, whatever its state (`None`: no such account).
    account: Option<Account>,
    /// The account's active phone, if any.
    phone: Option<Device>,
    /// Whether a right code may log the account in now ([`offline_codes_accepted`]).
    accepted: bool,
}

impl TypedId {
    /// The audit event of a code the offline form refuses for this ID: a wrong code of a
    /// usable phone, any code while its phone channel is blocked, or an ID without a
    /// usable phone.
    fn failure_event(&self) -> AuditEvent {
        match (&self.account, &self.phone, self.accepted) {
            (_, _, true) => AuditEvent::ResponseFailed,
            (Some(account), Some(_), false) if account.is_enabled() => AuditEvent::RefusedBlocked,
            _ => AuditEvent::UnknownAccount,
        }
    }

    fn account_id(&self) -> Option<&str> {
        self.account.as_ref().map(|a| a.id.as_str())
    }
}

/// The Tigr ID as people type it: stray spaces and capitals do not matter.
fn normalised_tigr_id(typed: &str) -> String {
    typed.trim().to_ascii_lowercase()
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
        let found = self
            .phone_of(&answer.account, &answer.device_id, PhoneRead::Approving)
            .await;
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
        let answerer = found.as_ref().ok();
        let ctx = AnswerContext {
            challenge: &challenge,
            account: answerer.map(|(a, _)| a.id.as_str()),
            device: answerer.map(|(_, d)| d.id.as_str()),
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

    /// `POST .../offline` (browser token required): Tigr ID + offline code, on the offline
    /// channel (see the module docs). Every Tigr ID typed, enrolled or not, gets the same
    /// checks, the same work and the same replies, and the reply leaves
    /// the configured reply time after the call (`pacing.rs`); only a right code of an account
    /// whose offline codes are accepted logs in.
    pub async fn offline(
        &self,
        id: &str,
        browser_token: Option<&[u8]>,
        answer: &OfflineAnswer,
        client: &ClientInfo,
    ) -> Result<Outcome, LoginError> {
        paced(
            self.offline_reply_time,
            &self.late_offline_replies,
            |at| self.pacer.until(at),
            self.check_offline(id, browser_token, answer, client),
        )
        .await
    }

    async fn check_offline(
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
        let typed = self.typed_id(&answer.tigr_id).await?;
        let record = self.store.offline_record(&typed.key).await?;
        let now = self.now();
        let ctx = AnswerContext {
            challenge: &challenge,
            account: typed.account_id(),
            device: typed.phone.as_ref().map(|d| d.id.as_str()),
            kind: AnswerKind::OfflineCode,
            actor: Actor::Browser,
            client,
        };
        if let Err(refusal) = admit_offline(&challenge, record, &self.offline_lockout, now) {
            if let OfflineRefusal::Paused(_) = refusal {
                self.refuse_paused(&ctx, &typed).await?;
            }
            return Err(refused_offline(refusal, now, &self.time_zone));
        }
        if !self.offline_code_right(&typed, &challenge, &answer.otp)? {
            return Err(self.record_offline_failure(&ctx, &typed).await);
        }
        self.commit_offline_approval(&ctx, &typed).await
    }

    /// What the server knows of a typed Tigr ID: one read, whatever the ID.
    async fn typed_id(&self, typed: &str) -> Result<TypedId, LoginError> {
        let tigr_id = normalised_tigr_id(typed);
        let key = self.sealer.tigr_id_key(&tigr_id);
        let (account, phone) = match self.store.account_with_active_device(&tigr_id).await? {
            Some((account, phone)) => (Some(account), phone),
            None => (None, None),
        };
        let standing = match (&account, &phone) {
            (Some(account), Some(_)) if account.is_enabled() => PhoneStanding::Active {
                lock: account.lock_state(),
            },
            _ => PhoneStanding::Unknown,
        };
        Ok(TypedId {
            key,
            accepted: offline_codes_accepted(standing, &self.lockout, self.now()),
            account,
            phone,
        })
    }

    /// True when `typed` is the offline code of the ID's phone for `challenge`. The code is
    /// computed for every ID: with the phone's secret when its codes are accepted, else
    /// with the stand-in secret, and then refused.
    fn offline_code_right(
        &self,
        typed: &TypedId,
        challenge: &LoginChallenge,
        code: &str,
    ) -> Result<bool, LoginError> {
        let (owner, device, sealed, suite) = match (&typed.account, &typed.phone) {
            (Some(account), Some(phone)) if typed.accepted => (
                account.id.as_str(),
                phone.id.as_str(),
                phone.offline_secret_enc.as_slice(),
                phone.ocra_suite.as_str(),
            ),
            _ => ("", "", self.stand_in_secret.as_slice(), OFFLINE_SUITE),
        };
        let secret = self
            .sealer
            .open_offline_secret(owner, device, sealed)
            .map_err(|_| {
                tracing::error!(
                    device = %device,
                    "the offline secret of this phone cannot be decrypted with the configured \
                     master key"
                );
                LoginError::Internal
            })?;
        let matches = offline_code_is_valid(suite, &secret, &self.origin_text, challenge, code);
        Ok(matches && typed.accepted)
    }

    /// Audits an offline code refused because the form is paused for the ID, and links
    /// the ID's record to its account (when one exists) for the administration.
    async fn refuse_paused(
        &self,
        ctx: &AnswerContext<'_>,
        typed: &TypedId,
    ) -> Result<(), LoginError> {
        let mut tx = self.store.begin_write().await?;
        tx.link_offline_record(&typed.key, typed.account_id())
            .await?;
        tx.audit(&ctx.entry(self.now(), AuditEvent::RefusedOfflinePaused, None))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Counts a refused offline code on the ID's record (one transaction: record, audit)
    /// and returns the reply.
    async fn record_offline_failure(&self, ctx: &AnswerContext<'_>, typed: &TypedId) -> LoginError {
        match self.try_record_offline_failure(ctx, typed).await {
            Ok(reply) | Err(reply) => reply,
        }
    }

    async fn try_record_offline_failure(
        &self,
        ctx: &AnswerContext<'_>,
        typed: &TypedId,
    ) -> Result<LoginError, LoginError> {
        let now = self.now();
        let mut tx = self.store.begin_write_with_first().await?;
        // Read again inside the transaction: concurrent failures must all be counted.
        let record = tx.offline_record(&typed.key).await?;
        let event = typed.failure_event();
        let reply = match self.offline_lockout.after_failure(record, now) {
            OfflineVerdict::Counted {
                next,
                attempts_left,
            } => {
                tx.set_offline_record(&typed.key, typed.account_id(), next)
                    .await?;
                tx.audit_and_commit(&ctx.entry(
                    now,
                    event,
                    Some(format!("attempts_left={attempts_left}")),
                ))
                .await?;
                return Ok(LoginError::InvalidAnswer {
                    attempts_left: Some(attempts_left),
                    kind: AnswerKind::OfflineCode,
                });
            }
            OfflineVerdict::NowPaused { next, pause } => {
                tx.set_offline_record(&typed.key, typed.account_id(), next)
                    .await?;
                tx.audit(&ctx.entry(now, event, Some("attempts_left=0".to_owned())))
                    .await?;
                tx.audit(&ctx.entry(
                    now,
                    AuditEvent::OfflinePaused,
                    Some(format!(
                        "failures={} until={} pauses={}",
                        next.failures, pause.until, next.pauses
                    )),
                ))
                .await?;
                tracing::warn!(
                    account = %ctx.account(),
                    until = pause.until,
                    pauses = next.pauses,
                    "offline codes paused for a Tigr ID after too many wrong ones"
                );
                LoginError::offline_paused(pause, now, &self.time_zone)
            }
            OfflineVerdict::AlreadyPaused { pause } => {
                tx.link_offline_record(&typed.key, typed.account_id())
                    .await?;
                tx.audit(&ctx.entry(now, AuditEvent::RefusedOfflinePaused, None))
                    .await?;
                LoginError::offline_paused(pause, now, &self.time_zone)
            }
        };
        tx.commit().await?;
        Ok(reply)
    }

    /// Approves the challenge with a right offline code: one transaction re-checks the
    /// ID's pause, the account, its phone channel and its phone, consumes the challenge
    /// exactly once, clears the ID's record (not the phone channel's counter) and audits.
    async fn commit_offline_approval(
        &self,
        ctx: &AnswerContext<'_>,
        typed: &TypedId,
    ) -> Result<Outcome, LoginError> {
        let (Some(account), Some(device)) = (ctx.account, ctx.device) else {
            return Err(LoginError::Internal);
        };
        let now = self.now();
        // Begun by its first statement, committed by its audit row: four hand-offs to
        // SQLite's thread.
        let mut tx = self.store.begin_write_with_first().await?;
        // A concurrent failure may have paused the form since the first read.
        let record = tx.offline_record(&typed.key).await?;
        if let Err(pause) = self.offline_lockout.after_success(record, now) {
            return Err(LoginError::offline_paused(pause, now, &self.time_zone));
        }
        // An administrator may have disabled the account or revoked the phone, or a
        // concurrent approval blocked the phone channel: a code the form no longer accepts.
        let still_accepted = match tx.account_and_device(account, device).await? {
            Some((found, phone_active)) if found.is_enabled() => {
                phone_active && self.lockout.admit(found.lock_state(), now).is_ok()
            }
            _ => false,
        };
        if !still_accepted {
            drop(tx);
            return Err(self.record_offline_failure(ctx, typed).await);
        }
        if !tx
            .decide_challenge(&ctx.challenge.id, StoredState::Approved, account, now)
            .await?
        {
            drop(tx);
            return Err(self.closed_reason(&ctx.challenge.id).await);
        }
        if record != Default::default() {
            tx.set_offline_record(&typed.key, Some(account), Default::default())
                .await?;
        }
        tx.audit_and_commit(&ctx.entry(now, AuditEvent::Approved, None))
            .await?;
        self.notify_challenge(&ctx.challenge.id);
        tracing::debug!(account, challenge = %ctx.challenge.id, via = ctx.kind.via(), "login approved");
        Ok(Outcome {
            state: ChallengeState::Approved,
            account: account.to_owned(),
        })
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
        let (account, device) = self
            .phone_of(&answer.account, &answer.device_id, PhoneRead::Fresh)
            .await?;
        let ctx = AnswerContext {
            challenge: &challenge,
            account: Some(&account.id),
            device: Some(&device.id),
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
        verdict: Result<(), Refusal>,
    ) -> Result<(), LoginError> {
        let Err(refusal) = verdict else {
            return Ok(());
        };
        if let Refusal::Blocked(block) = refusal {
            self.log_blocked_refusal(ctx.account(), &block);
            self.refuse_blocked(ctx, block).await?;
        }
        Err(refused(refusal, self.now()))
    }

    /// Logs a refusal on a blocked account rarely (see `blocked_log.rs`): the audit trail
    /// and its counter have every one.
    fn log_blocked_refusal(&self, account: &str, block: &Block) {
        match self.blocked_log.refused(account, block.since, self.now()) {
            Some(LogLine::First) => tracing::warn!(
                account = %account,
                "attempt on a blocked account refused (the next ones of this block are counted \
                 in tigr_audit_events_total{{event=\"refused_blocked\"}} and logged at most \
                 once a minute)"
            ),
            Some(LogLine::Since { refused }) => tracing::warn!(
                account = %account,
                refused,
                "attempts on a blocked account refused since the last line"
            ),
            None => {}
        }
    }

    /// The account and its phone named by a phone: unknown unless the phone belongs to an
    /// enabled account, revoked when that phone was revoked or replaced.
    async fn phone_of(
        &self,
        account: &str,
        device_id: &str,
        read: PhoneRead,
    ) -> Result<(Account, Device), LoginError> {
        if !is_valid_account(account) || !is_valid_id(device_id) {
            return Err(LoginError::UnknownAccount);
        }
        let found = match read {
            PhoneRead::Fresh => self.store.account_with_device(account, device_id).await?,
            PhoneRead::Approving => self.store.approving_device(account, device_id).await?,
        };
        let (account, device) = found
            .filter(|(account, _)| account.is_enabled())
            .ok_or(LoginError::UnknownAccount)?;
        match device {
            Some(device) if device.is_active() => Ok((account, device)),
            Some(_) => Err(LoginError::PhoneRevoked),
            // Unknown, or another account's.
            None => Err(LoginError::UnknownAccount),
        }
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
        // The first statement begins the transaction, the last audit row commits it: three
        // hand-offs to SQLite's thread for a counted wrong answer.
        let mut tx = self.store.begin_write_with_first().await?;
        // Read again inside the transaction: concurrent failures must all be counted, and
        // only against an account still enabled, by its phone still active (an
        // administrator may have acted since the first read).
        let (account, phone_active) = match ctx.device {
            Some(device) => tx.account_and_device(account_id, device).await?,
            None => tx.account(account_id).await?.map(|account| (account, true)),
        }
        .filter(|(account, _)| account.is_enabled())
        .ok_or(LoginError::UnknownAccount)?;
        if !phone_active {
            return Err(LoginError::PhoneRevoked);
        }
        let (reply, block) = match self.lockout.after_failure(account.lock_state(), now) {
            FailureVerdict::Counted {
                next,
                attempts_left,
            } => {
                tx.set_lock_state(account_id, next).await?;
                tx.audit_and_commit(&ctx.entry(
                    now,
                    AuditEvent::ResponseFailed,
                    Some(format!("attempts_left={attempts_left}")),
                ))
                .await?;
                tracing::info!(account = %account_id, attempts_left, via = ctx.kind.via(), "wrong answer");
                return Ok(LoginError::InvalidAnswer {
                    attempts_left: Some(attempts_left),
                    kind: ctx.kind,
                });
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
                (LoginError::blocked(block, now), block)
            }
            FailureVerdict::AlreadyBlocked { block } => {
                tx.audit(&ctx.entry(now, AuditEvent::RefusedBlocked, None))
                    .await?;
                (LoginError::blocked(block, now), block)
            }
        };
        let ended = end_blocked(&mut tx, ctx, block, now).await?;
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
        let (Some(account), Some(device)) = (ctx.account, ctx.device) else {
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

/// How [`LoginService::phone_of`] reads the phone named by an answer.
#[derive(Debug, Clone, Copy)]
enum PhoneRead {
    /// From the database.
    Fresh,
    /// For an approval, whose every check on what is found is made again inside the
    /// transaction that writes its outcome (the approval round, or the count of a wrong
    /// answer): may come from memory (`Store::approving_device`).
    Approving,
}

fn decode_signature(text: &str) -> Result<Vec<u8>, LoginError> {
    b64_decode(text)
        .filter(|s| s.len() == SIGNATURE_LEN)
        .ok_or(LoginError::MalformedSignature)
}
