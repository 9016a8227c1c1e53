//! Enrollment invitations as the end-to-end suites create them (what `tigr-server enroll`
//! does, through [`crate::admin::AdminService::enroll`]).

use anyhow::Context as _;

use crate::admin::{Actor, AdminService};
use crate::config::Config;

/// A fresh enrollment code for an account, as a QR payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentInvite {
    /// The account (Tigr ID).
    pub account: String,
    /// The text of the enrollment QR code (`<origin>/t/1/E/<code>`).
    pub qr_payload: String,
    /// When the code stops working (Unix seconds).
    pub expires_at: i64,
}

/// Creates the account if missing (or updates its display name when one is given) and a
/// fresh single-use enrollment code, valid for `config.enrollment_ttl` seconds. Only the
/// code's SHA-256 is stored. The origin is the configuration's public URL (for a port-0
/// configuration, that of the server started with it or a clone of it). Audited as the
/// Unix user running the process (`cli:<user>`).
pub async fn create_enrollment(
    config: &Config,
    account: &str,
    display_name: Option<&str>,
) -> anyhow::Result<EnrollmentInvite> {
    let service = AdminService::open(config)
        .await
        .with_context(|| format!("cannot open the database {}", config.database_shown()))?;
    let created = service
        .enroll(&Actor::cli_from_env(), account, display_name, None)
        .await;
    service.close().await;
    let created = created?;
    Ok(EnrollmentInvite {
        account: created.invitation.account_id,
        qr_payload: created.qr_payload,
        expires_at: created.invitation.expires_at,
    })
}
