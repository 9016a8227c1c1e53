//! The consistency check of a Tigr database against what its clients were told (the answer
//! log of `tigr-bench`, see `bench/answer_log.rs`). Every rule is one the server's
//! transactions are meant to keep through any crash of the process (docs/security.md, "Crash
//! consistency and races"):
//!
//! * the file is sound (`PRAGMA integrity_check`, `PRAGMA foreign_key_check`);
//! * every approval a client got 200 for is approved in the database, for that account, with
//!   one `approved` audit row of that phone and that way of answering;
//! * no challenge is approved twice: at most one 200 per challenge in the log, at most one
//!   `approved` audit row per challenge, and a challenge has one iff its state is `approved`
//!   (the same for `denied`); a `blocked` challenge has the audit row of its block;
//! * every enrollment a client got 201 for is in the database with the keys it registered;
//!   an invitation is used iff it names a device, which exists, belongs to its account, was
//!   enrolled at that moment, holds a sealed offline secret that the master key opens, and has
//!   exactly one `enrolled` audit row; every device came from one invitation; every phone
//!   replaced has its `device_revoked` row;
//! * each account's lockout state is what its audit trail says: as many consecutive failures
//!   as `response_failed` rows since its last success, unblock or block, and blocked exactly
//!   when the last of those is a block still in force (or one not lifted by a later failure).
//!
//! Approvals and enrollments committed whose reply never reached the client (the server died
//! in between) are allowed and counted.
//!
//! All reads are one read transaction: one snapshot, even while the server writes.

use std::collections::{HashMap, HashSet};
use std::str::FromStr as _;

use anyhow::Context as _;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions as _, Connection as _, SqliteConnection};
use tigr_core::wire::b64_encode;
use tigr_server::domain::challenge::StoredState;
use tigr_server::login::{AnswerKind, REVOKED_REPLACED};
use tigr_server::sealing::SecretSealer;
use tigr_server::storage::AuditEvent;

use crate::bench::answer_log::{Success, Via};

/// Anomalies listed in full; beyond, only counted.
const LISTED: usize = 50;

/// What the check found: the anomalies (must be none) and the figures of the database.
#[derive(Debug, Default, Clone)]
pub struct Findings {
    /// Broken rules, the first [`LISTED`] in words.
    pub anomalies: Vec<String>,
    /// How many rules were broken in all.
    pub anomaly_count: usize,
    /// Approvals answered 200 in the log (each checked).
    pub approvals_logged: usize,
    /// Enrollments answered 201 in the log (each checked).
    pub enrollments_logged: usize,
    /// Challenges in the database.
    pub challenges: usize,
    /// Approved challenges in the database.
    pub approved: usize,
    /// Approved challenges whose 200 no client received (the server died in between).
    pub approved_without_reply: usize,
    /// Invitations used.
    pub invitations_used: usize,
    /// Invitations unused.
    pub invitations_unused: usize,
    /// Used invitations whose 201 no client received.
    pub enrolled_without_reply: usize,
    /// Accounts whose lockout counter is not zero.
    pub accounts_with_failures: usize,
    /// Audit rows.
    pub audit_rows: usize,
}

impl Findings {
    fn anomaly(&mut self, what: String) {
        self.anomaly_count += 1;
        if self.anomalies.len() < LISTED {
            self.anomalies.push(what);
        }
    }

    /// True when no rule is broken.
    pub fn is_clean(&self) -> bool {
        self.anomaly_count == 0
    }
}

#[derive(sqlx::FromRow)]
struct Challenge {
    id: String,
    state: String,
    account_id: Option<String>,
    decided_at: Option<i64>,
}

impl Challenge {
    /// `None`: a state this server never writes.
    fn state(&self) -> Option<StoredState> {
        StoredState::parse(&self.state)
    }
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: i64,
    event: String,
    account_id: Option<String>,
    device_id: Option<String>,
    challenge_id: Option<String>,
    detail: Option<String>,
}

impl AuditRow {
    /// `None`: an event this server never writes.
    fn event(&self) -> Option<AuditEvent> {
        AuditEvent::parse(&self.event)
    }
}

