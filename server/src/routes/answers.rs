//! Answers to a login challenge: the phone's signed approval or denial, and the offline
//! Tigr ID + code typed in the browser.
//!
//! Order of checks of an approval (each failure changes nothing unless stated):
//! 1. the challenge exists (404), is not expired (410), is still open (409) — except that
//!    a retry on a challenge that ended on the block of the answering account goes on to 3
//!    (still blocked: 423; unblocked since: 409);
//! 2. the account exists, is enabled, with this device active (404; a revoked device: 403);
//! 3. the account is not blocked (423, `attempts_left` 0, even if the answer is right; the
//!    challenge ends `blocked`, so that the browser showing it can say so);
//! 4. the signature / code is right, else the failure is counted (401 with `attempts_left`,
//!    or 423 when this failure blocks, which ends the challenge `blocked` too); below the
//!    threshold the challenge stays open for another try;
//! 5. one transaction re-checks 2 and 3, consumes the challenge (exactly once), resets the
//!    counter and audits.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use tigr_core::ids::{is_valid_account, is_valid_id};
use tigr_core::signing::{Decision, SIGNATURE_LEN};
use tigr_core::wire::{ChallengeState, OfflineAnswer, Outcome, SignedAnswer, b64_decode};

use crate::domain::answer::{Answerer, offline_code_is_valid, signature_is_valid};
use crate::domain::challenge::{LoginChallenge, StoredState};
use crate::domain::lockout::{Block, FailureVerdict, Refused};
use crate::storage::{
    Account, Actor, Approval, ApprovalOutcome, AuditEntry, AuditEvent, Device, WriteTx,
};

use super::error::{AnswerKind, ApiError, BadRequest};
use super::extract::{ApiJson, ClientInfo};
use super::{AppState, require_browser};

/// Longest offline code accepted as input (the suite's codes have 8 digits).
const MAX_OTP_LEN: usize = 32;

/// `POST /api/v1/login/challenges/{id}/response`: approval signed with the approval key.
pub async fn respond(
    State(app): State<AppState>,
    Path(id): Path<String>,
    client: ClientInfo,
    ApiJson(answer): ApiJson<SignedAnswer>,
) -> Result<Json<Outcome>, ApiError> {
    let signature = decode_signature(&answer.signature)?;
    let challenge = app.challenge(&id).await?;
    // A retry on a login that ended on this account's block: the lockout answers below.
    let retry_after_block = challenge.ended_on_block_of(&answer.account);
    if !retry_after_block {
        challenge.check_open(app.now())?;
    }
    let (account, device) = resolve_device(&app, &answer.account, &answer.device_id).await?;
    let ctx = AnswerContext {
        challenge: &challenge,
        account: &account.id,
        device_id: &device.id,
        kind: AnswerKind::Approval,
        actor: Actor::Phone,
        client: &client,
    };
    if let Err(refused) = app.lockout.admit(account.lock_state(), app.now()) {
        return Err(refuse_blocked(&app, &ctx, refused).await);
    }
    if retry_after_block {
        // Unblocked since: that login is over all the same.
        return Err(ApiError::ChallengeUsed);
    }
    let who = Answerer {
        account: &account.id,
        device_id: &device.id,
    };
    if !signature_is_valid(
        Decision::Approve,
        &app.origin_text,
        &challenge,
        who,
        &device.approval_key,
        &signature,
    ) {
        return Err(record_failure(&app, &ctx).await);
    }
    approve(&app, &ctx).await.map(Json)
}

