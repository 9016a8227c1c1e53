//! Prometheus metrics: a small registry of atomic counters and histograms, written in the
//! text exposition format 0.0.4 and served at `GET /metrics` (see `routes/metrics.rs`).
//!
//! | metric                                | type      | labels                    |
//! |---------------------------------------|-----------|---------------------------|
//! | `tigr_http_requests_total`            | counter   | `route`, `method`, `status` |
//! | `tigr_http_request_duration_seconds`  | histogram | `route`, `method`         |
//! | `tigr_audit_events_total`             | counter   | `event`                   |
//! | `tigr_live_channels`                  | gauge     |                           |
//! | `tigr_build_info`                     | gauge     | `version`                 |
//! | `process_start_time_seconds`          | gauge     |                           |
//!
//! No label carries request data: `route` is the route template (`/api/v1/login/challenges/
//! {id}/status`, never a concrete path, so no challenge id or code), `unmatched` for requests
//! that match no route; methods outside the standard ones are `OTHER`. Nothing here names an
//! account or holds a secret.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use axum::http::Method;

use crate::hub::NotificationHub;
use crate::sealing::{constant_time_eq, sha256};
use crate::storage::{AuditCounters, AuditEvent};

/// `Content-Type` of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The `route` label of requests that matched no route.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The upper bound of a histogram bucket: as written in `le`, and in nanoseconds (so that
/// observations are placed without floating-point rounding).
#[derive(Debug, Clone, Copy)]
pub struct Bucket {
    label: &'static str,
    nanos: u64,
}

impl Bucket {
    /// A bucket holding observations up to `nanos` nanoseconds, written `le="<label>"`.
    pub const fn new(label: &'static str, nanos: u64) -> Self {
        Self { label, nanos }
    }
}

/// Buckets of `tigr_http_request_duration_seconds`, 1 ms to 2.5 s (then `+Inf`).
pub const DURATION_BUCKETS: &[Bucket] = &[
    Bucket::new("0.001", 1_000_000),
    Bucket::new("0.0025", 2_500_000),
    Bucket::new("0.005", 5_000_000),
    Bucket::new("0.01", 10_000_000),
    Bucket::new("0.025", 25_000_000),
    Bucket::new("0.05", 50_000_000),
    Bucket::new("0.1", 100_000_000),
    Bucket::new("0.25", 250_000_000),
    Bucket::new("0.5", 500_000_000),
    Bucket::new("1", 1_000_000_000),
    Bucket::new("2.5", 2_500_000_000),
];

/// A histogram of durations, lock-free.
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [Bucket],
    /// Observations per bucket (not cumulative); the last slot is `+Inf`.
    counts: Box<[AtomicU64]>,
    sum_nanos: AtomicU64,
}

impl Histogram {
    /// An empty histogram with these (increasing) bucket bounds.
    pub fn new(bounds: &'static [Bucket]) -> Self {
        Self {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_nanos: AtomicU64::new(0),
        }
    }

    /// Records one observation.
    pub fn observe(&self, duration: Duration) {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        let slot = self
            .bounds
            .iter()
            .position(|b| nanos <= b.nanos)
            .unwrap_or(self.bounds.len());
        self.counts[slot].fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Number of observations.
    pub fn count(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }
}

/// Writes the text exposition format.
#[derive(Debug, Default)]
pub struct TextEncoder {
    out: String,
}

impl TextEncoder {
    /// An empty document.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a metric family: its `# HELP` and `# TYPE` lines.
    pub fn family(&mut self, name: &str, kind: &str, help: &str) {
        self.out.push_str("# HELP ");
        self.out.push_str(name);
        self.out.push(' ');
        for c in help.chars() {
            match c {
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                c => self.out.push(c),
            }
        }
        let _ = writeln!(self.out, "\n# TYPE {name} {kind}");
    }

    /// One sample line: `name{label="value",...} value`.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        self.out.push_str(name);
        self.labels(labels, None);
        let _ = writeln!(self.out, " {value}");
    }

