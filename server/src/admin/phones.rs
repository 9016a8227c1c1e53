//! Phones and enrollment invitations: show, revoke, invite (with a lifetime), list, cancel,
//! and ask whether an invitation was used.

use tigr_core::ids::random_id;
use tigr_core::payload::{EnrollmentQr, Origin, QrPayload};

use crate::sealing::sha256;
use crate::storage::{AuditEvent, DeviceRow, InvitationRow, NewInvitation, WriteTx};

use super::accounts::read_account;
use super::rules::{self, Role};
use super::{Actor, AdminError, AdminService};

/// Why a phone was revoked by an administrator, as stored.
pub const REVOKED_BY_ADMIN: &str = "revoked_by_admin";

/// Whether a phone can still log in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneStatus {
    /// The account's phone.
    Active,
    /// No longer usable.
    Revoked {
        /// When.
        at: i64,
        /// Why (`replaced` by a new enrollment, `revoked_by_admin`).
        reason: String,
    },
}

/// An enrolled phone, as administrators see it (no keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    /// Device identifier.
    pub id: String,
    /// The account.
    pub account_id: String,
    /// Label given by the phone (e.g. "Pixel 8").
    pub name: String,
    /// Enrollment time.
    pub enrolled_at: i64,
    /// Active or revoked.
    pub status: PhoneStatus,
}

impl Phone {
    pub(super) fn active(id: String, account_id: String, name: String, enrolled_at: i64) -> Self {
        Self {
            id,
            account_id,
            name,
            enrolled_at,
            status: PhoneStatus::Active,
        }
    }

    /// True for the account's current phone.
    pub fn is_active(&self) -> bool {
        self.status == PhoneStatus::Active
    }
}

impl From<DeviceRow> for Phone {
    fn from(row: DeviceRow) -> Self {
        let status = match row.revoked_at {
            None => PhoneStatus::Active,
            Some(at) => PhoneStatus::Revoked {
                at,
                reason: row.revoked_reason.unwrap_or_default(),
            },
        };
        Self {
            id: row.id,
            account_id: row.account_id,
            name: row.name,
            enrolled_at: row.enrolled_at,
            status,
        }
    }
}

/// Where an invitation stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvitationStatus {
    /// Waiting for a phone until `expires_at`.
    Pending {
        /// Expiry (exclusive).
        expires_at: i64,
    },
    /// A phone used it: enrollment completed.
    Completed {
        /// When.
        at: i64,
        /// The phone it enrolled.
        device_id: Option<String>,
    },
    /// Unused, too late.
    Expired {
        /// When it expired.
        at: i64,
    },
    /// Cancelled by an administrator.
    Cancelled {
        /// When.
        at: i64,
    },
}

impl InvitationStatus {
    /// `pending`, `completed`, `expired` or `cancelled`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pending { .. } => "pending",
            Self::Completed { .. } => "completed",
            Self::Expired { .. } => "expired",
            Self::Cancelled { .. } => "cancelled",
        }
    }
}

/// An enrollment invitation (its code is never readable again after creation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// Public identifier (to list, follow and cancel it).
    pub id: String,
    /// The account.
    pub account_id: String,
    /// Creation time.
    pub created_at: i64,
    /// Expiry (exclusive).
    pub expires_at: i64,
    /// Who issued it (`cli:<user>`, `web:<account>`), unknown for old codes.
    pub created_by: Option<String>,
    /// Where it stands at the time it was read.
    pub status: InvitationStatus,
}

impl Invitation {
    pub(super) fn from_row(row: InvitationRow, now: i64) -> Self {
        let status = if let Some(at) = row.used_at {
            InvitationStatus::Completed {
                at,
                device_id: row.device_id,
            }
        } else if let Some(at) = row.cancelled_at {
            InvitationStatus::Cancelled { at }
        } else if now >= row.expires_at {
            InvitationStatus::Expired { at: row.expires_at }
        } else {
            InvitationStatus::Pending {
                expires_at: row.expires_at,
            }
        };
        Self {
            id: row.invitation_id,
            account_id: row.account_id,
            created_at: row.created_at,
            expires_at: row.expires_at,
            created_by: row.created_by,
            status,
        }
    }
}

/// A new invitation and the only copy of its QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedInvitation {
    /// The invitation.
    pub invitation: Invitation,
    /// The text of the enrollment QR code (`<origin>/t/1/E/<code>`); shown once.
    pub qr_payload: String,
}

