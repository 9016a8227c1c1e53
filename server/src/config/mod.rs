//! Server configuration: an optional TOML file, then environment overrides.
//!
//! | file key            | environment             | default                          |
//! |---------------------|-------------------------|----------------------------------|
//! | `listen`            | `TIGR_LISTEN`           | `127.0.0.1:8080`                 |
//! | `public_url`        | `TIGR_PUBLIC_URL`       | `http://<bound address>`         |
//! | `database_url`      | `TIGR_DATABASE_URL`     | `sqlite://tigr-data/tigr.db`     |
//! | `master_key_file`   | `TIGR_MASTER_KEY_FILE`  | `tigr-data/master.key`           |
//! | `master_key`        | `TIGR_MASTER_KEY`       | (unset: the key file is used)    |
//! | `service_name`      | `TIGR_SERVICE_NAME`     | `Tigr`                           |
//! | `challenge_ttl`     | `TIGR_CHALLENGE_TTL`    | `120` (seconds)                  |
//! | `enrollment_ttl`    | `TIGR_ENROLLMENT_TTL`   | `900` (seconds)                  |
//! | `lockout_threshold` | `TIGR_LOCKOUT_THRESHOLD`| `5`                              |
//! | `lockout_duration`  | `TIGR_LOCKOUT_DURATION` | `900` (seconds; 0: permanent)    |
//! | `lockout_escalation_window` | `TIGR_LOCKOUT_ESCALATION_WINDOW` | `86400` (s; 0: off) |
//! | `lockout_permanent_after` | `TIGR_LOCKOUT_PERMANENT_AFTER` | `3` (blocks; 0: off) |
//! | `offline_lockout_threshold` | `TIGR_OFFLINE_LOCKOUT_THRESHOLD` | `5` (wrong offline codes that pause the offline form) |
//! | `offline_lockout_duration` | `TIGR_OFFLINE_LOCKOUT_DURATION` | `900` (seconds of the first pause; each next one doubles) |
//! | `offline_lockout_max_duration` | `TIGR_OFFLINE_LOCKOUT_MAX_DURATION` | `86400` (seconds: longest pause) |
//! | `offline_reply_time` | `TIGR_OFFLINE_REPLY_TIME` | `20` (milliseconds after its request an offline-code reply leaves; 10 to 1000) |
//! | `trust_proxy`       | `TIGR_TRUST_PROXY`      | `false` (honour X-Forwarded-For) |
//! | `session_idle`      | `TIGR_SESSION_IDLE`     | `1800` (seconds without activity)|
//! | `session_max`       | `TIGR_SESSION_MAX`      | `43200` (seconds after login)    |
//! | `admin_session_idle`| `TIGR_ADMIN_SESSION_IDLE` | `600` (administrators' sessions) |
//! | `admin_session_max` | `TIGR_ADMIN_SESSION_MAX`| `7200` (administrators' sessions)|
//! | `oidc_access_token_ttl` | `TIGR_OIDC_ACCESS_TOKEN_TTL` | `300` (OpenID Connect access tokens, seconds) |
//! | `oidc_id_token_ttl` | `TIGR_OIDC_ID_TOKEN_TTL` | `300` (OpenID Connect ID tokens, seconds) |
//! | `return_origins`    | `TIGR_RETURN_ORIGINS`   | none (list: where `?return=` may lead) |
//! | `cookie_secure`     | `TIGR_COOKIE_SECURE`    | `auto` (Secure when public URL is https) |
//! | `metrics`           | `TIGR_METRICS`          | `true` (serve `GET /metrics`)    |
//! | `metrics_token`     | `TIGR_METRICS_TOKEN`    | none (set: `/metrics` needs `Authorization: Bearer <token>`; required when metrics are on and `listen` is not loopback) |
//! | `time_zone`         | `TIGR_TIME_ZONE`        | `Europe/Paris` (IANA name: times shown to people) |
//! | `otp_lockout_threshold` | `TIGR_OTP_LOCKOUT_THRESHOLD` | `5` (failed OTP-form logins that pause the OTP form for the Tigr ID) |
//! | `otp_lockout_duration` | `TIGR_OTP_LOCKOUT_DURATION` | `900` (seconds of the first pause; each next one doubles) |
//! | `otp_lockout_max_duration` | `TIGR_OTP_LOCKOUT_MAX_DURATION` | `86400` (seconds: longest pause) |
//! | `email_otp_ttl` | `TIGR_EMAIL_OTP_TTL` | `300` (seconds an e-mail code is valid) |
//! | `email_otp_interval` | `TIGR_EMAIL_OTP_INTERVAL` | `60` (seconds between two codes mailed to an account) |
//! | `email_otp_per_account` | `TIGR_EMAIL_OTP_PER_ACCOUNT` | `5` (codes mailed to an account in an hour) |
//! | `email_otp_per_address` | `TIGR_EMAIL_OTP_PER_ADDRESS` | `10` (codes mailed to an e-mail address in an hour) |
//! | `password_invitation_ttl` | `TIGR_PASSWORD_INVITATION_TTL` | `259200` (seconds a password invitation link is valid) |
//! | `token_window` | `TIGR_TOKEN_WINDOW` | `1` (TOTP time steps accepted either side of now, given to tokens as they are imported or enrolled; 0 to 10) |
//! | `token_look_ahead` | `TIGR_TOKEN_LOOK_AHEAD` | `10` (HOTP counters accepted ahead of the expected one; 1 to 100) |
//! | `token_invitation_ttl` | `TIGR_TOKEN_INVITATION_TTL` | `259200` (seconds a token enrollment link is valid) |
//! | `smtp_host` | `TIGR_SMTP_HOST` | none (unset: no e-mail codes) |
//! | `smtp_port` | `TIGR_SMTP_PORT` | `587` (465 with `tls`, 25 with `none`) |
//! | `smtp_security` | `TIGR_SMTP_SECURITY` | `starttls` (`tls`; `none` for a loopback relay only) |
//! | `smtp_user` | `TIGR_SMTP_USER` | none (no authentication) |
//! | `smtp_password` / `smtp_password_file` | `TIGR_SMTP_PASSWORD` / `TIGR_SMTP_PASSWORD_FILE` | none |
//! | `smtp_from` | `TIGR_SMTP_FROM` | required with `smtp_host` (`Tigr <no-reply@example.fr>`) |
//! | `rate_limit_challenges` | `TIGR_RATE_LIMIT_CHALLENGES` | `1200` (login QR codes a minute per client address; 0: off) |
//! | `rate_limit_answers` | `TIGR_RATE_LIMIT_ANSWERS` | `600` (phones' scans and answers a minute per address; 0: off) |
//! | `rate_limit_offline` | `TIGR_RATE_LIMIT_OFFLINE` | `60` (offline codes typed a minute per address; 0: off) |
//! | `rate_limit_enrollments` | `TIGR_RATE_LIMIT_ENROLLMENTS` | `60` (enrollment lookups and completions a minute per address; 0: off) |
//! | `max_connections`   | `TIGR_MAX_CONNECTIONS`  | `0`: sized from the open-file limit ([`Config::connection_cap`]) |
//! | `header_timeout`    | `TIGR_HEADER_TIMEOUT`   | `10` (seconds for a request's head, from its first byte) |
//! | `body_timeout`      | `TIGR_BODY_TIMEOUT`     | `30` (seconds for a request's body, from its head; then 408) |
//! | `idle_timeout`      | `TIGR_IDLE_TIMEOUT`     | `60` (seconds a connection waits for its next request, or for the client to read) |
//! | `max_live_per_client` | `TIGR_MAX_LIVE_PER_CLIENT` | `200` (event streams and long polls open at once per address; 0: off) |
//! | `worker_nice`       | `TIGR_WORKER_NICE`      | `10` (how much lower than the database's threads the request threads run, in nice steps; 0 to 19, 0: same) |
//! | `card_roots`        | `TIGR_CARD_ROOTS`       | none (PEM/DER files of the card PKI's roots; set: card login on) |
//! | `card_intermediates`| `TIGR_CARD_INTERMEDIATES` | none (PEM/DER files of its intermediate CAs) |
//! | `card_crl_files`    | `TIGR_CARD_CRL_FILES`   | none (CRL files, PEM or DER, read again at each refresh) |
//! | `card_crl_urls`     | `TIGR_CARD_CRL_URLS`    | none (CRLs fetched at start and at each refresh) |
//! | `card_crl_refresh`  | `TIGR_CARD_CRL_REFRESH` | `3600` (seconds between refreshes) |
//! | `card_stale_crl`    | `TIGR_CARD_STALE_CRL`   | `refuse` (no usable CRL for a CA: `refuse` or `accept`) |
//! | `card_listen`       | `TIGR_CARD_LISTEN`      | none (address of Tigr's own TLS listener for cards) |
//! | `card_tls_cert`     | `TIGR_CARD_TLS_CERT`    | none (its certificate chain, PEM) |
//! | `card_tls_key`      | `TIGR_CARD_TLS_KEY`     | none (its private key, PEM) |
//! | `card_url`          | `TIGR_CARD_URL`         | `https://<public host>:<card_listen port>`, or the public URL behind a proxy |
//! | `card_proxies`      | `TIGR_CARD_PROXIES`     | none (addresses of the reverse proxies allowed to forward a certificate) |
//! | `card_proxy_header` | `TIGR_CARD_PROXY_HEADER`| `x-ssl-client-cert` |
//!
//! Rate limits allow bursts of a quarter of the minute's number.
//! The file is named by `--config PATH` or `TIGR_CONFIG`. Relative paths are relative to the
//! working directory.
//!
//! [`Config`] is a plain value: `parse.rs` builds it from the file and the environment (and
//! says which setting is wrong); what a running server holds besides (the address it
//! actually bound, its keys, its database) is [`crate::RunningServer`]'s.

