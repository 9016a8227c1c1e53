//! Enrollment of a phone: lookup of the code (what the phone shows before the PIN is chosen)
//! and completion (the phone registers its keys).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use tigr_core::ids::{is_valid_id, random_id};
use tigr_core::offline::OFFLINE_SUITE;
use tigr_core::wire::{
    EnrollmentCompleteRequest, EnrollmentLookupRequest, EnrollmentOffer, EnrollmentResult,
};

use crate::domain::enrollment::{CodeStatus, EnrollmentCode, validate_registration};
use crate::sealing::sha256;
use crate::storage::{Actor, AuditEntry, AuditEvent, NewDevice};

use super::AppState;
use super::error::{ApiError, BadRequest};
use super::extract::{ApiJson, ClientInfo};

/// Why a previous device is revoked by a new enrollment.
pub const REVOKED_REPLACED: &str = "replaced";

fn check_usable(code: Option<EnrollmentCode>, now: i64) -> Result<EnrollmentCode, ApiError> {
    let code = code.ok_or(ApiError::UnknownEnrollment)?;
    match code.status(now) {
        CodeStatus::Usable => Ok(code),
        CodeStatus::Used => Err(ApiError::EnrollmentUsed),
        CodeStatus::Expired => Err(ApiError::EnrollmentExpired),
        CodeStatus::Cancelled => Err(ApiError::EnrollmentCancelled),
    }
}

fn code_hash(code: &str) -> Result<[u8; 32], ApiError> {
    if is_valid_id(code) {
        Ok(sha256(code.as_bytes()))
    } else {
        Err(ApiError::UnknownEnrollment)
    }
}

/// `POST /api/v1/enrollments/lookup`.
pub async fn lookup(
    State(app): State<AppState>,
    ApiJson(request): ApiJson<EnrollmentLookupRequest>,
) -> Result<Json<EnrollmentOffer>, ApiError> {
    let hash = code_hash(&request.code)?;
    let code = check_usable(app.store.enrollment(&hash).await?, app.now())?;
    let account = app
        .store
        .account(&code.account_id)
        .await?
        .ok_or(ApiError::UnknownEnrollment)?;
    if !account.is_enabled() {
        return Err(ApiError::EnrollmentCancelled);
    }
    Ok(Json(EnrollmentOffer {
        account: account.id,
        display_name: account.display_name,
        service_name: app.service_name.clone(),
        expires_at: code.expires_at,
        ocra_suite: OFFLINE_SUITE.to_owned(),
    }))
}

/// `POST /api/v1/enrollments/complete`: one transaction consumes the code, revokes the
/// account's current phone (one phone per account), stores the new one and audits both.
pub async fn complete(
    State(app): State<AppState>,
    client: ClientInfo,
    ApiJson(request): ApiJson<EnrollmentCompleteRequest>,
) -> Result<(StatusCode, Json<EnrollmentResult>), ApiError> {
    let hash = code_hash(&request.code)?;
    let registration = validate_registration(&request).map_err(BadRequest::Registration)?;
    let now = app.now();
    let mut tx = app.store.begin_write().await?;
    let code = check_usable(tx.enrollment(&hash).await?, now)?;
    // A disabled account enrolls no phone (its codes are cancelled when it is disabled;
    // this also covers a code issued by an older version).
    if !tx
        .account(&code.account_id)
        .await?
        .is_some_and(|account| account.is_enabled())
    {
        return Err(ApiError::EnrollmentCancelled);
    }
    if !tx.consume_enrollment(&hash, now).await? {
        return Err(ApiError::EnrollmentUsed);
    }
    let account = code.account_id;
    let device_id = random_id(app.random.as_ref());
    let sealed = app.sealer.seal_offline_secret(
        app.random.as_ref(),
        &account,
        &device_id,
        &registration.offline_secret,
    );
    for old in tx
        .revoke_active_devices(&account, now, REVOKED_REPLACED)
        .await?
    {
        tx.audit(&entry(
            now,
            AuditEvent::DeviceRevoked,
            &account,
            &old,
            &client,
            format!("reason={REVOKED_REPLACED} by={device_id}"),
        ))
        .await?;
    }
    tx.insert_device(&NewDevice {
        id: &device_id,
        account_id: &account,
        name: &registration.device_name,
        approval_key: &registration.approval_key,
        identity_key: &registration.identity_key,
        offline_secret_enc: &sealed,
        ocra_suite: &registration.ocra_suite,
        enrolled_at: now,
    })
    .await?;
    tx.link_enrollment_device(&hash, &device_id).await?;
    tx.audit(&entry(
        now,
        AuditEvent::Enrolled,
        &account,
        &device_id,
        &client,
        format!("device_name={:?}", registration.device_name),
    ))
    .await?;
    tx.commit().await?;
    // Wakes the admin page that shows this account's invitation.
    app.hub
        .notify(&crate::web::admin::enrollment_topic(&account));
    tracing::info!(account = %account, device = %device_id, "phone enrolled");
    Ok((
        StatusCode::CREATED,
        Json(EnrollmentResult {
            account,
            device_id,
            service_name: app.service_name.clone(),
        }),
    ))
}

fn entry<'a>(
    now: i64,
    event: AuditEvent,
    account: &'a str,
    device: &'a str,
    client: &'a ClientInfo,
    detail: String,
) -> AuditEntry<'a> {
    AuditEntry {
        account_id: Some(account),
        device_id: Some(device),
        ip: Some(&client.ip),
        user_agent: Some(&client.summary),
        detail: Some(detail),
        ..AuditEntry::new(now, event, Actor::Phone)
    }
}
