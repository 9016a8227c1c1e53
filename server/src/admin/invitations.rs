//! Enrollment invitations: invite (with a lifetime), the command line's `enroll` and
//! `bootstrap`, list, follow, cancel.

use tigr_core::ids::random_id;
use tigr_core::payload::{EnrollmentQr, Origin, QrPayload};

use crate::sealing::sha256;
use crate::storage::{AuditEvent, NewInvitation, WriteTx};

use super::model::{CreatedInvitation, Invitation, InvitationStatus};
use super::rules::{self, BOOTSTRAP_TTL, Role};
use super::{Actor, AdminError, AdminService, read_account};

impl AdminService {
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

    /// Sets up the first administrator (or an emergency access): creates the account `id`
    /// with the admin role (or gives an existing enabled account that role), cancels its
    /// pending invitations and issues a single-use setup invitation valid
    /// [`BOOTSTRAP_TTL`] seconds. Refused while an enabled administrator with an active
    /// phone exists, unless `force`. Audited as `admin_bootstrap`.
    pub async fn bootstrap(
        &self,
        actor: &Actor,
        id: &str,
        display_name: Option<&str>,
        force: bool,
    ) -> Result<CreatedInvitation, AdminError> {
        let id = rules::account_id(id)?;
        let name = display_name.map(rules::display_name).transpose()?;
        let origin = self.origin()?;
        let now = self.now();
        let who = actor.audit_name();
        let mut tx = self.store.begin_write().await?;
        let existing_admins = tx.count_admins_with_phone().await?;
        if existing_admins > 0 && !force {
            return Err(AdminError::AdminExists);
        }
        self.ensure_account(
            &mut tx,
            actor,
            &who,
            &id,
            name,
            Role::Admin,
            "bootstrap",
            now,
        )
        .await?;
        for invitation in tx.cancel_invitations_of(&id, now).await? {
            tx.audit(&actor.entry(
                &who,
                now,
                AuditEvent::EnrollmentCancelled,
                &id,
                format!("invitation={invitation} because=bootstrap"),
            ))
            .await?;
        }
        let created = self
            .issue_invitation(&mut tx, actor, &who, &origin, &id, BOOTSTRAP_TTL, now)
            .await?;
        tx.audit(&actor.entry(
            &who,
            now,
            AuditEvent::AdminBootstrap,
            &id,
            format!(
                "forced={force} admins_with_phone={existing_admins} invitation={}",
                created.invitation.id
            ),
        ))
        .await?;
        tx.commit().await?;
        tracing::info!(account = %id, actor = %who, forced = force, "administrator bootstrap");
        Ok(created)
    }
}
