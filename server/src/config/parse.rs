//! Reading the configuration: the TOML file, then the environment, into a plain
//! [`Config`]. Each setting is read by one line of [`Config::from_sources`]; an unusable value
//! is a [`ConfigError`] that names the setting where it was given (`TIGR_LISTEN`, `listen in
//! tigr.toml`) and never repeats a secret.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tigr_core::clock::{SystemClock, TimeZone};
use tigr_core::payload::Origin;
use tigr_core::random::SystemRandom;

use crate::domain::return_url::ReturnPrefix;
use crate::ratelimit::{Limit, RateLimits};
use crate::sealing::{KeyError, MasterKey};

use zeroize::Zeroizing;

use crate::mail::{SmtpSecurity, SmtpSettings};

use super::{
    CardSettings, Config, ConfigError, DEFAULT_OFFLINE_REPLY_TIME, MasterKeySource, OtpSettings,
};
use crate::domain::card::StaleCrlPolicy;

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
    offline_lockout_threshold: Option<i64>,
    offline_lockout_duration: Option<i64>,
    offline_lockout_max_duration: Option<i64>,
    offline_reply_time: Option<i64>,
    otp_lockout_threshold: Option<i64>,
    otp_lockout_duration: Option<i64>,
    otp_lockout_max_duration: Option<i64>,
    email_otp_ttl: Option<i64>,
    email_otp_interval: Option<i64>,
    email_otp_per_account: Option<i64>,
    email_otp_per_address: Option<i64>,
    password_invitation_ttl: Option<i64>,
    token_window: Option<i64>,
    token_look_ahead: Option<i64>,
    token_invitation_ttl: Option<i64>,
    smtp_host: Option<String>,
    smtp_port: Option<i64>,
    smtp_security: Option<String>,
    smtp_user: Option<String>,
    smtp_password: Option<String>,
    smtp_password_file: Option<String>,
    smtp_from: Option<String>,
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
    card_roots: Option<Vec<String>>,
    card_intermediates: Option<Vec<String>>,
    card_crl_files: Option<Vec<String>>,
    card_crl_urls: Option<Vec<String>>,
    card_crl_refresh: Option<i64>,
    card_stale_crl: Option<String>,
    card_listen: Option<String>,
    card_tls_cert: Option<String>,
    card_tls_key: Option<String>,
    card_url: Option<String>,
    card_proxies: Option<Vec<String>>,
    card_proxy_header: Option<String>,
    max_connections: Option<i64>,
    header_timeout: Option<i64>,
    body_timeout: Option<i64>,
    idle_timeout: Option<i64>,
    max_live_per_client: Option<i64>,
    worker_nice: Option<i64>,
    oidc_access_token_ttl: Option<i64>,
    oidc_id_token_ttl: Option<i64>,
}

/// A raw setting and where it came from, for error messages.
struct Setting {
    value: String,
    origin: String,
}