#[derive(sqlx::FromRow)]
struct Invitation {
    invitation_id: String,
    account_id: String,
    used_at: Option<i64>,
    device_id: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Device {
    id: String,
    account_id: String,
    approval_key: Vec<u8>,
    offline_secret_enc: Vec<u8>,
    enrolled_at: i64,
    revoked_reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Account {
    id: String,
    failed_attempts: i64,
    blocked_at: Option<i64>,
    blocked_until: Option<i64>,
}

/// Everything the rules look at, read in one snapshot.
struct Snapshot {
    integrity: Vec<String>,
    foreign_keys: usize,
    challenges: HashMap<String, Challenge>,
    audit: Vec<AuditRow>,
    invitations: Vec<Invitation>,
    devices: HashMap<String, Device>,
    accounts: Vec<Account>,
}

/// Checks the database at `database_url` (`sqlite://PATH`) against `log`. With a sealer,
/// every stored offline secret must open with it.
pub async fn check_database(
    database_url: &str,
    sealer: Option<&SecretSealer>,
    log: &[Success],
) -> anyhow::Result<Findings> {
    let snapshot = read_snapshot(database_url).await?;
    Ok(check(&snapshot, sealer, log))
}

async fn read_snapshot(database_url: &str) -> anyhow::Result<Snapshot> {
    let mut conn = SqliteConnectOptions::from_str(database_url)?
        .create_if_missing(false)
        .connect()
        .await
        .with_context(|| format!("cannot open {database_url}"))?;
    let snapshot = read_in_one_transaction(&mut conn).await;
    conn.close().await?;
    snapshot
}

async fn read_in_one_transaction(conn: &mut SqliteConnection) -> anyhow::Result<Snapshot> {
    let mut tx = conn.begin().await?;
    let integrity: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut *tx)
        .await?;
    let foreign_keys = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut *tx)
        .await?
        .len();
    let challenges: Vec<Challenge> =
        sqlx::query_as("SELECT id, state, account_id, decided_at FROM challenges")
            .fetch_all(&mut *tx)
            .await?;
    let audit = sqlx::query_as(
        "SELECT id, at, event, account_id, device_id, challenge_id, detail FROM audit ORDER BY id",
    )
    .fetch_all(&mut *tx)
    .await?;
    let invitations =
        sqlx::query_as("SELECT invitation_id, account_id, used_at, device_id FROM enrollments")
            .fetch_all(&mut *tx)
            .await?;
    let devices: Vec<Device> = sqlx::query_as(
        "SELECT id, account_id, approval_key, offline_secret_enc, enrolled_at, revoked_reason \
         FROM devices",
    )
    .fetch_all(&mut *tx)
    .await?;
    let accounts =
        sqlx::query_as("SELECT id, failed_attempts, blocked_at, blocked_until FROM accounts")
            .fetch_all(&mut *tx)
            .await?;
    // Read only: nothing to keep.
    tx.rollback().await?;
    Ok(Snapshot {
        integrity,
        foreign_keys,
        challenges: challenges.into_iter().map(|c| (c.id.clone(), c)).collect(),
        audit,
        invitations,
        devices: devices.into_iter().map(|d| (d.id.clone(), d)).collect(),
        accounts,
    })
}

fn check(db: &Snapshot, sealer: Option<&SecretSealer>, log: &[Success]) -> Findings {
    let mut found = Findings {
        challenges: db.challenges.len(),
        audit_rows: db.audit.len(),
        ..Findings::default()
    };
    if db.integrity != ["ok"] {
        found.anomaly(format!("integrity check: {}", db.integrity.join("; ")));
    }
    if db.foreign_keys > 0 {
        found.anomaly(format!("{} rows break a foreign key", db.foreign_keys));
    }
    check_approvals(db, log, &mut found);
    check_enrollments(db, sealer, log, &mut found);
    check_lockout(db, &mut found);
    found
}

/// The audit rows of `event`, by challenge.
fn rows_by_challenge(db: &Snapshot, event: AuditEvent) -> HashMap<&str, Vec<&AuditRow>> {
    let mut rows: HashMap<&str, Vec<&AuditRow>> = HashMap::new();
    for row in db.audit.iter().filter(|r| r.event() == Some(event)) {
        rows.entry(row.challenge_id.as_deref().unwrap_or(""))
            .or_default()
            .push(row);
    }
    rows
}

