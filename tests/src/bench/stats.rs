//! Latency histograms (HdrHistogram, microseconds) and counters of one virtual user, merged
//! at the end of a run.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

/// The requests of a flow, as reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Endpoint {
    /// `POST /login/challenges` (browser).
    Create,
    /// `POST .../context` (phone).
    Context,
    /// `POST .../response` with a valid signature (phone).
    Response,
    /// `POST .../response` with a wrong-PIN signature, answered 401 (phone).
    ResponseWrongPin,
    /// `POST .../offline` (browser, Tigr ID + code).
    Offline,
    /// The browser's live channel: `GET .../status?wait=N` or the event stream, held until
    /// the decision (not a request latency: it lasts as long as the flow).
    LiveHeld,
    /// `POST /enrollments/complete` (enrollment flows; setup enrollments are not timed).
    Enroll,
    /// `GET /oidc/authorize` without a Tigr session: redirected to the login page.
    Authorize,
    /// `GET /login?authorize=...`: the login page with its QR, for the service.
    LoginPage,
    /// `POST /login/complete` (the page's script, once approved): the Tigr session.
    Complete,
    /// The way back to the service: redirects ending on its redirect URI with the code.
    AuthorizeCode,
    /// `POST /oidc/token` (the service): the code exchanged for the ID and access tokens.
    Token,
}

impl Endpoint {
    /// Every endpoint, in report order.
    pub const ALL: [Self; 12] = [
        Self::Create,
        Self::Context,
        Self::Response,
        Self::ResponseWrongPin,
        Self::Offline,
        Self::LiveHeld,
        Self::Enroll,
        Self::Authorize,
        Self::LoginPage,
        Self::Complete,
        Self::AuthorizeCode,
        Self::Token,
    ];

    /// Report label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Create => "POST challenges (browser)",
            Self::Context => "POST context (phone)",
            Self::Response => "POST response ok (phone)",
            Self::ResponseWrongPin => "POST response 401 (wrong PIN)",
            Self::Offline => "POST offline (browser)",
            Self::LiveHeld => "live channel held (browser)",
            Self::Enroll => "POST enrollments/complete",
            Self::Authorize => "GET oidc/authorize -> login page (browser)",
            Self::LoginPage => "GET login page for the service (browser)",
            Self::Complete => "POST login/complete (browser)",
            Self::AuthorizeCode => "GET back to the service with the code",
            Self::Token => "POST oidc/token (service)",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// True for the requests that count in the "request latency" figure (everything that
    /// answers at once, i.e. not the held live channel).
    pub fn is_request(self) -> bool {
        !matches!(self, Self::LiveHeld | Self::Enroll)
    }
}

/// The kinds of complete login flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FlowKind {
    /// QR scanned, context, signed approval, browser notified.
    Online,
    /// Offline code typed in the browser, browser notified.
    Offline,
    /// Context, a wrong-PIN signature (401), then the right one, browser notified.
    WrongPin,
    /// A new phone completes an invitation created at setup (`POST /enrollments/complete`).
    Enroll,
    /// OpenID Connect: a service's authorization request, the login page, the QR approved
    /// on the phone, the code back to the service, the token request and the ID token
    /// verified by the service.
    Oidc,
}

impl FlowKind {
    /// Every kind, in report order.
    pub const ALL: [Self; 5] = [
        Self::Online,
        Self::Offline,
        Self::WrongPin,
        Self::Enroll,
        Self::Oidc,
    ];

