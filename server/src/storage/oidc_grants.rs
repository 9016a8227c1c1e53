//! Codes and access tokens of OpenID Connect logins, committed in groups.
//!
//! An OpenID Connect login writes twice on the writer after the QR approval: the code (take
//! the kept request, store the code, record that the session signed in to the client, audit)
//! and the tokens (spend the code, store the access token, audit). Done alone, each is a
//! transaction of five or six round trips to the writer's thread while every other writer
//! waits. So, like approvals (`approvals.rs`), they queue on the writer (`writer.rs`), and
//! whoever gets it commits every grant of the same kind waiting at that moment in one
//! transaction of a fixed number of statements:
//!
//! * codes ([`CodeGrants`]): one `DELETE … RETURNING` of the kept requests, then for the
//!   grants whose request was still there (or that had none), one multi-row `INSERT` of the
//!   codes, one of the session's clients, one of the audit rows;
//! * tokens ([`TokenGrants`]): one `UPDATE … RETURNING` that spends the codes still unused
//!   (the single-use decision: a code is spent by this statement or not at all), then one
//!   multi-row `INSERT` of the access tokens and one of the audit rows, for the codes it
//!   spent.
//!
//! The grants of one transaction are independent: no two take the same kept request or spend
//! the same code (a later one waits for the next transaction, and finds it taken), so each
//! caller gets what it would get alone, in its turn. A transaction that fails is rolled back
//! and its grants retried one by one (`writer.rs`), so a bad one fails alone.

use std::collections::HashSet;
use std::sync::Arc;

use super::conn::Conn;

use crate::domain::oidc::token::StoredCode;

use super::audit::{Actor, AuditCounters, AuditEntry, AuditEvent, audit_and_commit};
use super::writer::{Batch, Tx, distinct_keys};
use super::{StorageError, Store, insert_rows};

/// Who asked, for the audit row of a grant.
#[derive(Debug, Clone)]
pub struct GrantRequester {
    /// Requester IP.
    pub ip: String,
    /// Requester browser summary (none for a client's back-channel request).
    pub user_agent: Option<String>,
    /// Audit detail (`client=… scope=…`).
    pub detail: String,
}

/// A code to store at the end of a login.
#[derive(Debug, Clone)]
pub struct CodeGrant {
    /// The kept authorization request this code answers, taken in the same transaction
    /// (`None`: the request came with a session already open).
    pub pending: Option<String>,
    /// SHA-256 of the code.
    pub code_hash: [u8; 32],
    /// The code's bindings.
    pub code: StoredCode,
    /// For the audit row.
    pub requester: GrantRequester,
}

/// What became of one [`CodeGrant`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeGrantOutcome {
    /// Stored, with the session's client and the audit row.
    Issued,
    /// The kept request was gone (expired, or taken by a concurrent resumption): nothing
    /// written.
    RequestGone,
}

/// Access tokens to issue for a code.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    /// SHA-256 of the code redeemed.
    pub code_hash: [u8; 32],
    /// The code's bindings (client, account, session, scope).
    pub code: StoredCode,
    /// SHA-256 of the access token.
    pub token_hash: [u8; 32],
    /// Redemption time.
    pub now: i64,
    /// Expiry of the access token.
    pub expires_at: i64,
    /// For the audit row (its actor is `client:<id>`).
    pub requester: GrantRequester,
}

/// What became of one [`TokenGrant`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenGrantOutcome {
    /// Code spent, access token stored, audited.
    Issued,
    /// The code was spent already (a replay, or a concurrent redemption): nothing written.
    CodeSpent,
}

/// Codes, one transaction per round (see the module docs).
#[derive(Debug)]
pub(super) struct CodeGrants {
    pub(super) counters: Arc<AuditCounters>,
}

/// Access tokens, one transaction per round (see the module docs).
#[derive(Debug)]
pub(super) struct TokenGrants {
    pub(super) counters: Arc<AuditCounters>,
}

impl Batch for CodeGrants {
    type Item = CodeGrant;
    type Output = CodeGrantOutcome;

