//! In-memory wake-ups for long-polling browsers and live pages.
//!
//! A browser waiting on `GET .../status?wait=N` subscribes to its challenge's decisions
//! ([`Topic::Challenge`]), which the approve, deny, offline and card paths notify with
//! [`NotificationHub::notify`] after their transaction commits; a page following every state
//! subscribes to the scan of its QR ([`Topic::Scan`]) as well. A long poll answers decisions
//! only, so a scan does not wake it for a read that would change nothing. The admin page
//! that shows an invitation subscribes to the account's invitations, which a phone's
//! enrollment wakes. A notification carries no data: the waiter re-reads the database, which
//! stays the only source of truth (so a missed or spurious wake-up costs one read, never a
//! wrong answer).
//! Channels exist only while someone waits: the last subscription to go removes its entry.
//!
//! Several instances on one PostgreSQL database: the phone may answer on one and the browser
//! wait on another. [`NotificationHub::relay_to`] then sends every notification to the other
//! instances too (`relay.rs`: PostgreSQL's `NOTIFY`), whose listener wakes its own waiters
//! with [`NotificationHub::notify_here`], or all of them ([`NotificationHub::wake_all`]) when it
//! may have missed some (after it reconnected).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use tokio::sync::{mpsc, watch};

/// What a waiter waits for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Topic {
    /// A decision on the login challenge with this id (approved, denied, blocked).
    Challenge(String),
    /// A phone read the QR of the login challenge with this id (it is now `scanned`).
    Scan(String),
    /// A phone enrolled with an invitation of this account (Tigr ID).
    Invitations(String),
    /// Logout tokens were queued for the services of an ended web session (OpenID Connect
    /// back-channel logout).
    BackchannelLogout,
}

impl Topic {
    /// The topic as text, for other instances (`relay.rs`).
    pub fn to_text(&self) -> String {
        match self {
            Self::Challenge(id) => format!("challenge:{id}"),
            Self::Scan(id) => format!("scan:{id}"),
            Self::Invitations(account) => format!("invitations:{account}"),
            Self::BackchannelLogout => "backchannel-logout".to_owned(),
        }
    }

    /// The topic of [`Topic::to_text`]'s text; `None` for any other text.
    pub fn from_text(text: &str) -> Option<Self> {
        if let Some(id) = text.strip_prefix("challenge:") {
            Some(Self::Challenge(id.to_owned()))
        } else if let Some(id) = text.strip_prefix("scan:") {
            Some(Self::Scan(id.to_owned()))
        } else if let Some(account) = text.strip_prefix("invitations:") {
            Some(Self::Invitations(account.to_owned()))
        } else {
            (text == "backchannel-logout").then_some(Self::BackchannelLogout)
        }
    }
}

/// Channels of the topics that have waiters.
#[derive(Debug, Default)]
pub struct NotificationHub {
    channels: Mutex<HashMap<Topic, watch::Sender<u64>>>,
    /// Where notifications go for the other instances, once set (see the module docs).
    relay: OnceLock<mpsc::UnboundedSender<Topic>>,
}

impl NotificationHub {
    /// An empty hub.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn channels(&self) -> MutexGuard<'_, HashMap<Topic, watch::Sender<u64>>> {
        // The map stays consistent even if a holder panicked: every operation is one call.
        self.channels.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts listening for changes of `topic`. Subscribe *before* reading the state, so that
    /// a change committed in between is not missed.
    pub fn subscribe(self: &Arc<Self>, topic: Topic) -> Subscription {
        let receiver = self
            .channels()
            .entry(topic.clone())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe();
        Subscription {
            hub: Arc::clone(self),
            topic,
            receiver: Some(receiver),
        }
    }

    /// Wakes every waiter of `topic` (no-op when nobody waits), here and, once
    /// [`NotificationHub::relay_to`] was called, on the other instances.
    pub fn notify(&self, topic: &Topic) {
        self.notify_here(topic);
        if let Some(relay) = self.relay.get() {
            // Fails only when the relay stopped (shutdown): nobody is left to tell.
            let _ = relay.send(topic.clone());
        }
    }

    /// Wakes the waiters of `topic` on this instance only (a notification of another one).
    pub fn notify_here(&self, topic: &Topic) {
        if let Some(sender) = self.channels().get(topic) {
            sender.send_modify(|version| *version = version.wrapping_add(1));
        }
    }

    /// Wakes every waiter of this instance: each re-reads its state, so none misses a change
    /// whose notification was lost.
    pub fn wake_all(&self) {
        for sender in self.channels().values() {
            sender.send_modify(|version| *version = version.wrapping_add(1));
        }
    }

    /// Sends every later notification to `relay` too (once; later calls change nothing).
    pub fn relay_to(&self, relay: mpsc::UnboundedSender<Topic>) {
        let _ = self.relay.set(relay);
    }

    /// Number of topics with waiters.
    pub fn len(&self) -> usize {
        self.channels().len()
    }

    /// True when nobody waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of live subscriptions of browsers (long polls, event streams, live admin
    /// pages), over all topics; the server's own background tasks (back-channel logout
    /// delivery) are not browsers and do not count, nor do scans (an event stream follows
    /// its challenge's scan beside its decision: one browser). One pass over the channels,
    /// for the metrics endpoint.
    pub fn waiters(&self) -> usize {
        self.channels()
            .iter()
            .filter(|(topic, _)| !matches!(topic, Topic::BackchannelLogout | Topic::Scan(_)))
            .map(|(_, sender)| sender.receiver_count())
            .sum()
    }
}