impl Config {
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
        let src = Sources { file_name, env };
        let mut f = parsed;
        let seconds = "a number of seconds";
        let offline = pause_lockout(
            &src,
            "OFFLINE",
            (
                f.offline_lockout_threshold,
                f.offline_lockout_duration,
                f.offline_lockout_max_duration,
            ),
        )?;
        let otp = otp_settings(&src, &mut f)?;
        Ok(Self {
            listen: src.parse_or(
                src.get("TIGR_LISTEN", "listen", f.listen),
                Self::DEFAULT_LISTEN.parse().expect("valid default"),
                listen_address,
            )?,
            public_url: src
                .get("TIGR_PUBLIC_URL", "public_url", f.public_url)
                .map(|s| checked(s, parse_public_url))
                .transpose()?,
            database_url: src.parse_or(
                src.get("TIGR_DATABASE_URL", "database_url", f.database_url),
                Self::DEFAULT_DATABASE_URL.to_owned(),
                database_url,
            )?,
            master_key: master_key(&src, f.master_key, f.master_key_file)?,
            service_name: src.parse_or(
                src.get("TIGR_SERVICE_NAME", "service_name", f.service_name),
                "Tigr".to_owned(),
                service_name,
            )?,
            challenge_ttl: src.number(
                ("TIGR_CHALLENGE_TTL", "challenge_ttl", f.challenge_ttl),
                (120, 1, 3600),
                seconds,
            )?,
            enrollment_ttl: src.number(
                ("TIGR_ENROLLMENT_TTL", "enrollment_ttl", f.enrollment_ttl),
                (900, 1, 30 * DAY),
                seconds,
            )?,
            lockout_threshold: src.number(
                (
                    "TIGR_LOCKOUT_THRESHOLD",
                    "lockout_threshold",
                    f.lockout_threshold,
                ),
                (5, 1, 100),
                "a number of attempts",
            )? as u32,
            lockout_duration: src.number(
                (
                    "TIGR_LOCKOUT_DURATION",
                    "lockout_duration",
                    f.lockout_duration,
                ),
                (900, 0, 30 * DAY),
                "a number of seconds (0: permanent blocks)",
            )?,
            lockout_escalation_window: src.number(
                (
                    "TIGR_LOCKOUT_ESCALATION_WINDOW",
                    "lockout_escalation_window",
                    f.lockout_escalation_window,
                ),
                (DAY, 0, 365 * DAY),
                "a number of seconds (0: off)",
            )?,
            lockout_permanent_after: src.number(
                (
                    "TIGR_LOCKOUT_PERMANENT_AFTER",
                    "lockout_permanent_after",
                    f.lockout_permanent_after,
                ),
                (3, 0, 100),
                "a number of blocks (0: off)",
            )? as u32,
            offline_lockout_threshold: offline.0,
            offline_lockout_duration: offline.1,
            offline_lockout_max_duration: offline.2,
            offline_reply_time: Duration::from_millis(src.number(
                (
                    "TIGR_OFFLINE_REPLY_TIME",
                    "offline_reply_time",
                    f.offline_reply_time,
                ),
                (DEFAULT_OFFLINE_REPLY_TIME.as_millis() as i64, 10, 1000),
                "milliseconds",
            )? as u64),
            otp,
            trust_proxy: src.flag(
                src.get("TIGR_TRUST_PROXY", "trust_proxy", text_of(f.trust_proxy)),
                false,
            )?,
            session_idle: src.number(
                ("TIGR_SESSION_IDLE", "session_idle", f.session_idle),
                (1800, 60, 7 * DAY),
                seconds,
            )?,
            session_max: src.number(
                ("TIGR_SESSION_MAX", "session_max", f.session_max),
                (43_200, 60, 30 * DAY),
                seconds,
            )?,
            admin_session_idle: src.number(
                (
                    "TIGR_ADMIN_SESSION_IDLE",
                    "admin_session_idle",
                    f.admin_session_idle,
                ),
                (600, 60, 7 * DAY),
                seconds,
            )?,
            admin_session_max: src.number(
                (
                    "TIGR_ADMIN_SESSION_MAX",
                    "admin_session_max",
                    f.admin_session_max,
                ),
                (7200, 60, 30 * DAY),
                seconds,
            )?,
            oidc_access_token_ttl: src.number(
                (
                    "TIGR_OIDC_ACCESS_TOKEN_TTL",
                    "oidc_access_token_ttl",
                    f.oidc_access_token_ttl,
                ),
                (300, 30, 3600),
                seconds,
            )?,
            oidc_id_token_ttl: src.number(
                (
                    "TIGR_OIDC_ID_TOKEN_TTL",
                    "oidc_id_token_ttl",
                    f.oidc_id_token_ttl,
                ),
                (300, 30, 3600),
                seconds,
            )?,
            return_origins: src
                .get(
                    "TIGR_RETURN_ORIGINS",
                    "return_origins",
                    f.return_origins.map(|list| list.join(" ")),
                )
                .map(|s| checked(s, ReturnPrefix::parse_list))
                .transpose()?
                .unwrap_or_default(),
            cookie_secure: src
                .get("TIGR_COOKIE_SECURE", "cookie_secure", f.cookie_secure)
                .map(|s| checked(s, cookie_secure))
                .transpose()?
                .flatten(),
            metrics: src.flag(src.get("TIGR_METRICS", "metrics", text_of(f.metrics)), true)?,
            metrics_token: src
                .get("TIGR_METRICS_TOKEN", "metrics_token", f.metrics_token)
                .map(parse_metrics_token)
                .transpose()?,
            rate_limits: RateLimits {
                challenges: src.rate(
                    (
                        "TIGR_RATE_LIMIT_CHALLENGES",
                        "rate_limit_challenges",
                        f.rate_limit_challenges,
                    ),
                    1200,
                )?,
                answers: src.rate(
                    (
                        "TIGR_RATE_LIMIT_ANSWERS",
                        "rate_limit_answers",
                        f.rate_limit_answers,
                    ),
                    600,
                )?,
                offline: src.rate(
                    (
                        "TIGR_RATE_LIMIT_OFFLINE",
                        "rate_limit_offline",
                        f.rate_limit_offline,
                    ),
                    60,
                )?,
                enrollments: src.rate(
                    (
                        "TIGR_RATE_LIMIT_ENROLLMENTS",
                        "rate_limit_enrollments",
                        f.rate_limit_enrollments,
                    ),
                    60,
                )?,
            },
            time_zone: time_zone(src.get("TIGR_TIME_ZONE", "time_zone", f.time_zone))?,
            card: CardSettings {
                roots: src.paths("TIGR_CARD_ROOTS", "card_roots", f.card_roots),
                intermediates: src.paths(
                    "TIGR_CARD_INTERMEDIATES",
                    "card_intermediates",
                    f.card_intermediates,
                ),
                crl_files: src.paths("TIGR_CARD_CRL_FILES", "card_crl_files", f.card_crl_files),
                crl_urls: src
                    .get(
                        "TIGR_CARD_CRL_URLS",
                        "card_crl_urls",
                        joined(f.card_crl_urls),
                    )
                    .map(|s| checked(s, crl_urls))
                    .transpose()?
                    .unwrap_or_default(),
                crl_refresh: src.number(
                    (
                        "TIGR_CARD_CRL_REFRESH",
                        "card_crl_refresh",
                        f.card_crl_refresh,
                    ),
                    (3600, 60, 7 * DAY),
                    seconds,
                )?,
                stale_crl: src.parse_or(
                    src.get("TIGR_CARD_STALE_CRL", "card_stale_crl", f.card_stale_crl),
                    StaleCrlPolicy::Refuse,
                    stale_crl,
                )?,
                listen: src
                    .get("TIGR_CARD_LISTEN", "card_listen", f.card_listen)
                    .map(|s| checked(s, listen_address))
                    .transpose()?,
                tls_cert: src
                    .get("TIGR_CARD_TLS_CERT", "card_tls_cert", f.card_tls_cert)
                    .map(|s| PathBuf::from(s.value.trim())),
                tls_key: src
                    .get("TIGR_CARD_TLS_KEY", "card_tls_key", f.card_tls_key)
                    .map(|s| PathBuf::from(s.value.trim())),
                url: src
                    .get("TIGR_CARD_URL", "card_url", f.card_url)
                    .map(|s| checked(s, parse_public_url))
                    .transpose()?,
                proxies: src
                    .get("TIGR_CARD_PROXIES", "card_proxies", joined(f.card_proxies))
                    .map(|s| checked(s, proxy_addresses))
                    .transpose()?
                    .unwrap_or_default(),
                proxy_header: src.parse_or(
                    src.get(
                        "TIGR_CARD_PROXY_HEADER",
                        "card_proxy_header",
                        f.card_proxy_header,
                    ),
                    CardSettings::DEFAULT_PROXY_HEADER.to_owned(),
                    header_name,
                )?,
            },
            max_connections: src
                .optional_count(
                    ("TIGR_MAX_CONNECTIONS", "max_connections", f.max_connections),
                    (0, 1_000_000),
                    "a number of connections (0: sized from the open-file limit)",
                )?
                .map(|n| n as usize),
            header_timeout: src.duration(
                ("TIGR_HEADER_TIMEOUT", "header_timeout", f.header_timeout),
                (10, 1, 300),
            )?,
            body_timeout: src.duration(
                ("TIGR_BODY_TIMEOUT", "body_timeout", f.body_timeout),
                (30, 1, 600),
            )?,
            idle_timeout: src.duration(
                ("TIGR_IDLE_TIMEOUT", "idle_timeout", f.idle_timeout),
                (60, 1, 3600),
            )?,
            max_live_per_client: src
                .optional_count(
                    (
                        "TIGR_MAX_LIVE_PER_CLIENT",
                        "max_live_per_client",
                        f.max_live_per_client,
                    ),
                    (200, 100_000),
                    "a number of live channels (0: no cap)",
                )?
                .map(|n| n as u32),
            worker_nice: src.number(
                ("TIGR_WORKER_NICE", "worker_nice", f.worker_nice),
                (10, 0, 19),
                "a nice increment",
            )? as u8,
            clock: Arc::new(SystemClock),
            random: Arc::new(SystemRandom::new()),
        })
    }
}

