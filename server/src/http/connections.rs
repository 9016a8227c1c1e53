//! The connection loop: HTTP/1.1 over TCP, with a cap on open connections and the timeouts
//! that keep slow or idle clients from holding them (docs/security.md, "Connections").
//!
//! * **Cap**: a connection takes one of `max_connections` slots for its whole life. When
//!   none is free the loop stops accepting, so new connections wait in the kernel's listen
//!   queue until one closes; those already admitted are always served. The cap is sized so
//!   that accepting never runs out of descriptors ([`crate::Config::connection_cap`]).
//! * **Idle timeout**: a connection with no request in progress (a fresh one, or one kept
//!   alive after a reply) is closed when the next request's first byte has not come within
//!   `idle_timeout`.
//! * **Header timeout**: from a request's first byte, its whole head must arrive within
//!   `header_timeout` (clients that trickle headers, "slowloris", are cut off).
//! * **Write timeout**: a reply that the client does not read for `idle_timeout` ends the
//!   connection.
//! * **Body timeout** ([`body_deadline`], a layer of the router): a request's body must
//!   arrive whole within `body_timeout` of its head, else 408 and the connection closes; a
//!   body announced beyond [`MAX_BODY_BYTES`] is refused (413) before anything is read.
//! * **Accept errors** (no descriptor left, ...) never end the loop: it backs off from
//!   10 ms to 1 s, and logs at most every 10 s.
//!
//! A request is "in progress" from its head until its reply's body is dropped (sent, or
//! abandoned), so event streams and long polls are never cut by these timeouts: they end by
//! themselves (challenge expiry, `wait`, session end) and are capped per client address by
//! [`super::live`]. Every cut is counted in `tigr_connection_timeouts_total`.

use std::convert::Infallible;
use std::future::Future as _;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderValue;
use axum::http::header::CONNECTION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::task::AtomicWaker;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::{Instant, Sleep};
use tower::ServiceExt as _;

use crate::metrics::{ConnectionCounters, TimeoutPhase};
use crate::shutdown::stopping;

use super::AppState;
use super::error::{ApiError, MAX_BODY_BYTES};

/// Largest buffer of a connection: a request head must fit (hyper's default, ~400 KiB,
/// would let each slow client make the server hold that much).
const MAX_BUFFER_BYTES: usize = 64 * 1024;
/// First pause after a failed accept; doubled at each failure in a row.
const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(10);
/// Longest pause after failed accepts.
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);
/// Warnings of a full cap or of failed accepts come at most this often (they may repeat
/// thousands of times a second under attack; the metrics count each one).
const WARNING_INTERVAL: Duration = Duration::from_secs(10);

/// The connection loop's limits (from the configuration).
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Connections open at once at most.
    pub max_connections: usize,
    /// Time for a request's head, from its first byte.
    pub header_timeout: Duration,
    /// Time a connection without a request in progress waits for the next request's first
    /// byte; also the time a reply waits for a client that does not read.
    pub idle_timeout: Duration,
}

/// Serves `app` on `listener` until `shutdown` is set, then stops accepting, lets each
/// connection finish its request in progress (long polls return at once) and waits for all.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    counters: Arc<ConnectionCounters>,
    mut shutdown: watch::Receiver<bool>,
) {
    counters.set_max(limits.max_connections);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    // Every connection holds a receiver: the loop waits for the last one to go.
    let (all_closed, connection_alive) = watch::channel(());
    let mut backoff = ACCEPT_BACKOFF_MIN;
    let mut warned_full: Option<Instant> = None;
    let mut warned_accept: Option<Instant> = None;
    loop {
        let slot = match Arc::clone(&slots).try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                counters.cap_reached();
                if due(&mut warned_full) {
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        "all {} connection slots are taken: new connections wait in the listen \
                         queue until one closes (see tigr_connection_cap_reached_total)",
                        limits.max_connections
                    );
                }
                tokio::select! {
                    slot = Arc::clone(&slots).acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => break,
                    },
                    () = stopping(&mut shutdown) => break,
                }
            }
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stopping(&mut shutdown) => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                backoff = ACCEPT_BACKOFF_MIN;
                let admission = Admission::new(slot, &counters, connection_alive.clone());
                tokio::spawn(connection(
                    stream,
                    peer,
                    admission,
                    app.clone(),
                    limits,
                    shutdown.clone(),
                ));
            }
            // The client gave up before we accepted: nothing to do.
            Err(error) if is_client_gone(&error) => {}
            Err(error) => {
                counters.accept_failed();
                if due(&mut warned_accept) {
                    tracing::warn!(%error, "cannot accept connections; retrying (see tigr_accept_errors_total)");
                }
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    () = stopping(&mut shutdown) => break,
                }
                backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
            }
        }
    }
    drop(listener);
    drop(connection_alive);
    all_closed.closed().await;
}

