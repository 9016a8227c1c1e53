//! Showing a new enrollment invitation: the QR code in the terminal, its text, its expiry,
//! and a PNG image (`enroll`, `admin enroll`, `admin bootstrap`).

use std::path::{Path, PathBuf};

use crate::admin::{AdminError, CreatedInvitation};
use crate::i18n::Lang;
use crate::qr_image;
use tigr_core::clock::{TimeZone, local_text};

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
        eprintln!(
            "tigr-server: {}",
            match lang {
                Lang::Fr => format!(
                    "image PNG non écrite dans {} ({error}) : utilisez le QR code ci-dessus.",
                    png.display()
                ),
                Lang::En => format!(
                    "PNG image not written to {} ({error}): use the QR code above.",
                    png.display()
                ),
            }
        );
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
    let account = &invitation.account_id;
    let minutes = (invitation.expires_at - now).max(0) / 60;
    let expiry = local_text(invitation.expires_at, zone, lang.into());
    let payload = &created.qr_payload;
    let id = &invitation.id;
    match lang {
        Lang::Fr => {
            let title = if bootstrap {
                format!(
                    "Accès administrateur « {account} » : enrôlement du téléphone de \
                     l'administrateur"
                )
            } else {
                format!("Enrôlement du compte « {account} »")
            };
            let png = match png {
                Some(p) => format!("\nImage PNG écrite dans : {}", p.display()),
                None => String::new(),
            };
            format!(
                "{title}\n\n{qr}\n\
                 Scannez ce QR code avec l'application Tigr du téléphone à enregistrer.\n\
                 Code à usage unique, valable jusqu'à {expiry} (dans {minutes} min).\n\
                 Si un téléphone est déjà enregistré pour ce compte, il sera remplacé une \
                 fois le nouveau enrôlé.\n\n\
                 Contenu du QR code : {payload}\n\
                 Invitation : {id} (suivi : tigr-server admin invitation {id} ; \
                 annulation : tigr-server admin cancel-invitation {id}){png}"
            )
        }
        Lang::En => {
            let title = if bootstrap {
                format!(
                    "Administrator access \"{account}\": enrollment of the administrator's phone"
                )
            } else {
                format!("Enrollment of account \"{account}\"")
            };
            let png = match png {
                Some(p) => format!("\nPNG image written to: {}", p.display()),
                None => String::new(),
            };
            format!(
                "{title}\n\n{qr}\n\
                 Scan this QR code with the Tigr app of the phone to enroll.\n\
                 Single-use code, valid until {expiry} (in {minutes} min).\n\
                 A phone already enrolled for this account will be replaced once the new one \
                 is enrolled.\n\n\
                 QR code content: {payload}\n\
                 Invitation: {id} (follow: tigr-server admin invitation {id}; cancel: \
                 tigr-server admin cancel-invitation {id}){png}"
            )
        }
    }
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