    /// Name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Offline => "offline",
            Self::WrongPin => "wrongpin",
            Self::Enroll => "enroll",
            Self::Oidc => "oidc",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

fn histogram() -> Histogram<u64> {
    // 1 us .. 120 s, 2 significant digits (1 % resolution: ~40 KiB per histogram instead of
    // ~300 KiB with 3 digits; every virtual user keeps sixteen of them).
    Histogram::new_with_bounds(1, 120_000_000, 2).expect("valid histogram bounds")
}

/// What one virtual user measured.
#[derive(Debug, Clone)]
pub struct Stats {
    endpoints: Vec<Histogram<u64>>,
    /// All immediate requests together.
    pub requests: Histogram<u64>,
    /// Phone's approving request sent -> browser's live channel returns `approved`.
    pub notify: Histogram<u64>,
    /// Offline code sent -> live channel returns `approved`.
    pub notify_offline: Histogram<u64>,
    /// Whole flow, browser's first request to browser notified.
    pub flow: Histogram<u64>,
    /// Completed flows by kind.
    pub flows: [u64; FlowKind::ALL.len()],
    /// Expected refusals (401 of wrong-PIN flows).
    pub expected_refusals: u64,
    /// `--survive-restarts`: requests re-sent after the connection failed (server down).
    pub interrupted: u64,
    /// `--survive-restarts`: re-sent approvals and enrollments answered "already used": the
    /// first one was committed before the server died, its reply lost.
    pub lost_replies: u64,
    /// Unexpected outcomes: "endpoint: what" -> count.
    pub unexpected: BTreeMap<String, u64>,
    /// Paced runs: flows that started more than 1 ms after their slot.
    pub late_starts: u64,
}

impl Default for Stats {
    fn default() -> Self {
        Self {
            endpoints: Endpoint::ALL.iter().map(|_| histogram()).collect(),
            requests: histogram(),
            notify: histogram(),
            notify_offline: histogram(),
            flow: histogram(),
            flows: [0; FlowKind::ALL.len()],
            expected_refusals: 0,
            interrupted: 0,
            lost_replies: 0,
            unexpected: BTreeMap::new(),
            late_starts: 0,
        }
    }
}

/// Microseconds, at least 1 (the histogram's lowest value).
pub fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

impl Stats {
    /// Records one request's latency.
    pub fn record(&mut self, endpoint: Endpoint, latency: Duration) {
        let us = micros(latency);
        self.endpoints[endpoint.index()].saturating_record(us);
        if endpoint.is_request() {
            self.requests.saturating_record(us);
        }
    }

    /// Counts a completed flow.
    pub fn flow_done(&mut self, kind: FlowKind, duration: Duration) {
        self.flows[kind.index()] += 1;
        self.flow.saturating_record(micros(duration));
    }

    /// Counts an unexpected outcome.
    pub fn unexpected(&mut self, what: String) {
        *self.unexpected.entry(what).or_insert(0) += 1;
    }

    /// The histogram of an endpoint.
    pub fn endpoint(&self, endpoint: Endpoint) -> &Histogram<u64> {
        &self.endpoints[endpoint.index()]
    }

    /// Completed flows of a kind.
    pub fn flows_of(&self, kind: FlowKind) -> u64 {
        self.flows[kind.index()]
    }

    /// Total unexpected outcomes.
    pub fn error_count(&self) -> u64 {
        self.unexpected.values().sum()
    }

    /// Adds another user's measurements.
    pub fn merge(&mut self, other: &Self) {
        for (mine, theirs) in self.endpoints.iter_mut().zip(&other.endpoints) {
            mine.add(theirs).expect("same bounds");
        }
        self.requests.add(&other.requests).expect("same bounds");
        self.notify.add(&other.notify).expect("same bounds");
        self.notify_offline
            .add(&other.notify_offline)
            .expect("same bounds");
        self.flow.add(&other.flow).expect("same bounds");
        for (a, b) in self.flows.iter_mut().zip(other.flows) {
            *a += b;
        }
        self.expected_refusals += other.expected_refusals;
        self.interrupted += other.interrupted;
        self.lost_replies += other.lost_replies;
        for (what, n) in &other.unexpected {
            *self.unexpected.entry(what.clone()).or_insert(0) += n;
        }
        self.late_starts += other.late_starts;
    }
}

/// `p50 p95 p99 max` of a histogram in milliseconds, or dashes when empty.
pub fn percentiles_ms(h: &Histogram<u64>) -> String {
    if h.is_empty() {
        return format!("{:>9} {:>8} {:>8} {:>8} {:>8}", 0, "-", "-", "-", "-");
    }
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    format!(
        "{:>9} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
        h.len(),
        ms(0.50),
        ms(0.95),
        ms(0.99),
        h.max() as f64 / 1000.0
    )
}