/// A waiter's handle; dropping it unsubscribes.
#[derive(Debug)]
pub struct Subscription {
    hub: Arc<NotificationHub>,
    topic: Topic,
    receiver: Option<watch::Receiver<u64>>,
}

impl Subscription {
    /// Resolves at the next notification after the previous call (or after subscribing).
    pub async fn changed(&mut self) {
        match self.receiver.as_mut() {
            // The sender lives in the map as long as a receiver exists, so this only fails if
            // the hub itself is gone; then there is nothing left to wait for.
            Some(receiver) => {
                if receiver.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
            None => std::future::pending::<()>().await,
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        // Drop the receiver first, then remove the channel under the lock if it was the last.
        // `subscribe` also runs under the lock, so no subscriber can be lost in between.
        drop(self.receiver.take());
        let mut channels = self.hub.channels();
        if channels
            .get(&self.topic)
            .is_some_and(|sender| sender.receiver_count() == 0)
        {
            channels.remove(&self.topic);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn challenge(id: &str) -> Topic {
        Topic::Challenge(id.to_owned())
    }

    #[tokio::test]
    async fn notify_wakes_waiters_and_entries_are_cleaned() {
        let hub = NotificationHub::new();
        let mut a = hub.subscribe(challenge("C1"));
        let mut b = hub.subscribe(challenge("C1"));
        let _other = hub.subscribe(challenge("C2"));
        let _delivery = hub.subscribe(Topic::BackchannelLogout);
        let _scan = hub.subscribe(Topic::Scan("C2".into()));
        assert_eq!(hub.len(), 4);
        assert_eq!(
            hub.waiters(),
            3,
            "the background task is not a browser; a scan's waiter follows C2's decision too"
        );
        hub.notify(&challenge("C1"));
        tokio::time::timeout(Duration::from_secs(1), a.changed())
            .await
            .expect("a woken");
        tokio::time::timeout(Duration::from_secs(1), b.changed())
            .await
            .expect("b woken");
        // No new notification: waiting times out.
        assert!(
            tokio::time::timeout(Duration::from_millis(20), a.changed())
                .await
                .is_err()
        );
        drop(a);
        assert_eq!(hub.len(), 4, "b still waits on C1");
        drop(b);
        assert_eq!(hub.len(), 3);
        assert_eq!(hub.waiters(), 1);
        hub.notify(&challenge("nobody"));
        assert_eq!(hub.len(), 3);
    }

    #[tokio::test]
    async fn topics_of_different_kinds_never_meet() {
        let hub = NotificationHub::new();
        let mut invitations = hub.subscribe(Topic::Invitations("alice".into()));
        hub.notify(&challenge("alice"));
        assert!(
            tokio::time::timeout(Duration::from_millis(20), invitations.changed())
                .await
                .is_err(),
            "a challenge id never wakes an account's invitations"
        );
        hub.notify(&Topic::Invitations("alice".into()));
        tokio::time::timeout(Duration::from_secs(1), invitations.changed())
            .await
            .expect("woken");
        let mut decisions = hub.subscribe(challenge("C1"));
        hub.notify(&Topic::Scan("C1".into()));
        assert!(
            tokio::time::timeout(Duration::from_millis(20), decisions.changed())
                .await
                .is_err(),
            "a scan never wakes a waiter of the challenge's decision"
        );
    }

    #[test]
    fn topics_survive_their_text() {
        for topic in [
            challenge("KSCOYKYK5KBVLES4YCSLQSONXU"),
            Topic::Scan("KSCOYKYK5KBVLES4YCSLQSONXU".into()),
            Topic::Invitations("alice:b".into()),
            Topic::BackchannelLogout,
        ] {
            assert_eq!(Topic::from_text(&topic.to_text()), Some(topic));
        }
        assert_eq!(Topic::from_text("nothing"), None);
    }

    #[tokio::test]
    async fn relayed_notifications_wake_here_and_go_out_and_wake_all_wakes_everyone() {
        let hub = NotificationHub::new();
        let (relay, mut out) = mpsc::unbounded_channel();
        hub.relay_to(relay);
        let mut a = hub.subscribe(challenge("A"));
        let mut b = hub.subscribe(Topic::Invitations("bob".into()));
        hub.notify(&challenge("A"));
        tokio::time::timeout(Duration::from_secs(1), a.changed())
            .await
            .expect("woken here");
        assert_eq!(out.try_recv().ok(), Some(challenge("A")));
        hub.notify_here(&challenge("A"));
        assert!(
            out.try_recv().is_err(),
            "a notification from elsewhere is not sent back"
        );
        hub.wake_all();
        tokio::time::timeout(Duration::from_secs(1), b.changed())
            .await
            .expect("b woken");
    }

    #[tokio::test]
    async fn notification_between_subscribe_and_wait_is_kept() {
        let hub = NotificationHub::new();
        let mut s = hub.subscribe(challenge("C"));
        hub.notify(&challenge("C"));
        tokio::time::timeout(Duration::from_secs(1), s.changed())
            .await
            .expect("not lost");
    }
}
