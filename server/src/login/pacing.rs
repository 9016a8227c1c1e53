//! Offline-code replies leave at a fixed time after the request came in, whatever the Tigr
//! ID typed (docs/security.md, "Account enumeration").
//!
//! Every typed ID already gets the same checks and the same kind of work, but not exactly
//! the same amount of it: an ID with no account reads no account row and indexes no account
//! id, and the release build answers it some 15 µs sooner, which a patient client can
//! measure. Rather than chase every microsecond of the storage engine, the reply is held
//! until the reply time (`TIGR_OFFLINE_REPLY_TIME`, 20 ms by default) after the request
//! arrived: the work's differences end
//! before that time and nothing of them reaches the socket. A reply whose work took longer
//! than the pacing (a stalled or overloaded server) is counted late
//! (`tigr_offline_replies_late_total`) and leaves at the next whole multiple of the pacing
//! after its arrival, not when its work ended: its time tells how long the stall was to
//! the nearest period, never the work's length.
//!
//! The wait is not a tokio timer: tokio counts time in whole milliseconds from the moment a
//! worker goes to sleep, so a timer set for the same deadline fires up to 1 ms later when
//! the work before it ended later — the work's length, modulo 1 ms, would show in the
//! reply. The [`Pacer`] thread sleeps with the operating system's high-resolution timer to
//! the deadline itself, then wakes the reply.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::future::Future;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::metrics::LateReplies;

/// Runs `work` and returns its result once `wait_until(arrival + n * reply_time)` is over,
/// for the smallest `n >= 1` not before the work's end; counts the call in `late` when
/// `n > 1` (the work alone took longer than `reply_time`).
pub(super) async fn paced<T, W: Future<Output = ()>>(
    reply_time: Duration,
    late: &LateReplies,
    wait_until: impl FnOnce(Instant) -> W,
    work: impl Future<Output = T>,
) -> T {
    let arrival = Instant::now();
    let result = work.await;
    let periods = whole_periods(arrival.elapsed(), reply_time);
    if periods > 1 {
        late.count();
    }
    // A stall of hours is not a case to pace: past `u32::MAX` periods, leave at once.
    let wait = u32::try_from(periods)
        .ok()
        .and_then(|n| reply_time.checked_mul(n))
        .unwrap_or_default();
    wait_until(arrival + wait).await;
    result
}

/// How many whole `period`s `took` spans, rounded up, at least 1.
fn whole_periods(took: Duration, period: Duration) -> u128 {
    took.as_nanos().div_ceil(period.as_nanos().max(1)).max(1)
}

/// A thread that wakes paced replies at their deadline, to the precision of the operating
/// system's timer, earliest deadline first (a reply whose work took longer asks later for
/// an earlier deadline: it must not wait behind the others). The thread ends with the last
/// handle.
#[derive(Debug)]
pub struct Pacer {
    deadlines: mpsc::Sender<Waiting>,
}

/// A reply waiting for its deadline.
#[derive(Debug)]
struct Waiting {
    at: std::time::Instant,
    wake: oneshot::Sender<()>,
}

// Ordered by deadline, reversed: `BinaryHeap` pops its greatest item, and the earliest
// deadline must come first.
impl Ord for Waiting {
    fn cmp(&self, other: &Self) -> Ordering {
        other.at.cmp(&self.at)
    }
}

impl PartialOrd for Waiting {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Waiting {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl Eq for Waiting {}

impl Pacer {
    /// Starts the pacing thread.
    pub fn start() -> std::io::Result<Self> {
        let (deadlines, asked) = mpsc::channel();
        std::thread::Builder::new()
            .name("tigr-pacer".into())
            .spawn(move || wake_at_deadlines(&asked))?;
        Ok(Self { deadlines })
    }