/// Seconds in a day.
const DAY: i64 = 24 * 3600;

/// A lockout channel that pauses (offline codes: `OFFLINE`, the OTP form: `OTP`):
/// threshold, first pause, longest pause (at least the first: pauses only grow).
fn pause_lockout(
    src: &Sources<'_>,
    channel: &str,
    (threshold, duration, max_duration): (Option<i64>, Option<i64>, Option<i64>),
) -> Result<(u32, i64, i64), ConfigError> {
    let env = |what: &str| format!("TIGR_{channel}_LOCKOUT{what}");
    let key = |what: &str| format!("{}_lockout{what}", channel.to_ascii_lowercase());
    let threshold = src.number(
        (&env("_THRESHOLD"), &key("_threshold"), threshold),
        (5, 1, 100),
        "a number of attempts",
    )? as u32;
    let duration = src.number(
        (&env("_DURATION"), &key("_duration"), duration),
        (900, 1, 30 * DAY),
        "a number of seconds (a pause always ends)",
    )?;
    let max_duration = src.number(
        (&env("_MAX_DURATION"), &key("_max_duration"), max_duration),
        (DAY.max(duration), duration, 365 * DAY),
        &format!(
            "a number of seconds, at least the {} lockout duration,",
            channel.to_ascii_lowercase()
        ),
    )?;
    Ok((threshold, duration, max_duration))
}

/// The OTP mode's settings (taken out of the file's keys).
fn otp_settings(src: &Sources<'_>, f: &mut FileConfig) -> Result<OtpSettings, ConfigError> {
    let seconds = "a number of seconds";
    let (lockout_threshold, lockout_duration, lockout_max_duration) = pause_lockout(
        src,
        "OTP",
        (
            f.otp_lockout_threshold,
            f.otp_lockout_duration,
            f.otp_lockout_max_duration,
        ),
    )?;
    Ok(OtpSettings {
        lockout_threshold,
        lockout_duration,
        lockout_max_duration,
        email_code_ttl: src.number(
            ("TIGR_EMAIL_OTP_TTL", "email_otp_ttl", f.email_otp_ttl),
            (300, 30, 3600),
            seconds,
        )?,
        email_code_interval: src.number(
            (
                "TIGR_EMAIL_OTP_INTERVAL",
                "email_otp_interval",
                f.email_otp_interval,
            ),
            (60, 0, 3600),
            seconds,
        )?,
        email_codes_per_account: src.number(
            (
                "TIGR_EMAIL_OTP_PER_ACCOUNT",
                "email_otp_per_account",
                f.email_otp_per_account,
            ),
            (5, 1, 1000),
            "a number of e-mails an hour",
        )? as u32,
        email_codes_per_address: src.number(
            (
                "TIGR_EMAIL_OTP_PER_ADDRESS",
                "email_otp_per_address",
                f.email_otp_per_address,
            ),
            (10, 1, 10_000),
            "a number of e-mails an hour",
        )? as u32,
        password_invitation_ttl: src.number(
            (
                "TIGR_PASSWORD_INVITATION_TTL",
                "password_invitation_ttl",
                f.password_invitation_ttl,
            ),
            (3 * DAY, 60, 30 * DAY),
            seconds,
        )?,
        token_window: src.number(
            ("TIGR_TOKEN_WINDOW", "token_window", f.token_window),
            (
                i64::from(crate::domain::otp_token::DEFAULT_WINDOW),
                0,
                i64::from(crate::domain::otp_token::MAX_WINDOW),
            ),
            "a number of time steps",
        )? as u32,
        token_look_ahead: src.number(
            (
                "TIGR_TOKEN_LOOK_AHEAD",
                "token_look_ahead",
                f.token_look_ahead,
            ),
            (
                i64::from(crate::domain::otp_token::DEFAULT_LOOK_AHEAD),
                1,
                100,
            ),
            "a number of counters",
        )? as u32,
        token_invitation_ttl: src.number(
            (
                "TIGR_TOKEN_INVITATION_TTL",
                "token_invitation_ttl",
                f.token_invitation_ttl,
            ),
            (3 * DAY, 60, 30 * DAY),
            seconds,
        )?,
        smtp: smtp_settings(src, f)?,
    })
}

