//! The pages' texts, French first then English, looked up by key from templates
//! (`{{ t("login.heading") }}`) and from Rust ([`text`]).
//!
//! The admin pages keep their keys (`admin.*`) in [`super::admin::text`], looked up after
//! these. Adding a page: add its keys here; the unit test renders every template in both languages
//! and fails on a missing key.

use crate::i18n::Lang;

/// `(key, French, English)`.
const TEXTS: &[(&str, &str, &str)] = &[
    // Shared layout.
    ("layout.skip", "Aller au contenu", "Skip to content"),
    (
        "layout.signed_in_as",
        "Connecté en tant que",
        "Signed in as",
    ),
    ("layout.logout", "Se déconnecter", "Log out"),
    ("layout.language", "Langue", "Language"),
    ("layout.other_language", "English", "Français"),
    (
        "layout.footer",
        "Authentification forte Tigr : QR code et application mobile.",
        "Tigr strong authentication: QR code and mobile app.",
    ),
    // Login page.
    ("login.title", "Connexion", "Log in"),
    ("login.heading", "Connexion à", "Log in to"),
    (
        "login.instructions",
        "Scannez le QR code avec l'application Tigr avant l'expiration du délai, puis saisissez \
         votre code PIN.",
        "Scan the QR code with the Tigr app before the time runs out, then type your PIN.",
    ),
    (
        "login.qr_label",
        "QR code de connexion, à scanner avec l'application Tigr de votre téléphone. Sans réseau \
         sur le téléphone, activez ce bouton pour saisir votre identifiant Tigr et un mot de \
         passe à usage unique.",
        "Login QR code, to scan with the Tigr app on your phone. If your phone has no network, \
         activate this button to type your Tigr ID and a one-time password.",
    ),
    ("login.scanned_badge", "Scanné", "Scanned"),
    (
        "login.qr_hint",
        "Pas de réseau sur le téléphone ? Cliquez sur le QR code pour saisir votre identifiant \
         Tigr et le mot de passe à usage unique affichés par l'application.",
        "No network on your phone? Click the QR code to type the Tigr ID and one-time password \
         shown by the app.",
    ),
    (
        "login.expires_in",
        "Le QR code expire dans",
        "The QR code expires in",
    ),
    (
        "login.renewed",
        "Nouveau QR code affiché.",
        "A new QR code is shown.",
    ),
    (
        "login.noscript",
        "La connexion par QR code a besoin de JavaScript. Sans JavaScript, utilisez le mode hors \
         ligne :",
        "QR code login needs JavaScript. Without JavaScript, use the offline mode:",
    ),
    (
        "login.noscript_link",
        "saisir un identifiant Tigr et un mot de passe à usage unique",
        "type a Tigr ID and a one-time password",
    ),
    (
        "login.logged_out",
        "Vous êtes déconnecté. Votre session est fermée.",
        "You are logged out. Your session is closed.",
    ),
    // Offline form.
    ("offline.heading", "Mode hors ligne", "Offline mode"),
    (
        "offline.intro",
        "Sans réseau, l'application Tigr affiche après le scan du QR code votre identifiant Tigr \
         et un mot de passe à usage unique, valable pour ce QR code seulement. Saisissez-les \
         ci-dessous.",
        "Without network, after scanning the QR code the Tigr app shows your Tigr ID and a \
         one-time password, valid for this QR code only. Type them below.",
    ),
    ("offline.tigr_id", "Identifiant Tigr", "Tigr ID"),
    (
        "offline.tigr_id_hint",
        "Par exemple : jdupont",
        "For example: jdupont",
    ),
    (
        "offline.otp",
        "Mot de passe à usage unique",
        "One-time password",
    ),
    (
        "offline.otp_hint",
        "8 chiffres, valables jusqu'à l'expiration du QR code.",
        "8 digits, valid until the QR code expires.",
    ),
    ("offline.submit", "Se connecter", "Log in"),
    ("offline.back", "Revenir au QR code", "Back to the QR code"),
    (
        "offline.missing",
        "Saisissez votre identifiant Tigr et le mot de passe à usage unique.",
        "Type your Tigr ID and the one-time password.",
    ),
    // States of the login page.
    (
        "state.pending.heading",
        "En attente de votre téléphone",
        "Waiting for your phone",
    ),
    (
        "state.pending.text",
        "Scannez le QR code avec l'application Tigr.",
        "Scan the QR code with the Tigr app.",
    ),
    ("state.scanned.heading", "QR code scanné", "QR code scanned"),
    (
        "state.scanned.text",
        "Vérifiez sur votre téléphone le service et le serveur affichés, puis saisissez votre \
         code PIN dans l'application.",
        "Check the service and server shown on your phone, then type your PIN in the app.",
    ),
    (
        "state.approved.heading",
        "Connexion approuvée",
        "Login approved",
    ),
    (
        "state.approved.text",
        "Ouverture de votre session…",
        "Opening your session…",
    ),
    (
        "state.approved.signed_in",
        "Connecté en tant que {name}. Redirection…",
        "Signed in as {name}. Redirecting…",
    ),
    (
        "state.denied.heading",
        "Connexion refusée depuis le téléphone",
        "Login refused from the phone",
    ),
    (
        "state.denied.text",
        "Vous avez indiqué « ce n'était pas moi » : aucune session n'a été ouverte et le refus \
         est enregistré. Si c'était bien vous, affichez un nouveau QR code.",
        "You answered \"this wasn't me\": no session was opened and the refusal is recorded. If \
         it was you after all, show a new QR code.",
    ),
    ("state.expired.heading", "QR code expiré", "QR code expired"),
    (
        "state.expired.text",
        "Le délai est écoulé. Affichez un nouveau QR code pour vous connecter.",
        "The time ran out. Show a new QR code to log in.",
    ),
    ("state.blocked.heading", "Compte bloqué", "Account blocked"),
    (
        "state.blocked.text",
        "Trop d'essais infructueux (code PIN ou mot de passe) : votre compte est bloqué, même \
         avec le bon code.",
        "Too many failed attempts (PIN or password): your account is blocked, even with the \
         right code.",
    ),
    (
        "state.blocked.todo",
        "Contactez votre administrateur pour le débloquer. Si ces essais ne viennent pas de \
         vous, signalez-le-lui.",
        "Contact your administrator to unblock it. If these attempts were not yours, tell them.",
    ),
    (
        "state.blocked.todo_temporary",
        "Le blocage sera levé dans {minutes} min : réessayez ensuite avec un nouveau QR code, \
         ou contactez votre administrateur. Si ces essais ne viennent pas de vous, \
         signalez-le-lui.",
        "The block lifts in {minutes} min: try again then with a new QR code, or contact your \
         administrator. If these attempts were not yours, tell them.",
    ),
    (
        "state.unreachable.heading",
        "Serveur injoignable",
        "Server unreachable",
    ),
    (
        "state.unreachable.text",
        "La connexion avec le serveur est interrompue. Vérifiez votre réseau : la page \
         réessaie toute seule.",
        "The connection to the server is lost. Check your network: the page keeps retrying.",
    ),
    (
        "state.error.heading",
        "Connexion impossible",
        "Login failed",
    ),
    (
        "state.error.text",
        "Une erreur est survenue. Affichez un nouveau QR code pour recommencer.",
        "Something went wrong. Show a new QR code to start again.",
    ),
    (
        "state.new_qr",
        "Afficher un nouveau QR code",
        "Show a new QR code",
    ),
    // Desktop demonstrations (loopback servers only).
    (
        "demo.summary",
        "Démonstration sur ordinateur : texte du QR code",
        "Desktop demonstration: text of the QR code",
    ),
    (
        "demo.text",
        "Sans téléphone, le téléphone virtuel lit ce texte : tigr-phone approve '<texte>'. \
         Ne le montrez à personne : il vaut le QR code.",
        "Without a phone, the virtual phone reads this text: tigr-phone approve '<text>'. Show it \
         to no one: it is worth the QR code.",
    ),
    ("demo.label", "Texte du QR code", "Text of the QR code"),
    ("demo.copy", "Copier le texte", "Copy the text"),
    ("demo.copied", "Copié.", "Copied."),
    // Session page.
    ("session.title", "Votre session", "Your session"),
    ("session.badge", "Session ouverte", "Session open"),
    ("session.heading", "Connecté en tant que", "Signed in as"),
    ("session.tigr_id", "Identifiant Tigr", "Tigr ID"),
    ("session.role", "Rôle", "Role"),
    ("session.role_admin", "Administrateur", "Administrator"),
    ("session.role_user", "Utilisateur", "User"),
    ("session.since", "Connecté depuis", "Signed in since"),
    (
        "session.method_qr",
        "QR code approuvé sur le téléphone",
        "QR code approved on the phone",
    ),
    (
        "session.method_offline",
        "mot de passe à usage unique (hors ligne)",
        "one-time password (offline)",
    ),
    (
        "session.ends",
        "Fin de session au plus tard",
        "Session ends at the latest",
    ),
    (
        "session.idle",
        "(ou après {minutes} min sans activité)",
        "(or after {minutes} min without activity)",
    ),
    ("session.logout", "Se déconnecter", "Log out"),
    (
        "session.logout_hint",
        "Déconnectez-vous en quittant le poste, surtout s'il est partagé.",
        "Log out when you leave the computer, especially a shared one.",
    ),
    // Errors of the pages.
    ("error.csrf.heading", "Page expirée", "Page expired"),
    (
        "error.csrf.text",
        "Cette page a expiré ou la demande ne vient pas de ce site. Rechargez la page et \
         recommencez.",
        "This page has expired or the request did not come from this site. Reload the page and \
         try again.",
    ),
    (
        "error.not_bound",
        "Cette demande de connexion appartient à une autre session de navigateur. Rechargez la \
         page pour obtenir votre propre QR code.",
        "This login request belongs to another browser session. Reload the page to get your own \
         QR code.",
    ),
    (
        "error.not_approved",
        "Cette demande de connexion n'a pas été approuvée.",
        "This login request has not been approved.",
    ),
    (
        "error.already_used",
        "Cette demande de connexion a déjà ouvert une session.",
        "This login request has already opened a session.",
    ),
    (
        "error.bad_form",
        "Formulaire incomplet ou invalide. Revenez à la page précédente et vérifiez les champs.",
        "Incomplete or invalid form. Go back to the previous page and check the fields.",
    ),
    (
        "error.not_logged_in",
        "Vous n'êtes pas connecté, ou votre session a expiré. Connectez-vous à nouveau.",
        "You are not logged in, or your session has expired. Please log in again.",
    ),
    ("error.forbidden.heading", "Accès refusé", "Access denied"),
    (
        "error.forbidden.text",
        "Cette page est réservée aux administrateurs.",
        "This page is for administrators only.",
    ),
    (
        "error.internal.heading",
        "Erreur du serveur",
        "Server error",
    ),
    (
        "error.internal.text",
        "Une erreur interne est survenue. Réessayez dans un instant.",
        "An internal error occurred. Please try again in a moment.",
    ),
    (
        "error.back_to_login",
        "Revenir à la connexion",
        "Back to the login page",
    ),
];