    /// Returns at `at` (or at once if it has passed).
    pub async fn until(&self, at: Instant) {
        let (wake, woken) = oneshot::channel();
        let waiting = Waiting {
            at: at.into_std(),
            wake,
        };
        if self.deadlines.send(waiting).is_ok() {
            let _ = woken.await;
        }
    }
}

/// The pacing thread: waits for the earliest deadline or a new one (`recv_timeout` sleeps
/// on a futex with a nanosecond timeout), wakes every reply whose time has come.
fn wake_at_deadlines(asked: &mpsc::Receiver<Waiting>) {
    let mut waiting = BinaryHeap::new();
    loop {
        let now = std::time::Instant::now();
        while waiting.peek().is_some_and(|next: &Waiting| next.at <= now) {
            if let Some(due) = waiting.pop() {
                // The reply's request may have gone (client closed): nothing to wake.
                let _ = due.wake.send(());
            }
        }
        let next = match waiting.peek() {
            None => asked.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(next) => asked.recv_timeout(next.at.saturating_duration_since(now)),
        };
        match next {
            Ok(new) => waiting.push(new),
            Err(RecvTimeoutError::Timeout) => {}
            // The service is gone: dropping the rest wakes their waiters at once.
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACE: Duration = Duration::from_millis(25);

    /// The tokio timer, in tests whose clock is paused (exact times).
    async fn tokio_sleep(at: Instant) {
        tokio::time::sleep_until(at).await;
    }

    /// The reply time, after the call, of one paced call per work length (in ms).
    async fn reply_times(late: &LateReplies, works: &[u64]) -> Vec<Duration> {
        let mut times = Vec::new();
        for work in works {
            let start = Instant::now();
            let work = tokio::time::sleep(Duration::from_millis(*work));
            paced(PACE, late, tokio_sleep, work).await;
            times.push(start.elapsed());
        }
        times
    }

    #[tokio::test(start_paused = true)]
    async fn a_quick_reply_waits_for_its_time_and_is_not_late() {
        let late = LateReplies::default();
        let start = Instant::now();
        let result = paced(PACE, &late, tokio_sleep, async {
            tokio::time::sleep(Duration::from_millis(3)).await;
            "reply"
        })
        .await;
        assert_eq!(result, "reply");
        assert_eq!(start.elapsed(), PACE);
        assert_eq!(late.get(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn replies_of_different_work_leave_at_the_same_time() {
        let late = LateReplies::default();
        assert_eq!(reply_times(&late, &[0, 1, 24, 25]).await, [PACE; 4]);
        assert_eq!(late.get(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_reply_leaves_at_the_next_whole_reply_time_and_is_counted_late() {
        let late = LateReplies::default();
        // Different slow work in the same period leaves at the same time.
        let times = reply_times(&late, &[26, 40, 50, 51, 74]).await;
        assert_eq!(times, [50, 50, 50, 75, 75].map(Duration::from_millis));
        assert_eq!(late.get(), 5);
    }

    #[test]
    fn whole_periods_round_up_and_are_at_least_one() {
        let period = Duration::from_millis(20);
        let periods = |micros: u64| whole_periods(Duration::from_micros(micros), period);
        assert_eq!(periods(0), 1);
        assert_eq!(periods(20_000), 1);
        assert_eq!(periods(20_001), 2);
        assert_eq!(periods(40_000), 2);
        assert_eq!(periods(40_001), 3);
        assert_eq!(
            whole_periods(Duration::from_secs(1), Duration::ZERO),
            1_000_000_000
        );
    }

    /// The real thread, in real time: every waiter is woken, none before its deadline, and
    /// deadlines already past return at once.
    #[tokio::test]
    async fn the_pacer_wakes_every_waiter_at_its_deadline_not_before() {
        let pacer = std::sync::Arc::new(Pacer::start().expect("pacer thread"));
        let start = Instant::now();
        let waiters: Vec<_> = (1..=5u64)
            .map(|n| {
                let pacer = std::sync::Arc::clone(&pacer);
                let at = start + Duration::from_millis(5 * n);
                tokio::spawn(async move {
                    pacer.until(at).await;
                    (Instant::now(), at)
                })
            })
            .collect();
        for waiter in waiters {
            let (woken, at) = waiter.await.expect("waiter");
            assert!(woken >= at, "woken {:?} early", at - woken);
            assert!(woken - at < Duration::from_secs(5), "woken far too late");
        }
        let past = Instant::now();
        pacer.until(start).await;
        assert!(past.elapsed() < Duration::from_secs(5));
    }

    /// A later deadline asked first does not hold back an earlier one asked after it.
    #[tokio::test]
    async fn the_earliest_deadline_is_woken_first_whatever_the_order_asked() {
        let pacer = std::sync::Arc::new(Pacer::start().expect("pacer thread"));
        let start = Instant::now();
        let wait = |millis: u64| {
            let pacer = std::sync::Arc::clone(&pacer);
            let at = start + Duration::from_millis(millis);
            tokio::spawn(async move {
                pacer.until(at).await;
                Instant::now()
            })
        };
        let late = wait(300);
        tokio::time::sleep(Duration::from_millis(5)).await;
        let early = wait(20);
        let (early, late) = (early.await.expect("early"), late.await.expect("late"));
        assert!(early >= start + Duration::from_millis(20));
        assert!(late >= start + Duration::from_millis(300));
        assert!(
            early < late,
            "the earlier deadline waited behind the later one"
        );
    }
}