/// The SMTP relay, when `TIGR_SMTP_HOST` is set.
fn smtp_settings(
    src: &Sources<'_>,
    f: &mut FileConfig,
) -> Result<Option<SmtpSettings>, ConfigError> {
    let Some(host) = src.get("TIGR_SMTP_HOST", "smtp_host", f.smtp_host.take()) else {
        return Ok(None);
    };
    let security = src.parse_or(
        src.get(
            "TIGR_SMTP_SECURITY",
            "smtp_security",
            f.smtp_security.take(),
        ),
        SmtpSecurity::StartTls,
        |text| {
            SmtpSecurity::parse(text)
                .ok_or_else(|| format!("expected starttls, tls or none, got {text:?}"))
        },
    )?;
    if security == SmtpSecurity::None && !is_loopback_host(&host.value) {
        return Err(ConfigError::Invalid {
            setting: "TIGR_SMTP_SECURITY".to_owned(),
            reason: "plain SMTP (none) is allowed only to a loopback relay \
                     (localhost, 127.0.0.1, ::1): use starttls or tls"
                .to_owned(),
        });
    }
    let port = src.number(
        ("TIGR_SMTP_PORT", "smtp_port", f.smtp_port),
        (i64::from(security.default_port()), 1, 65_535),
        "a port number",
    )? as u16;
    let password = match src.get(
        "TIGR_SMTP_PASSWORD",
        "smtp_password",
        f.smtp_password.take(),
    ) {
        Some(s) => Some(Zeroizing::new(s.value)),
        None => match src.get(
            "TIGR_SMTP_PASSWORD_FILE",
            "smtp_password_file",
            f.smtp_password_file.take(),
        ) {
            Some(s) => Some(Zeroizing::new(
                std::fs::read_to_string(s.value.trim())
                    .map_err(|e| ConfigError::Invalid {
                        setting: s.origin,
                        reason: format!("cannot read the SMTP password file: {e}"),
                    })?
                    .trim_end_matches(['\r', '\n'])
                    .to_owned(),
            )),
            None => None,
        },
    };
    let from = src
        .get("TIGR_SMTP_FROM", "smtp_from", f.smtp_from.take())
        .ok_or_else(|| ConfigError::Invalid {
            setting: "TIGR_SMTP_FROM".to_owned(),
            reason: "the sender address is required with TIGR_SMTP_HOST \
                     (\"Tigr <no-reply@example.fr>\")"
                .to_owned(),
        })?;
    if from.value.parse::<lettre::message::Mailbox>().is_err() {
        return Err(ConfigError::Invalid {
            setting: from.origin,
            reason: "expected an e-mail address, optionally with a name".to_owned(),
        });
    }
    Ok(Some(SmtpSettings {
        host: host.value.trim().to_owned(),
        port,
        security,
        username: src
            .get("TIGR_SMTP_USER", "smtp_user", f.smtp_user.take())
            .map(|s| s.value),
        password,
        from: from.value,
    }))
}

/// `localhost` or a loopback address.
fn is_loopback_host(host: &str) -> bool {
    let host = host.trim().trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A numeric setting: environment variable, file key, value in the file.
type NumberSetting<'a> = (&'a str, &'a str, Option<i64>);

/// Where settings come from: the environment first, then the file.
struct Sources<'a> {
    file_name: String,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Sources<'_> {
    /// The winning raw value of a setting, with where it came from.
    fn get(&self, env_name: &str, key: &str, from_file: Option<String>) -> Option<Setting> {
        match (self.env)(env_name).filter(|v| !v.trim().is_empty()) {
            Some(value) => Some(Setting {
                value,
                origin: env_name.to_owned(),
            }),
            None => from_file.map(|value| Setting {
                value,
                origin: format!("{key} in {}", self.file_name),
            }),
        }
    }

    /// `parse` of the setting, or `default` when unset.
    fn parse_or<T>(
        &self,
        setting: Option<Setting>,
        default: T,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        setting.map_or(Ok(default), |s| checked(s, parse))
    }

    /// An integer between `min` and `max` (`default` when unset).
    fn number(
        &self,
        (env_name, key, from_file): NumberSetting<'_>,
        (default, min, max): (i64, i64, i64),
        unit: &str,
    ) -> Result<i64, ConfigError> {
        match self.get(env_name, key, from_file.map(|n| n.to_string())) {
            Some(s) => match s.value.trim().parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(ConfigError::Invalid {
                    setting: s.origin,
                    reason: format!("expected {unit} between {min} and {max}, got {:?}", s.value),
                }),
            },
            None => Ok(default),
        }
    }

    /// Requests a minute per client address; 0 is no limit.
    fn rate(&self, setting: NumberSetting<'_>, default: i64) -> Result<Option<Limit>, ConfigError> {
        self.number(
            setting,
            (default, 0, 1_000_000),
            "a number of requests a minute (0: no limit)",
        )
        .map(|n| Limit::per_minute(n as u32))
    }

    /// A list of file paths (separated by commas or spaces in the environment).
    fn paths(&self, env_name: &str, key: &str, from_file: Option<Vec<String>>) -> Vec<PathBuf> {
        self.get(env_name, key, joined(from_file))
            .map(|s| list(&s.value).map(PathBuf::from).collect())
            .unwrap_or_default()
    }

    /// A whole number of seconds between `min` and `max` (`default` when unset).
    fn duration(
        &self,
        setting: NumberSetting<'_>,
        (default, min, max): (i64, i64, i64),
    ) -> Result<Duration, ConfigError> {
        self.number(setting, (default, min, max), "a number of seconds")
            .map(|n| Duration::from_secs(n.unsigned_abs()))
    }

    /// A count up to `max` (`default` when unset) where 0 means "none set": `None`.
    fn optional_count(
        &self,
        setting: NumberSetting<'_>,
        (default, max): (i64, i64),
        unit: &str,
    ) -> Result<Option<u64>, ConfigError> {
        self.number(setting, (default, 0, max), unit)
            .map(|n| (n > 0).then_some(n.unsigned_abs()))
    }

    /// A yes/no setting (`default` when unset).
    fn flag(&self, setting: Option<Setting>, default: bool) -> Result<bool, ConfigError> {
        setting.map_or(Ok(default), parse_flag)
    }
}