mod parse;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tigr_core::clock::{Clock, TimeZone};
use tigr_core::payload::Origin;
use tigr_core::random::SecureRandom;

use crate::domain::card::StaleCrlPolicy;
use crate::domain::email_code::EmailCodePolicy;
use crate::domain::lockout::LockoutPolicy;
use crate::domain::offline_pause::OfflinePolicy;
use crate::domain::return_url::ReturnPrefix;
use crate::mail::SmtpSettings;
use crate::ratelimit::RateLimits;
use crate::sealing::MasterKey;

/// How long after its request an offline-code reply leaves, unless configured: far above
/// the work's time in the release build on SQLite (p90 under 0.5 ms on loopback; at half of
/// the target load, 2,500 flows/s, fewer than 1 reply in 800 takes longer,
/// docs/benchmarks.md) and far below what a person typing a code notices. A slower database
/// (PostgreSQL across a network, under load) may need more: `tigr_offline_replies_late_total`
/// says so.
pub const DEFAULT_OFFLINE_REPLY_TIME: Duration = Duration::from_millis(20);

/// Where the master key comes from.
#[derive(Debug, Clone)]
pub enum MasterKeySource {
    /// A key file, generated (mode 0600) if missing.
    File(PathBuf),
    /// A key given directly (`TIGR_MASTER_KEY`).
    Inline(MasterKey),
}

