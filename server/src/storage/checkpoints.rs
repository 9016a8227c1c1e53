//! SQLite's WAL copied into the database file from a connection of its own, beside the
//! writer rather than inside its commits.
//!
//! By default SQLite checkpoints in the commit that takes the WAL past 1,000 pages: the
//! writer then copies the pages into the database file and waits for two `fsync`s (the WAL,
//! then the file), about 2 ms each on the reference machine, while every other write waits
//! for it. Under load that was about 30 checkpoints a second, a tenth of the writer's time
//! (docs/benchmarks.md, "Checkpoints beside the writer"). So the writer's own automatic
//! checkpoint is moved far out ([`WRITER_AUTOCHECKPOINT`]), and a task of this module runs
//! a `PASSIVE` checkpoint on its own connection [`PERIOD`] after writes: it neither waits
//! for nor holds back the writer, and its `fsync`s block only its own thread.
//!
//! A passive checkpoint copies what is committed; only the writer may then restart the
//! WAL from its beginning, and only once everything in it was copied. Under steady load new
//! pages arrive while the task copies, so the WAL would grow without end: the writer's own
//! checkpoint at [`WRITER_AUTOCHECKPOINT`] pages (about 64 MiB) is the bound, and by then it
//! only has the last pages to copy. A quiet server's WAL is copied whole one period after
//! its last write, and the next write starts it over. Durability is SQLite's either way:
//! a checkpoint copies committed pages, from any connection.

use std::time::Duration;

use sqlx::Connection as _;
use sqlx::sqlite::SqliteConnection;
use tokio::sync::mpsc;

/// Pages in the WAL at which the writer checkpoints in its own commit: the bound of the
/// WAL's size (4 KiB pages), reached only when the checkpoints of this module fall behind
/// a steady load.
pub(super) const WRITER_AUTOCHECKPOINT: u32 = 16_000;

/// How long after a write the WAL is checkpointed: writes within one period share one
/// checkpoint.
const PERIOD: Duration = Duration::from_millis(50);

/// Tells the checkpointing task that the writer wrote (or is about to). Dropping the last
/// clone ends the task and closes its connection.
#[derive(Debug, Clone)]
pub(super) struct Wake(mpsc::Sender<()>);

impl Wake {
    /// A checkpoint follows within [`PERIOD`] or so (cheap: no wake-up while one is due).
    pub(super) fn wrote(&self) {
        // Full: a checkpoint is due already. Closed: the task ended with the runtime.
        let _ = self.0.try_send(());
    }
}

/// Starts checkpointing the WAL of the database `conn` is open on, from `conn`.
pub(super) fn start(conn: SqliteConnection) -> Wake {
    let (wake, woken) = mpsc::channel(1);
    drop(tokio::spawn(checkpoint_after_writes(conn, woken)));
    Wake(wake)
}

async fn checkpoint_after_writes(mut conn: SqliteConnection, mut woken: mpsc::Receiver<()>) {
    let mut failing = false;
    while woken.recv().await.is_some() {
        tokio::time::sleep(PERIOD).await;
        // (busy, pages in the WAL, pages copied): busy and a partial copy are normal while
        // the writer writes.
        let outcome = sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&mut conn)
            .await;
        match outcome {
            Ok(_) => failing = false,
            // Once per run of failures: the writer's own checkpoint still bounds the WAL.
            Err(error) if !failing => {
                failing = true;
                tracing::warn!(%error, "WAL checkpoint failed");
            }
            Err(_) => {}
        }
    }
    drop(conn.close().await);
}

#[cfg(test)]
mod tests {
    use std::str::FromStr as _;

    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions as _, Connection as _};

    use crate::storage::{NewChallenge, Store};

    /// Rows visible in the database file alone, without its WAL (`immutable` reads the file
    /// as it is); 0 when it cannot be read yet (no such table while the schema itself is
    /// still in the WAL only, or a page read while the task copies it).
    async fn challenges_in_file(path: &std::path::Path, id: &str) -> i64 {
        let options =
            SqliteConnectOptions::from_str(&format!("sqlite://{}?immutable=true", path.display()))
                .unwrap()
                .read_only(true);
        let Ok(mut conn) = options.connect().await else {
            return 0;
        };
        let count = sqlx::query_scalar("SELECT count(*) FROM challenges WHERE id = ?")
            .bind(id)
            .fetch_one(&mut conn)
            .await
            .unwrap_or(0);
        drop(conn.close().await);
        count
    }

    #[tokio::test]
    async fn writes_reach_the_database_file_without_the_writer_checkpointing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tigr.db");
        let (store, _) = Store::open(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let autocheckpoint: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(&mut *store.writer.lock().await)
            .await
            .unwrap();
        assert_eq!(autocheckpoint, i64::from(super::WRITER_AUTOCHECKPOINT));

        let id = "c".repeat(26);
        store
            .insert_challenge(&NewChallenge {
                id: &id,
                nonce: "n",
                browser_token_hash: &[0; 32],
                created_at: 1,
                expires_at: 100,
                browser_ip: "127.0.0.1",
                browser_summary: "test",
                service_name: None,
            })
            .await
            .unwrap();
        // The insert is committed in the WAL, a few pages far below the writer's own
        // threshold: only the checkpointing task copies it into the file.
        let mut copied = 0;
        for _ in 0..100 {
            copied = challenges_in_file(&path, &id).await;
            if copied == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(copied, 1, "the WAL was not checkpointed within 5 s");
    }
}