/// `parse` of a setting's value, or the error that names the setting.
fn checked<T>(
    setting: Setting,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    parse(&setting.value).map_err(|reason| ConfigError::Invalid {
        setting: setting.origin,
        reason,
    })
}

/// A file value as text, to go through the same parsing as the environment's.
fn text_of(value: Option<bool>) -> Option<String> {
    value.map(|b| b.to_string())
}

/// A file's list as one text, to go through the same parsing as the environment's.
fn joined(values: Option<Vec<String>>) -> Option<String> {
    values.map(|list| list.join(" "))
}

/// The items of a list given as text: separated by commas or white space.
fn list(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|item| !item.is_empty())
}

/// `TIGR_CARD_CRL_URLS`: http or https URLs.
fn crl_urls(text: &str) -> Result<Vec<String>, String> {
    list(text)
        .map(|url| {
            if (url.starts_with("http://") || url.starts_with("https://")) && url.len() > 8 {
                Ok(url.to_owned())
            } else {
                Err(format!("expected http:// or https:// URLs, got {url:?}"))
            }
        })
        .collect()
}

/// `TIGR_CARD_STALE_CRL`: `refuse` or `accept`.
fn stale_crl(text: &str) -> Result<StaleCrlPolicy, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "refuse" => Ok(StaleCrlPolicy::Refuse),
        "accept" => Ok(StaleCrlPolicy::Accept),
        _ => Err(format!("expected refuse or accept, got {text:?}")),
    }
}

/// `TIGR_CARD_PROXIES`: IP addresses.
fn proxy_addresses(text: &str) -> Result<Vec<std::net::IpAddr>, String> {
    list(text)
        .map(|item| {
            item.parse::<std::net::IpAddr>()
                .map(|ip| ip.to_canonical())
                .map_err(|_| {
                    format!("expected IP addresses such as 127.0.0.1 or ::1, got {item:?}")
                })
        })
        .collect()
}

/// `TIGR_CARD_PROXY_HEADER`: an HTTP header name, stored in lower case.
fn header_name(text: &str) -> Result<String, String> {
    let name = text.trim().to_ascii_lowercase();
    if !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        Ok(name)
    } else {
        Err(format!(
            "expected a header name such as x-ssl-client-cert, got {text:?}"
        ))
    }
}

/// `TIGR_LISTEN`: an address and port.
fn listen_address(text: &str) -> Result<std::net::SocketAddr, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("expected an address and port such as 127.0.0.1:8080, got {text:?}"))
}

/// `TIGR_DATABASE_URL`: `sqlite://PATH`, or `postgres://…` (`tigr-server migrate` only in
/// this version: the store refuses it with its reason).
fn database_url(text: &str) -> Result<String, String> {
    match text.trim() {
        url if url.starts_with("sqlite:") || crate::storage::is_postgres_url(url) => {
            Ok(url.to_owned())
        }
        url => Err(format!(
            "expected sqlite://PATH or postgres://USER@HOST/DATABASE, got {:?}",
            crate::storage::redacted_url(url)
        )),
    }
}

/// `TIGR_SERVICE_NAME`: 1 to 64 printable characters.
fn service_name(text: &str) -> Result<String, String> {
    let name = text.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        Err("expected 1 to 64 printable characters".into())
    } else {
        Ok(name.to_owned())
    }
}

/// `TIGR_COOKIE_SECURE`: `auto` (`None`), `true` or `false`.
fn cookie_secure(text: &str) -> Result<Option<bool>, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "auto" => Ok(None),
        "true" | "1" | "yes" | "on" => Ok(Some(true)),
        "false" | "0" | "no" | "off" => Ok(Some(false)),
        _ => Err(format!("expected auto, true or false, got {text:?}")),
    }
}

/// A time zone by its IANA name (`Europe/Paris`, `America/Cayenne`, `UTC`), from the
/// database bundled in the binary (the same on every machine).
fn time_zone(setting: Option<Setting>) -> Result<TimeZone, ConfigError> {
    let Some(s) = setting else {
        return TimeZone::get(Config::DEFAULT_TIME_ZONE).map_err(|e| ConfigError::Invalid {
            setting: "the default time zone".to_owned(),
            reason: e.to_string(),
        });
    };
    TimeZone::get(s.value.trim()).map_err(|_| ConfigError::Invalid {
        setting: s.origin,
        reason: format!(
            "unknown time zone {:?}: expected an IANA name such as Europe/Paris, \
             America/Cayenne, Indian/Reunion or UTC",
            s.value
        ),
    })
}

