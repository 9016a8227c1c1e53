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
//! | `trust_proxy`       | `TIGR_TRUST_PROXY`      | `false` (honour X-Forwarded-For) |
//! | `session_idle`      | `TIGR_SESSION_IDLE`     | `1800` (seconds without activity)|
//! | `session_max`       | `TIGR_SESSION_MAX`      | `43200` (seconds after login)    |
//! | `admin_session_idle`| `TIGR_ADMIN_SESSION_IDLE` | `600` (administrators' sessions) |
//! | `admin_session_max` | `TIGR_ADMIN_SESSION_MAX`| `7200` (administrators' sessions)|
//! | `return_origins`    | `TIGR_RETURN_ORIGINS`   | none (list: where `?return=` may lead) |
//! | `cookie_secure`     | `TIGR_COOKIE_SECURE`    | `auto` (Secure when public URL is https) |
//! | `metrics`           | `TIGR_METRICS`          | `true` (serve `GET /metrics`)    |
//! | `metrics_token`     | `TIGR_METRICS_TOKEN`    | none (set: `/metrics` needs `Authorization: Bearer <token>`) |
//! | `time_zone`         | `TIGR_TIME_ZONE`        | `Europe/Paris` (IANA name: times shown to people) |
//! | `rate_limit_challenges` | `TIGR_RATE_LIMIT_CHALLENGES` | `1200` (login QR codes a minute per client address; 0: off) |
//! | `rate_limit_answers` | `TIGR_RATE_LIMIT_ANSWERS` | `600` (phones' scans and answers a minute per address; 0: off) |
//! | `rate_limit_offline` | `TIGR_RATE_LIMIT_OFFLINE` | `60` (offline codes typed a minute per address; 0: off) |
//! | `rate_limit_enrollments` | `TIGR_RATE_LIMIT_ENROLLMENTS` | `60` (enrollment lookups and completions a minute per address; 0: off) |
//!
//! Rate limits allow bursts of a quarter of the minute's number.
//! The file is named by `--config PATH` or `TIGR_CONFIG`. Relative paths are relative to the
//! working directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use tigr_core::clock::{Clock, SystemClock, TimeZone};
use tigr_core::payload::Origin;
use tigr_core::random::{SecureRandom, SystemRandom};

use crate::domain::lockout::LockoutPolicy;
use crate::ratelimit::{Limit, RateLimits};
use crate::sealing::{KeyError, MasterKey};

/// Where the master key comes from.
#[derive(Debug, Clone)]
pub enum MasterKeySource {
    /// A key file, generated (mode 0600) if missing.
    File(PathBuf),
    /// A key given directly (`TIGR_MASTER_KEY`).
    Inline(MasterKey),
}

/// Everything the server needs to run. Build it with [`Config::load`] (file + environment),
/// [`Config::for_tests`], or by adjusting the fields of either.
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
    /// Where a login page's `?return=` may send the browser: origins, optionally with a path
    /// prefix (`https://dpi.example.fr`, `https://portail.example.fr/app/`). Paths of this
    /// server are always allowed; everything else is refused (no open redirect).
    pub return_origins: Vec<crate::web::ReturnPrefix>,
    /// `Secure` attribute of cookies: `None` = when the public URL is https.
    pub cookie_secure: Option<bool>,
    /// Serve the Prometheus metrics at `GET /metrics` (on the same listener).
    pub metrics: bool,
    /// When set, `GET /metrics` answers 401 unless the request carries
    /// `Authorization: Bearer <token>`. Redacted from `Debug`.
    pub metrics_token: Option<String>,
    /// Requests per client address and minute, per kind of request.
    pub rate_limits: RateLimits,
    /// The time zone of the times shown to people (pages, command line); logs and CSV
    /// exports are in UTC.
    pub time_zone: TimeZone,
    /// Source of time (the system clock; tests put a `FixedClock` here).
    pub clock: Arc<dyn Clock>,
    /// Source of randomness (the OS CSPRNG; tests may put a `SeededRandom` here).
    pub random: Arc<dyn SecureRandom>,
    /// The address a [`crate::RunningServer`] actually bound, shared by all clones of this
    /// config so that the public URL of a port-0 server is known to [`crate::create_enrollment`].
    bound: Arc<Mutex<Option<SocketAddr>>>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field(
                "public_url",
                &self.public_url.as_ref().map(|o| o.to_string()),
            )
            .field("database_url", &self.database_url)
            .field("master_key", &self.master_key)
            .field("service_name", &self.service_name)
            .field("challenge_ttl", &self.challenge_ttl)
            .field("enrollment_ttl", &self.enrollment_ttl)
            .field("lockout_threshold", &self.lockout_threshold)
            .field("lockout_duration", &self.lockout_duration)
            .field("lockout_escalation_window", &self.lockout_escalation_window)
            .field("lockout_permanent_after", &self.lockout_permanent_after)
            .field("trust_proxy", &self.trust_proxy)
            .field("session_idle", &self.session_idle)
            .field("session_max", &self.session_max)
            .field("admin_session_idle", &self.admin_session_idle)
            .field("admin_session_max", &self.admin_session_max)
            .field("return_origins", &self.return_origins)
            .field("cookie_secure", &self.cookie_secure)
            .field("metrics", &self.metrics)
            .field("rate_limits", &self.rate_limits)
            .field("time_zone", &self.time_zone.iana_name())
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "(redacted)"),
            )
            .finish_non_exhaustive()
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

