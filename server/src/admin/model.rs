//! What administrators see of phones and invitations: plain records read from storage,
//! with their status worked out at the time they were read.

use crate::storage::{DeviceRow, InvitationRow};

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
