//! Approvals of login challenges, committed in groups.
//!
//! An approval is the last write of a login and, done alone, the longest: begin, read the
//! account, check the device, consume the challenge, reset the counter, audit, commit — each
//! statement a round trip to the writer's thread, while every other writer waits. So, like
//! challenge inserts, approvals queue on the writer (`writer.rs`), and whoever gets it
//! commits every approval waiting at that moment in one transaction of a fixed number of
//! statements ([`Approvals`]):
//!
//! 1. one `SELECT` of the accounts, each with whether its device is still active;
//! 2. per approval, in memory, the checks a lone approval makes, in the same order: account
//!    missing or disabled, then the lockout ([`LockoutPolicy::after_success`]: the rule stays
//!    in `domain/`), then the device;
//! 3. the single-use `UPDATE` of the challenges (`challenges::decide`, each row with its own
//!    state, account and time) that returns the ids it changed: a challenge is consumed by
//!    this statement or not at all, exactly as by a lone decision;
//! 4. lockout writes only for the accounts whose state changes (a counter to reset);
//! 5. one multi-row audit `INSERT`; then `COMMIT`, and only then the cache and the callers.
//!
//! The approvals of one transaction are independent: at most one per account and one per
//! challenge. An approval sharing either with one waiting before it goes to the next
//! transaction, so the outcome is what the callers would get one after the other, in their
//! order. A transaction that fails is rolled back and its approvals retried one by one
//! (`writer.rs`), so a bad one fails alone.

use std::collections::HashSet;
use std::sync::Arc;

use super::conn::Conn;

use crate::domain::challenge::StoredState;
use crate::domain::lockout::{Block, LockState, LockoutPolicy};

use super::accounts::{read_accounts, write_lock_state};
use super::audit::{Actor, AuditCounters, AuditEntry, AuditEvent, audit_and_commit};
use super::challenges::{ChallengeCache, Decision, decide};
use super::writer::{Batch, MAX_BATCH, Tx};
use super::{StorageError, Store};

/// A checked answer to commit: a right signature or offline code for an open challenge.
#[derive(Debug, Clone)]
pub struct Approval {
    /// The challenge answered.
    pub challenge_id: String,
    /// The answering account.
    pub account_id: String,
    /// Its device.
    pub device_id: String,
    /// Time of the answer.
    pub now: i64,
    /// Who answered (phone or browser), for the audit row.
    pub actor: Actor,
    /// Requester IP, for the audit row.
    pub ip: String,
    /// Requester browser summary, for the audit row.
    pub user_agent: String,
    /// Audit detail (`via=signature`).
    pub detail: String,
}

/// What became of one [`Approval`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalOutcome {
    /// Committed: challenge approved, lockout counter reset, audited.
    Approved,
    /// The account is missing or was disabled since the first check (nothing written).
    UnknownAccount,
    /// The device is not the account's active device any more (nothing written).
    DeviceRevoked,
    /// The account is blocked: refused and audited; `ended` when the challenge was still
    /// open and now ended `blocked`.
    Blocked {
        /// The block in force.
        block: Block,
        /// The challenge ended `blocked` in this transaction.
        ended: bool,
    },
    /// The challenge was not open any more: decided, ended or expired (nothing written).
    ChallengeClosed,
}

impl ApprovalOutcome {
    /// True when the challenge changed state (the browser showing it is to be notified).
    pub fn changed_challenge(self) -> bool {
        matches!(self, Self::Approved | Self::Blocked { ended: true, .. })
    }
}

/// An approval waiting for the writer, with the lockout rules to check it against.
#[derive(Debug)]
pub(super) struct Approving {
    approval: Approval,
    policy: LockoutPolicy,
}

/// Approvals, one transaction per round (see the module docs); the cache and the audit
/// counters follow each commit.
#[derive(Debug)]
pub(super) struct Approvals {
    pub(super) cache: Arc<ChallengeCache>,
    pub(super) counters: Arc<AuditCounters>,
}

impl Batch for Approvals {
    type Item = Approving;
    type Output = ApprovalOutcome;

    fn picks<'a>(&self, waiting: impl Iterator<Item = &'a Approving>) -> Vec<bool> {
        independent(waiting.map(|a| &a.approval))
    }

    async fn write(
        &self,
        conn: &mut Conn,
        round: &[&Approving],
    ) -> Result<Vec<ApprovalOutcome>, StorageError> {
        let done = approve_round(conn, round).await?;
        self.cache.publish(done.decided);
        self.counters.add(&done.audited);
        Ok(done.outcomes)
    }
}