impl AdminService {
    /// Every phone the account enrolled, newest first.
    pub async fn phones(&self, id: &str) -> Result<Vec<Phone>, AdminError> {
        let account = self.account(id).await?;
        Ok(self
            .store
            .devices_of(&account.id)
            .await?
            .into_iter()
            .map(Phone::from)
            .collect())
    }

    /// The account's active phone, if any.
    pub async fn active_phone(&self, id: &str) -> Result<Option<Phone>, AdminError> {
        Ok(self.phones(id).await?.into_iter().find(Phone::is_active))
    }

    /// Revokes the account's phone at once (lost or stolen): its next answer gets 403
    /// `device_revoked`, its offline codes stop working. Pending invitations stay valid, so
    /// that a replacement phone can be enrolled.
    pub async fn revoke_phone(
        &self,
        actor: &Actor,
        id: &str,
        reason: Option<&str>,
    ) -> Result<Phone, AdminError> {
        let id = rules::account_id(id)?;
        let note = rules::reason(reason)?;
        let now = self.now();
        let who = actor.audit_name();
        let mut tx = self.store.begin_write().await?;
        read_account(&mut tx, &id).await?;
        let device = tx
            .active_device_row(&id)
            .await?
            .ok_or_else(|| AdminError::NoActivePhone(id.clone()))?;
        tx.revoke_active_devices(&id, now, REVOKED_BY_ADMIN).await?;
        let mut detail = format!("reason={REVOKED_BY_ADMIN}");
        if let Some(note) = &note {
            detail.push_str(&format!(" note={note:?}"));
        }
        let mut entry = actor.entry(&who, now, AuditEvent::DeviceRevoked, &id, detail);
        entry.device_id = Some(&device.id);
        tx.audit(&entry).await?;
        tx.commit().await?;
        tracing::info!(account = %id, device = %device.id, actor = %who, "phone revoked");
        Ok(Phone {
            status: PhoneStatus::Revoked {
                at: now,
                reason: REVOKED_BY_ADMIN.to_owned(),
            },
            ..Phone::from(device)
        })
    }

