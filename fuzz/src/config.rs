//! The configuration file (`tigr.toml`): TOML text to a checked `Config`, through the
//! server's own `Config::from_sources`, with an empty environment (the process environment
//! is never read).
//!
//! Properties: an accepted configuration is within every documented bound (the public URL
//! and the return origins are https or loopback http); neither a refusal nor the
//! configuration's debug output repeats the master key or the metrics token.

use tigr_server::Config;
use tigr_server::config::MasterKeySource;

/// The target.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let result = Config::from_sources(Some(("tigr.toml", text)), &|_| None);
    let shown = match &result {
        Ok(config) => {
            check_bounds(config);
            format!("{config:?}")
        }
        Err(error) => error.to_string(),
    };
    for secret in secrets(text) {
        assert!(
            !shown.contains(&secret),
            "a secret setting is repeated in {shown:?}"
        );
    }
}

fn check_bounds(c: &Config) {
    const DAY: i64 = 86_400;
    assert!((1..=3600).contains(&c.challenge_ttl));
    assert!((1..=30 * DAY).contains(&c.enrollment_ttl));
    assert!((1..=100).contains(&c.lockout_threshold));
    assert!((0..=30 * DAY).contains(&c.lockout_duration));
    assert!((0..=365 * DAY).contains(&c.lockout_escalation_window));
    assert!(c.lockout_permanent_after <= 100);
    assert!((60..=7 * DAY).contains(&c.session_idle));
    assert!((60..=30 * DAY).contains(&c.session_max));
    assert!((60..=7 * DAY).contains(&c.admin_session_idle));
    assert!((60..=30 * DAY).contains(&c.admin_session_max));
    assert!(
        c.database_url.starts_with("sqlite:")
            || tigr_server::storage::is_postgres_url(&c.database_url)
    );
    let name = &c.service_name;
    assert!(!name.is_empty() && name.chars().count() <= 64 && name.trim() == name);
    if let Some(origin) = &c.public_url {
        assert!(origin.is_secure() || origin.is_loopback(), "{origin}");
    }
    for prefix in &c.return_origins {
        let origin = prefix.origin();
        assert!(origin.is_secure() || origin.is_loopback(), "{origin}");
    }
    if let Some(token) = &c.metrics_token {
        assert!((16..=256).contains(&token.len()));
    }
    if let MasterKeySource::Inline(key) = &c.master_key {
        assert_eq!(key.to_base64().len(), 43, "a 256-bit key");
    }
}

/// The values of the secret settings (and the password of a database URL) that could be
/// recognised in a text: long base64url words with an upper-case letter and a digit (no
/// setting name or message has one), given only there (a secret that is also another
/// setting's value may rightly appear as that).
fn secrets(text: &str) -> Vec<String> {
    let Ok(table) = toml::from_str::<toml::Table>(text) else {
        return Vec::new();
    };
    let mut others = String::new();
    for (key, value) in &table {
        others.push_str(key);
        others.push('\n');
        if !matches!(
            key.as_str(),
            "master_key" | "metrics_token" | "database_url"
        ) {
            others.push_str(&value.to_string());
            others.push_str(&format!("{value:?}"));
            others.push('\n');
        }
    }
    // The password of a PostgreSQL URL is a secret too.
    let database_password = table
        .get("database_url")
        .and_then(|url| url::Url::parse(url.as_str()?.trim()).ok())
        .and_then(|url| Some(url.password()?.to_owned()));
    ["master_key", "metrics_token"]
        .iter()
        .filter_map(|key| table.get(*key)?.as_str())
        .map(|value| value.trim().to_owned())
        .chain(database_password)
        .filter(|value| {
            value.len() >= 16
                && value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && value.bytes().any(|b| b.is_ascii_uppercase())
                && value.bytes().any(|b| b.is_ascii_digit())
                && !others.contains(value.as_str())
        })
        .collect()
}