/// The settings of the OTP mode (Tigr ID + password + one-time password).
#[derive(Debug, Clone)]
pub struct OtpSettings {
    /// Consecutive failed OTP-form logins for one Tigr ID that pause the OTP form for that
    /// ID (never the phone's QR login nor the offline form).
    pub lockout_threshold: u32,
    /// Seconds of the first pause; each next one lasts twice as long.
    pub lockout_duration: i64,
    /// Longest pause, in seconds.
    pub lockout_max_duration: i64,
    /// Seconds an e-mail code is valid.
    pub email_code_ttl: i64,
    /// Seconds between two codes mailed to one account.
    pub email_code_interval: i64,
    /// Codes mailed to one account in an hour at most.
    pub email_codes_per_account: u32,
    /// Codes mailed to one address in an hour at most.
    pub email_codes_per_address: u32,
    /// Seconds a password invitation link is valid.
    pub password_invitation_ttl: i64,
    /// TOTP time steps accepted either side of now, for tokens imported or enrolled from now.
    pub token_window: u32,
    /// HOTP counters accepted ahead of the expected one.
    pub token_look_ahead: u32,
    /// Seconds a token enrollment link is valid.
    pub token_invitation_ttl: i64,
    /// The SMTP relay (`None`: e-mail codes are not offered).
    pub smtp: Option<SmtpSettings>,
}

