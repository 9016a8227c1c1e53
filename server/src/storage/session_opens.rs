//! New web sessions, committed in groups.
//!
//! Opening a session is the last write of every browser login: alone, a transaction of six
//! round trips to the writer's thread (begin, read the account, check the approving phone,
//! insert, audit, commit) while every other writer waits. So, like approvals
//! (`approvals.rs`), openings queue on the writer (`writer.rs`), and whoever gets it commits
//! every opening waiting at that moment in one transaction of a fixed number of statements
//! ([`SessionOpens`]):
//!
//! 1. one `SELECT` of the accounts, each with whether the phone that approved the opening's
//!    challenge is still the account's active phone;
//! 2. per opening, in memory, the checks a lone opening makes, in the same order: account
//!    missing or disabled, then the phone; the session's end from the account read here;
//! 3. one multi-row `INSERT` of the sessions that passed, which skips a challenge that
//!    opened a session already (one session per challenge) and returns those it inserted;
//! 4. one multi-row audit `INSERT` of those; then `COMMIT`, and only then the callers.
//!
//! A round takes openings of distinct challenges only, so a second opening of the same
//! challenge finds the first committed and is refused, as it would be alone. A transaction
//! that fails is rolled back and its openings retried one by one (`writer.rs`). A browser
//! that holds a session already (re-authentication) takes the lone transaction of
//! [`super::WriteTx`] instead: it may end or renew that session.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use super::conn::{Conn, Flag};

use super::accounts::{ACCOUNT_COLUMNS, Account};
use super::audit::{Actor, AuditCounters, AuditEntry, AuditEvent, audit_and_commit};
use super::writer::{Batch, Tx, distinct_keys};
use super::{StorageError, Store, values_sql};

/// How long a session of an account lasts, in seconds, from the account as read when the
/// session opens (administrators' sessions are shorter).
pub type SessionLifetime = Arc<dyn Fn(&Account) -> i64 + Send + Sync>;

/// A session to open for an approved login.
pub struct SessionOpening {
    /// SHA-256 of the session id.
    pub id_hash: [u8; 32],
    /// The account.
    pub account_id: String,
    /// Login time.
    pub now: i64,
    /// The approved challenge (none for the OTP form).
    pub challenge_id: Option<String>,
    /// `qr`, `offline`, `cps`, `otp_email` or `otp_token`.
    pub method: &'static str,
    /// Approved by a phone: the phone that approved `challenge_id` at or after this time
    /// must still be the account's active phone (otherwise an approval made before a
    /// revocation would open a session after it).
    pub phone_approved_since: Option<i64>,
    /// The session's lifetime.
    pub lifetime: SessionLifetime,
    /// Browser IP.
    pub ip: String,
    /// Browser summary.
    pub user_agent: String,
    /// The OpenID Connect session id.
    pub sid: String,
}

impl fmt::Debug for SessionOpening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionOpening")
            .field("account_id", &self.account_id)
            .field("challenge_id", &self.challenge_id)
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

/// What became of one [`SessionOpening`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionOpened {
    /// Inserted and audited.
    Opened {
        /// The account, as read in the transaction.
        account: Box<Account>,
        /// The session's absolute end.
        expires_at: i64,
    },
    /// The account is missing or disabled (nothing written).
    AccountUnusable,
    /// The approving phone is not the account's active phone any more (nothing written).
    PhoneRevoked,
    /// The challenge opened a session already (nothing written).
    AlreadyOpened,
}

/// Openings, one transaction per round (see the module docs).
#[derive(Debug)]
pub(super) struct SessionOpens {
    pub(super) counters: Arc<AuditCounters>,
}

/// An account read in the round, with whether the opening's phone check passed.
#[derive(sqlx::FromRow)]
struct AccountCheck {
    /// Index of the opening in the round.
    opening: i64,
    #[sqlx(flatten)]
    account: Account,
    #[sqlx(try_from = "Flag")]
    phone_active: bool,
}

impl Batch for SessionOpens {
    type Item = SessionOpening;
    type Output = SessionOpened;