/// `POST /api/v1/login/challenges/{id}/deny`: "this wasn't me", signed with the identity key.
/// A bad signature is refused but not counted toward the lockout; a blocked account may
/// still deny.
pub async fn deny(
    State(app): State<AppState>,
    Path(id): Path<String>,
    client: ClientInfo,
    ApiJson(answer): ApiJson<SignedAnswer>,
) -> Result<Json<Outcome>, ApiError> {
    let signature = decode_signature(&answer.signature)?;
    let challenge = app.challenge(&id).await?;
    challenge.check_open(app.now())?;
    let (account, device) = resolve_device(&app, &answer.account, &answer.device_id).await?;
    let who = Answerer {
        account: &account.id,
        device_id: &device.id,
    };
    let ctx = AnswerContext {
        challenge: &challenge,
        account: &account.id,
        device_id: &device.id,
        kind: AnswerKind::Denial,
        actor: Actor::Phone,
        client: &client,
    };
    if !signature_is_valid(
        Decision::Deny,
        &app.origin_text,
        &challenge,
        who,
        &device.identity_key,
        &signature,
    ) {
        audit_only(&app, &ctx, AuditEvent::DenyFailed, None).await?;
        return Err(ApiError::InvalidResponse {
            attempts_left: None,
            kind: AnswerKind::Denial,
        });
    }
    let now = app.now();
    let mut tx = app.store.begin_write().await?;
    if !tx.device_is_active(&account.id, &device.id).await? {
        return Err(ApiError::DeviceRevoked);
    }
    if !tx
        .decide_challenge(&challenge.id, StoredState::Denied, &account.id, now)
        .await?
    {
        drop(tx);
        return Err(closed_reason(&app, &challenge.id).await);
    }
    tx.audit(&ctx.entry(now, AuditEvent::Denied, None)).await?;
    tx.commit().await?;
    app.hub.notify(&challenge.id);
    tracing::info!(account = %account.id, challenge = %challenge.id, "login denied from the phone");
    Ok(Json(Outcome {
        state: ChallengeState::Denied,
        account: account.id,
    }))
}

/// `POST /api/v1/login/challenges/{id}/offline` (browser token required): Tigr ID + offline
/// code. Same lockout rules as the signed approval; an unknown Tigr ID gets the same
/// `invalid_response` as a wrong code and counts nothing.
pub async fn offline(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    client: ClientInfo,
    ApiJson(answer): ApiJson<OfflineAnswer>,
) -> Result<Json<Outcome>, ApiError> {
    let challenge = app.challenge(&id).await?;
    require_browser(&challenge, &headers)?;
    if answer.otp.len() > MAX_OTP_LEN {
        return Err(BadRequest::Otp.into());
    }
    // People type their ID with stray spaces or capitals.
    let tigr_id = answer.tigr_id.trim().to_ascii_lowercase();
    // A retry on a login that ended on this account's block: the lockout answers below.
    let retry_after_block = challenge.ended_on_block_of(&tigr_id);
    if !retry_after_block {
        challenge.check_open(app.now())?;
    }
    let found = if is_valid_account(&tigr_id) {
        app.store
            .account_with_active_device(&tigr_id)
            .await?
            .filter(|(account, _)| account.is_enabled())
            .and_then(|(account, device)| Some((account, device?)))
    } else {
        None
    };
    let Some((account, device)) = found else {
        // The typed ID is not recorded: it may be a code typed in the wrong field.
        let ctx = AnswerContext {
            challenge: &challenge,
            account: "",
            device_id: "",
            kind: AnswerKind::Offline,
            actor: Actor::Browser,
            client: &client,
        };
        audit_only(&app, &ctx, AuditEvent::UnknownAccount, None).await?;
        return Err(ApiError::InvalidResponse {
            attempts_left: None,
            kind: AnswerKind::Offline,
        });
    };
    let ctx = AnswerContext {
        challenge: &challenge,
        account: &account.id,
        device_id: &device.id,
        kind: AnswerKind::Offline,
        actor: Actor::Browser,
        client: &client,
    };
    if let Err(refused) = app.lockout.admit(account.lock_state(), app.now()) {
        return Err(refuse_blocked(&app, &ctx, refused).await);
    }
    if retry_after_block {
        return Err(ApiError::ChallengeUsed);
    }
    let secret = app
        .sealer
        .open_offline_secret(&account.id, &device.id, &device.offline_secret_enc)
        .map_err(|_| {
            tracing::error!(
                device = %device.id,
                "the offline secret of this device cannot be decrypted with the configured \
                 master key"
            );
            ApiError::Internal
        })?;
    if !offline_code_is_valid(
        &device.ocra_suite,
        &secret,
        &app.origin_text,
        &challenge,
        &answer.otp,
    ) {
        return Err(record_failure(&app, &ctx).await);
    }
    approve(&app, &ctx).await.map(Json)
}

/// The facts of one answer, for the transaction and the audit trail.
struct AnswerContext<'a> {
    challenge: &'a LoginChallenge,
    account: &'a str,
    device_id: &'a str,
    kind: AnswerKind,
    actor: Actor,
    client: &'a ClientInfo,
}