    /// The `_bucket` (cumulative, ending with `+Inf`), `_sum` and `_count` lines of a
    /// histogram in seconds.
    pub fn histogram(&mut self, name: &str, labels: &[(&str, &str)], histogram: &Histogram) {
        let mut cumulative = 0u64;
        let les = histogram
            .bounds
            .iter()
            .map(|b| b.label)
            .chain(std::iter::once("+Inf"));
        for (le, count) in les.zip(histogram.counts.iter()) {
            cumulative += count.load(Ordering::Relaxed);
            let _ = write!(self.out, "{name}_bucket");
            self.labels(labels, Some(le));
            let _ = writeln!(self.out, " {cumulative}");
        }
        let sum = histogram.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = write!(self.out, "{name}_sum");
        self.labels(labels, None);
        let _ = writeln!(self.out, " {sum}");
        let _ = write!(self.out, "{name}_count");
        self.labels(labels, None);
        let _ = writeln!(self.out, " {cumulative}");
    }

    /// The document.
    pub fn finish(self) -> String {
        self.out
    }

    fn labels(&mut self, labels: &[(&str, &str)], le: Option<&str>) {
        if labels.is_empty() && le.is_none() {
            return;
        }
        self.out.push('{');
        let all = labels.iter().copied().chain(le.map(|le| ("le", le)));
        for (i, (name, value)) in all.enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.out.push_str(name);
            self.out.push_str("=\"");
            escape_label_value(value, &mut self.out);
            self.out.push('"');
        }
        self.out.push('}');
    }
}

/// Appends `value` escaped for a label: backslash, double quote and line feed.
fn escape_label_value(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// The `method` labels; anything else is `OTHER` (so clients cannot create series at will).
const METHODS: [&str; 10] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE", "OTHER",
];

fn method_slot(method: &Method) -> usize {
    METHODS
        .iter()
        .position(|m| *m == method.as_str())
        .unwrap_or(METHODS.len() - 1)
}

/// Request counts and durations per route template, method and status.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    /// By route template. Routes are a fixed set, so after the first request of each one
    /// only the read lock is taken.
    routes: RwLock<BTreeMap<String, RouteSeries>>,
}

#[derive(Debug)]
struct RouteSeries {
    methods: [MethodSeries; METHODS.len()],
}

#[derive(Debug)]
struct MethodSeries {
    statuses: RwLock<BTreeMap<u16, AtomicU64>>,
    duration: Histogram,
}

impl RouteSeries {
    fn new() -> Self {
        Self {
            methods: std::array::from_fn(|_| MethodSeries {
                statuses: RwLock::default(),
                duration: Histogram::new(DURATION_BUCKETS),
            }),
        }
    }

    fn record(&self, method: usize, status: u16, elapsed: Duration) {
        let series = &self.methods[method];
        let counted = series
            .statuses
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&status)
            .map(|c| c.fetch_add(1, Ordering::Relaxed))
            .is_some();
        if !counted {
            series
                .statuses
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(status)
                .or_default()
                .fetch_add(1, Ordering::Relaxed);
        }
        series.duration.observe(elapsed);
    }
}

impl HttpMetrics {
    /// Counts a request to `route` (a route template, or [`UNMATCHED_ROUTE`]) answered with
    /// `status` after `elapsed`.
    pub fn record(&self, route: &str, method: &Method, status: u16, elapsed: Duration) {
        let method = method_slot(method);
        {
            let routes = self.routes.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(series) = routes.get(route) {
                series.record(method, status, elapsed);
                return;
            }
        }
        self.routes
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(route.to_owned())
            .or_insert_with(RouteSeries::new)
            .record(method, status, elapsed);
    }

