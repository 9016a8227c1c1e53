//! Enrollment invitations: what `tigr-server enroll` does, also callable from tests.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use tigr_core::ids::{is_valid_account, random_id};
use tigr_core::payload::{EnrollmentQr, QrPayload};

use crate::config::Config;
use crate::i18n::Lang;
use crate::qr_image;
use crate::sealing::sha256;
use crate::storage::{Actor, AuditEntry, AuditEvent, SqliteStore};

/// Longest display name, in characters.
const MAX_DISPLAY_NAME_CHARS: usize = 128;

/// A fresh enrollment code for an account, as a QR payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentInvite {
    /// The account (Tigr ID).
    pub account: String,
    /// The text of the enrollment QR code (`<origin>/t/1/E/<code>`).
    pub qr_payload: String,
    /// When the code stops working (Unix seconds).
    pub expires_at: i64,
}

/// Creates the account if missing (or updates its display name when one is given) and a
/// fresh single-use enrollment code, valid for `config.enrollment_ttl` seconds. Only the
/// code's SHA-256 is stored. The origin is the configuration's public URL (for a port-0
/// configuration, that of the server started with it or a clone of it).
pub async fn create_enrollment(
    config: &Config,
    account: &str,
    display_name: Option<&str>,
) -> anyhow::Result<EnrollmentInvite> {
    if !is_valid_account(account) {
        anyhow::bail!(
            "invalid Tigr ID {account:?}: 1 to 64 lower-case letters, digits, '.', '_' or '-', \
             starting with a letter or a digit"
        );
    }
    let display_name = display_name.map(str::trim);
    if let Some(name) = display_name
        && (name.is_empty()
            || name.chars().count() > MAX_DISPLAY_NAME_CHARS
            || name.chars().any(char::is_control))
    {
        anyhow::bail!("invalid display name: 1 to {MAX_DISPLAY_NAME_CHARS} printable characters");
    }
    let origin = config.public_origin()?;
    let (store, _) = SqliteStore::open(&config.database_url)
        .await
        .with_context(|| format!("cannot open the database {}", config.database_url))?;
    let now = config.clock.now_unix();
    let code = random_id(config.random.as_ref());
    let expires_at = now + config.enrollment_ttl;

    let mut tx = store.begin_write().await?;
    let created = tx.upsert_account(account, display_name, now).await?;
    tx.insert_enrollment(&sha256(code.as_bytes()), account, now, expires_at)
        .await?;
    tx.audit(&AuditEntry {
        account_id: Some(account),
        detail: Some(format!("expires_at={expires_at} account_created={created}")),
        ..AuditEntry::new(now, AuditEvent::EnrollmentCreated, Actor::Cli)
    })
    .await?;
    tx.commit().await?;
    store.close().await;
    tracing::info!(
        account,
        account_created = created,
        "enrollment code created"
    );

    Ok(EnrollmentInvite {
        account: account.to_owned(),
        qr_payload: QrPayload::Enrollment(EnrollmentQr { origin, code }).to_string(),
        expires_at,
    })
}

/// The `enroll` command: creates the invitation, prints the QR code in the terminal with the
/// payload and expiry, and writes a PNG (default `enroll-<account>.png`).
pub async fn run_cli(
    config: &Config,
    account: &str,
    display_name: Option<&str>,
    png: Option<PathBuf>,
) -> anyhow::Result<()> {
    let lang = Lang::from_env();
    let invite = create_enrollment(config, account, display_name).await?;
    let png_path = png.unwrap_or_else(|| PathBuf::from(format!("enroll-{}.png", invite.account)));
    let image = qr_image::png(&invite.qr_payload)?;
    std::fs::write(&png_path, image)
        .with_context(|| format!("cannot write {}", png_path.display()))?;
    let terminal = qr_image::terminal(&invite.qr_payload)?;
    let now = config.clock.now_unix();
    println!("{}", invite_text(&invite, lang, &terminal, &png_path, now));
    Ok(())
}

fn invite_text(invite: &EnrollmentInvite, lang: Lang, qr: &str, png: &Path, now: i64) -> String {
    let minutes = (invite.expires_at - now).max(0) / 60;
    let expiry = format_utc(invite.expires_at);
    match lang {
        Lang::Fr => format!(
            "Enrôlement du compte « {account} »\n\n{qr}\n\
             Scannez ce QR code avec l'application Tigr du téléphone à enregistrer.\n\
             Code à usage unique, valable jusqu'au {expiry} (dans {minutes} min).\n\
             Si un téléphone est déjà enregistré pour ce compte, il sera remplacé.\n\n\
             Contenu du QR code : {payload}\n\
             Image PNG écrite dans : {png}",
            account = invite.account,
            payload = invite.qr_payload,
            png = png.display(),
        ),
        Lang::En => format!(
            "Enrollment of account \"{account}\"\n\n{qr}\n\
             Scan this QR code with the Tigr app of the phone to enroll.\n\
             Single-use code, valid until {expiry} (in {minutes} min).\n\
             A phone already enrolled for this account will be replaced.\n\n\
             QR code content: {payload}\n\
             PNG image written to: {png}",
            account = invite.account,
            payload = invite.qr_payload,
            png = png.display(),
        ),
    }
}

/// `YYYY-MM-DD HH:MM UTC` for Unix seconds (proleptic Gregorian calendar).
pub fn format_utc(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formatting() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(1_700_000_000), "2023-11-14 22:13 UTC");
        assert_eq!(format_utc(-1), "1969-12-31 23:59 UTC");
    }

    #[test]
    fn invite_text_in_both_languages() {
        let invite = EnrollmentInvite {
            account: "alice".into(),
            qr_payload: "http://127.0.0.1:8080/t/1/E/X".into(),
            expires_at: 1_700_000_900,
        };
        let fr = invite_text(&invite, Lang::Fr, "QR", Path::new("a.png"), 1_700_000_000);
        assert!(fr.contains("Scannez ce QR code") && fr.contains("dans 15 min"));
        let en = invite_text(&invite, Lang::En, "QR", Path::new("a.png"), 1_700_000_000);
        assert!(en.contains("Scan this QR code") && en.contains("a.png"));
    }
}