fn check_approvals(db: &Snapshot, log: &[Success], found: &mut Findings) {
    let approved_rows = rows_by_challenge(db, AuditEvent::Approved);
    let denied_rows = rows_by_challenge(db, AuditEvent::Denied);
    let block_rows: HashSet<&str> = db
        .audit
        .iter()
        .filter(|r| {
            matches!(
                r.event(),
                Some(AuditEvent::AccountBlocked | AuditEvent::RefusedBlocked)
            )
        })
        .filter_map(|r| r.challenge_id.as_deref())
        .collect();

    // What the clients were told.
    let mut replied: HashSet<&str> = HashSet::new();
    for success in log {
        let Success::Approved {
            challenge_id,
            account,
            device_id,
            via,
        } = success
        else {
            continue;
        };
        found.approvals_logged += 1;
        if !replied.insert(challenge_id) {
            found.anomaly(format!("challenge {challenge_id}: two clients got 200"));
            continue;
        }
        match db.challenges.get(challenge_id.as_str()) {
            None => found.anomaly(format!(
                "challenge {challenge_id}: answered 200, not stored"
            )),
            Some(c)
                if c.state() != Some(StoredState::Approved)
                    || c.account_id.as_deref() != Some(account) =>
            {
                found.anomaly(format!(
                    "challenge {challenge_id}: answered 200 for {account}, stored {:?} for {:?}",
                    c.state(),
                    c.account_id
                ))
            }
            Some(_) => {}
        }
        let rows = approved_rows.get(challenge_id.as_str());
        let matching = rows.is_some_and(|rows| {
            rows.iter().any(|r| {
                r.account_id.as_deref() == Some(account)
                    && r.device_id.as_deref() == Some(device_id)
                    && via_of(r) == Some(*via)
            })
        });
        if !matching {
            found.anomaly(format!(
                "challenge {challenge_id}: answered 200 to {account} ({}), no such approved audit row",
                via.as_str()
            ));
        }
    }

    // What the database says.
    for (id, c) in &db.challenges {
        let Some(state) = c.state() else {
            found.anomaly(format!("challenge {id}: unknown state"));
            continue;
        };
        let approvals = approved_rows.get(id.as_str()).map_or(0, Vec::len);
        let denials = denied_rows.get(id.as_str()).map_or(0, Vec::len);
        let (want_approvals, want_denials) = match state {
            StoredState::Approved => (1, 0),
            StoredState::Denied => (0, 1),
            _ => (0, 0),
        };
        if approvals != want_approvals || denials != want_denials {
            found.anomaly(format!(
                "challenge {id}: {state:?} with {approvals} approved and {denials} denied audit rows"
            ));
        }
        let decided = matches!(
            state,
            StoredState::Approved | StoredState::Denied | StoredState::Blocked
        );
        if decided && (c.account_id.is_none() || c.decided_at.is_none()) {
            found.anomaly(format!("challenge {id}: {state:?} without account or time"));
        }
        if state == StoredState::Blocked && !block_rows.contains(id.as_str()) {
            found.anomaly(format!("challenge {id}: blocked without its audit row"));
        }
        if state == StoredState::Approved {
            found.approved += 1;
            if !replied.contains(id.as_str()) {
                found.approved_without_reply += 1;
            }
            let audited_account = approved_rows
                .get(id.as_str())
                .and_then(|rows| rows.first())
                .and_then(|r| r.account_id.as_deref());
            if approvals == 1 && audited_account != c.account_id.as_deref() {
                found.anomaly(format!(
                    "challenge {id}: approved for {:?}, audited for {audited_account:?}",
                    c.account_id
                ));
            }
        }
    }
    for (id, rows) in approved_rows.iter().chain(&denied_rows) {
        if !db.challenges.contains_key(*id) {
            found.anomaly(format!(
                "{} audit row(s) {:?} for a challenge {id} that does not exist",
                rows.len(),
                rows[0].event()
            ));
        }
    }
}

/// The `via=` of an answer's audit row.
fn via_of(row: &AuditRow) -> Option<Via> {
    let detail = row.detail.as_deref()?;
    Via::parse(
        detail
            .split(' ')
            .find_map(|part| part.strip_prefix("via="))?,
    )
}