    fn picks<'a>(&self, waiting: impl Iterator<Item = &'a CodeGrant>) -> Vec<bool> {
        distinct_keys(waiting.map(|g| g.pending.as_deref().map(str::as_bytes)))
    }

    async fn write(
        &self,
        conn: &mut Conn,
        round: &[&CodeGrant],
    ) -> Result<Vec<CodeGrantOutcome>, StorageError> {
        let mut tx = Tx::begin_with_first(conn).await?;
        let taken = take_pending(&mut tx, round).await?;
        let issued: Vec<&CodeGrant> = round
            .iter()
            .copied()
            .filter(|g| g.pending.as_ref().is_none_or(|id| taken.contains(id)))
            .collect();
        insert_codes(&mut tx, &issued).await?;
        insert_session_clients(&mut tx, &issued).await?;
        let audit: Vec<AuditEntry<'_>> = issued
            .iter()
            .map(|g| {
                g.requester.entry(
                    &g.code.account_id,
                    g.code.created_at,
                    AuditEvent::OidcAuthorized,
                    Actor::Browser.as_str(),
                )
            })
            .collect();
        audit_and_count(tx, &audit, &self.counters).await?;
        Ok(round
            .iter()
            .map(|g| match &g.pending {
                Some(id) if !taken.contains(id) => CodeGrantOutcome::RequestGone,
                _ => CodeGrantOutcome::Issued,
            })
            .collect())
    }
}

impl Batch for TokenGrants {
    type Item = TokenGrant;
    type Output = TokenGrantOutcome;

    fn picks<'a>(&self, waiting: impl Iterator<Item = &'a TokenGrant>) -> Vec<bool> {
        distinct_keys(waiting.map(|g| Some(g.code_hash.as_slice())))
    }

    async fn write(
        &self,
        conn: &mut Conn,
        round: &[&TokenGrant],
    ) -> Result<Vec<TokenGrantOutcome>, StorageError> {
        let mut tx = Tx::begin_with_first(conn).await?;
        let spent = spend_codes(&mut tx, round).await?;
        let issued: Vec<&TokenGrant> = round
            .iter()
            .copied()
            .filter(|g| spent.contains(g.code_hash.as_slice()))
            .collect();
        insert_access_tokens(&mut tx, &issued).await?;
        let actors: Vec<String> = issued
            .iter()
            .map(|g| format!("client:{}", g.code.client_id))
            .collect();
        let audit: Vec<AuditEntry<'_>> = issued
            .iter()
            .zip(&actors)
            .map(|(g, actor)| {
                g.requester.entry(
                    &g.code.account_id,
                    g.now,
                    AuditEvent::OidcTokensIssued,
                    actor,
                )
            })
            .collect();
        audit_and_count(tx, &audit, &self.counters).await?;
        Ok(round
            .iter()
            .map(|g| {
                if spent.contains(g.code_hash.as_slice()) {
                    TokenGrantOutcome::Issued
                } else {
                    TokenGrantOutcome::CodeSpent
                }
            })
            .collect())
    }
}

impl Store {
    /// Stores the code of `grant` (see the module docs): takes its kept request if it has
    /// one (it resumes once), stores the code, records that the session signed in to the
    /// client, audits. Committed with the codes waiting at the same time.
    pub async fn grant_oidc_code(
        &self,
        grant: CodeGrant,
    ) -> Result<CodeGrantOutcome, StorageError> {
        self.writer
            .submit(&self.queues.codes, grant, || self.waiting_writes())
            .await
    }

    /// Issues the access token of `grant` if its code is still unused (the single-use
    /// decision), audited. Committed with the tokens waiting at the same time.
    pub async fn grant_oidc_tokens(
        &self,
        grant: TokenGrant,
    ) -> Result<TokenGrantOutcome, StorageError> {
        self.writer
            .submit(&self.queues.tokens, grant, || self.waiting_writes())
            .await
    }
}

impl GrantRequester {
    /// The audit row of a grant to `account_id` by `actor`.
    fn entry<'a>(
        &'a self,
        account_id: &'a str,
        at: i64,
        event: AuditEvent,
        actor: &'a str,
    ) -> AuditEntry<'a> {
        AuditEntry {
            account_id: Some(account_id),
            ip: Some(&self.ip),
            user_agent: self.user_agent.as_deref(),
            detail: Some(self.detail.clone()),
            ..AuditEntry::by(at, event, actor)
        }
    }
}