/// The keys of the configuration file (all optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    public_url: Option<String>,
    database_url: Option<String>,
    master_key_file: Option<String>,
    master_key: Option<String>,
    service_name: Option<String>,
    challenge_ttl: Option<i64>,
    enrollment_ttl: Option<i64>,
    lockout_threshold: Option<i64>,
    lockout_duration: Option<i64>,
    lockout_escalation_window: Option<i64>,
    lockout_permanent_after: Option<i64>,
    trust_proxy: Option<bool>,
    session_idle: Option<i64>,
    session_max: Option<i64>,
    admin_session_idle: Option<i64>,
    admin_session_max: Option<i64>,
    return_origins: Option<Vec<String>>,
    cookie_secure: Option<String>,
    metrics: Option<bool>,
    metrics_token: Option<String>,
    rate_limit_challenges: Option<i64>,
    rate_limit_answers: Option<i64>,
    rate_limit_offline: Option<i64>,
    rate_limit_enrollments: Option<i64>,
    time_zone: Option<String>,
}

/// A raw setting and where it came from, for error messages.
struct Setting {
    value: String,
    origin: String,
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

    /// Loads the file named by `path` (or by `TIGR_CONFIG`), then applies the environment.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let path = path
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("TIGR_CONFIG").map(PathBuf::from));
        let file = match &path {
            Some(p) => Some((
                p.display().to_string(),
                std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.display().to_string(),
                    source,
                })?,
            )),
            None => None,
        };
        Self::from_sources(
            file.as_ref()
                .map(|(name, text)| (name.as_str(), text.as_str())),
            &|name| std::env::var(name).ok(),
        )
    }

    /// Builds a configuration from a file's `(name, text)` and an environment lookup.
    pub fn from_sources(
        file: Option<(&str, &str)>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let (file_name, parsed) = match file {
            Some((name, text)) => (
                name.to_owned(),
                toml::from_str::<FileConfig>(text).map_err(|e| ConfigError::Parse {
                    path: name.to_owned(),
                    message: e.message().to_owned(),
                })?,
            ),
            None => (String::new(), FileConfig::default()),
        };
        // Environment first, then file: returns the winning raw value with its origin.
        let get = |env_name: &str, key: &str, from_file: Option<String>| -> Option<Setting> {
            match env(env_name).filter(|v| !v.trim().is_empty()) {
                Some(value) => Some(Setting {
                    value,
                    origin: env_name.to_owned(),
                }),
                None => from_file.map(|value| Setting {
                    value,
                    origin: format!("{key} in {file_name}"),
                }),
            }
        };

        let listen = match get("TIGR_LISTEN", "listen", parsed.listen) {
            Some(s) => s.value.trim().parse().map_err(|_| ConfigError::Invalid {
                setting: s.origin,
                reason: format!(
                    "expected an address and port such as 127.0.0.1:8080, got {:?}",
                    s.value
                ),
            })?,
            None => Self::DEFAULT_LISTEN.parse().expect("valid default"),
        };

        let public_url = match get("TIGR_PUBLIC_URL", "public_url", parsed.public_url) {
            Some(s) => Some(
                parse_public_url(&s.value).map_err(|reason| ConfigError::Invalid {
                    setting: s.origin,
                    reason,
                })?,
            ),
            None => None,
        };

        let database_url = match get("TIGR_DATABASE_URL", "database_url", parsed.database_url) {
            Some(s) => {
                let url = s.value.trim().to_owned();
                if !url.starts_with("sqlite:") {
                    return Err(ConfigError::Invalid {
                        setting: s.origin,
                        reason: format!(
                            "only SQLite is supported for now: expected sqlite://PATH, got {url:?}"
                        ),
                    });
                }
                url
            }
            None => Self::DEFAULT_DATABASE_URL.to_owned(),
        };

        let master_key = match get("TIGR_MASTER_KEY", "master_key", parsed.master_key) {
            Some(s) => {
                MasterKeySource::Inline(MasterKey::from_base64(&s.value, &s.origin).map_err(
                    |e: KeyError| ConfigError::Invalid {
                        setting: s.origin.clone(),
                        reason: format!(
                            "{e} (generate one with: head -c 32 /dev/urandom | basenc --base64url)"
                        ),
                    },
                )?)
            }
            None => MasterKeySource::File(PathBuf::from(
                get(
                    "TIGR_MASTER_KEY_FILE",
                    "master_key_file",
                    parsed.master_key_file,
                )
                .map(|s| s.value)
                .unwrap_or_else(|| Self::DEFAULT_MASTER_KEY_FILE.to_owned()),
            )),
        };

        let service_name = match get("TIGR_SERVICE_NAME", "service_name", parsed.service_name) {
            Some(s) => {
                let name = s.value.trim().to_owned();
                if name.is_empty()
                    || name.chars().count() > 64
                    || name.chars().any(char::is_control)
                {
                    return Err(ConfigError::Invalid {
                        setting: s.origin,
                        reason: "expected 1 to 64 printable characters".into(),
                    });
                }
                name
            }
            None => "Tigr".to_owned(),
        };

        let number = |env_name: &str,
                      key: &str,
                      from_file: Option<i64>,
                      default: i64,
                      min: i64,
                      max: i64,
                      unit: &str| {
            match get(env_name, key, from_file.map(|n| n.to_string())) {
                Some(s) => match s.value.trim().parse::<i64>() {
                    Ok(n) if (min..=max).contains(&n) => Ok(n),
                    _ => Err(ConfigError::Invalid {
                        setting: s.origin,
                        reason: format!(
                            "expected {unit} between {min} and {max}, got {:?}",
                            s.value
                        ),
                    }),
                },
                None => Ok(default),
            }
        };
        let challenge_ttl = number(
            "TIGR_CHALLENGE_TTL",
            "challenge_ttl",
            parsed.challenge_ttl,
            120,
            1,
            3600,
            "a number of seconds",
        )?;
        let enrollment_ttl = number(
            "TIGR_ENROLLMENT_TTL",
            "enrollment_ttl",
            parsed.enrollment_ttl,
            900,
            1,
            30 * 24 * 3600,
            "a number of seconds",
        )?;
        let lockout_threshold = number(
            "TIGR_LOCKOUT_THRESHOLD",
            "lockout_threshold",
            parsed.lockout_threshold,
            5,
            1,
            100,
            "a number of attempts",
        )? as u32;
        let lockout_duration = number(
            "TIGR_LOCKOUT_DURATION",
            "lockout_duration",
            parsed.lockout_duration,
            900,
            0,
            30 * 24 * 3600,
            "a number of seconds (0: permanent blocks)",
        )?;
        let lockout_escalation_window = number(
            "TIGR_LOCKOUT_ESCALATION_WINDOW",
            "lockout_escalation_window",
            parsed.lockout_escalation_window,
            24 * 3600,
            0,
            365 * 24 * 3600,
            "a number of seconds (0: off)",
        )?;
        let lockout_permanent_after = number(
            "TIGR_LOCKOUT_PERMANENT_AFTER",
            "lockout_permanent_after",
            parsed.lockout_permanent_after,
            3,
            0,
            100,
            "a number of blocks (0: off)",
        )? as u32;

        let trust_proxy = match get(
            "TIGR_TRUST_PROXY",
            "trust_proxy",
            parsed.trust_proxy.map(|b| b.to_string()),
        ) {
            Some(s) => match s.value.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => true,
                "false" | "0" | "no" | "off" => false,
                _ => {
                    return Err(ConfigError::Invalid {
                        setting: s.origin,
                        reason: format!("expected true or false, got {:?}", s.value),
                    });
                }
            },
            None => false,
        };

        let session_idle = number(
            "TIGR_SESSION_IDLE",
            "session_idle",
            parsed.session_idle,
            1800,
            60,
            7 * 24 * 3600,
            "a number of seconds",
        )?;
        let session_max = number(
            "TIGR_SESSION_MAX",
            "session_max",
            parsed.session_max,
            43_200,
            60,
            30 * 24 * 3600,
            "a number of seconds",
        )?;
        let admin_session_idle = number(
            "TIGR_ADMIN_SESSION_IDLE",
            "admin_session_idle",
            parsed.admin_session_idle,
            600,
            60,
            7 * 24 * 3600,
            "a number of seconds",
        )?;
        let admin_session_max = number(
            "TIGR_ADMIN_SESSION_MAX",
            "admin_session_max",
            parsed.admin_session_max,
            7200,
            60,
            30 * 24 * 3600,
            "a number of seconds",
        )?;
        let return_origins = match get(
            "TIGR_RETURN_ORIGINS",
            "return_origins",
            parsed.return_origins.map(|list| list.join(" ")),
        ) {
            Some(s) => crate::web::ReturnPrefix::parse_list(&s.value).map_err(|reason| {
                ConfigError::Invalid {
                    setting: s.origin,
                    reason,
                }
            })?,
            None => Vec::new(),
        };
        let cookie_secure = match get("TIGR_COOKIE_SECURE", "cookie_secure", parsed.cookie_secure) {
            Some(s) => match s.value.trim().to_ascii_lowercase().as_str() {
                "auto" => None,
                "true" | "1" | "yes" | "on" => Some(true),
                "false" | "0" | "no" | "off" => Some(false),
                _ => {
                    return Err(ConfigError::Invalid {
                        setting: s.origin,
                        reason: format!("expected auto, true or false, got {:?}", s.value),
                    });
                }
            },
            None => None,
        };
        let metrics = match get(
            "TIGR_METRICS",
            "metrics",
            parsed.metrics.map(|b| b.to_string()),
        ) {
            Some(s) => parse_flag(s)?,
            None => true,
        };
        let metrics_token = match get("TIGR_METRICS_TOKEN", "metrics_token", parsed.metrics_token) {
            Some(s) => Some(parse_metrics_token(s)?),
            None => None,
        };

        let rate = |env: &'static str, key: &'static str, value: Option<i64>, default: i64| {
            number(
                env,
                key,
                value,
                default,
                0,
                1_000_000,
                "a number of requests a minute (0: no limit)",
            )
            .map(|n| Limit::per_minute(n as u32))
        };
        let rate_limits = RateLimits {
            challenges: rate(
                "TIGR_RATE_LIMIT_CHALLENGES",
                "rate_limit_challenges",
                parsed.rate_limit_challenges,
                1200,
            )?,
            answers: rate(
                "TIGR_RATE_LIMIT_ANSWERS",
                "rate_limit_answers",
                parsed.rate_limit_answers,
                600,
            )?,
            offline: rate(
                "TIGR_RATE_LIMIT_OFFLINE",
                "rate_limit_offline",
                parsed.rate_limit_offline,
                60,
            )?,
            enrollments: rate(
                "TIGR_RATE_LIMIT_ENROLLMENTS",
                "rate_limit_enrollments",
                parsed.rate_limit_enrollments,
                60,
            )?,
        };

        let time_zone = match get("TIGR_TIME_ZONE", "time_zone", parsed.time_zone) {
            Some(s) => parse_time_zone(s)?,
            None => TimeZone::get(Self::DEFAULT_TIME_ZONE).map_err(|e| ConfigError::Invalid {
                setting: "the default time zone".to_owned(),
                reason: e.to_string(),
            })?,
        };

        Ok(Self {
            listen,
            public_url,
            database_url,
            master_key,
            service_name,
            challenge_ttl,
            enrollment_ttl,
            lockout_threshold,
            lockout_duration,
            lockout_escalation_window,
            lockout_permanent_after,
            trust_proxy,
            session_idle,
            session_max,
            admin_session_idle,
            admin_session_max,
            return_origins,
            cookie_secure,
            metrics,
            metrics_token,
            rate_limits,
            time_zone,
            clock: Arc::new(SystemClock),
            random: Arc::new(SystemRandom::new()),
            bound: Arc::new(Mutex::new(None)),
        })
    }

    /// A configuration for tests: database and key file inside `dir`, listening on
    /// `127.0.0.1:0`, defaults otherwise.
    pub fn for_tests(dir: &Path) -> Self {
        let mut config = Self::from_sources(None, &|_| None).expect("defaults are valid");
        config.listen = "127.0.0.1:0".parse().expect("valid address");
        // Tests fire everything from one address, often faster than people: the tests of
        // the limits turn them on.
        config.rate_limits = RateLimits::OFF;
        config.database_url = format!("sqlite://{}", dir.join("tigr.db").display());
        config.master_key = MasterKeySource::File(dir.join("master.key"));
        config
    }

    /// The public origin: `public_url` if set, else `http://` + the bound (or configured)
    /// listen address. Fails when that cannot be a Tigr origin (port 0 before the server
    /// started, or a non-loopback address without `public_url`).
    pub fn public_origin(&self) -> anyhow::Result<Origin> {
        if let Some(origin) = &self.public_url {
            return Ok(origin.clone());
        }
        let addr = self
            .bound
            .lock()
            .map(|b| b.unwrap_or(self.listen))
            .unwrap_or(self.listen);
        if addr.port() == 0 {
            anyhow::bail!(
                "the public URL is unknown: the server listens on port 0 and has not started; \
                 set TIGR_PUBLIC_URL or start the server with this configuration first"
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

    /// The lockout rules of this configuration.
    pub fn lockout_policy(&self) -> LockoutPolicy {
        LockoutPolicy::new(self.lockout_threshold).with_temporary_blocks(
            self.lockout_duration,
            self.lockout_escalation_window,
            self.lockout_permanent_after,
        )
    }

    /// Records the address a server bound (shared with every clone of this config).
    pub(crate) fn set_bound(&self, addr: SocketAddr) {
        if let Ok(mut bound) = self.bound.lock() {
            *bound = Some(addr);
        }
    }
}

/// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
fn parse_flag(s: Setting) -> Result<bool, ConfigError> {
    match s.value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::Invalid {
            setting: s.origin,
            reason: format!("expected true or false, got {:?}", s.value),
        }),
    }
}