    fn encode(&self, out: &mut TextEncoder) {
        let routes = self.routes.read().unwrap_or_else(PoisonError::into_inner);
        out.family(
            "tigr_http_requests_total",
            "counter",
            "HTTP requests answered, by route template, method and status.",
        );
        for (route, series) in routes.iter() {
            for (method, per_method) in METHODS.iter().zip(&series.methods) {
                let statuses = per_method
                    .statuses
                    .read()
                    .unwrap_or_else(PoisonError::into_inner);
                for (status, count) in statuses.iter() {
                    out.sample(
                        "tigr_http_requests_total",
                        &[
                            ("route", route),
                            ("method", method),
                            ("status", &status.to_string()),
                        ],
                        count.load(Ordering::Relaxed),
                    );
                }
            }
        }
        out.family(
            "tigr_http_request_duration_seconds",
            "histogram",
            "Time from receiving an HTTP request to sending its response headers (the body \
             of event streams is not included), by route template and method.",
        );
        for (route, series) in routes.iter() {
            for (method, per_method) in METHODS.iter().zip(&series.methods) {
                if per_method.duration.count() > 0 {
                    out.histogram(
                        "tigr_http_request_duration_seconds",
                        &[("route", route), ("method", method)],
                        &per_method.duration,
                    );
                }
            }
        }
    }
}

/// Everything `GET /metrics` reports, for one running server.
#[derive(Debug)]
pub struct Metrics {
    http: HttpMetrics,
    audit: Arc<AuditCounters>,
    hub: Arc<NotificationHub>,
    start_time: i64,
    /// SHA-256 of the bearer token, when one is required.
    token_hash: Option<[u8; 32]>,
}

