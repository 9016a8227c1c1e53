//! A phone's enrollment with an invitation: the lookup of its code (what the phone shows
//! before the PIN is chosen) and the completion (the phone registers its keys).

use tigr_core::ids::{is_valid_id, random_id};
use tigr_core::offline::OFFLINE_SUITE;
use tigr_core::wire::{EnrollmentCompleteRequest, EnrollmentOffer, EnrollmentResult};

use crate::domain::enrollment::{CodeStatus, EnrollmentCode, validate_registration};
use crate::hub::Topic;
use crate::sealing::sha256;
use crate::storage::{Actor, AuditEntry, AuditEvent, NewDevice};

use super::{ClientInfo, LoginError, LoginService};

/// Why a previous phone is revoked by a new enrollment, as stored.
pub const REVOKED_REPLACED: &str = "replaced";

fn check_usable(code: Option<EnrollmentCode>, now: i64) -> Result<EnrollmentCode, LoginError> {
    let code = code.ok_or(LoginError::UnknownInvitation)?;
    match code.status(now) {
        CodeStatus::Usable => Ok(code),
        CodeStatus::Used => Err(LoginError::InvitationUsed),
        CodeStatus::Expired => Err(LoginError::InvitationExpired),
        CodeStatus::Cancelled => Err(LoginError::InvitationCancelled),
    }
}

fn code_hash(code: &str) -> Result<[u8; 32], LoginError> {
    if is_valid_id(code) {
        Ok(sha256(code.as_bytes()))
    } else {
        Err(LoginError::UnknownInvitation)
    }
}

impl LoginService {
    /// What the phone shows before the PIN is chosen: the account, its holder, the service.
    pub async fn lookup_invitation(&self, code: &str) -> Result<EnrollmentOffer, LoginError> {
        let hash = code_hash(code)?;
        let code = check_usable(self.store.enrollment(&hash).await?, self.now())?;
        let account = self
            .store
            .account(&code.account_id)
            .await?
            .ok_or(LoginError::UnknownInvitation)?;
        if !account.is_enabled() {
            return Err(LoginError::InvitationCancelled);
        }
        Ok(EnrollmentOffer {
            account: account.id,
            display_name: account.display_name,
            service_name: self.service_name.clone(),
            expires_at: code.expires_at,
            ocra_suite: OFFLINE_SUITE.to_owned(),
        })
    }

    /// Enrolls the phone of `request`: one transaction consumes the invitation, revokes the
    /// account's current phone (one phone per account) and ends the web sessions it opened,
    /// stores the new one and audits both;
    /// then wakes the admin page that shows the account's invitation.
    pub async fn enroll(
        &self,
        request: &EnrollmentCompleteRequest,
        client: &ClientInfo,
    ) -> Result<EnrollmentResult, LoginError> {
        let hash = code_hash(&request.code)?;
        let registration = validate_registration(request)?;
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let code = check_usable(tx.enrollment(&hash).await?, now)?;
        // A disabled account enrolls no phone (its invitations are cancelled when it is
        // disabled; this also covers a code issued by an older version).
        if !tx
            .account(&code.account_id)
            .await?
            .is_some_and(|account| account.is_enabled())
        {
            return Err(LoginError::InvitationCancelled);
        }
        if !tx.consume_enrollment(&hash, now).await? {
            return Err(LoginError::InvitationUsed);
        }
        let account = code.account_id;
        let device_id = random_id(self.random.as_ref());
        let sealed = self.sealer.seal_offline_secret(
            self.random.as_ref(),
            &account,
            &device_id,
            &registration.offline_secret,
        );
        let replaced = tx
            .revoke_active_devices(&account, now, REVOKED_REPLACED)
            .await?;
        // The replaced phone's web sessions end with it (one phone per account: it opened
        // every session of the account).
        let sessions_ended = if replaced.is_empty() {
            0
        } else {
            tx.delete_web_sessions_of(&account, now).await?
        };
        for old in replaced {
            let mut detail = format!("reason={REVOKED_REPLACED} by={device_id}");
            if sessions_ended > 0 {
                detail.push_str(&format!(" sessions_ended={sessions_ended}"));
            }
            tx.audit(&entry(
                now,
                AuditEvent::DeviceRevoked,
                &account,
                &old,
                client,
                detail,
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
            client,
            format!("device_name={:?}", registration.device_name),
        ))
        .await?;
        tx.commit().await?;
        self.hub.notify(&Topic::Invitations(account.clone()));
        tracing::info!(account = %account, device = %device_id, "phone enrolled");
        Ok(EnrollmentResult {
            account,
            device_id,
            service_name: self.service_name.clone(),
        })
    }
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
