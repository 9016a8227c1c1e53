//! Prometheus metrics on the `prometheus-client` crate, served at `GET /metrics` (see
//! `http/metrics.rs`) in the Prometheus text exposition format, version 0.0.4
//! ([`CONTENT_TYPE`]).
//!
//! | metric                                | type      | labels                    |
//! |---------------------------------------|-----------|---------------------------|
//! | `tigr_http_requests_total`            | counter   | `route`, `method`, `status` |
//! | `tigr_http_request_duration_seconds`  | histogram | `route`, `method`         |
//! | `tigr_audit_events_total`             | counter   | `event`                   |
//! | `tigr_live_channels`                  | gauge     |                           |
//! | `tigr_live_channels_refused_total`    | counter   |                           |
//! | `tigr_connections_open`               | gauge     |                           |
//! | `tigr_connections_max`                | gauge     |                           |
//! | `tigr_connection_cap_reached_total`   | counter   |                           |
//! | `tigr_connection_timeouts_total`      | counter   | `phase`                   |
//! | `tigr_accept_errors_total`            | counter   |                           |
//! | `tigr_offline_replies_late_total`     | counter   |                           |
//! | `tigr_build_info`                     | gauge     | `version`                 |
//! | `process_start_time_seconds`          | gauge     |                           |
//!
//! No label carries request data: `route` is the route template (`/api/v1/login/challenges/
//! {id}/status`, never a concrete path, so no challenge id or code), `unmatched` for requests
//! that match no route; methods outside the standard ones are `OTHER`. Nothing here names an
//! account or holds a secret. The request families appear with their first request; the
//! others are read from the server's state at each scrape ([`ServerState`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::http::Method;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric as _};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::hub::NotificationHub;
use crate::sealing::{constant_time_eq, sha256};
use crate::storage::{AuditCounters, AuditEvent};

/// `Content-Type` of the text exposition format served (Prometheus text format 0.0.4).
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The `route` label of requests that matched no route.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Bucket bounds of `tigr_http_request_duration_seconds`, 1 ms to 2.5 s (then `+Inf`).
pub const DURATION_BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// The `method` labels; anything else is `OTHER` (so clients cannot create series at will).
const METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE",
];

fn method_label(method: &Method) -> &'static str {
    METHODS
        .iter()
        .find(|m| **m == method.as_str())
        .unwrap_or(&"OTHER")
}

/// Labels of `tigr_http_requests_total`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: &'static str,
    status: u16,
}

/// Labels of `tigr_http_request_duration_seconds`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: &'static str,
}

/// Request counts and durations per route template, method and status.
#[derive(Debug, Clone)]
pub struct HttpMetrics {
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram, fn() -> Histogram>,
}

impl Default for HttpMetrics {
    fn default() -> Self {
        Self {
            requests: Family::default(),
            durations: Family::new_with_constructor(|| Histogram::new(DURATION_BUCKETS)),
        }
    }
}

impl HttpMetrics {
    /// Counts a request to `route` (a route template, or [`UNMATCHED_ROUTE`]) answered with
    /// `status` after `elapsed`.
    pub fn record(&self, route: &str, method: &Method, status: u16, elapsed: Duration) {
        let method = method_label(method);
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                method,
                status,
            })
            .inc();
        self.durations
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
                method,
            })
            .observe(elapsed.as_secs_f64());
    }

    /// Adds the request families to `registry` (they share their series with `self`).
    fn register(&self, registry: &mut Registry) {
        registry.register(
            "tigr_http_requests",
            "HTTP requests answered, by route template, method and status",
            self.requests.clone(),
        );
        registry.register(
            "tigr_http_request_duration_seconds",
            "Time from receiving an HTTP request to sending its response headers (the body \
             of event streams is not included), by route template and method",
            self.durations.clone(),
        );
    }
}