impl OtpSettings {
    /// The OTP channel's lockout rules (the offline channel's machine, its own records).
    pub fn lockout_policy(&self) -> OfflinePolicy {
        OfflinePolicy::new(
            self.lockout_threshold,
            self.lockout_duration,
            self.lockout_max_duration,
        )
    }

    /// The rules of e-mail codes.
    pub fn email_code_policy(&self) -> EmailCodePolicy {
        EmailCodePolicy {
            ttl: self.email_code_ttl,
            min_interval: self.email_code_interval,
            per_account: self.email_codes_per_account,
            per_address: self.email_codes_per_address,
        }
    }
}

/// Everything the server needs to run. Build it with [`Config::load`] (file + environment),
/// `Config::for_tests` (with the `test-support` feature), or by adjusting the fields of
/// either.
#[derive(Clone)]
pub struct Config {
    /// Address to listen on (port 0 picks a free port).
    pub listen: SocketAddr,
    /// The origin phones see (e.g. `https://auth.example.fr`); `None` derives
    /// `http://<bound address>`, which phones accept only on loopback.
    pub public_url: Option<Origin>,
    /// SQLite URL, e.g. `sqlite://tigr-data/tigr.db` (file and parent directory created).
    pub database_url: String,
    /// Master key of the offline secrets.
    pub master_key: MasterKeySource,
    /// Name of the service shown on phones.
    pub service_name: String,
    /// Lifetime of a login challenge, in seconds.
    pub challenge_ttl: i64,
    /// Lifetime of an enrollment code, in seconds.
    pub enrollment_ttl: i64,
    /// Consecutive failed responses that block an account.
    pub lockout_threshold: u32,
    /// Seconds a temporary block lasts; 0 makes every block permanent (until an
    /// administrator unblocks).
    pub lockout_duration: i64,
    /// A block starting less than this many seconds after the previous one is permanent;
    /// 0 disables the rule.
    pub lockout_escalation_window: i64,
    /// The N-th block since the last successful login (or unblock) is permanent; 0 disables
    /// the rule.
    pub lockout_permanent_after: u32,
    /// Consecutive wrong offline codes typed for one Tigr ID that pause the offline form
    /// for that ID (never the phone's QR login).
    pub offline_lockout_threshold: u32,
    /// Seconds the first pause of the offline form lasts (at least 1: a pause always ends);
    /// each next one, until a right offline code or an unblock, lasts twice as long.
    pub offline_lockout_duration: i64,
    /// Longest pause of the offline form, in seconds.
    pub offline_lockout_max_duration: i64,
    /// How long after its request an offline-code reply leaves, whatever the Tigr ID
    /// (docs/security.md, "Account enumeration"): above the work's time.
    pub offline_reply_time: Duration,
    /// The OTP mode: its lockout channel, e-mail codes, password invitations, SMTP relay.
    pub otp: OtpSettings,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted reverse proxy).
    pub trust_proxy: bool,
    /// A web session ends after this many seconds without a request.
    pub session_idle: i64,
    /// A web session ends this many seconds after the login, whatever the activity.
    pub session_max: i64,
    /// An administrator's web session ends after this many seconds without a request
    /// (shorter than `session_idle` for everyone else; the smaller of the two applies).
    pub admin_session_idle: i64,
    /// An administrator's web session ends this many seconds after the login (the smaller
    /// of this and `session_max` applies).
    pub admin_session_max: i64,
    /// Lifetime of an OpenID Connect access token, in seconds (userinfo).
    pub oidc_access_token_ttl: i64,
    /// Lifetime of an OpenID Connect ID token, in seconds (a rotated signing key stays
    /// published this long, and a little more).
    pub oidc_id_token_ttl: i64,
    /// Where a login page's `?return=` may send the browser: origins, optionally with a path
    /// prefix (`https://dpi.example.fr`, `https://portail.example.fr/app/`). Paths of this
    /// server are always allowed; everything else is refused (no open redirect).
    pub return_origins: Vec<ReturnPrefix>,
    /// `Secure` attribute of cookies: `None` = when the public URL is https.
    pub cookie_secure: Option<bool>,
    /// Serve the Prometheus metrics at `GET /metrics` (on the same listener).
    pub metrics: bool,
    /// When set, `GET /metrics` answers 401 unless the request carries
    /// `Authorization: Bearer <token>`. Required when metrics are on and the listen address
    /// is not loopback ([`Config::check_metrics_exposure`]). Redacted from `Debug`.
    pub metrics_token: Option<String>,
    /// Requests per client address and minute, per kind of request.
    pub rate_limits: RateLimits,
    /// Connections open at once at most (beyond, new ones wait in the listen queue);
    /// `None`: sized from the open-file limit at start ([`Config::connection_cap`]).
    pub max_connections: Option<usize>,
    /// Time a client has to send a request's head once its first byte arrived (slow
    /// clients that trickle headers are cut off).
    pub header_timeout: Duration,
    /// Time a request's body has to arrive whole, counted from its head (then 408).
    pub body_timeout: Duration,
    /// Time a connection with no request in progress waits for the next request's first
    /// byte, and time a reply waits for a client that does not read it.
    pub idle_timeout: Duration,
    /// Live channels (event streams, long polls) one client address may hold at once;
    /// `None`: no cap.
    pub max_live_per_client: Option<u32>,
    /// Nice steps added to the threads that serve requests, so that the database's
    /// connection threads (the writer's above all: every login waits for it) run first when
    /// both cores are busy (`runtime.rs`).
    pub worker_nice: u8,
    /// The time zone of the times shown to people (pages, command line); logs and CSV
    /// exports are in UTC.
    pub time_zone: TimeZone,
    /// Card login (docs/cps.md).
    pub card: CardSettings,
    /// Source of time (the system clock; tests put a `FixedClock` here).
    pub clock: Arc<dyn Clock>,
    /// Source of randomness (the OS CSPRNG; tests may put a `SeededRandom` here).
    pub random: Arc<dyn SecureRandom>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field(
                "public_url",
                &self.public_url.as_ref().map(|o| o.to_string()),
            )
            .field(
                "database_url",
                &crate::storage::redacted_url(&self.database_url),
            )
            .field("master_key", &self.master_key)
            .field("service_name", &self.service_name)
            .field("challenge_ttl", &self.challenge_ttl)
            .field("enrollment_ttl", &self.enrollment_ttl)
            .field("lockout_threshold", &self.lockout_threshold)
            .field("lockout_duration", &self.lockout_duration)
            .field("lockout_escalation_window", &self.lockout_escalation_window)
            .field("lockout_permanent_after", &self.lockout_permanent_after)
            .field("offline_lockout_threshold", &self.offline_lockout_threshold)
            .field("offline_lockout_duration", &self.offline_lockout_duration)
            .field(
                "offline_lockout_max_duration",
                &self.offline_lockout_max_duration,
            )
            .field("offline_reply_time", &self.offline_reply_time)
            .field("otp", &self.otp)
            .field("trust_proxy", &self.trust_proxy)
            .field("session_idle", &self.session_idle)
            .field("session_max", &self.session_max)
            .field("admin_session_idle", &self.admin_session_idle)
            .field("admin_session_max", &self.admin_session_max)
            .field("oidc_access_token_ttl", &self.oidc_access_token_ttl)
            .field("oidc_id_token_ttl", &self.oidc_id_token_ttl)
            .field("return_origins", &self.return_origins)
            .field("cookie_secure", &self.cookie_secure)
            .field("metrics", &self.metrics)
            .field("rate_limits", &self.rate_limits)
            .field("max_connections", &self.max_connections)
            .field("header_timeout", &self.header_timeout)
            .field("body_timeout", &self.body_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_live_per_client", &self.max_live_per_client)
            .field("worker_nice", &self.worker_nice)
            .field("time_zone", &self.time_zone.iana_name())
            .field("card", &self.card)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "(redacted)"),
            )
            .finish_non_exhaustive()
    }
}

