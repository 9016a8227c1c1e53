//! The server's tokio runtime: request threads that give way to the database's threads.
//!
//! Every login waits for the writer, the one database connection all writes go through
//! (`storage/writer.rs`): under load it is busy all the time, and each of its statements is
//! a hand-off to the connection's own thread (sqlx runs each SQLite connection on a thread
//! of its own). When both cores are busy serving requests, that thread waits for a core
//! after each wake-up, and every login waits with it: at 32 virtual users the writer was
//! held 99 % of the time while the machine was 30 % idle (docs/benchmarks.md). So the
//! threads that serve requests (tokio's workers and blocking threads) lower their own
//! priority by `worker_nice` steps when they start, and the database's threads, started by
//! the thread that opens the store before any worker touches it, keep the process's: the
//! scheduler then runs the writer's thread as soon as it is woken.
//!
//! Lowering one's own priority needs no privilege. Linux sets nice values per thread; on
//! other systems it would lower the whole process, database threads included, so nothing is
//! changed there.

/// A multi-thread runtime builder whose worker and blocking threads run `worker_nice`
/// steps below the thread that builds it (0: same priority). The store must be opened from
/// that thread (e.g. in `Runtime::block_on`), so that its connection threads keep its
/// priority.
pub fn builder(worker_nice: u8) -> tokio::runtime::Builder {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if worker_nice > 0 {
        builder.on_thread_start(move || lower_this_thread(worker_nice));
    }
    builder
}

/// Adds `steps` to the calling thread's nice value (at most 19). A failure (a sandbox that
/// forbids the call) leaves the priority as it was: slower under load, never wrong.
#[cfg(target_os = "linux")]
fn lower_this_thread(steps: u8) {
    use rustix::process::{getpriority_process, setpriority_process};
    let this = Some(rustix::thread::gettid());
    let lowered = getpriority_process(this)
        .and_then(|nice| setpriority_process(this, (nice + i32::from(steps)).min(19)));
    if let Err(error) = lowered {
        tracing::warn!(%error, "could not lower the priority of a request thread");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_this_thread(_steps: u8) {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use rustix::process::getpriority_process;
    use rustix::thread::gettid;

    fn nice_of_this_thread() -> i32 {
        getpriority_process(Some(gettid())).expect("getpriority")
    }

    /// The nice value a worker thread of `runtime` runs at.
    fn nice_of_a_worker(runtime: &tokio::runtime::Runtime) -> i32 {
        runtime
            .block_on(async { tokio::spawn(async { nice_of_this_thread() }).await })
            .expect("worker task")
    }

    /// A runtime of one worker, `steps` below this thread.
    fn one_worker(steps: u8) -> tokio::runtime::Runtime {
        super::builder(steps)
            .worker_threads(1)
            .build()
            .expect("runtime")
    }

    #[test]
    fn workers_run_lower_than_the_building_thread_which_keeps_its_priority() {
        // A thread of its own: the test harness's threads are shared with other tests.
        std::thread::spawn(|| {
            let before = nice_of_this_thread();
            let runtime = one_worker(3);
            let worker = nice_of_a_worker(&runtime);
            let blocking = runtime
                .block_on(async { tokio::task::spawn_blocking(nice_of_this_thread).await })
                .expect("blocking task");
            // A thread started from the building thread (as sqlx starts a connection's).
            let started_here = std::thread::spawn(nice_of_this_thread)
                .join()
                .expect("thread");
            assert_eq!(worker, (before + 3).min(19), "worker thread");
            assert_eq!(blocking, (before + 3).min(19), "blocking thread");
            assert_eq!(nice_of_this_thread(), before, "the building thread");
            assert_eq!(started_here, before, "threads it starts");
            assert_eq!(nice_of_a_worker(&one_worker(0)), before, "0: same priority");
        })
        .join()
        .expect("test thread");
    }
}
