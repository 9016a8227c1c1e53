//! The server's stop signal, as long waits (long polls, event streams, background tasks)
//! see it: they end at once when the server shuts down.

use tokio::sync::watch;

/// Resolves once the shutdown flag is set (or its sender is gone).
pub async fn stopping(shutdown: &mut watch::Receiver<bool>) {
    // `wait_for` returns a non-Send borrow of the value: drop it before any await.
    let _ = shutdown.wait_for(|stopping| *stopping).await.map(|_| ());
}