/// Card login (docs/cps.md): on when roots are configured, by Tigr's own TLS listener
/// (`listen`), by certificates forwarded by reverse proxies (`proxies`), or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardSettings {
    /// Trust anchors: the roots of the card PKI (files, PEM or DER).
    pub roots: Vec<PathBuf>,
    /// Intermediate CAs (files), for cards whose browser sends the card's certificate alone.
    pub intermediates: Vec<PathBuf>,
    /// CRL files (PEM or DER), read again at each refresh.
    pub crl_files: Vec<PathBuf>,
    /// CRL URLs (http or https), fetched at start and at each refresh.
    pub crl_urls: Vec<String>,
    /// Seconds between CRL refreshes.
    pub crl_refresh: i64,
    /// What to do when no usable CRL tells a certificate's status.
    pub stale_crl: StaleCrlPolicy,
    /// Address of Tigr's own TLS listener for cards (`None`: no listener).
    pub listen: Option<SocketAddr>,
    /// The listener's certificate chain (PEM file).
    pub tls_cert: Option<PathBuf>,
    /// The listener's private key (PEM file).
    pub tls_key: Option<PathBuf>,
    /// The origin where browsers present their card (`None`: derived, see
    /// [`Config::card_origin`]).
    pub url: Option<Origin>,
    /// Reverse proxies allowed to forward a verified certificate in `proxy_header`.
    pub proxies: Vec<IpAddr>,
    /// The header they forward it in (lower case).
    pub proxy_header: String,
}

