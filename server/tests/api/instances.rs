//! Several instances on one PostgreSQL database (docs/ARCHITECTURE.md, "PostgreSQL"): the
//! browser waits on one, the phone answers on another; lockout counters and single use stay
//! exact when answers reach two instances at once. Two in-process servers with their own
//! connections and listeners, one database; skipped (said so) on the SQLite run, where one
//! server serves its file alone.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::common::{Challenge, TestServer};

/// Two instances of one deployment (same database, master key and public URL), or `None`
/// on SQLite.
async fn two_instances() -> Option<(TestServer, TestServer)> {
    let a = TestServer::start().await;
    if !a.on_postgres() {
        eprintln!("skipped: several instances need PostgreSQL (TIGR_TEST_POSTGRES)");
        return None;
    }
    let mut config = a.config().clone();
    config.listen = "127.0.0.1:0".parse().expect("address");
    config.public_url = Some(a.config().public_origin().expect("origin"));
    let dir = tempfile::tempdir().expect("tempdir");
    let b = TestServer::start_in(dir, config).await;
    Some((a, b))
}

/// The browser waits on B (25 s at most) for a challenge of B while `phone_side` runs and
/// returns the phone's reply to its approval on A; the wait must end approved, woken well
/// before its end.
async fn wait_on_b_while<F>(b: &TestServer, c: &Challenge, phone_side: F)
where
    F: std::future::Future<Output = (u16, serde_json::Value)>,
{
    let started = Instant::now();
    let poll_path = format!("/login/challenges/{}/status?wait=25", c.id);
    let poll = b.get(&poll_path, Some(&c.token));
    let ((status, body), (approved, reply)) = tokio::join!(poll, phone_side);
    assert_eq!(approved, 200, "{reply}");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "approved", "{body}");
    assert_eq!(body["account"], "alice");
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_answering_on_one_instance_ends_the_wait_on_another_at_once() {
    let Some((a, b)) = two_instances().await else {
        return;
    };
    let phone = a.enroll("alice").await;
    // The browser's page and its wait are on B; A's notification wakes it.
    let c = b.challenge().await;
    wait_on_b_while(&b, &c, async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        a.respond(&c, &phone.approve(a.origin(), &c)).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_answers_on_two_instances_never_count_past_the_threshold() {
    let Some((a, b)) = two_instances().await else {
        return;
    };
    let phone = a.enroll("alice").await;
    let c = a.challenge().await;
    // Ten wrong answers at once, five on each instance; the threshold is five.
    let answers = (0..10).map(|i| {
        let s = if i % 2 == 0 { &a } else { &b };
        let answer = phone.approve_wrong_pin(a.origin(), &c);
        let c = c.clone();
        async move { s.respond(&c, &answer).await }
    });
    let replies = futures_util::future::join_all(answers).await;
    let left: BTreeSet<u64> = replies
        .iter()
        .filter(|(status, _)| *status == 401)
        .map(|(_, body)| body["attempts_left"].as_u64().expect("attempts_left"))
        .collect();
    let failures = replies.iter().filter(|(status, _)| *status == 401).count();
    assert_eq!(failures, 4, "{replies:?}");
    assert_eq!(
        left,
        BTreeSet::from([1, 2, 3, 4]),
        "each failure counted once"
    );
    let blocks = replies.iter().filter(|(status, _)| *status == 423).count();
    assert!(blocks >= 1, "{replies:?}");
    assert!(
        replies
            .iter()
            .all(|(status, _)| [401, 409, 423].contains(status)),
        "{replies:?}"
    );
    let db = a.db().await;
    let (failed, blocked): (i64, Option<i64>) =
        sqlx::query_as("SELECT failed_attempts, blocked_at FROM accounts WHERE id = 'alice'")
            .fetch_one(&db)
            .await
            .expect("account");
    assert!(blocked.is_some(), "blocked after five failures");
    assert!(failed <= 5, "{failed}");
    let audited: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit WHERE event = 'account_blocked'")
            .fetch_one(&db)
            .await
            .expect("audit");
    assert_eq!(audited, 1, "one block");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_valid_answers_on_two_instances_give_exactly_one_success() {
    let Some((a, b)) = two_instances().await else {
        return;
    };
    let phone = a.enroll("alice").await;
    for _ in 0..10 {
        let c = a.challenge().await;
        let answer = phone.approve(a.origin(), &c);
        let ((first, _), (second, _)) =
            tokio::join!(a.respond(&c, &answer), b.respond(&c, &answer));
        let mut statuses = [first, second];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "one success per challenge");
    }
    let approvals: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit WHERE event = 'approved'")
        .fetch_one(&a.db().await)
        .await
        .expect("audit");
    assert_eq!(approvals, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_that_lost_its_connection_listens_again_and_misses_nothing() {
    let Some((a, b)) = two_instances().await else {
        return;
    };
    let phone = a.enroll("alice").await;
    let c = b.challenge().await;
    let db = a.db().await;
    let name: String = sqlx::query_scalar("SELECT CAST(current_database() AS TEXT)")
        .fetch_one(&db)
        .await
        .expect("name");
    // The cluster's own database: a database cannot refuse connections from inside.
    let cluster = std::env::var(tigr_server::storage::TEST_CLUSTER_VARIABLE).expect("cluster");
    let admin = sqlx::AnyPool::connect(&cluster).await.expect("cluster");
    let allow = |yes: bool| {
        let db = admin.clone();
        let sql = format!("ALTER DATABASE {name} ALLOW_CONNECTIONS {yes}");
        async move { sqlx::query(&sql).execute(&db).await.expect("allow") }
    };
    wait_on_b_while(&b, &c, async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Every listener's connection cut (a database restart, a network failure), and no
        // new connection possible for a while: the approval's notification reaches nobody.
        allow(false).await;
        let cut: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = $1 AND datname = $2",
        )
        .bind(tigr_server::storage::LISTENER)
        .bind(&name)
        .fetch_all(&admin)
        .await
        .expect("listeners cut");
        assert_eq!(cut, [true, true], "one listener per instance");
        let reply = a.respond(&c, &phone.approve(a.origin(), &c)).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        allow(true).await;
        reply
    })
    .await;
}