impl Store {
    /// Commits `approval` under the lockout `policy` (see the module docs): one transaction
    /// re-checks the account, the lockout and the device, consumes the challenge exactly once,
    /// resets the counter and audits. Committed with the approvals waiting at the same time;
    /// returns once its own outcome is committed.
    pub async fn approve(
        &self,
        approval: Approval,
        policy: &LockoutPolicy,
    ) -> Result<ApprovalOutcome, StorageError> {
        let item = Approving {
            approval,
            policy: *policy,
        };
        self.writer
            .submit(&self.queues.approvals, item, || self.waiting_writes())
            .await
    }
}

/// Which of `waiting` (in order) one transaction takes: at most [`MAX_BATCH`], none sharing
/// an account or a challenge with an approval before it (taken or not).
fn independent<'a>(waiting: impl Iterator<Item = &'a Approval>) -> Vec<bool> {
    let mut accounts = HashSet::new();
    let mut challenges = HashSet::new();
    let mut count = 0;
    waiting
        .map(|a| {
            let new_account = accounts.insert(a.account_id.as_str());
            let new_challenge = challenges.insert(a.challenge_id.as_str());
            let pick = new_account && new_challenge && count < MAX_BATCH;
            count += usize::from(pick);
            pick
        })
        .collect()
}

/// A committed round: the outcome of each approval (in order), the challenges it decided
/// and the events it audited.
struct RoundDone {
    outcomes: Vec<ApprovalOutcome>,
    decided: Vec<Decision>,
    audited: Vec<AuditEvent>,
}

/// What a round does with one approval, before the challenges are updated.
enum Plan {
    /// Refused without writing anything.
    Refuse(ApprovalOutcome),
    /// Blocked account: audited, the challenge ends `blocked` if still open.
    EndBlocked(Block),
    /// Approve: consume the challenge, then store `next` if it differs from `read`.
    Approve { read: LockState, next: LockState },
}

/// One transaction for `round` (approvals with distinct accounts and challenges).
async fn approve_round(conn: &mut Conn, round: &[&Approving]) -> Result<RoundDone, StorageError> {
    // Three hand-offs to SQLite's thread for the round, not five: the `BEGIN` goes with
    // the first statement, the `COMMIT` with the last.
    let mut tx = Tx::begin_with_first(conn).await?;
    let pairs: Vec<(&str, &str)> = round
        .iter()
        .map(|p| {
            (
                p.approval.account_id.as_str(),
                p.approval.device_id.as_str(),
            )
        })
        .collect();
    let checks = read_accounts(&mut tx, &pairs).await?;

    let plans: Vec<Plan> = round
        .iter()
        .map(|p| {
            let a = &p.approval;
            let Some(check) = checks.get(&a.account_id).filter(|c| c.account.is_enabled()) else {
                return Plan::Refuse(ApprovalOutcome::UnknownAccount);
            };
            let read = check.account.lock_state();
            match p.policy.after_success(read, a.now) {
                // Blocked by a failure since the first check.
                Err(refused) => Plan::EndBlocked(refused.block),
                Ok(_) if !check.device_active => Plan::Refuse(ApprovalOutcome::DeviceRevoked),
                Ok(next) => Plan::Approve { read, next },
            }
        })
        .collect();

    // The decision each plan asks for (`None`: refused, nothing to decide).
    let mut decisions: Vec<Option<Decision>> = round
        .iter()
        .zip(&plans)
        .map(|(p, plan)| {
            let (state, blocked_until) = match plan {
                Plan::Refuse(_) => return None,
                Plan::EndBlocked(block) => (StoredState::Blocked, block.until),
                Plan::Approve { .. } => (StoredState::Approved, None),
            };
            let a = &p.approval;
            Some(Decision {
                id: a.challenge_id.clone(),
                state,
                account: a.account_id.clone(),
                at: a.now,
                blocked_until,
            })
        })
        .collect();
    let asked: Vec<&Decision> = decisions.iter().flatten().collect();
    let closed = decide(&mut tx, &asked).await?;

    let mut done = RoundDone {
        outcomes: Vec::with_capacity(round.len()),
        decided: Vec::new(),
        audited: Vec::new(),
    };
    let mut audit = Vec::new();
    for ((p, plan), decision) in round.iter().zip(plans).zip(&mut decisions) {
        let a = &p.approval;
        let ended = closed.contains(a.challenge_id.as_str());
        if ended {
            done.decided.extend(decision.take());
        }
        let outcome = match plan {
            Plan::Refuse(outcome) => outcome,
            Plan::EndBlocked(block) => {
                audit.push(entry(a, AuditEvent::RefusedBlocked));
                ApprovalOutcome::Blocked { block, ended }
            }
            Plan::Approve { .. } if !ended => ApprovalOutcome::ChallengeClosed,
            Plan::Approve { read, next } => {
                if next != read {
                    write_lock_state(&mut tx, &a.account_id, next).await?;
                }
                audit.push(entry(a, AuditEvent::Approved));
                ApprovalOutcome::Approved
            }
        };
        done.outcomes.push(outcome);
    }
    audit_and_commit(&mut tx, &audit).await?;
    done.audited = audit.iter().map(|e| e.event).collect();
    Ok(done)
}