/// A bearer token for `/metrics`: 16 to 256 visible ASCII characters. The value is never
/// repeated in the error.
fn parse_metrics_token(s: Setting) -> Result<String, ConfigError> {
    let token = s.value.trim();
    if (16..=256).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(token.to_owned())
    } else {
        Err(ConfigError::Invalid {
            setting: s.origin,
            reason: "expected 16 to 256 visible ASCII characters without spaces (generate one \
                     with: head -c 32 /dev/urandom | basenc --base64url)"
                .into(),
        })
    }
}

/// A time zone by its IANA name (`Europe/Paris`, `America/Cayenne`, `UTC`), from the
/// database bundled in the binary (the same on every machine).
fn parse_time_zone(s: Setting) -> Result<TimeZone, ConfigError> {
    TimeZone::get(s.value.trim()).map_err(|_| ConfigError::Invalid {
        setting: s.origin,
        reason: format!(
            "unknown time zone {:?}: expected an IANA name such as Europe/Paris, \
             America/Cayenne, Indian/Reunion or UTC",
            s.value
        ),
    })
}

fn parse_public_url(text: &str) -> Result<Origin, String> {
    let trimmed = text.trim().trim_end_matches('/');
    Origin::parse(trimmed).map_err(|e| {
        format!(
            "{e}: expected an origin such as https://auth.example.fr (no path), or \
             http://127.0.0.1:8080 for local tests; got {text:?}"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn defaults() {
        let c = Config::from_sources(None, &env(&[])).expect("valid");
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert!(c.public_url.is_none());
        assert_eq!(c.database_url, "sqlite://tigr-data/tigr.db");
        assert!(
            matches!(&c.master_key, MasterKeySource::File(p) if p == Path::new("tigr-data/master.key"))
        );
        assert_eq!(c.service_name, "Tigr");
        assert_eq!((c.challenge_ttl, c.enrollment_ttl), (120, 900));
        assert_eq!(c.lockout_threshold, 5);
        assert_eq!(
            (
                c.lockout_duration,
                c.lockout_escalation_window,
                c.lockout_permanent_after
            ),
            (900, 86_400, 3)
        );
        assert!(!c.trust_proxy);
        assert_eq!(
            c.public_origin().expect("origin").to_string(),
            "http://127.0.0.1:8080"
        );
    }

    #[test]
    fn file_then_environment() {
        let file = r#"
            listen = "0.0.0.0:9000"
            public_url = "https://auth.example.fr/"
            service_name = "ESEA"
            challenge_ttl = 60
            trust_proxy = true
        "#;
        let c = Config::from_sources(
            Some(("tigr.toml", file)),
            &env(&[
                ("TIGR_CHALLENGE_TTL", "90"),
                ("TIGR_LOCKOUT_THRESHOLD", "3"),
                ("TIGR_LOCKOUT_DURATION", "0"),
            ]),
        )
        .expect("valid");
        assert_eq!(c.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(
            c.public_origin().expect("origin").to_string(),
            "https://auth.example.fr"
        );
        assert_eq!(c.service_name, "ESEA");
        assert_eq!(c.challenge_ttl, 90);
        assert_eq!(c.lockout_threshold, 3);
        assert_eq!(c.lockout_duration, 0, "0 is allowed: permanent blocks");
        assert_eq!(
            c.lockout_policy(),
            LockoutPolicy::new(3).with_temporary_blocks(0, 86_400, 3)
        );
        assert!(c.trust_proxy);
    }

    #[test]
    fn errors_name_the_setting() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("TIGR_LISTEN", "localhost")], "TIGR_LISTEN"),
            (
                &[("TIGR_PUBLIC_URL", "http://auth.example.fr")],
                "TIGR_PUBLIC_URL",
            ),
            (
                &[("TIGR_PUBLIC_URL", "https://a.fr/login")],
                "TIGR_PUBLIC_URL",
            ),
            (&[("TIGR_CHALLENGE_TTL", "2m")], "TIGR_CHALLENGE_TTL"),
            (&[("TIGR_CHALLENGE_TTL", "0")], "TIGR_CHALLENGE_TTL"),
            (
                &[("TIGR_LOCKOUT_THRESHOLD", "-1")],
                "TIGR_LOCKOUT_THRESHOLD",
            ),
            (&[("TIGR_MASTER_KEY", "short")], "TIGR_MASTER_KEY"),
            (
                &[("TIGR_DATABASE_URL", "postgres://x")],
                "TIGR_DATABASE_URL",
            ),
            (&[("TIGR_TRUST_PROXY", "maybe")], "TIGR_TRUST_PROXY"),
            (&[("TIGR_LOCKOUT_DURATION", "-1")], "TIGR_LOCKOUT_DURATION"),
            (
                &[("TIGR_LOCKOUT_ESCALATION_WINDOW", "1d")],
                "TIGR_LOCKOUT_ESCALATION_WINDOW",
            ),
            (
                &[("TIGR_LOCKOUT_PERMANENT_AFTER", "101")],
                "TIGR_LOCKOUT_PERMANENT_AFTER",
            ),
            (
                &[("TIGR_SERVICE_NAME", &"x".repeat(65))],
                "TIGR_SERVICE_NAME",
            ),
        ];
        for (vars, setting) in cases {
            let err = Config::from_sources(None, &env(vars)).expect_err("invalid");
            assert!(err.to_string().starts_with(setting), "{err}");
        }
        let err = Config::from_sources(Some(("t.toml", "listne = \"x\"")), &env(&[]))
            .expect_err("unknown key");
        assert!(err.to_string().contains("t.toml"), "{err}");
        let err = Config::from_sources(Some(("t.toml", "challenge_ttl = 0")), &env(&[]))
            .expect_err("bad value");
        assert!(
            err.to_string().starts_with("challenge_ttl in t.toml"),
            "{err}"
        );
    }

    #[test]
    fn web_session_settings() {
        let c = Config::from_sources(None, &env(&[])).expect("valid");
        assert_eq!((c.session_idle, c.session_max), (1800, 43_200));
        assert!(c.return_origins.is_empty());
        assert_eq!(c.cookie_secure, None);
        let file = r#"
            session_idle = 600
            return_origins = ["https://dpi.example.fr", "https://portail.example.fr/app/"]
            cookie_secure = "true"
        "#;
        let c = Config::from_sources(
            Some(("tigr.toml", file)),
            &env(&[("TIGR_SESSION_MAX", "3600")]),
        )
        .expect("valid");
        assert_eq!((c.session_idle, c.session_max), (600, 3600));
        assert_eq!(c.return_origins.len(), 2);
        assert_eq!(c.cookie_secure, Some(true));
        let c = Config::from_sources(
            Some(("tigr.toml", file)),
            &env(&[
                (
                    "TIGR_RETURN_ORIGINS",
                    "https://a.example.fr,https://b.example.fr",
                ),
                ("TIGR_COOKIE_SECURE", "auto"),
            ]),
        )
        .expect("valid");
        assert_eq!(c.return_origins.len(), 2);
        assert_eq!(c.cookie_secure, None);
        for (name, value) in [
            ("TIGR_SESSION_IDLE", "10"),
            ("TIGR_SESSION_MAX", "forever"),
            ("TIGR_RETURN_ORIGINS", "http://dpi.example.fr"),
            ("TIGR_RETURN_ORIGINS", "https://a.fr@b.fr"),
            ("TIGR_COOKIE_SECURE", "sometimes"),
        ] {
            let err = Config::from_sources(None, &env(&[(name, value)])).expect_err("invalid");
            assert!(err.to_string().starts_with(name), "{err}");
        }
    }

    #[test]
    fn admin_session_settings() {
        let c = Config::from_sources(None, &env(&[])).expect("valid");
        assert_eq!((c.admin_session_idle, c.admin_session_max), (600, 7200));
        let c = Config::from_sources(
            Some(("tigr.toml", "admin_session_idle = 300")),
            &env(&[("TIGR_ADMIN_SESSION_MAX", "3600")]),
        )
        .expect("valid");
        assert_eq!((c.admin_session_idle, c.admin_session_max), (300, 3600));
        for (name, value) in [
            ("TIGR_ADMIN_SESSION_IDLE", "5"),
            ("TIGR_ADMIN_SESSION_MAX", "2h"),
        ] {
            let err = Config::from_sources(None, &env(&[(name, value)])).expect_err("invalid");
            assert!(err.to_string().starts_with(name), "{err}");
        }
    }

    #[test]
    fn rate_limit_settings() {
        let c = Config::from_sources(None, &env(&[])).expect("valid");
        assert_eq!(c.rate_limits.challenges, Limit::per_minute(1200));
        assert_eq!(c.rate_limits.answers, Limit::per_minute(600));
        assert_eq!(c.rate_limits.offline, Limit::per_minute(60));
        assert_eq!(c.rate_limits.enrollments, Limit::per_minute(60));
        let c = Config::from_sources(
            Some((
                "tigr.toml",
                "rate_limit_offline = 20\nrate_limit_challenges = 0",
            )),
            &env(&[("TIGR_RATE_LIMIT_OFFLINE", "30")]),
        )
        .expect("valid");
        assert_eq!(
            c.rate_limits.offline,
            Limit::per_minute(30),
            "environment wins"
        );
        assert_eq!(c.rate_limits.challenges, None, "0: no limit");
        let err = Config::from_sources(None, &env(&[("TIGR_RATE_LIMIT_ANSWERS", "-1")]))
            .expect_err("invalid");
        assert!(
            err.to_string().starts_with("TIGR_RATE_LIMIT_ANSWERS"),
            "{err}"
        );
        let tests = Config::for_tests(std::path::Path::new("unused"));
        assert_eq!(tests.rate_limits, RateLimits::OFF);
    }

    #[test]
    fn metrics_settings() {
        let c = Config::from_sources(None, &env(&[])).expect("valid");
        assert!(c.metrics, "on by default");
        assert_eq!(c.metrics_token, None);
        let token = "s3cret-scrape-token-0123456789";
        let c = Config::from_sources(
            Some((
                "tigr.toml",
                "metrics = false\nmetrics_token = \"file-token-0123456789\"",
            )),
            &env(&[("TIGR_METRICS_TOKEN", token)]),
        )
        .expect("valid");
        assert!(!c.metrics);
        assert_eq!(c.metrics_token.as_deref(), Some(token), "environment wins");
        assert!(!format!("{c:?}").contains(token), "redacted");
        let c = Config::from_sources(None, &env(&[("TIGR_METRICS", "on")])).expect("valid");
        assert!(c.metrics);
        let err = Config::from_sources(None, &env(&[("TIGR_METRICS", "sometimes")]))
            .expect_err("invalid");
        assert!(err.to_string().starts_with("TIGR_METRICS"), "{err}");
        for value in ["short", "has a space in the middle"] {
            let err = Config::from_sources(None, &env(&[("TIGR_METRICS_TOKEN", value)]))
                .expect_err("invalid");
            assert!(err.to_string().starts_with("TIGR_METRICS_TOKEN"), "{err}");
            assert!(
                !err.to_string().contains(value),
                "token not repeated: {err}"
            );
        }
    }

    #[test]
    fn time_zone_setting() {
        let c = Config::from_sources(None, &env(&[])).expect("valid");
        assert_eq!(c.time_zone.iana_name(), Some("Europe/Paris"));
        let c = Config::from_sources(
            Some(("tigr.toml", "time_zone = \"Indian/Reunion\"")),
            &env(&[]),
        )
        .expect("valid");
        assert_eq!(c.time_zone.iana_name(), Some("Indian/Reunion"));
        let c = Config::from_sources(
            Some(("tigr.toml", "time_zone = \"Indian/Reunion\"")),
            &env(&[("TIGR_TIME_ZONE", "America/Cayenne")]),
        )
        .expect("valid");
        assert_eq!(
            c.time_zone.iana_name(),
            Some("America/Cayenne"),
            "environment wins"
        );
        let err = Config::from_sources(None, &env(&[("TIGR_TIME_ZONE", "Europe/Lutece")]))
            .expect_err("invalid");
        assert!(err.to_string().starts_with("TIGR_TIME_ZONE"), "{err}");
        assert!(err.to_string().contains("Europe/Paris"), "{err}");
    }

    #[test]
    fn master_key_from_environment_is_redacted() {
        let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
        let c = Config::from_sources(None, &env(&[("TIGR_MASTER_KEY", key)])).expect("valid");
        assert!(matches!(c.master_key, MasterKeySource::Inline(_)));
        assert!(!format!("{c:?}").contains(key));
    }

    #[test]
    fn public_origin_derivation() {
        let mut c = Config::for_tests(Path::new("/tmp/x"));
        assert!(c.public_origin().is_err(), "port 0 before start");
        c.set_bound("127.0.0.1:4567".parse().expect("addr"));
        assert_eq!(
            c.public_origin().expect("origin").to_string(),
            "http://127.0.0.1:4567"
        );
        c.listen = "[::1]:80".parse().expect("addr");
        c.bound = Arc::new(Mutex::new(None));
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
    fn the_example_configuration_is_valid() {
        let text = include_str!("../tigr.example.toml");
        let config = Config::from_sources(Some(("tigr.example.toml", text)), &env(&[]))
            .expect("valid example");
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
    }
}