    fn picks<'a>(&self, waiting: impl Iterator<Item = &'a SessionOpening>) -> Vec<bool> {
        distinct_keys(waiting.map(|o| o.challenge_id.as_deref().map(str::as_bytes)))
    }

    async fn write(
        &self,
        conn: &mut Conn,
        round: &[&SessionOpening],
    ) -> Result<Vec<SessionOpened>, StorageError> {
        let mut tx = Tx::begin_with_first(conn).await?;
        let mut checks = read_accounts(&mut tx, round).await?;
        let mut outcomes: Vec<SessionOpened> = round
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let Some(check) = checks.remove(&i).filter(|c| c.account.is_enabled()) else {
                    return SessionOpened::AccountUnusable;
                };
                if o.phone_approved_since.is_some() && !check.phone_active {
                    return SessionOpened::PhoneRevoked;
                }
                let expires_at = o.now + (o.lifetime)(&check.account);
                SessionOpened::Opened {
                    account: Box::new(check.account),
                    expires_at,
                }
            })
            .collect();
        let asked: Vec<(&SessionOpening, i64)> = round
            .iter()
            .zip(&outcomes)
            .filter_map(|(o, outcome)| match outcome {
                SessionOpened::Opened { expires_at, .. } => Some((*o, *expires_at)),
                _ => None,
            })
            .collect();
        let inserted = insert_sessions(&mut tx, &asked).await?;
        for (o, outcome) in round.iter().zip(&mut outcomes) {
            if matches!(outcome, SessionOpened::Opened { .. })
                && !inserted.contains(o.id_hash.as_slice())
            {
                *outcome = SessionOpened::AlreadyOpened;
            }
        }
        let details: Vec<String> = asked
            .iter()
            .map(|(o, _)| format!("method={}", o.method))
            .collect();
        let audit: Vec<AuditEntry<'_>> = asked
            .iter()
            .zip(details)
            .filter(|((o, _), _)| inserted.contains(o.id_hash.as_slice()))
            .map(|((o, _), detail)| AuditEntry {
                account_id: Some(&o.account_id),
                challenge_id: o.challenge_id.as_deref(),
                ip: Some(&o.ip),
                user_agent: Some(&o.user_agent),
                detail: Some(detail),
                ..AuditEntry::new(o.now, AuditEvent::WebLogin, Actor::Browser)
            })
            .collect();
        audit_and_commit(&mut tx, &audit).await?;
        self.counters
            .add(&audit.iter().map(|e| e.event).collect::<Vec<_>>());
        Ok(outcomes)
    }
}

impl Store {
    /// Opens the session of `opening` (see the module docs): re-checks the account and the
    /// approving phone, inserts the session unless its challenge opened one already, audits.
    /// Committed with the openings waiting at the same time.
    pub async fn open_web_session(
        &self,
        opening: SessionOpening,
    ) -> Result<SessionOpened, StorageError> {
        self.writer
            .submit(&self.queues.sessions, opening, || self.waiting_writes())
            .await
    }
}

/// The round's accounts, by index of the opening, each with whether the opening's approving
/// phone is still the account's active phone: one statement.
async fn read_accounts(
    conn: &mut Conn,
    round: &[&SessionOpening],
) -> Result<HashMap<usize, AccountCheck>, StorageError> {
    let head = "WITH q (opening, account_id, challenge_id, since) AS (";
    let tail = format!(
        ") SELECT q.opening, {ACCOUNT_COLUMNS}, q.since IS NOT NULL AND EXISTS (SELECT 1 \
         FROM audit JOIN devices ON devices.id = audit.device_id \
         WHERE audit.account_id = q.account_id AND audit.at >= q.since \
         AND audit.challenge_id = q.challenge_id AND audit.event = ? \
         AND devices.account_id = q.account_id AND devices.revoked_at IS NULL) AS phone_active \
         FROM q JOIN accounts ON accounts.id = q.account_id"
    );
    let sql = values_sql(head, &tail, 4, round.len());
    let mut query = sqlx::query_as::<_, AccountCheck>(&sql);
    for (i, o) in round.iter().enumerate() {
        query = query
            .bind(i64::try_from(i).unwrap_or(i64::MAX))
            .bind(&o.account_id)
            .bind(&o.challenge_id)
            .bind(o.phone_approved_since);
    }
    let rows = query
        .bind(AuditEvent::Approved.as_str())
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| Some((usize::try_from(row.opening).ok()?, row)))
        .collect())
}