impl CardSettings {
    /// Default header of forwarded certificates.
    pub const DEFAULT_PROXY_HEADER: &'static str = "x-ssl-client-cert";

    /// True when card login is configured.
    pub fn enabled(&self) -> bool {
        !self.roots.is_empty()
    }
}

impl Default for CardSettings {
    fn default() -> Self {
        Self {
            roots: Vec::new(),
            intermediates: Vec::new(),
            crl_files: Vec::new(),
            crl_urls: Vec::new(),
            crl_refresh: 3600,
            stale_crl: StaleCrlPolicy::Refuse,
            listen: None,
            tls_cert: None,
            tls_key: None,
            url: None,
            proxies: Vec::new(),
            proxy_header: Self::DEFAULT_PROXY_HEADER.to_owned(),
        }
    }
}

/// A configuration that cannot be used, with the setting at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file cannot be read.
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// The configuration file is not valid TOML for this server.
    #[error("configuration file {path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// What is wrong (from the TOML parser).
        message: String,
    },
    /// A setting has an unusable value.
    #[error("{setting}: {reason}")]
    Invalid {
        /// The setting, as named where it was given (`TIGR_LISTEN`, `listen in tigr.toml`).
        setting: String,
        /// Why it is refused.
        reason: String,
    },
}

impl Config {
    /// Default listen address.
    pub const DEFAULT_LISTEN: &'static str = "127.0.0.1:8080";
    /// Default database.
    pub const DEFAULT_DATABASE_URL: &'static str = "sqlite://tigr-data/tigr.db";
    /// Default key file.
    pub const DEFAULT_MASTER_KEY_FILE: &'static str = "tigr-data/master.key";
    /// Default time zone of the times shown to people.
    pub const DEFAULT_TIME_ZONE: &'static str = "Europe/Paris";
    /// Open files kept for everything but client connections when the connection cap is
    /// sized from the open-file limit: the listener, the database files of each SQLite
    /// connection (database, WAL, shared memory), the key file, logs and exports.
    pub const RESERVED_DESCRIPTORS: u64 = 256;
    /// The largest connection cap sized from the open-file limit (an idle connection costs
    /// a few tens of KiB: docs/security.md, "Connections"); set `max_connections` for more.
    pub const MAX_SIZED_CONNECTIONS: usize = 16_384;