    /// Issues a single-use enrollment invitation for an existing, enabled account, valid
    /// `ttl` seconds (default: the configured enrollment lifetime). Enrolling a phone with it
    /// replaces the account's current phone, only once the new one is enrolled.
    pub async fn create_invitation(
        &self,
        actor: &Actor,
        id: &str,
        ttl: Option<i64>,
    ) -> Result<CreatedInvitation, AdminError> {
        let id = rules::account_id(id)?;
        let ttl = rules::invitation_ttl(ttl, self.config.enrollment_ttl)?;
        let origin = self.origin()?;
        let now = self.now();
        let who = actor.audit_name();
        let mut tx = self.store.begin_write().await?;
        let account = read_account(&mut tx, &id).await?;
        if !account.is_enabled() {
            return Err(AdminError::AccountDisabled(id));
        }
        let created = self
            .issue_invitation(&mut tx, actor, &who, &origin, &id, ttl, now)
            .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// What `tigr-server enroll` does: creates the account if missing (role user, the display
    /// name or the Tigr ID as name) or updates its display name when one is given, then
    /// issues an invitation as [`AdminService::create_invitation`] does.
    pub async fn enroll(
        &self,
        actor: &Actor,
        id: &str,
        display_name: Option<&str>,
        ttl: Option<i64>,
    ) -> Result<CreatedInvitation, AdminError> {
        let id = rules::account_id(id)?;
        let name = display_name.map(rules::display_name).transpose()?;
        let ttl = rules::invitation_ttl(ttl, self.config.enrollment_ttl)?;
        let origin = self.origin()?;
        let now = self.now();
        let who = actor.audit_name();
        let mut tx = self.store.begin_write().await?;
        self.ensure_account(&mut tx, actor, &who, &id, name, Role::User, "enroll", now)
            .await?;
        let created = self
            .issue_invitation(&mut tx, actor, &who, &origin, &id, ttl, now)
            .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Invitations still usable now (of one account, or of all), newest first.
    pub async fn pending_invitations(
        &self,
        account: Option<&str>,
    ) -> Result<Vec<Invitation>, AdminError> {
        let account = account.map(rules::account_id).transpose()?;
        if let Some(id) = &account {
            self.account(id).await?;
        }
        let now = self.now();
        Ok(self
            .store
            .pending_invitations(account.as_deref(), now)
            .await?
            .into_iter()
            .map(|row| Invitation::from_row(row, now))
            .collect())
    }

    /// The invitation with its status now: "was the enrollment completed?" (for the admin
    /// page that waits for the phone).
    pub async fn invitation(&self, invitation_id: &str) -> Result<Invitation, AdminError> {
        let id = rules::invitation_id(invitation_id)?;
        let row = self
            .store
            .invitation(&id)
            .await?
            .ok_or(AdminError::UnknownInvitation(id))?;
        Ok(Invitation::from_row(row, self.now()))
    }

    /// Cancels a pending invitation (its QR code stops working at once).
    pub async fn cancel_invitation(
        &self,
        actor: &Actor,
        invitation_id: &str,
    ) -> Result<Invitation, AdminError> {
        let id = rules::invitation_id(invitation_id)?;
        let now = self.now();
        let who = actor.audit_name();
        let mut tx = self.store.begin_write().await?;
        let row = tx
            .invitation(&id)
            .await?
            .ok_or_else(|| AdminError::UnknownInvitation(id.clone()))?;
        let before = Invitation::from_row(row.clone(), now);
        if !matches!(before.status, InvitationStatus::Pending { .. }) {
            return Err(AdminError::InvitationNotPending {
                id,
                status: before.status.as_str(),
            });
        }
        if !tx.cancel_invitation(&id, now).await? {
            // Consumed by a phone since it was read: cannot happen inside BEGIN IMMEDIATE,
            // but the guarded UPDATE is what decides.
            return Err(AdminError::InvitationNotPending {
                id,
                status: "completed",
            });
        }
        tx.audit(&actor.entry(
            &who,
            now,
            AuditEvent::EnrollmentCancelled,
            &row.account_id,
            format!("invitation={id}"),
        ))
        .await?;
        tx.commit().await?;
        tracing::info!(invitation = %id, account = %row.account_id, actor = %who, "invitation cancelled");
        Ok(Invitation {
            status: InvitationStatus::Cancelled { at: now },
            ..before
        })
    }

    /// Cancels every pending invitation of an account; returns their identifiers (none is
    /// not an error).
    pub async fn cancel_invitations(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<Vec<String>, AdminError> {
        let id = rules::account_id(id)?;
        let now = self.now();
        let who = actor.audit_name();
        let mut tx = self.store.begin_write().await?;
        read_account(&mut tx, &id).await?;
        let cancelled = tx.cancel_invitations_of(&id, now).await?;
        for invitation in &cancelled {
            tx.audit(&actor.entry(
                &who,
                now,
                AuditEvent::EnrollmentCancelled,
                &id,
                format!("invitation={invitation}"),
            ))
            .await?;
        }
        tx.commit().await?;
        Ok(cancelled)
    }

    /// The origin QR codes carry.
    pub(super) fn origin(&self) -> Result<Origin, AdminError> {
        self.config
            .public_origin()
            .map_err(|e| AdminError::PublicUrl(e.to_string()))
    }

    /// Stores a fresh invitation (only the code's SHA-256) and audits it, inside `tx`.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn issue_invitation(
        &self,
        tx: &mut WriteTx,
        actor: &Actor,
        who: &str,
        origin: &Origin,
        account: &str,
        ttl: i64,
        now: i64,
    ) -> Result<CreatedInvitation, AdminError> {
        let code = random_id(self.config.random.as_ref());
        let invitation_id = random_id(self.config.random.as_ref());
        let expires_at = now + ttl;
        tx.insert_invitation(&NewInvitation {
            code_hash: &sha256(code.as_bytes()),
            invitation_id: &invitation_id,
            account_id: account,
            created_at: now,
            expires_at,
            created_by: who,
        })
        .await?;
        tx.audit(&actor.entry(
            who,
            now,
            AuditEvent::EnrollmentCreated,
            account,
            format!("invitation={invitation_id} expires_at={expires_at} ttl={ttl}"),
        ))
        .await?;
        tracing::info!(account, invitation = %invitation_id, actor = %who, "enrollment invitation created");
        Ok(CreatedInvitation {
            qr_payload: QrPayload::Enrollment(EnrollmentQr {
                origin: origin.clone(),
                code,
            })
            .to_string(),
            invitation: Invitation {
                id: invitation_id,
                account_id: account.to_owned(),
                created_at: now,
                expires_at,
                created_by: Some(who.to_owned()),
                status: InvitationStatus::Pending { expires_at },
            },
        })
    }
}
