//! Showing a new enrollment invitation: the QR code in the terminal, its text, its expiry,
//! and a PNG image (`enroll`, `admin enroll`, `admin bootstrap`).

use std::path::{Path, PathBuf};

use tigr_core::clock::{TimeZone, local_text};

use crate::admin::{AdminError, CreatedInvitation};
use crate::i18n::Lang;
use crate::qr_image;
use crate::text::{text, text_with};

/// The PNG path of an invitation: `png`, or `enroll-<account>.png` in the working directory.
pub fn png_path(png: Option<PathBuf>, account: &str) -> PathBuf {
    png.unwrap_or_else(|| PathBuf::from(format!("enroll-{account}.png")))
}

/// Prints the invitation (QR in the terminal, text, expiry) and writes its PNG. The
/// invitation exists already: a PNG that cannot be written is reported, and the QR shown in
/// the terminal and its text remain usable.
pub fn print(
    created: &CreatedInvitation,
    png: Option<PathBuf>,
    lang: Lang,
    zone: &TimeZone,
    now: i64,
    bootstrap: bool,
) -> Result<(), AdminError> {
    let png = png_path(png, &created.invitation.account_id);
    let qr = qr_image::terminal(&created.qr_payload)
        .map_err(|_| AdminError::Io(std::io::Error::other("QR code too long")))?;
    let written = qr_image::png(&created.qr_payload)
        .map_err(|_| std::io::Error::other("QR code too long"))
        .and_then(|image| std::fs::write(&png, image));
    println!(
        "{}",
        invite_text(
            created,
            lang,
            zone,
            &qr,
            written.is_ok().then_some(&png),
            now,
            bootstrap
        )
    );
    if let Err(error) = written {
        let message = text_with(
            lang,
            "cli-enroll-png-failed",
            &[
                ("path", png.display().to_string().into()),
                ("error", error.to_string().into()),
            ],
        );
        eprintln!("tigr-server: {message}");
    }
    Ok(())
}

fn invite_text(
    created: &CreatedInvitation,
    lang: Lang,
    zone: &TimeZone,
    qr: &str,
    png: Option<&Path>,
    now: i64,
    bootstrap: bool,
) -> String {
    let invitation = &created.invitation;
    let account = invitation.account_id.as_str();
    let minutes = (invitation.expires_at - now).max(0) / 60;
    let id = invitation.id.as_str();
    let title = if bootstrap {
        "cli-bootstrap-title"
    } else {
        "cli-enroll-title"
    };
    let png = png
        .map(|p| {
            let line = text_with(
                lang,
                "cli-enroll-png",
                &[("path", p.display().to_string().into())],
            );
            format!("\n{line}")
        })
        .unwrap_or_default();
    format!(
        "{}\n\n{qr}\n{}\n{}\n{}\n\n{}\n{}{png}",
        text_with(lang, title, &[("account", account.into())]),
        text(lang, "cli-enroll-scan"),
        text_with(
            lang,
            "cli-enroll-valid",
            &[
                (
                    "expiry",
                    local_text(invitation.expires_at, zone, lang.into()).into(),
                ),
                ("minutes", minutes.into()),
            ],
        ),
        text(lang, "cli-enroll-replaces"),
        text_with(
            lang,
            "cli-enroll-payload",
            &[("payload", created.qr_payload.as_str().into())],
        ),
        text_with(lang, "cli-enroll-invitation", &[("id", id.into())]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::{Invitation, InvitationStatus};

    #[test]
    fn invite_text_in_both_languages() {
        let created = CreatedInvitation {
            invitation: Invitation {
                id: "INV".into(),
                account_id: "alice".into(),
                created_at: 1_700_000_000,
                expires_at: 1_700_000_900,
                created_by: Some("cli:root".into()),
                status: InvitationStatus::Pending {
                    expires_at: 1_700_000_900,
                },
            },
            qr_payload: "http://127.0.0.1:8080/t/1/E/X".into(),
        };
        let png = Path::new("a.png");
        let paris = TimeZone::get("Europe/Paris").expect("zone");
        let fr = invite_text(
            &created,
            Lang::Fr,
            &paris,
            "QR",
            Some(png),
            1_700_000_000,
            false,
        );
        assert!(fr.contains("Scannez ce QR code") && fr.contains("dans 15 min"));
        assert!(
            fr.contains("valable jusqu'à 23:28:20 (UTC+01:00) le 14/11/2023"),
            "{fr}"
        );
        assert!(fr.contains("cancel-invitation INV"));
        let en = invite_text(
            &created,
            Lang::En,
            &paris,
            "QR",
            Some(png),
            1_700_000_000,
            true,
        );
        assert!(en.contains("Scan this QR code") && en.contains("a.png"));
        assert!(
            en.contains("valid until 23:28:20 (UTC+01:00) on 14 November 2023"),
            "{en}"
        );
        assert!(en.starts_with("Administrator access"));
        assert!(!invite_text(&created, Lang::En, &paris, "QR", None, 0, false).contains("PNG"));
    }
}