/// True (and the time noted) when the last warning of this kind is old enough.
fn due(last: &mut Option<Instant>) -> bool {
    let now = Instant::now();
    if last.is_some_and(|at| now.duration_since(at) < WARNING_INTERVAL) {
        return false;
    }
    *last = Some(now);
    true
}

/// Accept errors that concern one client only (the loop goes on at once).
fn is_client_gone(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// A connection's slot, counted open until dropped.
struct Admission {
    _slot: OwnedSemaphorePermit,
    counters: Arc<ConnectionCounters>,
    _alive: watch::Receiver<()>,
}

impl Admission {
    fn new(
        slot: OwnedSemaphorePermit,
        counters: &Arc<ConnectionCounters>,
        alive: watch::Receiver<()>,
    ) -> Self {
        counters.opened();
        Self {
            _slot: slot,
            counters: Arc::clone(counters),
            _alive: alive,
        }
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        self.counters.closed();
    }
}

/// Serves one connection until it ends, is cut for slowness, or the server stops.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    admission: Admission,
    app: Router,
    limits: ConnectionLimits,
    mut shutdown: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity::new(Instant::now()));
    let io = TokioIo::new(WatchedStream::new(
        stream,
        Arc::clone(&activity),
        limits,
        Arc::clone(&admission.counters),
    ));
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let in_progress = InProgress::start(Arc::clone(&activity));
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        let reply = app.clone().oneshot(request);
        async move {
            let response = match reply.await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            Ok::<_, Infallible>(response.map(|body| BodyWith::holding(body, in_progress)))
        }
    });
    let served = hyper::server::conn::http1::Builder::new()
        .header_read_timeout(None)
        .max_buf_size(MAX_BUFFER_BYTES)
        .serve_connection(io, service);
    let mut served = pin!(served);
    tokio::select! {
        result = served.as_mut() => finished(result),
        () = stopping(&mut shutdown) => {
            // Idle connections close now; one with a request in progress after its reply.
            served.as_mut().graceful_shutdown();
            finished(served.await);
        }
    }
    drop(admission);
}

/// Logs how a connection ended, when it did not end well (debug: clients vanish all the time).
fn finished(result: Result<(), hyper::Error>) {
    if let Err(error) = result {
        tracing::debug!(%error, "connection ended");
    }
}

/// What a connection is doing, shared by its stream (which enforces the read deadlines) and
/// its requests in progress.
#[derive(Debug)]
struct Activity {
    state: Mutex<ActivityState>,
    /// The connection's task, parked in a read without a deadline while a request was in
    /// progress: woken when the last one ends, so that the idle deadline starts running.
    reader: AtomicWaker,
}

#[derive(Debug, Clone, Copy)]
struct ActivityState {
    /// Requests whose reply body is not dropped yet.
    in_progress: usize,
    /// When the connection last had no request in progress (or opened).
    idle_since: Instant,
    /// When the next request's first byte came, if it did.
    head_started: Option<Instant>,
}