/// The audit row of an approval's outcome.
fn entry(a: &Approval, event: AuditEvent) -> AuditEntry<'_> {
    AuditEntry {
        account_id: Some(&a.account_id),
        device_id: Some(&a.device_id),
        challenge_id: Some(&a.challenge_id),
        ip: Some(&a.ip),
        user_agent: Some(&a.user_agent),
        detail: Some(a.detail.clone()),
        ..AuditEntry::new(a.now, event, a.actor)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::domain::lockout::BlockReason;

    use super::super::{Engine, NewChallenge};
    use super::*;

    const NOW: i64 = 1_700_000_000;

    use super::super::temporary_store as store;

    /// An account with the active device `D-<account>`.
    async fn enroll(store: &Store, account: &str) {
        super::super::enroll(store, account, NOW - 100).await;
    }

    /// A scanned challenge.
    async fn challenge(store: &Store, id: &str) {
        store
            .insert_challenge(&NewChallenge {
                id,
                nonce: "N",
                browser_token_hash: &[0; 32],
                created_at: NOW - 10,
                expires_at: NOW + 110,
                browser_ip: "127.0.0.1",
                browser_summary: "",
                service_name: None,
            })
            .await
            .expect("insert");
        assert!(store.mark_scanned(id, NOW - 9).await.expect("scan"));
    }

    fn approval(challenge: &str, account: &str) -> Approval {
        Approval {
            challenge_id: challenge.to_owned(),
            account_id: account.to_owned(),
            device_id: format!("D-{account}"),
            now: NOW,
            actor: Actor::Phone,
            ip: "10.0.0.1".to_owned(),
            user_agent: "Firefox".to_owned(),
            detail: "via=signature".to_owned(),
        }
    }

    /// Runs `approvals` at once; with `together`, holds the writer until all of them wait
    /// in the queue, so that they are written by one batch.
    async fn approve_all(
        store: &Store,
        approvals: Vec<Approval>,
        together: bool,
    ) -> Vec<Result<ApprovalOutcome, StorageError>> {
        let policy = LockoutPolicy::new(5);
        let held = if together {
            Some(store.writer.lock_owned().await)
        } else {
            None
        };
        let count = approvals.len();
        let tasks: Vec<_> = approvals
            .into_iter()
            .map(|a| {
                let store = store.clone();
                tokio::spawn(async move { store.approve(a, &policy).await })
            })
            .collect();
        if let Some(held) = held {
            while store.queues.approvals.len() < count {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            drop(held);
        }
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.expect("task"));
        }
        outcomes
    }

    async fn state(store: &Store, id: &str) -> (String, Option<String>, Option<i64>) {
        sqlx::query_as("SELECT state, account_id, blocked_until FROM challenges WHERE id = ?")
            .bind(id)
            .fetch_one(&mut *store.read_conn().await)
            .await
            .expect("row")
    }

    /// Audit events about `challenge`, oldest first.
    async fn audited(store: &Store, challenge: &str) -> Vec<String> {
        sqlx::query_scalar("SELECT event FROM audit WHERE challenge_id = ? ORDER BY id")
            .bind(challenge)
            .fetch_all(&mut *store.read_conn().await)
            .await
            .expect("audit")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_approval_of_a_batch_gets_its_own_outcome() {
        let (_dir, store) = store().await;
        for (account, id) in [
            ("alice", "C-OK"),
            ("bob", "C-BLOCKED"),
            ("carol", "C-USED"),
            ("dave", "C-REVOKED"),
            ("erin", "C-DISABLED"),
        ] {
            enroll(&store, account).await;
            challenge(&store, id).await;
        }
        let block = Block {
            since: NOW - 60,
            until: Some(NOW + 840),
            reason: BlockReason::TooManyFailures,
        };
        let mut tx = store.begin_write().await.expect("begin");
        // Two failures to forget on success; bob blocked; dave's phone revoked.
        let two = LockState {
            failures: 2,
            ..LockState::default()
        };
        tx.set_lock_state("alice", two).await.expect("alice");
        let blocked = LockState {
            failures: 5,
            block: Some(block),
            strikes: 1,
            last_block_at: Some(block.since),
        };
        tx.set_lock_state("bob", blocked).await.expect("bob");
        tx.revoke_active_devices("dave", NOW - 5, "test")
            .await
            .expect("revoke");
        tx.commit().await.expect("commit");
        sqlx::query("UPDATE accounts SET disabled_at = ? WHERE id = 'erin'")
            .bind(NOW - 5)
            .execute(&mut *store.write_conn().await)
            .await
            .expect("disable");
        // carol's challenge already consumed (by carol herself).
        assert_eq!(
            approve_all(&store, vec![approval("C-USED", "carol")], false).await[0]
                .as_ref()
                .expect("first"),
            &ApprovalOutcome::Approved
        );

        let outcomes = approve_all(
            &store,
            vec![
                approval("C-OK", "alice"),
                approval("C-BLOCKED", "bob"),
                approval("C-USED", "carol"),
                approval("C-REVOKED", "dave"),
                approval("C-DISABLED", "erin"),
            ],
            true,
        )
        .await;
        let outcomes: Vec<_> = outcomes.into_iter().map(|o| o.expect("outcome")).collect();
        assert_eq!(
            outcomes,
            [
                ApprovalOutcome::Approved,
                ApprovalOutcome::Blocked { block, ended: true },
                ApprovalOutcome::ChallengeClosed,
                ApprovalOutcome::DeviceRevoked,
                ApprovalOutcome::UnknownAccount,
            ]
        );

        assert_eq!(
            state(&store, "C-OK").await,
            ("approved".into(), Some("alice".into()), None)
        );
        assert_eq!(
            state(&store, "C-BLOCKED").await,
            ("blocked".into(), Some("bob".into()), Some(NOW + 840))
        );
        assert_eq!(state(&store, "C-USED").await.0, "approved");
        assert_eq!(state(&store, "C-REVOKED").await.0, "scanned");
        assert_eq!(state(&store, "C-DISABLED").await.0, "scanned");
        assert_eq!(audited(&store, "C-OK").await, ["approved"]);
        assert_eq!(audited(&store, "C-BLOCKED").await, ["refused_blocked"]);
        assert_eq!(audited(&store, "C-USED").await, ["approved"]);
        assert!(audited(&store, "C-REVOKED").await.is_empty());
        assert!(audited(&store, "C-DISABLED").await.is_empty());
        let counters = store.audit_counters();
        assert_eq!(counters.get(AuditEvent::Approved), 2);
        assert_eq!(counters.get(AuditEvent::RefusedBlocked), 1);

        // The counter was reset; bob's block is untouched.
        let alice = store.account("alice").await.expect("read").expect("alice");
        assert_eq!(alice.lock_state(), LockState::default());
        let bob = store.account("bob").await.expect("read").expect("bob");
        assert_eq!(bob.lock_state(), blocked);
        // The cache follows the commit.
        let cached = store.challenge("C-OK").await.expect("read").expect("found");
        assert_eq!(cached.approved_account(), Some("alice"));
        let cached = store
            .challenge("C-BLOCKED")
            .await
            .expect("read")
            .expect("found");
        assert!(cached.ended_on_block_of("bob"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_valid_answers_consume_a_challenge_once() {
        let (_dir, store) = store().await;
        enroll(&store, "alice").await;
        enroll(&store, "bob").await;
        for (id, together) in [("C-BATCHED", true), ("C-RACING", false)] {
            challenge(&store, id).await;
            let answers = (0..32)
                .map(|i| approval(id, if i % 2 == 0 { "alice" } else { "bob" }))
                .collect();
            let outcomes = approve_all(&store, answers, together).await;
            let approved = outcomes
                .iter()
                .filter(|o| matches!(o, Ok(ApprovalOutcome::Approved)))
                .count();
            let closed = outcomes
                .iter()
                .filter(|o| matches!(o, Ok(ApprovalOutcome::ChallengeClosed)))
                .count();
            assert_eq!((approved, closed), (1, 31), "{id}: {outcomes:?}");
            assert_eq!(audited(&store, id).await, ["approved"], "{id}");
            assert_eq!(state(&store, id).await.0, "approved");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_batch_is_retried_one_by_one() {
        let (_dir, store) = store().await;
        for (account, id) in [("alice", "C-1"), ("bob", "C-BAD"), ("carol", "C-2")] {
            enroll(&store, account).await;
            challenge(&store, id).await;
        }
        // Any statement touching C-BAD fails.
        let trigger = match store.engine() {
            Engine::Sqlite => {
                "CREATE TEMP TRIGGER refuse_bad BEFORE UPDATE ON challenges \
                 WHEN NEW.id = 'C-BAD' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            }
            Engine::Postgres => {
                "CREATE FUNCTION refuse_bad() RETURNS trigger LANGUAGE plpgsql AS \
                 'BEGIN IF NEW.id = ''C-BAD'' THEN RAISE EXCEPTION ''refused''; END IF; \
                 RETURN NEW; END'; \
                 CREATE TRIGGER refuse_bad BEFORE UPDATE ON challenges FOR EACH ROW \
                 EXECUTE FUNCTION refuse_bad()"
            }
        };
        sqlx::raw_sql(trigger)
            .execute(&mut *store.write_conn().await)
            .await
            .expect("trigger");
        let outcomes = approve_all(
            &store,
            vec![
                approval("C-1", "alice"),
                approval("C-BAD", "bob"),
                approval("C-2", "carol"),
            ],
            true,
        )
        .await;
        assert!(matches!(outcomes[0], Ok(ApprovalOutcome::Approved)));
        assert!(outcomes[1].is_err(), "{:?}", outcomes[1]);
        assert!(matches!(outcomes[2], Ok(ApprovalOutcome::Approved)));
        assert_eq!(state(&store, "C-BAD").await.0, "scanned");
        assert!(audited(&store, "C-BAD").await.is_empty());
        assert_eq!(audited(&store, "C-1").await, ["approved"]);
        assert_eq!(store.audit_counters().get(AuditEvent::Approved), 2);
        // The writer is usable afterwards (nothing left open).
        challenge(&store, "C-3").await;
    }

    #[test]
    fn rounds_keep_accounts_and_challenges_distinct_and_in_order() {
        /// The waiting approvals the next round takes, and those left for later.
        fn split(waiting: Vec<Approval>) -> (Vec<String>, Vec<Approval>) {
            let picks = independent(waiting.iter());
            let (round, later): (Vec<_>, Vec<_>) =
                waiting.into_iter().zip(picks).partition(|(_, pick)| *pick);
            let keys = round
                .iter()
                .map(|(a, _)| format!("{}/{}", a.challenge_id, a.account_id))
                .collect();
            (keys, later.into_iter().map(|(a, _)| a).collect())
        }
        let waiting = vec![
            approval("A", "alice"),
            approval("A", "bob"),   // same challenge: later
            approval("B", "alice"), // same account: later
            approval("B", "carol"), // its challenge waits behind alice's B: later
            approval("C", "dave"),
        ];
        let (round, later) = split(waiting);
        assert_eq!(round, ["A/alice", "C/dave"]);
        let (round, later) = split(later);
        assert_eq!(round, ["A/bob", "B/alice"]);
        let (round, later) = split(later);
        assert_eq!(round, ["B/carol"]);
        assert!(later.is_empty());

        let many: Vec<Approval> = (0..MAX_BATCH + 3)
            .map(|i| approval(&format!("C{i}"), &format!("u{i}")))
            .collect();
        let (round, later) = split(many);
        assert_eq!((round.len(), later.len()), (MAX_BATCH, 3));
    }
}