impl Metrics {
    /// Metrics reading the audit counters of the store and the waiters of the hub.
    /// `start_time` is the server's start (Unix seconds, from the injected clock); `token`
    /// is the bearer token scrapes must present, if any.
    pub fn new(
        audit: Arc<AuditCounters>,
        hub: Arc<NotificationHub>,
        start_time: i64,
        token: Option<&str>,
    ) -> Self {
        Self {
            http: HttpMetrics::default(),
            audit,
            hub,
            start_time,
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
        let mut out = TextEncoder::new();
        out.family(
            "tigr_build_info",
            "gauge",
            "Version of the running tigr-server (always 1).",
        );
        out.sample(
            "tigr_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))],
            1,
        );
        out.family(
            "process_start_time_seconds",
            "gauge",
            "Start time of the server since the Unix epoch, in seconds.",
        );
        out.sample("process_start_time_seconds", &[], self.start_time);
        out.family(
            "tigr_live_channels",
            "gauge",
            "Browser requests currently waiting for a login challenge to change (event \
             streams and long polls).",
        );
        out.sample("tigr_live_channels", &[], self.hub.waiters());
        out.family(
            "tigr_audit_events_total",
            "counter",
            "Audit trail rows committed by this server since it started, by event.",
        );
        for event in AuditEvent::ALL {
            out.sample(
                "tigr_audit_events_total",
                &[("event", event.as_str())],
                self.audit.get(*event),
            );
        }
        self.http.encode(&mut out);
        out.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn label_values_and_help_are_escaped() {
        let mut out = TextEncoder::new();
        out.family("x_total", "counter", "Back\\slash and\nnewline \"kept\".");
        out.sample("x_total", &[("a", "q\"uo\\te\nline"), ("b", "plain")], 3);
        out.sample("x_total", &[], 4);
        assert_eq!(
            out.finish(),
            "# HELP x_total Back\\\\slash and\\nnewline \"kept\".\n\
             # TYPE x_total counter\n\
             x_total{a=\"q\\\"uo\\\\te\\nline\",b=\"plain\"} 3\n\
             x_total 4\n"
        );
    }

    #[test]
    fn histogram_buckets_are_cumulative_with_sum_and_count() {
        const BOUNDS: &[Bucket] = &[
            Bucket::new("0.01", 10_000_000),
            Bucket::new("1", 1_000_000_000),
        ];
        let h = Histogram::new(BOUNDS);
        h.observe(5 * MS);
        h.observe(10 * MS); // on the bound: `le` is inclusive
        h.observe(500 * MS);
        h.observe(Duration::from_secs(3));
        assert_eq!(h.count(), 4);
        let mut out = TextEncoder::new();
        out.histogram("d_seconds", &[("route", "/r")], &h);
        assert_eq!(
            out.finish(),
            "d_seconds_bucket{route=\"/r\",le=\"0.01\"} 2\n\
             d_seconds_bucket{route=\"/r\",le=\"1\"} 3\n\
             d_seconds_bucket{route=\"/r\",le=\"+Inf\"} 4\n\
             d_seconds_sum{route=\"/r\"} 3.515\n\
             d_seconds_count{route=\"/r\"} 4\n"
        );
    }

    #[test]
    fn duration_buckets_increase() {
        assert!(DURATION_BUCKETS.windows(2).all(|w| w[0].nanos < w[1].nanos));
        for b in DURATION_BUCKETS {
            let seconds: f64 = b.label.parse().expect("number");
            assert_eq!((seconds * 1e9).round() as u64, b.nanos, "{}", b.label);
        }
    }

    #[test]
    fn requests_by_route_method_and_status() {
        let http = HttpMetrics::default();
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
        let mut out = TextEncoder::new();
        http.encode(&mut out);
        let text = out.finish();
        for line in [
            "tigr_http_requests_total{route=\"/api/v1/login/challenges/{id}/status\",method=\"GET\",status=\"200\"} 2\n",
            "tigr_http_requests_total{route=\"/api/v1/login/challenges/{id}/status\",method=\"GET\",status=\"404\"} 1\n",
            "tigr_http_requests_total{route=\"/api/v1/login/challenges/{id}/status\",method=\"OTHER\",status=\"405\"} 1\n",
            "tigr_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1\n",
            "tigr_http_request_duration_seconds_bucket{route=\"/api/v1/login/challenges/{id}/status\",method=\"GET\",le=\"0.0025\"} 2\n",
            "tigr_http_request_duration_seconds_bucket{route=\"/api/v1/login/challenges/{id}/status\",method=\"GET\",le=\"0.025\"} 3\n",
            "tigr_http_request_duration_seconds_count{route=\"/api/v1/login/challenges/{id}/status\",method=\"GET\"} 3\n",
            "tigr_http_request_duration_seconds_sum{route=\"/api/v1/login/challenges/{id}/status\",method=\"GET\"} 0.023\n",
        ] {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
        assert!(!text.contains("BREW"), "{text}");
        assert!(!text.contains("method=\"POST\""), "no empty series: {text}");
    }

    #[test]
    fn every_audit_event_is_reported_from_the_start() {
        let metrics = Metrics::new(Arc::default(), NotificationHub::new(), 1_700_000_000, None);
        let text = metrics.render();
        for event in AuditEvent::ALL {
            let line = format!(
                "tigr_audit_events_total{{event=\"{}\"}} 0\n",
                event.as_str()
            );
            assert!(text.contains(&line), "missing {line:?}");
        }
        assert!(
            text.contains("\nprocess_start_time_seconds 1700000000\n"),
            "{text}"
        );
        assert!(text.contains("\ntigr_live_channels 0\n"), "{text}");
        assert!(text.contains(&format!(
            "\ntigr_build_info{{version=\"{}\"}} 1\n",
            env!("CARGO_PKG_VERSION")
        )));
        // Every family has its HELP and TYPE, and every line ends with a line feed.
        assert_eq!(text.matches("# TYPE ").count(), 6);
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn token_comparison() {
        let open = Metrics::new(Arc::default(), NotificationHub::new(), 0, None);
        assert!(!open.requires_token());
        assert!(open.token_matches(b"anything"));
        let closed = Metrics::new(
            Arc::default(),
            NotificationHub::new(),
            0,
            Some("the-right-token-123"),
        );
        assert!(closed.requires_token());
        assert!(closed.token_matches(b"the-right-token-123"));
        assert!(!closed.token_matches(b"the-right-token-12"));
        assert!(!closed.token_matches(b""));
    }
}