/// Appends a round's audit rows, commits, then counts them.
async fn audit_and_count(
    mut tx: Tx<&mut Conn>,
    audit: &[AuditEntry<'_>],
    counters: &AuditCounters,
) -> Result<(), StorageError> {
    audit_and_commit(&mut tx, audit).await?;
    counters.add(&audit.iter().map(|e| e.event).collect::<Vec<_>>());
    Ok(())
}

/// Deletes the round's kept requests that have not expired; returns the ids deleted.
async fn take_pending(
    conn: &mut Conn,
    round: &[&CodeGrant],
) -> Result<HashSet<String>, StorageError> {
    let ids: Vec<(&str, i64)> = round
        .iter()
        .filter_map(|g| g.pending.as_deref().map(|id| (id, g.code.created_at)))
        .collect();
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = format!(
        "WITH q (id, now) AS (VALUES {}) DELETE FROM oidc_pending \
         WHERE id IN (SELECT q.id FROM q WHERE q.id = oidc_pending.id \
         AND oidc_pending.expires_at > q.now) RETURNING id",
        vec!["(?, ?)"; ids.len()].join(", ")
    );
    let mut query = sqlx::query_scalar::<_, String>(&sql);
    for (id, now) in ids {
        query = query.bind(id).bind(now);
    }
    Ok(query.fetch_all(&mut *conn).await?.into_iter().collect())
}

async fn insert_codes(conn: &mut Conn, grants: &[&CodeGrant]) -> Result<(), StorageError> {
    let head = "INSERT INTO oidc_codes (code_hash, client_id, account_id, sid, redirect_uri, \
                scope, nonce, code_challenge, auth_time, amr, acr, created_at, expires_at)";
    insert_rows(conn, (head, ""), 13, grants, |query, g| {
        let c = &g.code;
        query
            .bind(g.code_hash.as_slice())
            .bind(&c.client_id)
            .bind(&c.account_id)
            .bind(&c.sid)
            .bind(&c.redirect_uri)
            .bind(&c.scope)
            .bind(&c.nonce)
            .bind(&c.code_challenge)
            .bind(c.auth_time)
            .bind(&c.amr)
            .bind(&c.acr)
            .bind(c.created_at)
            .bind(c.expires_at)
    })
    .await
}

/// Records that each grant's session signed in to its client (once per pair).
async fn insert_session_clients(
    conn: &mut Conn,
    grants: &[&CodeGrant],
) -> Result<(), StorageError> {
    let head = "INSERT INTO oidc_session_clients (sid, client_id, account_id, first_at)";
    insert_rows(
        conn,
        (head, "ON CONFLICT DO NOTHING"),
        4,
        grants,
        |query, g| {
            let c = &g.code;
            query
                .bind(&c.sid)
                .bind(&c.client_id)
                .bind(&c.account_id)
                .bind(c.created_at)
        },
    )
    .await
}

/// Marks the round's codes used where they were not; returns the hashes this statement
/// spent.
async fn spend_codes(
    conn: &mut Conn,
    round: &[&TokenGrant],
) -> Result<HashSet<Vec<u8>>, StorageError> {
    let sql = format!(
        "WITH q (code_hash, now) AS (VALUES {}) UPDATE oidc_codes \
         SET used_at = (SELECT q.now FROM q WHERE q.code_hash = oidc_codes.code_hash) \
         WHERE code_hash IN (SELECT code_hash FROM q) AND used_at IS NULL \
         RETURNING code_hash",
        vec!["(?, ?)"; round.len()].join(", ")
    );
    let mut query = sqlx::query_scalar::<_, Vec<u8>>(&sql);
    for g in round {
        query = query.bind(g.code_hash.as_slice()).bind(g.now);
    }
    Ok(query.fetch_all(&mut *conn).await?.into_iter().collect())
}

async fn insert_access_tokens(conn: &mut Conn, grants: &[&TokenGrant]) -> Result<(), StorageError> {
    let head = "INSERT INTO oidc_access_tokens (token_hash, code_hash, client_id, account_id, \
                sid, scope, created_at, expires_at)";
    insert_rows(conn, (head, ""), 8, grants, |query, g| {
        let c = &g.code;
        query
            .bind(g.token_hash.as_slice())
            .bind(g.code_hash.as_slice())
            .bind(&c.client_id)
            .bind(&c.account_id)
            .bind(&c.sid)
            .bind(&c.scope)
            .bind(g.now)
            .bind(g.expires_at)
    })
    .await
}

#[cfg(test)]
mod tests {
    use crate::domain::oidc::{Client, sample_client};

    use super::super::{PendingRequest, temporary_store as store};
    use super::*;

    const NOW: i64 = 1_700_000_000;

    /// A store with the account `alice` and the client `svc`.
    async fn setup() -> (tempfile::TempDir, Store) {
        let (dir, store) = store().await;
        let mut tx = store.begin_write().await.expect("begin");
        tx.upsert_account("alice", None, NOW)
            .await
            .expect("account");
        let client = Client {
            secret_hash: Some(vec![7; 32]),
            ..sample_client("svc")
        };
        assert!(tx.insert_oidc_client(&client).await.expect("client"));
        tx.commit().await.expect("commit");
        (dir, store)
    }

    fn code(client_id: &str) -> StoredCode {
        StoredCode {
            client_id: client_id.into(),
            account_id: "alice".into(),
            sid: "sid-1".into(),
            redirect_uri: "https://svc.example/cb".into(),
            scope: "openid".into(),
            nonce: Some("n".into()),
            code_challenge: None,
            auth_time: NOW - 5,
            amr: "hwk pin".into(),
            acr: "tigr:qr".into(),
            created_at: NOW,
            expires_at: NOW + 60,
            used_at: None,
        }
    }

    fn requester() -> GrantRequester {
        GrantRequester {
            ip: "127.0.0.1".into(),
            user_agent: Some("Firefox".into()),
            detail: "client=svc".into(),
        }
    }

    fn code_grant(n: u8, pending: Option<&str>, client_id: &str) -> CodeGrant {
        CodeGrant {
            pending: pending.map(str::to_owned),
            code_hash: [n; 32],
            code: code(client_id),
            requester: requester(),
        }
    }

    fn token_grant(code_n: u8, token_n: u8) -> TokenGrant {
        TokenGrant {
            code_hash: [code_n; 32],
            code: code("svc"),
            token_hash: [token_n; 32],
            now: NOW + 1,
            expires_at: NOW + 301,
            requester: requester(),
        }
    }

    async fn keep_request(store: &Store, id: &str, expires_at: i64) {
        store
            .insert_oidc_pending(&PendingRequest {
                id: id.into(),
                browser_hash: vec![1; 32],
                client_id: "svc".into(),
                request: "{}".into(),
                created_at: NOW - 10,
                expires_at,
            })
            .await
            .expect("pending");
    }

    async fn audited(store: &Store, event: AuditEvent) -> usize {
        store
            .audit_trail(None, 1000)
            .await
            .expect("audit")
            .iter()
            .filter(|r| r.event == event.as_str())
            .count()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_codes_take_each_kept_request_once() {
        let (_dir, store) = setup().await;
        for i in 0..20 {
            keep_request(&store, &format!("p{i}"), NOW + 600).await;
        }
        keep_request(&store, "expired", NOW).await;
        // Each request resumed twice at once, and one expired.
        let mut grants: Vec<CodeGrant> = (0..40u8)
            .map(|n| code_grant(n, Some(&format!("p{}", n % 20)), "svc"))
            .collect();
        grants.push(code_grant(100, Some("expired"), "svc"));
        grants.push(code_grant(101, None, "svc"));
        let tasks: Vec<_> = grants
            .into_iter()
            .map(|g| {
                let store = store.clone();
                tokio::spawn(async move { store.grant_oidc_code(g).await })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.expect("task").expect("grant"));
        }
        let issued = outcomes
            .iter()
            .filter(|o| **o == CodeGrantOutcome::Issued)
            .count();
        assert_eq!(issued, 21, "one per kept request, plus the one without");
        assert_eq!(outcomes[40], CodeGrantOutcome::RequestGone, "expired");
        assert_eq!(outcomes[41], CodeGrantOutcome::Issued);
        for i in 0..20usize {
            let pair = [outcomes[i], outcomes[i + 20]];
            assert!(
                pair.contains(&CodeGrantOutcome::Issued)
                    && pair.contains(&CodeGrantOutcome::RequestGone),
                "request p{i}: {pair:?}"
            );
        }
        let mut stored = 0;
        for n in (0..40u8).chain([100, 101]) {
            stored += usize::from(store.oidc_code(&[n; 32]).await.expect("read").is_some());
        }
        assert_eq!(stored, 21, "a code is stored exactly when issued");
        assert_eq!(audited(&store, AuditEvent::OidcAuthorized).await, 21);
        assert_eq!(
            store.oidc_session_clients("sid-1").await.expect("clients"),
            ["svc"]
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_code_is_spent_by_exactly_one_of_concurrent_redemptions() {
        let (_dir, store) = setup().await;
        for n in 0..10u8 {
            let grant = code_grant(n, None, "svc");
            assert_eq!(
                store.grant_oidc_code(grant).await.expect("code"),
                CodeGrantOutcome::Issued
            );
        }
        // Three redemptions of each code at once.
        let tasks: Vec<_> = (0..30u8)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move { store.grant_oidc_tokens(token_grant(i % 10, i)).await })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.expect("task").expect("grant"));
        }
        for n in 0..10usize {
            let issued = [outcomes[n], outcomes[n + 10], outcomes[n + 20]]
                .iter()
                .filter(|o| **o == TokenGrantOutcome::Issued)
                .count();
            assert_eq!(issued, 1, "code {n}: {outcomes:?}");
            let stored = store
                .oidc_code(&[u8::try_from(n).expect("small"); 32])
                .await
                .expect("read")
                .expect("code");
            assert_eq!(stored.used_at, Some(NOW + 1));
        }
        let mut tokens = 0;
        for t in 0..30u8 {
            tokens += usize::from(
                store
                    .oidc_access_token(&[t; 32])
                    .await
                    .expect("read")
                    .is_some(),
            );
        }
        assert_eq!(tokens, 10, "a token is stored exactly when issued");
        assert_eq!(audited(&store, AuditEvent::OidcTokensIssued).await, 10);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_grant_that_cannot_be_written_fails_alone() {
        let (_dir, store) = setup().await;
        // A client that does not exist: the foreign key refuses the code.
        let tasks: Vec<_> = (0..12u8)
            .map(|n| {
                let store = store.clone();
                let client = if n == 5 { "gone" } else { "svc" };
                tokio::spawn(
                    async move { store.grant_oidc_code(code_grant(n, None, client)).await },
                )
            })
            .collect();
        let mut failed = Vec::new();
        for (n, task) in tasks.into_iter().enumerate() {
            match task.await.expect("task") {
                Ok(outcome) => assert_eq!(outcome, CodeGrantOutcome::Issued),
                Err(_) => failed.push(n),
            }
        }
        assert_eq!(failed, [5]);
        assert!(store.oidc_code(&[5; 32]).await.expect("read").is_none());
        assert_eq!(audited(&store, AuditEvent::OidcAuthorized).await, 11);
    }

    #[tokio::test]
    async fn one_round_decides_each_grant_on_its_own() {
        let (_dir, store) = setup().await;
        keep_request(&store, "open", NOW + 600).await;
        keep_request(&store, "expired", NOW).await;
        let counters = Arc::clone(&store.audit_counters);
        let codes = [
            code_grant(1, Some("open"), "svc"),
            code_grant(2, Some("expired"), "svc"),
            code_grant(3, None, "svc"),
            code_grant(4, Some("never kept"), "svc"),
        ];
        let mut conn = store.writer.lock_owned().await;
        let outcomes = CodeGrants {
            counters: Arc::clone(&counters),
        }
        .write(&mut conn, &codes.iter().collect::<Vec<_>>())
        .await
        .expect("codes");
        use CodeGrantOutcome::{Issued, RequestGone};
        assert_eq!(outcomes, [Issued, RequestGone, Issued, RequestGone]);

        let tokens = [token_grant(1, 11), token_grant(2, 12), token_grant(3, 13)];
        let outcomes = TokenGrants { counters }
            .write(&mut conn, &tokens.iter().collect::<Vec<_>>())
            .await
            .expect("tokens");
        drop(conn);
        use TokenGrantOutcome::{CodeSpent, Issued as TokenIssued};
        // Code 2 was never stored.
        assert_eq!(outcomes, [TokenIssued, CodeSpent, TokenIssued]);
        let again = store.grant_oidc_tokens(token_grant(3, 14)).await;
        assert_eq!(again.expect("replay"), CodeSpent);
        assert_eq!(audited(&store, AuditEvent::OidcAuthorized).await, 2);
        assert_eq!(audited(&store, AuditEvent::OidcTokensIssued).await, 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn kept_requests_are_written_together_and_a_bad_one_fails_alone() {
        let (_dir, store) = setup().await;
        let tasks: Vec<_> = (0..24)
            .map(|i| {
                let store = store.clone();
                // Request 7 names a client that does not exist: refused by its foreign key.
                let client_id = if i == 7 { "gone" } else { "svc" };
                let request = PendingRequest {
                    id: format!("k{i}"),
                    browser_hash: vec![u8::try_from(i).expect("small"); 32],
                    client_id: client_id.into(),
                    request: format!("{{\"n\":{i}}}"),
                    created_at: NOW,
                    expires_at: NOW + 600,
                };
                tokio::spawn(async move { store.insert_oidc_pending(&request).await })
            })
            .collect();
        let mut failed = Vec::new();
        for (i, task) in tasks.into_iter().enumerate() {
            if task.await.expect("task").is_err() {
                failed.push(i);
            }
        }
        assert_eq!(failed, [7]);
        for i in 0..24 {
            let kept = store
                .oidc_pending(&format!("k{i}"), NOW)
                .await
                .expect("read");
            match kept {
                Some(p) => assert_eq!(p.request, format!("{{\"n\":{i}}}")),
                None => assert_eq!(i, 7),
            }
        }
    }
}