fn check_enrollments(
    db: &Snapshot,
    sealer: Option<&SecretSealer>,
    log: &[Success],
    found: &mut Findings,
) {
    let mut enrolled_rows: HashMap<&str, Vec<&AuditRow>> = HashMap::new();
    let mut revoked_rows: HashMap<&str, usize> = HashMap::new();
    for row in &db.audit {
        let device = row.device_id.as_deref().unwrap_or("");
        match row.event() {
            Some(AuditEvent::Enrolled) => enrolled_rows.entry(device).or_default().push(row),
            Some(AuditEvent::DeviceRevoked) => *revoked_rows.entry(device).or_insert(0) += 1,
            _ => {}
        }
    }

    let mut replied: HashSet<&str> = HashSet::new();
    for success in log {
        let Success::Enrolled {
            account,
            device_id,
            approval_key,
        } = success
        else {
            continue;
        };
        found.enrollments_logged += 1;
        replied.insert(device_id);
        match db.devices.get(device_id.as_str()) {
            None => found.anomaly(format!("device {device_id}: answered 201, not stored")),
            Some(d) if &d.account_id != account || b64_encode(&d.approval_key) != *approval_key => {
                found.anomaly(format!(
                    "device {device_id}: answered 201 to {account}, stored for {} with another key",
                    d.account_id
                ))
            }
            Some(_) => {}
        }
    }

    let mut linked: HashMap<&str, usize> = HashMap::new();
    for inv in &db.invitations {
        let id = &inv.invitation_id;
        match (inv.used_at, inv.device_id.as_deref()) {
            (None, None) => found.invitations_unused += 1,
            (Some(used_at), Some(device_id)) => {
                found.invitations_used += 1;
                *linked.entry(device_id).or_insert(0) += 1;
                if !replied.contains(device_id) {
                    found.enrolled_without_reply += 1;
                }
                match db.devices.get(device_id) {
                    None => found.anomaly(format!(
                        "invitation {id}: used, its device {device_id} does not exist"
                    )),
                    Some(d) => {
                        if d.account_id != inv.account_id || d.enrolled_at != used_at {
                            found.anomaly(format!(
                                "invitation {id}: device {device_id} of {} enrolled at {}, invitation of {} used at {used_at}",
                                d.account_id, d.enrolled_at, inv.account_id
                            ));
                        }
                        if let Some(sealer) = sealer {
                            let opened = sealer.open_offline_secret(
                                &d.account_id,
                                device_id,
                                &d.offline_secret_enc,
                            );
                            if !opened.is_ok_and(|secret| secret.len() == 32) {
                                found.anomaly(format!(
                                    "device {device_id}: its sealed offline secret does not open"
                                ));
                            }
                        }
                    }
                }
            }
            (used_at, device_id) => found.anomaly(format!(
                "invitation {id}: half used (used at {used_at:?}, device {device_id:?})"
            )),
        }
    }
    for (id, d) in &db.devices {
        if linked.get(id.as_str()) != Some(&1) {
            found.anomaly(format!(
                "device {id}: enrolled through {} invitations",
                linked.get(id.as_str()).unwrap_or(&0)
            ));
        }
        let audited = enrolled_rows
            .get(id.as_str())
            .map_or(&[][..], Vec::as_slice);
        if audited.len() != 1 || audited[0].account_id.as_deref() != Some(&d.account_id) {
            found.anomaly(format!(
                "device {id}: {} enrolled audit rows for its account",
                audited.len()
            ));
        }
        let revocations = revoked_rows.get(id.as_str()).copied().unwrap_or(0);
        let replaced = d.revoked_reason.as_deref() == Some(REVOKED_REPLACED);
        if replaced && revocations != 1 {
            found.anomaly(format!(
                "device {id}: replaced with {revocations} device_revoked audit rows"
            ));
        }
    }
    for id in enrolled_rows.keys() {
        if !db.devices.contains_key(*id) {
            found.anomaly(format!(
                "enrolled audit row for a device {id} that does not exist"
            ));
        }
    }
}

/// A wrong offline code: counted on the offline channel of the Tigr ID typed
/// (`offline_attempts`), never on the account's counter.
fn is_offline_failure(row: &AuditRow) -> bool {
    row.event() == Some(AuditEvent::ResponseFailed)
        && row
            .detail
            .as_deref()
            .and_then(|d| d.split(' ').next())
            .is_some_and(|via| via == format!("via={}", AnswerKind::OfflineCode.via()))
}

