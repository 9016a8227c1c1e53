//! Live notifications across the instances that share a PostgreSQL database (docs/ARCHITECTURE.md,
//! "PostgreSQL"): the phone answers on one instance, the browser waits on another, and that
//! one learns it at once.
//!
//! Every notification of this instance's hub goes out as an announcement (`NOTIFY`) tagged
//! with this instance's id; the listener wakes the local waiters of every announcement from
//! another instance. When the listener's connection is lost, it listens again on a new one
//! and then wakes every local waiter: each re-reads its state, so nothing committed meanwhile
//! is missed.

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
    tokio::spawn(listen(
        announcements,
        url.to_owned(),
        Arc::clone(hub),
        instance,
        shutdown,
    ));
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

/// Wakes this instance's waiters of what the other instances announce. When the listener's
/// connection is lost, a new one is made (every [`RETRY`] until it works), and once it
/// listens, every waiter is woken to re-read: a change committed while nobody listened is not
/// missed.
async fn listen(
    mut announcements: Announcements,
    url: String,
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
            Ok(Heard::Reconnected) | Err(_) => {
                tracing::warn!("the listener of the other instances lost the database");
                announcements = loop {
                    match Announcements::listen(&url).await {
                        Ok(again) => break again,
                        Err(error) => {
                            tracing::warn!(%error, "the listener of the other instances waits");
                        }
                    }
                    tokio::select! {
                        () = tokio::time::sleep(RETRY) => {}
                        _ = shutdown.wait_for(|stop| *stop) => return,
                    }
                };
                tracing::info!("the listener of the other instances listens again");
                hub.wake_all();
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