/// Inserts the sessions (each with its end) whose challenge opened none yet; returns the
/// id hashes inserted.
async fn insert_sessions(
    conn: &mut Conn,
    sessions: &[(&SessionOpening, i64)],
) -> Result<HashSet<Vec<u8>>, StorageError> {
    if sessions.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = values_sql(
        "INSERT INTO web_sessions (id_hash, account_id, created_at, last_seen_at, expires_at, \
         challenge_id, method, ip, user_agent, sid, auth_time)",
        "ON CONFLICT (challenge_id) DO NOTHING RETURNING id_hash",
        11,
        sessions.len(),
    );
    let mut query = sqlx::query_scalar::<_, Vec<u8>>(&sql);
    for (o, expires_at) in sessions {
        query = query
            .bind(o.id_hash.as_slice())
            .bind(&o.account_id)
            .bind(o.now)
            .bind(o.now)
            .bind(*expires_at)
            .bind(&o.challenge_id)
            .bind(o.method)
            .bind(&o.ip)
            .bind(&o.user_agent)
            .bind(&o.sid)
            .bind(o.now);
    }
    Ok(query.fetch_all(&mut *conn).await?.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::super::{enroll, temporary_store as store};
    use super::*;

    const NOW: i64 = 1_700_000_000;

    /// The account `account` with the active phone `D-<account>`, which approved the
    /// challenge `C-<account>` at `NOW - 5`.
    async fn approved(store: &Store, account: &str) {
        enroll(store, account, NOW - 100).await;
        let device = format!("D-{account}");
        let challenge = format!("C-{account}");
        let mut tx = store.begin_write().await.expect("begin");
        tx.audit(&AuditEntry {
            account_id: Some(account),
            device_id: Some(&device),
            challenge_id: Some(&challenge),
            ..AuditEntry::new(NOW - 5, AuditEvent::Approved, Actor::Phone)
        })
        .await
        .expect("approval");
        tx.commit().await.expect("commit");
    }

    fn opening(account: &str, n: u8) -> SessionOpening {
        SessionOpening {
            id_hash: [n; 32],
            account_id: account.into(),
            now: NOW,
            challenge_id: Some(format!("C-{account}")),
            method: "qr",
            phone_approved_since: Some(NOW - 60),
            lifetime: Arc::new(|account| if account.role == "admin" { 600 } else { 3600 }),
            ip: "127.0.0.1".into(),
            user_agent: "Firefox".into(),
            sid: format!("sid-{n}"),
        }
    }

    async fn web_logins(store: &Store) -> usize {
        store
            .audit_trail(None, 1000)
            .await
            .expect("audit")
            .iter()
            .filter(|r| r.event == AuditEvent::WebLogin.as_str())
            .count()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_challenge_opens_one_session_of_concurrent_completions() {
        let (_dir, store) = store().await;
        let accounts: Vec<String> = (0..8).map(|i| format!("acct{i}")).collect();
        for account in &accounts {
            approved(&store, account).await;
        }
        // Three completions of each account's challenge at once.
        let tasks: Vec<_> = (0..24u8)
            .map(|n| {
                let store = store.clone();
                let account = accounts[usize::from(n % 8)].clone();
                tokio::spawn(async move { store.open_web_session(opening(&account, n)).await })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.expect("task").expect("open"));
        }
        for i in 0..8usize {
            let opened: Vec<_> = [i, i + 8, i + 16]
                .into_iter()
                .filter(|n| matches!(outcomes[*n], SessionOpened::Opened { .. }))
                .collect();
            assert_eq!(opened.len(), 1, "account {i}: {outcomes:?}");
            for n in [i, i + 8, i + 16] {
                let stored = store
                    .web_session_and_account(super::super::SessionKey::IdHash(
                        &[u8::try_from(n).expect("small"); 32],
                    ))
                    .await
                    .expect("read");
                assert_eq!(stored.is_some(), n == opened[0]);
                if n != opened[0] {
                    assert_eq!(outcomes[n], SessionOpened::AlreadyOpened);
                }
            }
        }
        assert_eq!(web_logins(&store).await, 8);
    }

    #[tokio::test]
    async fn one_round_checks_each_opening_on_its_own() {
        let (_dir, store) = store().await;
        for account in ["ok", "admin", "disabled", "revoked"] {
            approved(&store, account).await;
        }
        let mut tx = store.begin_write().await.expect("begin");
        tx.revoke_active_devices("revoked", NOW - 1, "lost")
            .await
            .expect("revoke");
        tx.commit().await.expect("commit");
        let mut conn = store.writer.lock_owned().await;
        sqlx::query("UPDATE accounts SET role = 'admin' WHERE id = 'admin'")
            .execute(&mut *conn)
            .await
            .expect("role");
        sqlx::query("UPDATE accounts SET disabled_at = 1 WHERE id = 'disabled'")
            .execute(&mut *conn)
            .await
            .expect("disable");
        let otp = SessionOpening {
            challenge_id: None,
            method: "otp_email",
            phone_approved_since: None,
            ..opening("revoked", 6)
        };
        let round = [
            opening("ok", 1),
            opening("admin", 2),
            opening("disabled", 3),
            opening("revoked", 4),
            opening("nobody", 5),
            otp,
        ];
        let outcomes = SessionOpens {
            counters: Arc::clone(&store.audit_counters),
        }
        .write(&mut conn, &round.iter().collect::<Vec<_>>())
        .await
        .expect("round");
        drop(conn);
        let ends: Vec<Option<i64>> = outcomes
            .iter()
            .map(|o| match o {
                SessionOpened::Opened { expires_at, .. } => Some(*expires_at),
                _ => None,
            })
            .collect();
        assert_eq!(
            ends,
            [
                Some(NOW + 3600),
                Some(NOW + 600),
                None,
                None,
                None,
                Some(NOW + 3600)
            ]
        );
        assert_eq!(outcomes[2], SessionOpened::AccountUnusable);
        assert_eq!(outcomes[3], SessionOpened::PhoneRevoked, "revoked phone");
        assert_eq!(outcomes[4], SessionOpened::AccountUnusable, "no account");
        assert_eq!(web_logins(&store).await, 3);
        assert_eq!(
            store
                .open_web_session(opening("ok", 7))
                .await
                .expect("again"),
            SessionOpened::AlreadyOpened
        );
    }
}