fn check_lockout(db: &Snapshot, found: &mut Findings) {
    let mut trail: HashMap<&str, Vec<&AuditRow>> = HashMap::new();
    for row in &db.audit {
        if matches!(
            row.event(),
            Some(
                AuditEvent::ResponseFailed
                    | AuditEvent::Approved
                    | AuditEvent::AccountUnblocked
                    | AuditEvent::AccountBlocked
            )
        ) && !is_offline_failure(row)
            && let Some(account) = row.account_id.as_deref()
        {
            trail.entry(account).or_default().push(row);
        }
    }
    for account in &db.accounts {
        if account.failed_attempts != 0 {
            found.accounts_with_failures += 1;
        }
        let rows = trail
            .get(account.id.as_str())
            .map_or(&[][..], Vec::as_slice);
        // The last reset of the counter (success, unblock) or block, and the failures after it.
        let last = rows
            .iter()
            .rposition(|r| r.event() != Some(AuditEvent::ResponseFailed));
        let failures_since = rows[last.map_or(0, |i| i + 1)..].len();
        let failures_since = i64::try_from(failures_since).unwrap_or(i64::MAX);
        let last_block = last
            .map(|i| rows[i])
            .filter(|r| r.event() == Some(AuditEvent::AccountBlocked));
        let consistent = match (last_block, account.blocked_at) {
            // Still blocked by the last block: no failure can be counted since.
            (Some(block), Some(blocked_at)) => blocked_at == block.at && failures_since == 0,
            // A temporary block that lifted, then failures counted from zero.
            (Some(block), None) => {
                failures_since > 0
                    && account.failed_attempts == failures_since
                    && block_lifted_before(block, &rows[last.map_or(0, |i| i + 1)..])
            }
            (None, None) => account.failed_attempts == failures_since,
            (None, Some(_)) => false,
        };
        if !consistent {
            found.anomaly(format!(
                "account {}: {} failures and blocked at {:?} (until {:?}), its audit trail says {failures_since} failures since {}",
                account.id,
                account.failed_attempts,
                account.blocked_at,
                account.blocked_until,
                last.map_or("the start".to_owned(), |i| format!(
                    "{:?} (audit row {})",
                    rows[i].event(),
                    rows[i].id
                ))
            ));
        }
    }
}