impl AnswerContext<'_> {
    fn via(&self) -> &'static str {
        match self.kind {
            AnswerKind::Approval => "signature",
            AnswerKind::Denial => "deny_signature",
            AnswerKind::Offline => "offline",
        }
    }

    fn entry(&self, now: i64, event: AuditEvent, extra: Option<String>) -> AuditEntry<'_> {
        let mut detail = format!("via={}", self.via());
        if let Some(extra) = extra {
            detail.push(' ');
            detail.push_str(&extra);
        }
        AuditEntry {
            account_id: (!self.account.is_empty()).then_some(self.account),
            device_id: (!self.device_id.is_empty()).then_some(self.device_id),
            challenge_id: Some(&self.challenge.id),
            ip: Some(&self.client.ip),
            user_agent: Some(&self.client.summary),
            detail: Some(detail),
            ..AuditEntry::new(now, event, self.actor)
        }
    }
}

fn decode_signature(text: &str) -> Result<Vec<u8>, ApiError> {
    b64_decode(text)
        .filter(|s| s.len() == SIGNATURE_LEN)
        .ok_or(ApiError::BadRequest(BadRequest::Signature))
}

/// The account and its device named by a phone: 404 unless the device belongs to an enabled
/// account, 403 when that device was revoked.
async fn resolve_device(
    app: &AppState,
    account: &str,
    device_id: &str,
) -> Result<(Account, Device), ApiError> {
    if !is_valid_account(account) || !is_valid_id(device_id) {
        return Err(ApiError::UnknownAccount);
    }
    let (account, device) = app
        .store
        .account_with_device(account, device_id)
        .await?
        .filter(|(account, _)| account.is_enabled())
        .ok_or(ApiError::UnknownAccount)?;
    match device {
        Some(device) if device.is_active() => Ok((account, device)),
        Some(_) => Err(ApiError::DeviceRevoked),
        // Unknown, or another account's.
        None => Err(ApiError::UnknownAccount),
    }
}

/// Appends one audit row in its own transaction.
async fn audit_only(
    app: &AppState,
    ctx: &AnswerContext<'_>,
    event: AuditEvent,
    extra: Option<String>,
) -> Result<(), ApiError> {
    let mut tx = app.store.begin_write().await?;
    tx.audit(&ctx.entry(app.now(), event, extra)).await?;
    tx.commit().await?;
    Ok(())
}

/// Refuses an attempt on a blocked account (audited, not counted; the challenge ends
/// `blocked`).
async fn refuse_blocked(app: &AppState, ctx: &AnswerContext<'_>, refused: Refused) -> ApiError {
    tracing::warn!(account = %ctx.account, "attempt on a blocked account refused");
    match try_refuse_blocked(app, ctx, refused.block).await {
        Ok(()) => ApiError::blocked(refused.block, app.now()),
        Err(e) => e,
    }
}

async fn try_refuse_blocked(
    app: &AppState,
    ctx: &AnswerContext<'_>,
    block: Block,
) -> Result<(), ApiError> {
    let now = app.now();
    let mut tx = app.store.begin_write().await?;
    tx.audit(&ctx.entry(now, AuditEvent::RefusedBlocked, None))
        .await?;
    let ended = end_blocked(&mut tx, ctx, block, now).await?;
    tx.commit().await?;
    if ended {
        app.hub.notify(&ctx.challenge.id);
    }
    Ok(())
}

/// Ends the challenge answered by a blocked account as `blocked` (when still open). True
/// when it did: once committed, the browser showing the QR is to be notified.
async fn end_blocked(
    tx: &mut WriteTx,
    ctx: &AnswerContext<'_>,
    block: Block,
    now: i64,
) -> Result<bool, ApiError> {
    Ok(tx
        .block_challenge(&ctx.challenge.id, ctx.account, now, block.until)
        .await?)
}

/// Counts a wrong answer (one transaction: counter, block, audit) and returns the reply.
async fn record_failure(app: &AppState, ctx: &AnswerContext<'_>) -> ApiError {
    match try_record_failure(app, ctx).await {
        Ok(reply) | Err(reply) => reply,
    }
}