    /// A configuration for tests: database and key file inside `dir` (the database of `dir`
    /// on the PostgreSQL cluster of `TIGR_TEST_POSTGRES` instead, when set),
    /// listening on `127.0.0.1:0`, no rate limits, defaults otherwise. Only in test builds and with the
    /// `test-support` feature (the end-to-end suites and benchmarks): never in the server.
    #[cfg(any(test, feature = "test-support"))]
    pub fn for_tests(dir: &std::path::Path) -> Self {
        let mut config = Self::from_sources(None, &|_| None).expect("defaults are valid");
        config.listen = "127.0.0.1:0".parse().expect("valid address");
        // Tests fire everything from one address, often faster than people: the tests of
        // the limits turn them on.
        config.rate_limits = RateLimits::OFF;
        config.max_live_per_client = None;
        config.database_url = crate::storage::test_database_url(dir, "tigr.db");
        config.master_key = MasterKeySource::File(dir.join("master.key"));
        config
    }

    /// The database URL for messages and logs: without its password (`***`).
    pub fn database_shown(&self) -> String {
        crate::storage::redacted_url(&self.database_url)
    }

    /// The public origin: `public_url` if set, else `http://` + the listen address (the
    /// bound one in [`crate::RunningServer::config`]). Fails when that cannot be a Tigr
    /// origin (port 0 before the server started, or a non-loopback address without
    /// `public_url`).
    pub fn public_origin(&self) -> anyhow::Result<Origin> {
        if let Some(origin) = &self.public_url {
            return Ok(origin.clone());
        }
        let addr = self.listen;
        if addr.port() == 0 {
            anyhow::bail!(
                "the public URL is unknown: the server listens on port 0 and has not started; \
                 set TIGR_PUBLIC_URL or use the configuration of the running server"
            );
        }
        let host = match addr.ip() {
            ip if ip.is_unspecified() => anyhow::bail!(
                "listening on {addr} (all interfaces): set TIGR_PUBLIC_URL to the https address \
                 phones use to reach this server"
            ),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            std::net::IpAddr::V4(ip) => ip.to_string(),
        };
        Origin::parse(&format!("http://{host}:{}", addr.port())).map_err(|_| {
            anyhow::anyhow!(
                "listening on {addr}: phones accept plain http only on localhost; set \
                 TIGR_PUBLIC_URL to the https address phones use to reach this server"
            )
        })
    }