/// True when `block` (an `account_blocked` row, detail `until=T` for a temporary block) had
/// lifted when the first of `failures_after` was counted.
fn block_lifted_before(block: &AuditRow, failures_after: &[&AuditRow]) -> bool {
    let until = block.detail.as_deref().and_then(|d| {
        d.split(' ')
            .find_map(|p| p.strip_prefix("until="))
            .and_then(|t| t.parse::<i64>().ok())
    });
    match (until, failures_after.first()) {
        (Some(until), Some(first)) => first.at >= until,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use hyper::{Method, StatusCode};
    use tigr_core::clock::{Clock, FixedClock};
    use tigr_core::random::SeededRandom;
    use tigr_core::signing::{ChallengeBinding, Decision, DeviceKey, message};
    use tigr_core::wire::SignedAnswer;
    use tigr_server::{Config, RunningServer};

    use super::super::process::sealer_of;
    use super::super::race::{Raced, answer, open_challenge};
    use super::*;
    use crate::bench::answer_log::AnswerLog;
    use crate::bench::http::Conn;
    use crate::bench::{Phone, SignerKind, enroll_all};

    /// A database written by a real server, and what its clients were told: alice, bob, dave
    /// and erin enrolled, carol invited; two logins of alice approved (signature, offline
    /// code); one wrong PIN of bob counted; dave blocked by two wrong PINs (the
    /// threshold here); erin blocked, the block lifted, then one wrong PIN counted again.
    struct Written {
        dir: tempfile::TempDir,
        log: Vec<Success>,
        sealer: SecretSealer,
        pending: String,
        approved: String,
    }

    /// An approval signed with a key the phone does not have (what a wrong PIN unmasks):
    /// a failure on the phone's channel, the one the account's counter and blocks follow.
    async fn wrong_pin(conn: &mut Conn, challenge: &Raced, phone: &Phone) -> StatusCode {
        let wrong_key = DeviceKey::from_scalar(&[0x5a; 32]).expect("valid scalar");
        let binding = ChallengeBinding {
            origin: &challenge.origin,
            challenge_id: &challenge.id,
            nonce: &challenge.nonce,
            account: &phone.account,
            device_id: &phone.device_id,
        };
        let signature = wrong_key.sign(&message(Decision::Approve, &binding));
        let wrong = serde_json::to_vec(&SignedAnswer {
            account: phone.account.clone(),
            device_id: phone.device_id.clone(),
            signature: b64_encode(&signature),
        })
        .expect("JSON");
        let path = format!("/api/v1/login/challenges/{}/response", challenge.id);
        conn.call(Method::POST, &path, None, Some(wrong))
            .await
            .expect("reply")
            .status
    }

    async fn written() -> Written {
        let dir = tempfile::tempdir().expect("temporary folder");
        let clock = Arc::new(FixedClock::at(1_800_000_000));
        let mut config = Config::for_tests(dir.path());
        config.clock = Arc::clone(&clock) as Arc<dyn Clock>;
        config.lockout_threshold = 2;
        config.lockout_duration = 60;
        let server = RunningServer::start(config).await.expect("server starts");
        let config = server.config().clone();
        let (addr, host) = (server.addr, server.addr.to_string());
        let log_path = dir.path().join("answers.log");
        let log = Arc::new(AnswerLog::create(&log_path).expect("log"));
        let names = ["alice", "bob", "dave", "erin"].map(str::to_owned);
        let seeds = Arc::new(SeededRandom::new(5));
        let phones = enroll_all(
            &config,
            addr,
            &host,
            &names,
            SignerKind::Ring,
            &seeds,
            Some(&log),
        )
        .await
        .expect("enrolled");
        tigr_server::create_enrollment(&config, "carol", None)
            .await
            .expect("invited");
        let mut conn = Conn::new(addr, &host).expect("connection");
        let mut approved = String::new();
        for via in [Via::Signature, Via::OfflineCode] {
            let challenge = open_challenge(&mut conn).await.expect("challenge");
            let job = answer(0, &challenge, 0, &phones[0], via).expect("answer");
            let reply = conn
                .call(
                    Method::POST,
                    &job.path,
                    job.browser_token.as_deref(),
                    Some(job.body),
                )
                .await
                .expect("reply");
            assert_eq!(reply.status, StatusCode::OK);
            log.record(&Success::Approved {
                challenge_id: challenge.id.clone(),
                account: "alice".into(),
                device_id: phones[0].device_id.clone(),
                via,
            })
            .expect("logged");
            approved = challenge.id;
        }
        let pending = open_challenge(&mut conn).await.expect("challenge");
        let bob = wrong_pin(&mut conn, &pending, &phones[1]).await;
        assert_eq!(bob, StatusCode::UNAUTHORIZED);
        for phone in &phones[2..] {
            let challenge = open_challenge(&mut conn).await.expect("challenge");
            assert_eq!(
                wrong_pin(&mut conn, &challenge, phone).await,
                StatusCode::UNAUTHORIZED
            );
            assert_eq!(
                wrong_pin(&mut conn, &challenge, phone).await,
                StatusCode::LOCKED
            );
        }
        clock.advance(61);
        let after_the_block = open_challenge(&mut conn).await.expect("challenge");
        let erin = wrong_pin(&mut conn, &after_the_block, &phones[3]).await;
        assert_eq!(erin, StatusCode::UNAUTHORIZED);
        server.shutdown().await;
        Written {
            log: crate::bench::answer_log::read(&log_path).expect("log"),
            sealer: sealer_of(&dir.path().join("master.key")).expect("key"),
            dir,
            pending: pending.id,
            approved,
        }
    }

    /// Checks a copy of the written database changed by `sql`, against `log`.
    async fn check_changed(w: &Written, name: &str, sql: &str, log: &[Success]) -> Findings {
        let copy = w.dir.path().join(format!("{name}.db"));
        std::fs::copy(w.dir.path().join("tigr.db"), &copy).expect("copy");
        let url = format!("sqlite://{}", copy.display());
        if !sql.is_empty() {
            let mut conn = SqliteConnectOptions::from_str(&url)
                .expect("url")
                .connect()
                .await
                .expect("open");
            sqlx::raw_sql(sql).execute(&mut conn).await.expect(sql);
            conn.close().await.expect("close");
        }
        check_database(&url, Some(&w.sealer), log)
            .await
            .expect("checked")
    }

    fn assert_found(found: &Findings, what: &str) {
        assert!(
            found.anomalies.iter().any(|a| a.contains(what)),
            "expected an anomaly with {what:?}, found {:?}",
            found.anomalies
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_database_written_by_the_server_passes_and_each_broken_rule_is_found() {
        let w = written().await;
        let clean = check_changed(&w, "clean", "", &w.log).await;
        assert!(clean.is_clean(), "{:?}", clean.anomalies);
        assert_eq!(
            (
                clean.approvals_logged,
                clean.approved,
                clean.challenges,
                clean.approved_without_reply
            ),
            (2, 2, 6, 0)
        );
        assert_eq!(
            (
                clean.enrollments_logged,
                clean.invitations_used,
                clean.invitations_unused,
                clean.enrolled_without_reply
            ),
            (4, 4, 1, 0)
        );
        assert_eq!(clean.accounts_with_failures, 3);

        // Approvals.
        let (approved, pending) = (&w.approved, &w.pending);
        let mut told_more = w.log.clone();
        told_more.push(Success::Approved {
            challenge_id: pending.clone(),
            account: "alice".into(),
            device_id: "X".repeat(26),
            via: Via::Signature,
        });
        let found = check_changed(&w, "lost", "", &told_more).await;
        assert_found(
            &found,
            &format!("challenge {pending}: answered 200 for alice, stored Some(Scanned)"),
        );
        assert_found(&found, "no such approved audit row");
        let mut twice = w.log.clone();
        twice.push(w.log.last().expect("a success").clone());
        assert_found(
            &check_changed(&w, "twice", "", &twice).await,
            "two clients got 200",
        );
        let sql = format!(
            "INSERT INTO audit (at, event, actor, account_id, challenge_id, detail) \
             SELECT at, event, actor, account_id, challenge_id, detail FROM audit \
             WHERE event = 'approved' AND challenge_id = '{approved}'"
        );
        let found = check_changed(&w, "double", &sql, &w.log).await;
        assert_found(
            &found,
            &format!("challenge {approved}: Approved with 2 approved"),
        );
        let sql = format!(
            "UPDATE challenges SET state = 'approved', account_id = 'bob', decided_at = 1 \
             WHERE id = '{pending}'"
        );
        let found = check_changed(&w, "unaudited", &sql, &w.log).await;
        assert_found(
            &found,
            &format!("challenge {pending}: Approved with 0 approved"),
        );
        assert_eq!(found.approved_without_reply, 1);
        let sql = "INSERT INTO audit (at, event, actor, challenge_id) \
                   VALUES (1, 'approved', 'phone', 'NOSUCHCHALLENGE')";
        let found = check_changed(&w, "orphan", sql, &w.log).await;
        assert_found(
            &found,
            "for a challenge NOSUCHCHALLENGE that does not exist",
        );

        // Enrollments.
        let sql = "UPDATE enrollments SET used_at = 1 WHERE account_id = 'carol'";
        assert_found(&check_changed(&w, "half", sql, &w.log).await, "half used");
        let sql = "INSERT INTO devices (id, account_id, name, approval_key, identity_key, \
                   offline_secret_enc, ocra_suite, enrolled_at) \
                   SELECT 'STRAY', 'carol', name, approval_key, identity_key, \
                   offline_secret_enc, ocra_suite, enrolled_at FROM devices LIMIT 1";
        let found = check_changed(&w, "stray", sql, &w.log).await;
        assert_found(&found, "device STRAY: enrolled through 0 invitations");
        assert_found(&found, "device STRAY: 0 enrolled audit rows");
        let sql = "UPDATE devices SET offline_secret_enc = zeroblob(60) \
                   WHERE account_id = 'bob'";
        let found = check_changed(&w, "sealed", sql, &w.log).await;
        assert_found(&found, "its sealed offline secret does not open");
        let sql = "UPDATE devices SET approval_key = zeroblob(65) WHERE account_id = 'alice'";
        let found = check_changed(&w, "key", sql, &w.log).await;
        assert_found(
            &found,
            "answered 201 to alice, stored for alice with another key",
        );

        // Lockout.
        let sql = "UPDATE accounts SET failed_attempts = 0 WHERE id = 'bob'";
        let found = check_changed(&w, "counter", sql, &w.log).await;
        assert_found(&found, "account bob: 0 failures");
        let sql = "UPDATE accounts SET blocked_at = 1 WHERE id = 'alice'";
        let found = check_changed(&w, "blocked", sql, &w.log).await;
        assert_found(&found, "account alice: 0 failures and blocked at Some(1)");
        let sql = "UPDATE accounts SET blocked_at = NULL, blocked_until = NULL WHERE id = 'dave'";
        let found = check_changed(&w, "unblocked", sql, &w.log).await;
        assert_found(&found, "account dave: 2 failures and blocked at None");
        let sql = "UPDATE accounts SET failed_attempts = 2 WHERE id = 'erin'";
        let found = check_changed(&w, "lifted", sql, &w.log).await;
        assert_found(&found, "account erin: 2 failures and blocked at None");
    }
}