impl Activity {
    fn new(now: Instant) -> Self {
        Self {
            state: Mutex::new(ActivityState {
                in_progress: 0,
                idle_since: now,
                head_started: None,
            }),
            reader: AtomicWaker::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, ActivityState> {
        // Every update leaves the state consistent: a panicking holder cannot corrupt it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes came from the client: between requests, the first byte of the next head.
    fn bytes_arrived(&self, now: Instant) {
        let mut state = self.state();
        if state.in_progress == 0 && state.head_started.is_none() {
            state.head_started = Some(now);
        }
    }

    /// When the client must have sent something by, and what it is waiting for: `None`
    /// while a request is in progress (its body has its own deadline).
    fn read_deadline(&self, limits: &ConnectionLimits) -> Option<(Instant, TimeoutPhase)> {
        let state = self.state();
        if state.in_progress > 0 {
            return None;
        }
        Some(match state.head_started {
            Some(started) => (started + limits.header_timeout, TimeoutPhase::Header),
            None => (state.idle_since + limits.idle_timeout, TimeoutPhase::Idle),
        })
    }
}

/// A request in progress on its connection, from its head until its reply's body is dropped.
#[derive(Debug)]
struct InProgress(Arc<Activity>);

impl InProgress {
    fn start(activity: Arc<Activity>) -> Self {
        {
            let mut state = activity.state();
            state.in_progress += 1;
            state.head_started = None;
        }
        Self(activity)
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        let idle = {
            let mut state = self.0.state();
            state.in_progress = state.in_progress.saturating_sub(1);
            if state.in_progress == 0 {
                state.idle_since = Instant::now();
                state.head_started = None;
            }
            state.in_progress == 0
        };
        if idle {
            self.0.reader.wake();
        }
    }
}

/// A reply body that holds `guard` until it is dropped (sent whole, or abandoned).
pub(crate) struct BodyWith<G> {
    body: Body,
    _guard: G,
}

impl<G: Send + Unpin + 'static> BodyWith<G> {
    /// `body`, holding `guard` as long as it lives.
    pub(crate) fn holding(body: Body, guard: G) -> Body {
        Body::new(Self {
            body,
            _guard: guard,
        })
    }
}

impl<G: Unpin> HttpBody for BodyWith<G> {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The client's TCP stream, which fails its reads when the client is too slow to send a
/// request's head (or any request at all), and its writes when it does not read its reply.
/// Hyper then closes the connection.
struct WatchedStream {
    stream: TcpStream,
    activity: Arc<Activity>,
    limits: ConnectionLimits,
    counters: Arc<ConnectionCounters>,
    read_timer: Pin<Box<Sleep>>,
    write_timer: Pin<Box<Sleep>>,
    write_stalled_since: Option<Instant>,
}

impl WatchedStream {
    fn new(
        stream: TcpStream,
        activity: Arc<Activity>,
        limits: ConnectionLimits,
        counters: Arc<ConnectionCounters>,
    ) -> Self {
        Self {
            stream,
            activity,
            limits,
            counters,
            read_timer: Box::pin(tokio::time::sleep(limits.idle_timeout)),
            write_timer: Box::pin(tokio::time::sleep(limits.idle_timeout)),
            write_stalled_since: None,
        }
    }

    /// Nothing could be read: `Ready(Err)` once the read deadline has passed, else pending
    /// with the timer armed.
    fn read_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.activity.reader.register(cx.waker());
        let Some((deadline, phase)) = self.activity.read_deadline(&self.limits) else {
            return Poll::Pending;
        };
        if self.read_timer.deadline() != deadline {
            self.read_timer.as_mut().reset(deadline);
        }
        match self.read_timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.counters.timed_out(phase);
                tracing::debug!(phase = phase.as_str(), "connection closed: client too slow");
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client sent nothing in time",
                )))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// The client does not take what is written: `Ready(Err)` once it has not for
    /// `idle_timeout`, else pending with the timer armed.
    fn write_pending<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let since = *self.write_stalled_since.get_or_insert_with(Instant::now);
        let deadline = since + self.limits.idle_timeout;
        if self.write_timer.deadline() != deadline {
            self.write_timer.as_mut().reset(deadline);
        }
        match self.write_timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.counters.timed_out(TimeoutPhase::Write);
                tracing::debug!("connection closed: the client does not read its reply");
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client read nothing in time",
                )))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn written<T>(
        &mut self,
        polled: Poll<io::Result<T>>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<T>> {
        match polled {
            Poll::Pending => self.write_pending(cx),
            ready => {
                self.write_stalled_since = None;
                ready
            }
        }
    }
}

impl AsyncRead for WatchedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Pending => this.read_pending(cx),
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.activity.bytes_arrived(Instant::now());
                }
                Poll::Ready(Ok(()))
            }
            failed => failed,
        }
    }
}

impl AsyncWrite for WatchedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.written(polled, cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        this.written(polled, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.stream).poll_flush(cx);
        this.written(polled, cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Layer of the router: a request's body must arrive whole within `body_timeout` of its head
/// (else 408 `invalid_request`, and the connection closes), and a body announced beyond
/// [`MAX_BODY_BYTES`] is refused at once (413) without being read.
pub async fn body_deadline(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let body = request.body();
    if body.is_end_stream() {
        return next.run(request).await;
    }
    if body.size_hint().lower() > MAX_BODY_BYTES as u64 {
        return closing(ApiError::PayloadTooLarge.into_response());
    }
    let expired = Arc::new(AtomicBool::new(false));
    let deadline = Instant::now() + app.body_timeout;
    let request = request.map(|body| {
        Body::new(DeadlineBody {
            body,
            timer: Box::pin(tokio::time::sleep_until(deadline)),
            expired: Arc::clone(&expired),
        })
    });
    let response = next.run(request).await;
    if expired.load(Ordering::Relaxed) {
        app.connection_counters.timed_out(TimeoutPhase::Body);
        tracing::debug!("request body too slow: 408");
        return closing(ApiError::RequestTimeout.into_response());
    }
    response
}

/// `response`, telling the client that the connection closes after it (its request's body
/// was left unread).
fn closing(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A request body that fails once its deadline has passed.
struct DeadlineBody {
    body: Body,
    timer: Pin<Box<Sleep>>,
    expired: Arc<AtomicBool>,
}

/// The error of a request body that came too slowly.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
struct BodyTooSlow;

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.body).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        match this.timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                this.expired.store(true, Ordering::Relaxed);
                Poll::Ready(Some(Err(axum::Error::new(BodyTooSlow))))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