/// The text of `key` in `lang`, or `None` for an unknown key.
pub fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    TEXTS
        .iter()
        .chain(super::admin::text::TEXTS)
        .find(|(k, _, _)| *k == key)
        .map(|(_, fr, en)| lang.pick(fr, en))
}

/// The text of `key` in `lang` (the key itself, logged, when unknown: a bug).
pub fn text(lang: Lang, key: &str) -> &'static str {
    lookup(lang, key).unwrap_or_else(|| {
        tracing::error!(key, "missing page text");
        "?"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_used_in_the_code_exists() {
        let sources = [
            include_str!("mod.rs"),
            include_str!("login_page.rs"),
            include_str!("session_page.rs"),
            include_str!("session.rs"),
            include_str!("csrf.rs"),
        ];
        let prefixes = [
            "error.", "login.", "offline.", "state.", "session.", "layout.",
        ];
        for source in sources {
            // Every piece between quotes: keys have a strict shape that code never has.
            for literal in source.split('"') {
                let is_key = prefixes.iter().any(|p| literal.starts_with(p))
                    && !literal.ends_with(".html")
                    && literal
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_');
                if is_key {
                    assert!(
                        lookup(Lang::Fr, literal).is_some(),
                        "missing text {literal}"
                    );
                }
            }
        }
    }

    #[test]
    fn keys_are_unique_and_both_languages_are_filled() {
        let mut keys: Vec<&str> = TEXTS.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len(), "duplicate key");
        for (key, fr, en) in TEXTS {
            assert!(!fr.trim().is_empty() && !en.trim().is_empty(), "{key}");
            assert!(
                !fr.contains("  ") && !en.contains("  "),
                "{key}: double space"
            );
        }
    }
}