/// The master key: given inline (`TIGR_MASTER_KEY`), else a key file.
fn master_key(
    src: &Sources<'_>,
    inline: Option<String>,
    file: Option<String>,
) -> Result<MasterKeySource, ConfigError> {
    match src.get("TIGR_MASTER_KEY", "master_key", inline) {
        Some(s) => MasterKey::from_base64(&s.value, &s.origin)
            .map(MasterKeySource::Inline)
            .map_err(|e: KeyError| ConfigError::Invalid {
                setting: s.origin.clone(),
                reason: format!(
                    "{e} (generate one with: head -c 32 /dev/urandom | basenc --base64url)"
                ),
            }),
        None => Ok(MasterKeySource::File(PathBuf::from(
            src.get("TIGR_MASTER_KEY_FILE", "master_key_file", file)
                .map(|s| s.value)
                .unwrap_or_else(|| Config::DEFAULT_MASTER_KEY_FILE.to_owned()),
        ))),
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
    use crate::domain::lockout::LockoutPolicy;
    use crate::domain::offline_pause::OfflinePolicy;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn database_urls_name_sqlite_or_postgres_and_errors_hide_passwords() {
        for url in [
            "sqlite://x.db",
            "postgres://tigr@db/tigr",
            "postgresql://tigr:pw@db:5432/tigr?sslmode=require",
        ] {
            let c = Config::from_sources(None, &env(&[("TIGR_DATABASE_URL", url)]));
            assert_eq!(c.expect("valid").database_url, url);
        }
        let c = Config::from_sources(None, &env(&[("TIGR_DATABASE_URL", "mysql://u:pw@db/t")]));
        let error = c.expect_err("refused").to_string();
        assert!(error.contains("TIGR_DATABASE_URL"), "{error}");
        assert!(error.contains("postgres://"), "{error}");
        let c = Config::from_sources(
            None,
            &env(&[("TIGR_DATABASE_URL", "postgres://tigr:hunter2@db/tigr")]),
        )
        .expect("valid");
        assert!(!format!("{c:?}").contains("hunter2"));
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
        assert_eq!(
            (
                c.offline_lockout_threshold,
                c.offline_lockout_duration,
                c.offline_lockout_max_duration
            ),
            (5, 900, 86_400)
        );
        assert_eq!(c.offline_policy(), OfflinePolicy::new(5, 900, 86_400));
    }

    #[test]
    fn offline_lockout_settings() {
        let c = Config::from_sources(
            Some((
                "tigr.toml",
                "offline_lockout_threshold = 3\noffline_lockout_duration = 60",
            )),
            &env(&[("TIGR_OFFLINE_LOCKOUT_MAX_DURATION", "3600")]),
        )
        .expect("valid");
        assert_eq!(c.offline_policy(), OfflinePolicy::new(3, 60, 3600));
        // A first pause longer than the default maximum raises the default maximum.
        let c = Config::from_sources(None, &env(&[("TIGR_OFFLINE_LOCKOUT_DURATION", "172800")]))
            .expect("valid");
        assert_eq!(c.offline_lockout_max_duration, 172_800);
        for (vars, setting) in [
            (
                &[("TIGR_OFFLINE_LOCKOUT_DURATION", "0")][..],
                "TIGR_OFFLINE_LOCKOUT_DURATION",
            ),
            (
                &[("TIGR_OFFLINE_LOCKOUT_THRESHOLD", "0")][..],
                "TIGR_OFFLINE_LOCKOUT_THRESHOLD",
            ),
            (
                &[
                    ("TIGR_OFFLINE_LOCKOUT_DURATION", "600"),
                    ("TIGR_OFFLINE_LOCKOUT_MAX_DURATION", "599"),
                ][..],
                "TIGR_OFFLINE_LOCKOUT_MAX_DURATION",
            ),
        ] {
            let err = Config::from_sources(None, &env(vars)).expect_err("invalid");
            assert!(err.to_string().starts_with(setting), "{err}");
        }
    }

    #[test]
    fn otp_mode_settings() {
        let c = Config::from_sources(None, &env(&[])).expect("defaults");
        assert_eq!(c.otp.lockout_policy(), OfflinePolicy::new(5, 900, 86_400));
        assert_eq!(
            (
                c.otp.email_code_ttl,
                c.otp.email_code_interval,
                c.otp.email_codes_per_account,
                c.otp.email_codes_per_address,
                c.otp.password_invitation_ttl,
            ),
            (300, 60, 5, 10, 259_200)
        );
        assert_eq!(
            (
                c.otp.token_window,
                c.otp.token_look_ahead,
                c.otp.token_invitation_ttl
            ),
            (1, 10, 259_200)
        );
        let tokens = Config::from_sources(
            None,
            &env(&[("TIGR_TOKEN_WINDOW", "2"), ("TIGR_TOKEN_LOOK_AHEAD", "20")]),
        )
        .expect("token settings");
        assert_eq!(
            (tokens.otp.token_window, tokens.otp.token_look_ahead),
            (2, 20)
        );
        assert!(Config::from_sources(None, &env(&[("TIGR_TOKEN_WINDOW", "11")])).is_err());
        assert!(c.otp.smtp.is_none(), "no relay unless configured");
        let dir = tempfile::tempdir().expect("dir");
        let secret = dir.path().join("smtp-password");
        std::fs::write(&secret, "relay-secret-42\n").expect("write");
        let file = format!(
            "otp_lockout_threshold = 3\nemail_otp_ttl = 600\nsmtp_host = \"smtp.example.fr\"\n\
             smtp_user = \"tigr\"\nsmtp_password_file = \"{}\"\n\
             smtp_from = \"Tigr <no-reply@example.fr>\"",
            secret.display()
        );
        let c = Config::from_sources(
            Some(("tigr.toml", &file)),
            &env(&[
                ("TIGR_SMTP_SECURITY", "tls"),
                ("TIGR_OTP_LOCKOUT_DURATION", "60"),
            ]),
        )
        .expect("valid");
        assert_eq!(c.otp.lockout_policy(), OfflinePolicy::new(3, 60, 86_400));
        assert_eq!(c.otp.email_code_ttl, 600);
        let smtp = c.otp.smtp.as_ref().expect("relay");
        assert_eq!(
            (smtp.host.as_str(), smtp.port, smtp.security),
            ("smtp.example.fr", 465, SmtpSecurity::Tls)
        );
        assert_eq!(smtp.username.as_deref(), Some("tigr"));
        assert_eq!(
            smtp.password.as_deref().map(String::as_str),
            Some("relay-secret-42")
        );
        assert!(!format!("{c:?}").contains("relay-secret-42"), "redacted");
        for (vars, setting) in [
            (
                &[("TIGR_SMTP_HOST", "smtp.example.fr")][..],
                "TIGR_SMTP_FROM",
            ),
            (
                &[
                    ("TIGR_SMTP_HOST", "smtp.example.fr"),
                    ("TIGR_SMTP_SECURITY", "none"),
                    ("TIGR_SMTP_FROM", "a@b.fr"),
                ][..],
                "TIGR_SMTP_SECURITY",
            ),
            (
                &[
                    ("TIGR_SMTP_HOST", "localhost"),
                    ("TIGR_SMTP_FROM", "not an address"),
                ][..],
                "TIGR_SMTP_FROM",
            ),
            (&[("TIGR_EMAIL_OTP_TTL", "10")][..], "TIGR_EMAIL_OTP_TTL"),
            (
                &[("TIGR_OTP_LOCKOUT_THRESHOLD", "0")][..],
                "TIGR_OTP_LOCKOUT_THRESHOLD",
            ),
        ] {
            let err = Config::from_sources(None, &env(vars)).expect_err("invalid");
            assert!(err.to_string().starts_with(setting), "{err}");
        }
        let loopback = Config::from_sources(
            None,
            &env(&[
                ("TIGR_SMTP_HOST", "127.0.0.1"),
                ("TIGR_SMTP_SECURITY", "none"),
                ("TIGR_SMTP_FROM", "a@b.fr"),
            ]),
        )
        .expect("plain SMTP to a loopback relay");
        assert_eq!(loopback.otp.smtp.map(|s| s.port), Some(25));
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
            (&[("TIGR_DATABASE_URL", "mysql://x")], "TIGR_DATABASE_URL"),
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
    fn oidc_token_lifetimes() {
        let c = Config::from_sources(None, &env(&[])).expect("valid");
        assert_eq!((c.oidc_access_token_ttl, c.oidc_id_token_ttl), (300, 300));
        let c = Config::from_sources(
            Some(("tigr.toml", "oidc_id_token_ttl = 600")),
            &env(&[("TIGR_OIDC_ACCESS_TOKEN_TTL", "120")]),
        )
        .expect("valid");
        assert_eq!((c.oidc_access_token_ttl, c.oidc_id_token_ttl), (120, 600));
        for (name, value) in [
            ("TIGR_OIDC_ACCESS_TOKEN_TTL", "10"),
            ("TIGR_OIDC_ACCESS_TOKEN_TTL", "7200"),
            ("TIGR_OIDC_ID_TOKEN_TTL", "1h"),
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
    fn connection_settings() {
        let c = Config::from_sources(None, &env(&[])).expect("valid");
        assert_eq!(c.max_connections, None, "sized from the open-file limit");
        assert_eq!(c.header_timeout, Duration::from_secs(10));
        assert_eq!(c.body_timeout, Duration::from_secs(30));
        assert_eq!(c.idle_timeout, Duration::from_secs(60));
        assert_eq!(c.max_live_per_client, Some(200));
        let file = "max_connections = 5000\nheader_timeout = 5\nbody_timeout = 20\n\
                    idle_timeout = 120\nmax_live_per_client = 50";
        let c = Config::from_sources(Some(("tigr.toml", file)), &env(&[])).expect("valid");
        assert_eq!(c.max_connections, Some(5000));
        assert_eq!(
            (c.header_timeout, c.body_timeout, c.idle_timeout),
            (
                Duration::from_secs(5),
                Duration::from_secs(20),
                Duration::from_secs(120)
            )
        );
        assert_eq!(c.max_live_per_client, Some(50));
        let c = Config::from_sources(
            Some(("tigr.toml", file)),
            &env(&[
                ("TIGR_MAX_CONNECTIONS", "0"),
                ("TIGR_HEADER_TIMEOUT", "3"),
                ("TIGR_BODY_TIMEOUT", "4"),
                ("TIGR_IDLE_TIMEOUT", "7"),
                ("TIGR_MAX_LIVE_PER_CLIENT", "0"),
            ]),
        )
        .expect("valid");
        assert_eq!(c.max_connections, None, "0: sized from the open-file limit");
        assert_eq!(
            (c.header_timeout, c.body_timeout, c.idle_timeout),
            (
                Duration::from_secs(3),
                Duration::from_secs(4),
                Duration::from_secs(7)
            ),
            "environment wins"
        );
        assert_eq!(c.max_live_per_client, None, "0: no cap");
        for (name, value) in [
            ("TIGR_MAX_CONNECTIONS", "-1"),
            ("TIGR_MAX_CONNECTIONS", "1000001"),
            ("TIGR_MAX_CONNECTIONS", "many"),
            ("TIGR_HEADER_TIMEOUT", "0"),
            ("TIGR_HEADER_TIMEOUT", "301"),
            ("TIGR_BODY_TIMEOUT", "0"),
            ("TIGR_BODY_TIMEOUT", "30s"),
            ("TIGR_IDLE_TIMEOUT", "0"),
            ("TIGR_IDLE_TIMEOUT", "3601"),
            ("TIGR_MAX_LIVE_PER_CLIENT", "-5"),
            ("TIGR_MAX_LIVE_PER_CLIENT", "100001"),
        ] {
            let err = Config::from_sources(None, &env(&[(name, value)])).expect_err(value);
            assert!(err.to_string().starts_with(name), "{err}");
        }
        let err = Config::from_sources(Some(("t.toml", "idle_timeout = 0")), &env(&[]))
            .expect_err("bad value");
        assert!(
            err.to_string().starts_with("idle_timeout in t.toml"),
            "{err}"
        );
        let tests = Config::for_tests(std::path::Path::new("unused"));
        assert_eq!(
            tests.max_live_per_client, None,
            "tests come from one address"
        );
    }

    #[test]
    fn worker_nice_setting() {
        let c = Config::from_sources(None, &env(&[])).expect("valid");
        assert_eq!(c.worker_nice, 10);
        let file = "worker_nice = 5";
        let c = Config::from_sources(Some(("tigr.toml", file)), &env(&[])).expect("valid");
        assert_eq!(c.worker_nice, 5);
        let c = Config::from_sources(
            Some(("tigr.toml", file)),
            &env(&[("TIGR_WORKER_NICE", "0")]),
        )
        .expect("valid");
        assert_eq!(c.worker_nice, 0, "environment wins; 0: same priority");
        for value in ["-1", "20", "high"] {
            let err =
                Config::from_sources(None, &env(&[("TIGR_WORKER_NICE", value)])).expect_err(value);
            assert!(err.to_string().starts_with("TIGR_WORKER_NICE"), "{err}");
        }
    }

    #[test]
    fn offline_reply_time_setting() {
        let c = Config::from_sources(None, &env(&[])).expect("valid");
        assert_eq!(c.offline_reply_time, Duration::from_millis(20));
        let file = "offline_reply_time = 45";
        let c = Config::from_sources(Some(("tigr.toml", file)), &env(&[])).expect("valid");
        assert_eq!(c.offline_reply_time, Duration::from_millis(45));
        let c = Config::from_sources(
            Some(("tigr.toml", file)),
            &env(&[("TIGR_OFFLINE_REPLY_TIME", "60")]),
        )
        .expect("valid");
        assert_eq!(
            c.offline_reply_time,
            Duration::from_millis(60),
            "environment wins"
        );
        // Below 10 ms the work itself often takes longer; above a second, people notice.
        for value in ["9", "1001", "20ms", "0"] {
            let err = Config::from_sources(None, &env(&[("TIGR_OFFLINE_REPLY_TIME", value)]))
                .expect_err(value);
            assert!(
                err.to_string().starts_with("TIGR_OFFLINE_REPLY_TIME")
                    && err.to_string().contains("milliseconds between 10 and 1000"),
                "{err}"
            );
        }
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
    fn card_settings() {
        let c = Config::from_sources(None, &env(&[])).expect("valid");
        assert!(!c.card.enabled(), "off by default");
        assert_eq!(c.card, CardSettings::default());
        assert_eq!(c.card.proxy_header, "x-ssl-client-cert");
        let file = r#"
            public_url = "https://auth.example.fr"
            card_roots = ["/etc/tigr/igc-sante-root.pem"]
            card_intermediates = ["/etc/tigr/ac-personnes.pem"]
            card_crl_urls = ["http://crl.example.fr/personnes.crl"]
            card_listen = "0.0.0.0:8443"
            card_tls_cert = "/etc/tigr/tls.pem"
            card_tls_key = "/etc/tigr/tls.key"
            card_stale_crl = "accept"
        "#;
        let c = Config::from_sources(
            Some(("tigr.toml", file)),
            &env(&[
                ("TIGR_CARD_PROXIES", "127.0.0.1, ::1"),
                ("TIGR_CARD_PROXY_HEADER", "X-Client-Cert"),
                ("TIGR_CARD_CRL_FILES", "/a.crl /b.crl"),
            ]),
        )
        .expect("valid");
        assert!(c.card.enabled());
        assert_eq!(
            c.card.roots,
            vec![PathBuf::from("/etc/tigr/igc-sante-root.pem")]
        );
        assert_eq!(c.card.crl_files.len(), 2);
        assert_eq!(c.card.crl_urls, vec!["http://crl.example.fr/personnes.crl"]);
        assert_eq!(c.card.stale_crl, StaleCrlPolicy::Accept);
        assert_eq!(c.card.proxies.len(), 2);
        assert_eq!(c.card.proxy_header, "x-client-cert");
        assert_eq!(
            c.card_origin().expect("origin").to_string(),
            "https://auth.example.fr:8443",
            "the public host with the card listener's port"
        );
        for (name, value) in [
            ("TIGR_CARD_CRL_URLS", "ldap://crl.example.fr"),
            ("TIGR_CARD_STALE_CRL", "ignore"),
            ("TIGR_CARD_LISTEN", "8443"),
            ("TIGR_CARD_PROXIES", "nginx"),
            ("TIGR_CARD_PROXY_HEADER", "x ssl"),
            ("TIGR_CARD_CRL_REFRESH", "10"),
            ("TIGR_CARD_URL", "http://cps.example.fr"),
        ] {
            let err = Config::from_sources(None, &env(&[(name, value)])).expect_err("invalid");
            assert!(err.to_string().starts_with(name), "{err}");
        }
    }

    #[test]
    fn master_key_from_environment_is_redacted() {
        let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
        let c = Config::from_sources(None, &env(&[("TIGR_MASTER_KEY", key)])).expect("valid");
        assert!(matches!(c.master_key, MasterKeySource::Inline(_)));
        assert!(!format!("{c:?}").contains(key));
    }

    #[test]
    fn the_example_configuration_is_valid() {
        let text = include_str!("../../tigr.example.toml");
        let config = Config::from_sources(Some(("tigr.example.toml", text)), &env(&[]))
            .expect("valid example");
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
    }
}
