//! Live notifications across the instances that share a PostgreSQL database (docs/ARCHITECTURE.md,
//! "PostgreSQL"): the phone answers on one instance, the browser waits on another, and that
//! one learns it at once.
//!
//! Every notification of this instance's hub goes out as an announcement (`NOTIFY`) tagged
//! with this instance's id; the listener wakes the local waiters of every announcement from
//! another instance. When the listener's connection was lost, it wakes every local waiter
//! once it is back: each re-reads its state, so nothing committed meanwhile is missed.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::hub::{NotificationHub, Topic};
use crate::storage::{Announcements, Heard, Store};

/// How long the listener waits before trying again when the database cannot be reached.
const RETRY: Duration = Duration::from_secs(1);

/// Starts relaying the notifications of `hub` through the database of `store` (at `url`),
/// until `shutdown` turns true. `instance` tells this instance's announcements apart.
pub async fn start(
    store: Store,
    url: &str,
    hub: &Arc<NotificationHub>,
    instance: String,
    shutdown: watch::Receiver<bool>,
) -> Result<(), crate::storage::StorageError> {
    let announcements = Announcements::listen(url).await?;
    let (outbox, topics) = mpsc::unbounded_channel();
    hub.relay_to(outbox);
    tokio::spawn(send(store, topics, instance.clone()));
    tokio::spawn(listen(announcements, Arc::clone(hub), instance, shutdown));
    Ok(())
}

/// `instance|topic`.
fn tagged(instance: &str, topic: &Topic) -> String {
    format!("{instance}|{}", topic.to_text())
}

/// The topic of an announcement of another instance than `instance`.
fn from_elsewhere(instance: &str, text: &str) -> Option<Topic> {
    let (sender, topic) = text.split_once('|')?;
    if sender == instance {
        return None;
    }
    Topic::from_text(topic)
}

/// Sends the hub's notifications, those waiting together in one statement.
async fn send(store: Store, mut topics: mpsc::UnboundedReceiver<Topic>, instance: String) {
    let mut waiting = Vec::new();
    while topics.recv_many(&mut waiting, 256).await > 0 {
        let texts: Vec<String> = waiting.drain(..).map(|t| tagged(&instance, &t)).collect();
        if let Err(error) = store.announce(&texts).await {
            // The other instances' waiters then learn it at their next re-read (a wait's end
            // or a reconnection): late, never wrong.
            tracing::warn!(%error, "notifications not sent to the other instances");
        }
    }
}

/// Wakes this instance's waiters of what the other instances announce.
async fn listen(
    mut announcements: Announcements,
    hub: Arc<NotificationHub>,
    instance: String,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let heard = tokio::select! {
            heard = announcements.next() => heard,
            _ = shutdown.wait_for(|stop| *stop) => return,
        };
        match heard {
            Ok(Heard::Text(text)) => {
                if let Some(topic) = from_elsewhere(&instance, &text) {
                    hub.notify_here(&topic);
                }
            }
            Ok(Heard::Reconnected) => {
                tracing::warn!("the listener of the other instances reconnected");
                hub.wake_all();
            }
            Err(error) => {
                tracing::warn!(%error, "the listener of the other instances lost the database");
                tokio::time::sleep(RETRY).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements_of_this_instance_are_not_heard_back() {
        let topic = Topic::Challenge("C1".into());
        let text = tagged("a1", &topic);
        assert_eq!(from_elsewhere("b2", &text), Some(topic));
        assert_eq!(from_elsewhere("a1", &text), None);
        assert_eq!(from_elsewhere("b2", "no bar"), None);
        assert_eq!(from_elsewhere("b2", "a1|unknown"), None);
    }
}