async fn try_record_failure(app: &AppState, ctx: &AnswerContext<'_>) -> Result<ApiError, ApiError> {
    let now = app.now();
    let mut tx = app.store.begin_write().await?;
    // Read again inside the transaction: concurrent failures must all be counted.
    let account = tx
        .account(ctx.account)
        .await?
        .ok_or(ApiError::UnknownAccount)?;
    let mut ended = false;
    let reply = match app.lockout.after_failure(account.lock_state(), now) {
        FailureVerdict::Counted {
            next,
            attempts_left,
        } => {
            tx.set_lock_state(ctx.account, next).await?;
            tx.audit(&ctx.entry(
                now,
                AuditEvent::ResponseFailed,
                Some(format!("attempts_left={attempts_left}")),
            ))
            .await?;
            tracing::info!(account = %ctx.account, attempts_left, via = ctx.via(), "wrong answer");
            ApiError::InvalidResponse {
                attempts_left: Some(attempts_left),
                kind: ctx.kind,
            }
        }
        FailureVerdict::NowBlocked { next, block } => {
            tx.set_lock_state(ctx.account, next).await?;
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
                account = %ctx.account,
                permanent = block.is_permanent(),
                "account blocked after too many failed answers"
            );
            ended = end_blocked(&mut tx, ctx, block, now).await?;
            ApiError::blocked(block, now)
        }
        FailureVerdict::AlreadyBlocked { block } => {
            tx.audit(&ctx.entry(now, AuditEvent::RefusedBlocked, None))
                .await?;
            ended = end_blocked(&mut tx, ctx, block, now).await?;
            ApiError::blocked(block, now)
        }
    };
    tx.commit().await?;
    if ended {
        app.hub.notify(&ctx.challenge.id);
    }
    Ok(reply)
}

/// Approves the challenge for the account: one transaction (shared with the approvals
/// committed at the same moment) re-checks the account, the lockout and the device, consumes
/// the challenge exactly once, resets the counter and audits.
async fn approve(app: &AppState, ctx: &AnswerContext<'_>) -> Result<Outcome, ApiError> {
    let now = app.now();
    let approval = Approval {
        challenge_id: ctx.challenge.id.clone(),
        account_id: ctx.account.to_owned(),
        device_id: ctx.device_id.to_owned(),
        now,
        actor: ctx.actor,
        ip: ctx.client.ip.clone(),
        user_agent: ctx.client.summary.clone(),
        detail: format!("via={}", ctx.via()),
    };
    // In its own task: once queued, the approval may be committed with others even if this
    // request is cancelled, and its browser must still be notified.
    let (store, hub, policy) = (app.store.clone(), app.hub.clone(), app.lockout);
    let outcome = tokio::spawn(async move {
        let challenge = approval.challenge_id.clone();
        let outcome = store.approve(approval, &policy).await;
        if outcome.as_ref().is_ok_and(|o| o.changed_challenge()) {
            hub.notify(&challenge);
        }
        outcome
    })
    .await
    .map_err(|_| ApiError::Internal)??;
    match outcome {
        ApprovalOutcome::Approved => {
            // Debug only: approvals are the hot path, and the audit trail records each.
            tracing::debug!(account = %ctx.account, challenge = %ctx.challenge.id, via = ctx.via(), "login approved");
            Ok(Outcome {
                state: ChallengeState::Approved,
                account: ctx.account.to_owned(),
            })
        }
        // Disabled by an administrator since the first check: like an unknown account.
        ApprovalOutcome::UnknownAccount => Err(ApiError::UnknownAccount),
        ApprovalOutcome::DeviceRevoked => Err(ApiError::DeviceRevoked),
        // Blocked by a concurrent failure since the first check.
        ApprovalOutcome::Blocked { block, .. } => Err(ApiError::blocked(block, now)),
        ApprovalOutcome::ChallengeClosed => Err(closed_reason(app, &ctx.challenge.id).await),
    }
}

/// Why a challenge could not be consumed: 410 if it expired, 409 if it was decided.
async fn closed_reason(app: &AppState, id: &str) -> ApiError {
    match app.store.challenge(id).await {
        Ok(Some(challenge)) => match challenge.check_open(app.now()) {
            Err(closed) => closed.into(),
            Ok(()) => ApiError::ChallengeUsed,
        },
        Ok(None) => ApiError::UnknownChallenge,
        Err(e) => e.into(),
    }
}
