//! Announcements between the instances that share a PostgreSQL database: short texts sent
//! with `NOTIFY` on one channel and received by every instance's listener (`LISTEN`). The
//! store's callers use them to wake the waiters of another instance (`relay.rs`); the
//! database stays the only source of truth, so a lost announcement costs a wait, never a
//! wrong answer.

use std::str::FromStr as _;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};

use super::conn::Engine;
use super::{StorageError, Store, values_sql, writer::MAX_BATCH};

/// The channel of every announcement.
const CHANNEL: &str = "tigr_hub";

/// The `application_name` of the listeners' connections (seen in `pg_stat_activity`).
pub const LISTENER: &str = "tigr-server listener";

impl Store {
    /// Sends `texts` to every listening instance (this one included), in order. Nothing on
    /// SQLite, which one server serves alone.
    pub async fn announce(&self, texts: &[String]) -> Result<(), StorageError> {
        if self.engine != Engine::Postgres {
            return Ok(());
        }
        for chunk in texts.chunks(MAX_BATCH) {
            let sql = values_sql(
                "SELECT pg_notify(?, v) FROM (",
                ") AS t (v)",
                1,
                chunk.len(),
            );
            let mut query = sqlx::query(&sql).bind(CHANNEL);
            for text in chunk {
                query = query.bind(text.as_str());
            }
            query.execute(&mut *self.read_conn().await).await?;
        }
        Ok(())
    }
}

/// What an instance hears of the announcements.
#[derive(Debug)]
pub enum Heard {
    /// One announcement.
    Text(String),
    /// The listener's connection was lost and made again: announcements of the meantime
    /// may be missing.
    Reconnected,
}

/// An instance's listener of announcements (its own connection).
#[derive(Debug)]
pub struct Announcements {
    listener: PgListener,
}

impl Announcements {
    /// Starts listening on the PostgreSQL database of `url`, on a connection of its own.
    pub async fn listen(url: &str) -> Result<Self, StorageError> {
        let options = PgConnectOptions::from_str(url)?.application_name(LISTENER);
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_lazy_with(options);
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(CHANNEL).await?;
        Ok(Self { listener })
    }

    /// The next thing heard. After [`Heard::Reconnected`] or an error, announcements may
    /// have been missed: make a new listener ([`Announcements::listen`]).
    pub async fn next(&mut self) -> Result<Heard, StorageError> {
        Ok(match self.listener.try_recv().await? {
            Some(notification) => Heard::Text(notification.payload().to_owned()),
            None => Heard::Reconnected,
        })
    }
}