/// Where a connection was cut for slowness (the `phase` label of
/// `tigr_connection_timeouts_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// A request's head did not arrive whole in time.
    Header,
    /// A request's body did not arrive whole in time (408).
    Body,
    /// No request came on an open connection in time.
    Idle,
    /// The client did not read its reply in time.
    Write,
}

impl TimeoutPhase {
    /// Every phase, in label order.
    pub const ALL: [Self; 4] = [Self::Header, Self::Body, Self::Idle, Self::Write];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Header => "header",
            Self::Body => "body",
            Self::Idle => "idle",
            Self::Write => "write",
        }
    }
}

/// What the connection loop and the live-channel cap count (always, metrics served or
/// not): read at each scrape.
#[derive(Debug, Default)]
pub struct ConnectionCounters {
    open: AtomicU64,
    max: AtomicU64,
    cap_reached: AtomicU64,
    accept_errors: AtomicU64,
    timeouts: [AtomicU64; 4],
    live_refused: AtomicU64,
}

impl ConnectionCounters {
    /// Records the connection cap in force.
    pub fn set_max(&self, max: usize) {
        self.max
            .store(u64::try_from(max).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// A connection was admitted.
    pub fn opened(&self) {
        self.open.fetch_add(1, Ordering::Relaxed);
    }

    /// An admitted connection ended.
    pub fn closed(&self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }

    /// Every slot was taken: the server stopped accepting until one freed.
    pub fn cap_reached(&self) {
        self.cap_reached.fetch_add(1, Ordering::Relaxed);
    }

    /// Accepting a connection failed (e.g. no descriptor left).
    pub fn accept_failed(&self) {
        self.accept_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection or request was cut for slowness in `phase`.
    pub fn timed_out(&self, phase: TimeoutPhase) {
        self.timeouts[phase as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// A live channel was refused: its client address held the most allowed.
    pub fn live_refused(&self) {
        self.live_refused.fetch_add(1, Ordering::Relaxed);
    }

    /// Connections open now.
    pub fn open(&self) -> u64 {
        self.open.load(Ordering::Relaxed)
    }

    /// Cuts for slowness in `phase` since the start.
    pub fn timeouts(&self, phase: TimeoutPhase) -> u64 {
        self.timeouts[phase as usize].load(Ordering::Relaxed)
    }
}

/// The metrics read from the running server at each scrape: build, start time, live
/// channels, connections and audit counters (every event, from 0).
#[derive(Debug)]
struct ServerState {
    audit: Arc<AuditCounters>,
    hub: Arc<NotificationHub>,
    connections: Arc<ConnectionCounters>,
    late_offline_replies: Arc<LateReplies>,
    start_time: i64,
}

impl ServerState {
    /// The connection loop's gauges and counters.
    fn encode_connections(&self, encoder: &mut DescriptorEncoder<'_>) -> std::fmt::Result {
        let c = &self.connections;
        let read = |value: &AtomicU64| value.load(Ordering::Relaxed);
        for (name, help, value) in [
            (
                "tigr_connections_open",
                "Client connections open now.",
                read(&c.open),
            ),
            (
                "tigr_connections_max",
                "Client connections open at once at most (beyond, new ones wait in the \
                 listen queue).",
                read(&c.max),
            ),
        ] {
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        for (name, help, value) in [
            (
                "tigr_connection_cap_reached",
                "Times every connection slot was taken and the server stopped accepting until \
                 one freed.",
                read(&c.cap_reached),
            ),
            (
                "tigr_accept_errors",
                "Connections that could not be accepted (e.g. no file descriptor left).",
                read(&c.accept_errors),
            ),
            (
                "tigr_offline_replies_late",
                "Offline-code replies whose work took longer than their paced reply time \
                 (TIGR_OFFLINE_REPLY_TIME), held to its next multiple (a stall; a steady rise: \
                 the server is overloaded or its database slower than the reply time allows).",
                self.late_offline_replies.get(),
            ),
            (
                "tigr_live_channels_refused",
                "Event streams and long polls refused because their client address held the \
                 most allowed.",
                read(&c.live_refused),
            ),
        ] {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        let mut family = encoder.encode_descriptor(
            "tigr_connection_timeouts",
            "Connections closed, or requests answered 408, because the client was too slow, \
             by phase: header, body, idle, write.",
            None,
            ConstCounter::new(0u64).metric_type(),
        )?;
        for phase in TimeoutPhase::ALL {
            ConstCounter::new(c.timeouts(phase))
                .encode(family.encode_family(&[("phase", phase.as_str())])?)?;
        }
        Ok(())
    }
}

impl Collector for ServerState {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let build = ConstGauge::new(1i64);
        let mut family = encoder.encode_descriptor(
            "tigr_build_info",
            "Version of the running tigr-server (always 1).",
            None,
            build.metric_type(),
        )?;
        build.encode(family.encode_family(&[("version", env!("CARGO_PKG_VERSION"))])?)?;

        let start = ConstGauge::new(self.start_time);
        start.encode(encoder.encode_descriptor(
            "process_start_time_seconds",
            "Start time of the server since the Unix epoch, in seconds.",
            None,
            start.metric_type(),
        )?)?;

        let live = ConstGauge::new(u64::try_from(self.hub.waiters()).unwrap_or(u64::MAX));
        live.encode(encoder.encode_descriptor(
            "tigr_live_channels",
            "Browser requests currently waiting for a login challenge to change (event \
             streams and long polls).",
            None,
            live.metric_type(),
        )?)?;

        self.encode_connections(&mut encoder)?;

        let mut family = encoder.encode_descriptor(
            "tigr_audit_events",
            "Audit trail rows committed by this server since it started, by event.",
            None,
            ConstCounter::new(0u64).metric_type(),
        )?;
        for event in AuditEvent::ALL {
            ConstCounter::new(self.audit.get(*event))
                .encode(family.encode_family(&[("event", event.as_str())])?)?;
        }
        Ok(())
    }
}

/// Replies that left later than the time they were paced to (`login/pacing.rs`).
#[derive(Debug, Default)]
pub struct LateReplies(AtomicU64);

impl LateReplies {
    /// Counts one late reply.
    pub fn count(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// Late replies since the server started.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Everything `GET /metrics` reports, for one running server.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    http: HttpMetrics,
    /// SHA-256 of the bearer token, when one is required.
    token_hash: Option<[u8; 32]>,
}

impl Metrics {
    /// Metrics reading the audit counters of the store, the waiters of the hub, the
    /// connection counters and the late offline replies. `start_time` is the server's start
    /// (Unix seconds, from the injected clock); `token` is the bearer token scrapes must
    /// present, if any.
    pub fn new(
        audit: Arc<AuditCounters>,
        hub: Arc<NotificationHub>,
        connections: Arc<ConnectionCounters>,
        late_offline_replies: Arc<LateReplies>,
        start_time: i64,
        token: Option<&str>,
    ) -> Self {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(ServerState {
            audit,
            hub,
            connections,
            late_offline_replies,
            start_time,
        }));
        let http = HttpMetrics::default();
        http.register(&mut registry);
        Self {
            registry,
            http,
            token_hash: token.map(|t| sha256(t.as_bytes())),
        }
    }

    /// The request counters, fed by the router's middleware.
    pub fn http(&self) -> &HttpMetrics {
        &self.http
    }

    /// Whether a scrape must present a bearer token.
    pub fn requires_token(&self) -> bool {
        self.token_hash.is_some()
    }

    /// Whether `presented` is the configured token (true when none is configured). Hashes
    /// are compared in constant time, so neither the content nor the length leaks.
    pub fn token_matches(&self, presented: &[u8]) -> bool {
        self.token_hash
            .is_none_or(|expected| constant_time_eq(&sha256(presented), &expected))
    }

    /// The text exposition document.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a `String` cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn fresh() -> Metrics {
        Metrics::new(
            Arc::default(),
            NotificationHub::new(),
            Arc::default(),
            Arc::default(),
            1_700_000_000,
            None,
        )
    }

    #[test]
    fn requests_by_route_method_and_status() {
        let metrics = fresh();
        let http = metrics.http();
        let route = "/api/v1/login/challenges/{id}/status";
        http.record(route, &Method::GET, 200, 2 * MS);
        http.record(route, &Method::GET, 200, 20 * MS);
        http.record(route, &Method::GET, 404, MS);
        http.record(
            route,
            &Method::from_bytes(b"BREW").expect("method"),
            405,
            MS,
        );
        http.record(UNMATCHED_ROUTE, &Method::GET, 404, MS);
        let text = metrics.render();
        for line in [
            "# HELP tigr_http_requests_total HTTP requests answered, by route template, method and status.\n",
            "# TYPE tigr_http_requests_total counter\n",
            "# TYPE tigr_http_request_duration_seconds histogram\n",
            "tigr_http_requests_total{route=\"/api/v1/login/challenges/{id}/status\",method=\"GET\",status=\"200\"} 2\n",
            "tigr_http_requests_total{route=\"/api/v1/login/challenges/{id}/status\",method=\"GET\",status=\"404\"} 1\n",
            "tigr_http_requests_total{route=\"/api/v1/login/challenges/{id}/status\",method=\"OTHER\",status=\"405\"} 1\n",
            "tigr_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1\n",
            "tigr_http_request_duration_seconds_bucket{route=\"/api/v1/login/challenges/{id}/status\",method=\"GET\",le=\"0.001\"} 1\n",
            "tigr_http_request_duration_seconds_bucket{route=\"/api/v1/login/challenges/{id}/status\",method=\"GET\",le=\"0.0025\"} 2\n",
            "tigr_http_request_duration_seconds_bucket{route=\"/api/v1/login/challenges/{id}/status\",method=\"GET\",le=\"0.025\"} 3\n",
            "tigr_http_request_duration_seconds_bucket{route=\"/api/v1/login/challenges/{id}/status\",method=\"GET\",le=\"1\"} 3\n",
            "tigr_http_request_duration_seconds_bucket{route=\"/api/v1/login/challenges/{id}/status\",method=\"GET\",le=\"2.5\"} 3\n",
            "tigr_http_request_duration_seconds_bucket{route=\"/api/v1/login/challenges/{id}/status\",method=\"GET\",le=\"+Inf\"} 3\n",
            "tigr_http_request_duration_seconds_count{route=\"/api/v1/login/challenges/{id}/status\",method=\"GET\"} 3\n",
            "tigr_http_request_duration_seconds_sum{route=\"/api/v1/login/challenges/{id}/status\",method=\"GET\"} 0.023\n",
        ] {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
        assert!(!text.contains("BREW"), "{text}");
        assert!(!text.contains("method=\"POST\""), "no empty series: {text}");
        // Eleven bounds and +Inf per series.
        let series =
            "tigr_http_request_duration_seconds_bucket{route=\"unmatched\",method=\"GET\",";
        assert_eq!(text.matches(series).count(), DURATION_BUCKETS.len() + 1);
    }

    #[test]
    fn every_audit_event_is_reported_from_the_start() {
        let text = fresh().render();
        for event in AuditEvent::ALL {
            let line = format!(
                "tigr_audit_events_total{{event=\"{}\"}} 0\n",
                event.as_str()
            );
            assert!(text.contains(&line), "missing {line:?}");
        }
        for line in [
            "# TYPE tigr_audit_events_total counter\n",
            "# TYPE process_start_time_seconds gauge\n",
            "\nprocess_start_time_seconds 1700000000\n",
            "# TYPE tigr_live_channels gauge\n",
            "\ntigr_live_channels 0\n",
            "# TYPE tigr_build_info gauge\n",
        ] {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
        assert!(text.contains(&format!(
            "\ntigr_build_info{{version=\"{}\"}} 1\n",
            env!("CARGO_PKG_VERSION")
        )));
        // Every family has its HELP and TYPE (the request families come with their first
        // request), and every line ends with a line feed.
        assert_eq!(text.matches("# TYPE ").count(), 11);
        assert_eq!(text.matches("# HELP ").count(), 11);
        assert!(text.ends_with('\n'));
        assert!(
            !text.contains("# EOF"),
            "text format 0.0.4, not OpenMetrics"
        );
    }

    #[test]
    fn label_values_are_escaped() {
        let metrics = fresh();
        metrics
            .http()
            .record("/q\"uo\\te\nline", &Method::GET, 200, MS);
        let text = metrics.render();
        assert!(
            text.contains("route=\"/q\\\"uo\\\\te\\nline\",method=\"GET\",status=\"200\"} 1\n"),
            "{text}"
        );
        assert_eq!(text.matches("# TYPE ").count(), 13);
    }

    #[test]
    fn connection_counters_are_reported() {
        let connections = Arc::new(ConnectionCounters::default());
        let late = Arc::new(LateReplies::default());
        let metrics = Metrics::new(
            Arc::default(),
            NotificationHub::new(),
            Arc::clone(&connections),
            Arc::clone(&late),
            0,
            None,
        );
        let text = metrics.render();
        for line in [
            "# TYPE tigr_connections_open gauge\n",
            "\ntigr_connections_open 0\n",
            "# TYPE tigr_connection_cap_reached_total counter\n",
            "\ntigr_connection_cap_reached_total 0\n",
            "\ntigr_connection_timeouts_total{phase=\"header\"} 0\n",
            "\ntigr_connection_timeouts_total{phase=\"write\"} 0\n",
            "# TYPE tigr_offline_replies_late_total counter\n",
            "\ntigr_offline_replies_late_total 0\n",
        ] {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
        late.count();
        connections.set_max(768);
        connections.opened();
        connections.opened();
        connections.closed();
        connections.cap_reached();
        connections.accept_failed();
        connections.accept_failed();
        connections.timed_out(TimeoutPhase::Header);
        connections.timed_out(TimeoutPhase::Header);
        connections.timed_out(TimeoutPhase::Body);
        connections.timed_out(TimeoutPhase::Idle);
        connections.live_refused();
        assert_eq!(connections.open(), 1);
        let text = metrics.render();
        for line in [
            "\ntigr_connections_open 1\n",
            "\ntigr_connections_max 768\n",
            "\ntigr_connection_cap_reached_total 1\n",
            "\ntigr_accept_errors_total 2\n",
            "\ntigr_live_channels_refused_total 1\n",
            "\ntigr_offline_replies_late_total 1\n",
            "\ntigr_connection_timeouts_total{phase=\"header\"} 2\n",
            "\ntigr_connection_timeouts_total{phase=\"body\"} 1\n",
            "\ntigr_connection_timeouts_total{phase=\"idle\"} 1\n",
            "\ntigr_connection_timeouts_total{phase=\"write\"} 0\n",
        ] {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
    }

    #[test]
    fn token_comparison() {
        let open = Metrics::new(
            Arc::default(),
            NotificationHub::new(),
            Arc::default(),
            Arc::default(),
            0,
            None,
        );
        assert!(!open.requires_token());
        assert!(open.token_matches(b"anything"));
        let closed = Metrics::new(
            Arc::default(),
            NotificationHub::new(),
            Arc::default(),
            Arc::default(),
            0,
            Some("the-right-token-123"),
        );
        assert!(closed.requires_token());
        assert!(closed.token_matches(b"the-right-token-123"));
        assert!(!closed.token_matches(b"the-right-token-12"));
        assert!(!closed.token_matches(b""));
    }
}