    /// Where browsers present their card: `card_url`, else `https://` + the public host +
    /// the card listener's port (bound port once started), else the public origin (a
    /// reverse proxy asks for the certificate).
    pub fn card_origin(&self) -> anyhow::Result<Origin> {
        if let Some(url) = &self.card.url {
            return Ok(url.clone());
        }
        let public = self.public_origin()?;
        let Some(listen) = self.card.listen else {
            return Ok(public);
        };
        let text = public.to_string();
        let host = text
            .split_once("://")
            .map(|(_, rest)| rest)
            .unwrap_or(&text);
        let host = match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        };
        Origin::parse(&format!("https://{host}:{}", listen.port()))
            .map_err(|e| anyhow::anyhow!("cannot derive the card URL: {e}; set TIGR_CARD_URL"))
    }

    /// Refuses metrics open to the network: with metrics on and a listen address beyond
    /// loopback, `/metrics` would tell anyone who can reach the server how many logins,
    /// failures and blocks it sees, unless a token guards it.
    pub fn check_metrics_exposure(&self) -> anyhow::Result<()> {
        if self.metrics && self.metrics_token.is_none() && !self.listen.ip().is_loopback() {
            anyhow::bail!(
                "metrics are on and the server listens on {} (beyond loopback) without a \
                 metrics token: set TIGR_METRICS_TOKEN (16 to 256 visible ASCII characters) \
                 so that /metrics needs it, or turn metrics off with TIGR_METRICS=false",
                self.listen
            );
        }
        Ok(())
    }

    /// Connections open at once at most: `max_connections`, or else what the open-file limit
    /// `descriptor_limit` leaves once [`Config::RESERVED_DESCRIPTORS`] are set aside (half of
    /// it for a tiny limit), at most [`Config::MAX_SIZED_CONNECTIONS`]. Then accepting never
    /// fails for want of descriptors: the excess waits in the listen queue instead.
    pub fn connection_cap(&self, descriptor_limit: u64) -> usize {
        self.max_connections.unwrap_or_else(|| {
            let spare = descriptor_limit
                .saturating_sub(Self::RESERVED_DESCRIPTORS)
                .max(descriptor_limit / 2)
                .max(1);
            usize::try_from(spare)
                .unwrap_or(usize::MAX)
                .min(Self::MAX_SIZED_CONNECTIONS)
        })
    }

    /// The lockout rules of this configuration.
    pub fn lockout_policy(&self) -> LockoutPolicy {
        LockoutPolicy::new(self.lockout_threshold).with_temporary_blocks(
            self.lockout_duration,
            self.lockout_escalation_window,
            self.lockout_permanent_after,
        )
    }

    /// The offline channel's lockout rules of this configuration.
    pub fn offline_policy(&self) -> OfflinePolicy {
        OfflinePolicy::new(
            self.offline_lockout_threshold,
            self.offline_lockout_duration,
            self.offline_lockout_max_duration,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_origin_derivation() {
        let mut c = Config::for_tests(std::path::Path::new("/tmp/x"));
        assert!(c.public_origin().is_err(), "port 0 before start");
        c.listen = "127.0.0.1:4567".parse().expect("addr");
        assert_eq!(
            c.public_origin().expect("origin").to_string(),
            "http://127.0.0.1:4567"
        );
        c.listen = "[::1]:80".parse().expect("addr");
        assert_eq!(
            c.public_origin().expect("origin").to_string(),
            "http://[::1]"
        );
        c.listen = "0.0.0.0:8080".parse().expect("addr");
        assert!(c.public_origin().is_err());
        c.listen = "192.168.1.2:8080".parse().expect("addr");
        assert!(c.public_origin().is_err());
    }

    #[test]
    fn metrics_beyond_loopback_need_a_token() {
        let mut c = Config::for_tests(std::path::Path::new("/tmp/x"));
        assert!(c.metrics && c.metrics_token.is_none());
        for loopback in ["127.0.0.1:8080", "[::1]:8080", "127.0.0.2:0"] {
            c.listen = loopback.parse().expect("addr");
            assert!(c.check_metrics_exposure().is_ok(), "{loopback}");
        }
        for open in ["0.0.0.0:8080", "[::]:8080", "192.168.1.2:8080"] {
            c.listen = open.parse().expect("addr");
            let error = c.check_metrics_exposure().expect_err(open).to_string();
            assert!(error.contains("TIGR_METRICS_TOKEN"), "{error}");
            assert!(error.contains(open), "{error}");
        }
        c.metrics_token = Some("a-token-of-sixteen-chars".into());
        assert!(c.check_metrics_exposure().is_ok());
        c.metrics_token = None;
        c.metrics = false;
        assert!(c.check_metrics_exposure().is_ok());
    }

    #[test]
    fn the_connection_cap_leaves_descriptors_for_the_database() {
        let mut c = Config::for_tests(std::path::Path::new("/tmp/x"));
        assert_eq!(c.max_connections, None);
        // A common soft limit: 1,024 descriptors, 768 for connections.
        assert_eq!(c.connection_cap(1024), 768);
        assert_eq!(c.connection_cap(10_000), 9_744);
        // Tiny limits keep half; huge ones stop at the ceiling.
        assert_eq!(c.connection_cap(300), 150);
        assert_eq!(c.connection_cap(1), 1);
        assert_eq!(c.connection_cap(1 << 20), Config::MAX_SIZED_CONNECTIONS);
        assert_eq!(c.connection_cap(u64::MAX), Config::MAX_SIZED_CONNECTIONS);
        // A configured cap is taken as is.
        c.max_connections = Some(50_000);
        assert_eq!(c.connection_cap(1024), 50_000);
    }
}
