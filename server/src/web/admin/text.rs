//! Texts of the admin pages, French first then English, looked up like the other pages'
//! texts (`{{ t("admin.nav.accounts") }}`; [`crate::web::text::lookup`] falls back to this
//! table). Placeholders in braces (`{n}`) are replaced by the page or the handler.
//!
//! The printable invitation sheet is written in French in its template: it is handed to
//! clinicians of French health services whatever language the administrator reads.

use crate::i18n::Lang;

/// `(key, French, English)`.
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("admin.layout_link", "Administration", "Administration"),
    // Menu.
    ("admin.nav.label", "Administration", "Administration"),
    ("admin.nav.dashboard", "Tableau de bord", "Dashboard"),
    ("admin.nav.accounts", "Comptes", "Accounts"),
    ("admin.nav.new", "Créer un compte", "Create an account"),
    ("admin.nav.blocked", "Comptes bloqués", "Blocked accounts"),
    ("admin.nav.audit", "Journal d'audit", "Audit trail"),
    (
        "admin.session_note",
        "Session administrateur : fermée après {minutes} min sans activité, et au plus tard à",
        "Administrator session: closed after {minutes} min without activity, and at the latest at",
    ),
    ("admin.cancel", "Annuler", "Cancel"),
    (
        "admin.back_to_account",
        "Retour au compte",
        "Back to the account",
    ),
    (
        "admin.back_to_accounts",
        "Retour aux comptes",
        "Back to the accounts",
    ),
    ("admin.error.not_found", "Introuvable", "Not found"),
    ("admin.error.refused", "Action refusée", "Action refused"),
    // Dashboard.
    ("admin.dashboard.title", "Administration", "Administration"),
    ("admin.dashboard.heading", "Tableau de bord", "Dashboard"),
    (
        "admin.dashboard.counts",
        "Comptes en chiffres",
        "Accounts in numbers",
    ),
    ("admin.count.all", "comptes", "accounts"),
    ("admin.count.enabled", "actifs", "enabled"),
    ("admin.count.blocked", "bloqués", "blocked"),
    ("admin.count.no_phone", "sans téléphone", "without a phone"),
    ("admin.count.disabled", "désactivés", "disabled"),
    (
        "admin.count.pending",
        "invitations en attente",
        "pending invitations",
    ),
    (
        "admin.dashboard.blocked",
        "Comptes bloqués",
        "Blocked accounts",
    ),
    (
        "admin.dashboard.no_blocked",
        "Aucun compte n'est bloqué.",
        "No account is blocked.",
    ),
    (
        "admin.dashboard.all_blocked",
        "Voir les {n} comptes bloqués",
        "See the {n} blocked accounts",
    ),
    (
        "admin.dashboard.pending",
        "Invitations d'enrôlement en attente",
        "Pending enrollment invitations",
    ),
    (
        "admin.dashboard.no_pending",
        "Aucune invitation en attente.",
        "No pending invitation.",
    ),
    (
        "admin.dashboard.more",
        "… et {n} autres.",
        "… and {n} more.",
    ),
    (
        "admin.dashboard.recent",
        "Derniers événements",
        "Latest events",
    ),
    (
        "admin.dashboard.all_audit",
        "Tout le journal d'audit",
        "The whole audit trail",
    ),
    (
        "admin.dashboard.howto",
        "Équiper un professionnel",
        "Equip a clinician",
    ),
    (
        "admin.dashboard.howto1",
        "Créez son compte (identifiant Tigr, nom, e-mail).",
        "Create their account (Tigr ID, name, e-mail).",
    ),
    (
        "admin.dashboard.howto2",
        "Sur la page du compte, choisissez « Enrôler un smartphone » : imprimez l'invitation ou \
         montrez le QR code à la personne, qui le scanne avec l'application Tigr et choisit son \
         code PIN.",
        "On the account's page, choose \"Enroll a smartphone\": print the invitation or show the \
         QR code to the person, who scans it with the Tigr app and chooses a PIN.",
    ),
    (
        "admin.dashboard.howto3",
        "La page affiche le téléphone dès qu'il est enrôlé : la personne peut se connecter.",
        "The page shows the phone as soon as it is enrolled: the person can log in.",
    ),
    // Account list.
    ("admin.accounts.title", "Comptes", "Accounts"),
    ("admin.accounts.heading", "Comptes", "Accounts"),
    (
        "admin.accounts.search_label",
        "Rechercher des comptes",
        "Search accounts",
    ),
    ("admin.accounts.search", "Rechercher", "Search"),
    (
        "admin.accounts.search_hint",
        "Une partie de l'identifiant Tigr, du nom ou de l'e-mail.",
        "Part of the Tigr ID, name or e-mail.",
    ),
    ("admin.accounts.status", "État", "State"),
    ("admin.accounts.role", "Rôle", "Role"),
    ("admin.accounts.search_submit", "Rechercher", "Search"),
    (
        "admin.accounts.reset",
        "Effacer les filtres",
        "Clear the filters",
    ),
    ("admin.accounts.results", "Résultats", "Results"),
    (
        "admin.accounts.none",
        "Aucun compte ne correspond.",
        "No account matches.",
    ),
    ("admin.filter.status.any", "Tous", "All"),
    ("admin.filter.status.enabled", "Actifs", "Enabled"),
    ("admin.filter.status.disabled", "Désactivés", "Disabled"),
    ("admin.filter.status.blocked", "Bloqués", "Blocked"),
    (
        "admin.filter.status.no_phone",
        "Sans téléphone",
        "Without a phone",
    ),
    ("admin.filter.role.any", "Tous", "All"),
    ("admin.filter.role.user", "Utilisateurs", "Users"),
    (
        "admin.filter.role.admin",
        "Administrateurs",
        "Administrators",
    ),
    ("admin.role.user", "Utilisateur", "User"),
    ("admin.role.admin", "Administrateur", "Administrator"),
    ("admin.col.tigr_id", "Identifiant Tigr", "Tigr ID"),
    ("admin.col.name", "Nom", "Name"),
    ("admin.col.role", "Rôle", "Role"),
    ("admin.col.state", "État", "State"),
    ("admin.col.phone", "Téléphone", "Phone"),
    ("admin.col.account", "Compte", "Account"),
    ("admin.col.block", "Blocage", "Block"),
    ("admin.col.expires", "Expire le", "Expires"),
    ("admin.col.by", "par", "by"),
    ("admin.col.created", "Créée le", "Created"),
    ("admin.col.invitation", "Invitation", "Invitation"),
    ("admin.col.actions", "Actions", "Actions"),
    ("admin.col.time", "Date", "Time"),
    ("admin.col.event", "Événement", "Event"),
    ("admin.col.actor", "Acteur", "Actor"),
    ("admin.col.details", "Détails", "Details"),
    // States.
    ("admin.state.active", "Actif", "Enabled"),
    (
        "admin.state.active_failures",
        "Actif ({n} échec(s) en cours)",
        "Enabled ({n} failure(s) counted)",
    ),
    ("admin.state.blocked", "Bloqué", "Blocked"),
    (
        "admin.state.blocked_until",
        "Bloqué jusqu'à {until}",
        "Blocked until {until}",
    ),
    (
        "admin.state.disabled",
        "Désactivé à {at}",
        "Disabled at {at}",
    ),
    (
        "admin.lock.open",
        "Non bloqué, aucun échec en cours.",
        "Not blocked, no failure counted.",
    ),
    (
        "admin.lock.failures",
        "Non bloqué, {n} échec(s) consécutif(s) comptés.",
        "Not blocked, {n} consecutive failure(s) counted.",
    ),
    (
        "admin.lock.temporary",
        "Bloqué depuis {since} jusqu'à {until} : {reason}.",
        "Blocked since {since} until {until}: {reason}.",
    ),
    (
        "admin.lock.permanent",
        "Bloqué depuis {since}, jusqu'au déblocage par un administrateur : {reason}.",
        "Blocked since {since}, until an administrator unblocks it: {reason}.",
    ),
    (
        "admin.lock.reason.failures",
        "trop d'échecs consécutifs (code PIN ou mot de passe à usage unique)",
        "too many consecutive failures (PIN or one-time password)",
    ),
    (
        "admin.lock.reason.repeated",
        "blocages répétés",
        "repeated blocks",
    ),
    ("admin.lock.why", "Motif", "Why"),
    ("admin.lock.since", "Depuis", "Since"),
    ("admin.lock.until", "Jusqu'à", "Until"),
    (
        "admin.lock.until_admin",
        "déblocage par un administrateur",
        "an administrator unblocks it",
    ),
    // Phones.
    ("admin.phone.active", "Actif", "Active"),
    (
        "admin.phone.revoked",
        "révoqué à {at} ({why})",
        "revoked at {at} ({why})",
    ),
    (
        "admin.phone.why.replaced",
        "remplacé par un nouvel enrôlement",
        "replaced by a new enrollment",
    ),
    (
        "admin.phone.why.admin",
        "révoqué par un administrateur",
        "revoked by an administrator",
    ),
    ("admin.phone.why.other", "révoqué", "revoked"),
    ("admin.phone.name", "Téléphone", "Phone"),
    ("admin.phone.enrolled", "Enrôlé le", "Enrolled"),
    ("admin.phone.enrolled_on", "enrôlé à", "enrolled at"),
    ("admin.phone.status", "État", "Status"),
    (
        "admin.phone.device",
        "Identifiant de l'appareil",
        "Device ID",
    ),
    ("admin.phone.none", "aucun", "none"),
    (
        "admin.phone.none_long",
        "Aucun téléphone enrôlé : ce compte ne peut pas se connecter.",
        "No phone enrolled: this account cannot log in.",
    ),
    ("admin.phone.history", "Anciens téléphones", "Former phones"),
    // Account page.
    ("admin.account.created", "Créé le", "Created"),
    ("admin.account.state", "État", "State"),
    ("admin.account.email", "E-mail", "E-mail"),
    ("admin.account.edit", "Modifier", "Edit"),
    (
        "admin.account.audit",
        "Journal d'audit du compte",
        "Audit trail of the account",
    ),
    ("admin.account.phone", "Téléphone", "Phone"),
    (
        "admin.account.enroll",
        "Enrôler un smartphone",
        "Enroll a smartphone",
    ),
    (
        "admin.account.enroll_disabled",
        "Compte désactivé : réactivez-le pour enrôler un téléphone.",
        "Disabled account: enable it to enroll a phone.",
    ),
    ("admin.account.lock", "Blocage", "Lockout"),
    (
        "admin.account.invitations",
        "Invitations d'enrôlement",
        "Enrollment invitations",
    ),
    (
        "admin.account.no_invitations",
        "Aucune invitation.",
        "No invitation.",
    ),
    (
        "admin.account.access",
        "Accès au compte",
        "Access to the account",
    ),
    (
        "admin.revoke.summary",
        "Révoquer ce téléphone…",
        "Revoke this phone…",
    ),
    (
        "admin.revoke.explain",
        "Téléphone perdu ou volé : une fois révoqué, il ne peut plus approuver de connexion ni \
         donner de mot de passe hors ligne. Enrôlez ensuite le nouveau téléphone.",
        "Lost or stolen phone: once revoked, it can no longer approve a login nor give offline \
         passwords. Then enroll the new phone.",
    ),
    (
        "admin.field.reason",
        "Motif (facultatif)",
        "Reason (optional)",
    ),
    (
        "admin.revoke.reason_hint",
        "Par exemple : téléphone volé le 01/03. Enregistré dans le journal d'audit.",
        "For example: phone stolen on 1 March. Recorded in the audit trail.",
    ),
    (
        "admin.revoke.submit",
        "Révoquer le téléphone",
        "Revoke the phone",
    ),
    ("admin.unblock.submit", "Débloquer", "Unblock"),
    (
        "admin.unblock.reset",
        "Remettre le compteur d'échecs à zéro",
        "Reset the failure counter",
    ),
    (
        "admin.unblock.hint",
        "Lève le blocage et remet à zéro le compteur d'échecs et l'historique des blocages.",
        "Lifts the block and resets the failure counter and the block history.",
    ),
    ("admin.unblock.label", "Débloquer {id}", "Unblock {id}"),
    (
        "admin.disable.summary",
        "Désactiver ce compte…",
        "Disable this account…",
    ),
    (
        "admin.disable.explain",
        "Un compte désactivé ne peut plus se connecter ni enrôler de téléphone ; ses invitations \
         en attente sont annulées. Son téléphone reste enregistré : la réactivation rétablit \
         tout.",
        "A disabled account can no longer log in nor enroll a phone; its pending invitations \
         are cancelled. Its phone stays enrolled: enabling it again restores everything.",
    ),
    (
        "admin.disable.self",
        "C'est votre propre compte : votre session sera fermée.",
        "This is your own account: your session will end.",
    ),
    (
        "admin.disable.submit",
        "Désactiver le compte",
        "Disable the account",
    ),
    (
        "admin.enable.explain",
        "Le compte est désactivé. La réactivation lui rend l'accès avec son téléphone.",
        "The account is disabled. Enabling it gives back access with its phone.",
    ),
    (
        "admin.enable.submit",
        "Réactiver le compte",
        "Enable the account",
    ),
    // Outcomes.
    (
        "admin.done.created",
        "Compte créé. Étape suivante : enrôler son smartphone.",
        "Account created. Next step: enroll their smartphone.",
    ),
    ("admin.done.edited", "Compte modifié.", "Account updated."),
    (
        "admin.done.disabled",
        "Compte désactivé.",
        "Account disabled.",
    ),
    ("admin.done.enabled", "Compte réactivé.", "Account enabled."),
    (
        "admin.done.unblocked",
        "Compte débloqué ; compteur d'échecs remis à zéro.",
        "Account unblocked; failure counter reset.",
    ),
    (
        "admin.done.revoked",
        "Téléphone révoqué : il ne peut plus se connecter.",
        "Phone revoked: it can no longer log in.",
    ),
    (
        "admin.done.cancelled",
        "Invitation annulée : son QR code ne fonctionne plus.",
        "Invitation cancelled: its QR code no longer works.",
    ),
    // Create and edit.
    ("admin.create.title", "Créer un compte", "Create an account"),
    (
        "admin.create.heading",
        "Créer un compte",
        "Create an account",
    ),
    (
        "admin.create.intro",
        "Après la création, enrôlez le smartphone de la personne depuis la page du compte.",
        "After creating it, enroll the person's smartphone from the account's page.",
    ),
    (
        "admin.create.submit",
        "Créer le compte",
        "Create the account",
    ),
    ("admin.edit.title", "Modifier le compte", "Edit the account"),
    (
        "admin.edit.heading",
        "Modifier le compte",
        "Edit the account",
    ),
    ("admin.edit.submit", "Enregistrer", "Save"),
    ("admin.field.tigr_id", "Identifiant Tigr", "Tigr ID"),
    (
        "admin.field.tigr_id_hint",
        "1 à 64 caractères parmi a-z, 0-9, « . », « _ » et « - », commençant par une lettre ou \
         un chiffre. Par exemple : e.martin. Il ne pourra plus être changé.",
        "1 to 64 characters among a-z, 0-9, '.', '_' and '-', starting with a letter or a \
         digit. For example: e.martin. It cannot be changed later.",
    ),
    ("admin.field.name", "Nom affiché", "Display name"),
    (
        "admin.field.name_hint",
        "Tel que la personne le verra dans l'application. Par exemple : Dr Émilie Martin.",
        "As the person will see it in the app. For example: Dr Émilie Martin.",
    ),
    (
        "admin.field.email",
        "E-mail (facultatif)",
        "E-mail (optional)",
    ),
    (
        "admin.field.email_hint",
        "Pour contacter la personne. Laissez vide pour n'en enregistrer aucun.",
        "To contact the person. Leave empty to record none.",
    ),
    ("admin.field.role", "Rôle", "Role"),
    (
        "admin.field.role_hint",
        "Un administrateur gère les comptes, les téléphones et le journal d'audit.",
        "An administrator manages accounts, phones and the audit trail.",
    ),
    // Enrollment.
    (
        "admin.enroll.title",
        "Enrôler un smartphone",
        "Enroll a smartphone",
    ),
    (
        "admin.enroll.heading",
        "Enrôler le smartphone de",
        "Enroll the smartphone of",
    ),
    (
        "admin.enroll.intro",
        "Une invitation à usage unique va être créée : son QR code s'affiche sur la page suivante, \
         avec une feuille d'instructions à imprimer pour la personne. La page indique en direct \
         quand le téléphone est enrôlé.",
        "A single-use invitation will be created: its QR code is shown on the next page, with an \
         instruction sheet to print for the person. The page shows live when the phone is \
         enrolled.",
    ),
    (
        "admin.enroll.replaces",
        "Ce compte a déjà un téléphone (« {name} ») : il sera révoqué dès que le nouveau sera \
         enrôlé. Une invitation non utilisée ne change rien.",
        "This account already has a phone (\"{name}\"): it will be revoked as soon as the new one \
         is enrolled. An unused invitation changes nothing.",
    ),
    (
        "admin.enroll.ttl",
        "Validité de l'invitation",
        "Validity of the invitation",
    ),
    (
        "admin.enroll.ttl_hint",
        "Courte si la personne est devant vous ; plus longue pour une invitation imprimée et \
         remise plus tard.",
        "Short if the person is with you; longer for an invitation printed and handed over \
         later.",
    ),
    (
        "admin.enroll.ttl_default",
        "{duration} (par défaut)",
        "{duration} (default)",
    ),
    (
        "admin.enroll.submit",
        "Créer l'invitation et afficher le QR code",
        "Create the invitation and show the QR code",
    ),
    (
        "admin.invitation.title",
        "Invitation d'enrôlement",
        "Enrollment invitation",
    ),
    (
        "admin.invitation.heading",
        "Invitation d'enrôlement pour",
        "Enrollment invitation for",
    ),
    (
        "admin.invitation.pending",
        "En attente du téléphone : invitation valable jusqu'à {until} (encore {left}).",
        "Waiting for the phone: invitation valid until {until} ({left} left).",
    ),
    (
        "admin.invitation.completed",
        "Téléphone enrôlé à {at}.",
        "Phone enrolled at {at}.",
    ),
    (
        "admin.invitation.completed_phone",
        "Téléphone « {name} » enrôlé à {at} : le compte peut se connecter.",
        "Phone \"{name}\" enrolled at {at}: the account can log in.",
    ),
    (
        "admin.invitation.expired",
        "Invitation expirée à {at} sans avoir servi : créez-en une nouvelle.",
        "Invitation expired at {at} without being used: create a new one.",
    ),
    (
        "admin.invitation.cancelled",
        "Invitation annulée à {at}.",
        "Invitation cancelled at {at}.",
    ),
    (
        "admin.invitation.device_heading",
        "Téléphone enrôlé",
        "Phone enrolled",
    ),
    (
        "admin.invitation.qr_label",
        "QR code d'enrôlement du compte de {name}, à scanner avec l'application Tigr.",
        "Enrollment QR code of {name}'s account, to scan with the Tigr app.",
    ),
    (
        "admin.invitation.print",
        "Imprimer l'invitation",
        "Print the invitation",
    ),
    (
        "admin.invitation.cancel",
        "Annuler l'invitation",
        "Cancel the invitation",
    ),
    (
        "admin.invitation.cancel_label",
        "Annuler l'invitation {id}",
        "Cancel invitation {id}",
    ),
    (
        "admin.invitation.once",
        "Ce QR code n'est affiché qu'une fois : le serveur n'en garde qu'une empreinte. En cas de \
         perte, annulez l'invitation et créez-en une autre.",
        "This QR code is shown only once: the server keeps only a fingerprint of it. If it is \
         lost, cancel the invitation and create another.",
    ),
    (
        "admin.invitation.session_ended",
        "Votre session d'administration est terminée : reconnectez-vous et ouvrez la page du \
         compte pour savoir si le téléphone est enrôlé.",
        "Your administrator session is over: sign in again and open the account's page to see \
         whether the phone is enrolled.",
    ),
    (
        "admin.invitation.noscript",
        "Sans JavaScript, rechargez la page du compte pour voir si le téléphone est enrôlé.",
        "Without JavaScript, reload the account's page to see whether the phone is enrolled.",
    ),
    // Blocked accounts.
    ("admin.blocked.title", "Comptes bloqués", "Blocked accounts"),
    (
        "admin.blocked.heading",
        "Comptes bloqués",
        "Blocked accounts",
    ),
    (
        "admin.blocked.intro",
        "Comptes bloqués après trop d'échecs consécutifs. Vérifiez avec la personne que les \
         essais venaient bien d'elle avant de débloquer ; sinon, révoquez son téléphone.",
        "Accounts blocked after too many consecutive failures. Check with the person that the \
         attempts were theirs before unblocking; otherwise, revoke their phone.",
    ),
    // Audit trail.
    ("admin.audit.title", "Journal d'audit", "Audit trail"),
    ("admin.audit.heading", "Journal d'audit", "Audit trail"),
    (
        "admin.audit.filters",
        "Filtres du journal",
        "Filters of the trail",
    ),
    (
        "admin.audit.account_hint",
        "Identifiant Tigr exact.",
        "Exact Tigr ID.",
    ),
    (
        "admin.audit.all_events",
        "Tous les événements",
        "All events",
    ),
    (
        "admin.audit.actor_hint",
        "Par exemple : web, web:root, cli, cli:alice, phone, browser.",
        "For example: web, web:root, cli, cli:alice, phone, browser.",
    ),
    ("admin.audit.since", "Du", "From"),
    ("admin.audit.until", "Au (inclus)", "To (included)"),
    (
        "admin.audit.dates_hint",
        "Dates en heure locale du serveur (l'export CSV est en UTC).",
        "Dates in the server's local time (the CSV export is in UTC).",
    ),
    ("admin.audit.submit", "Filtrer", "Filter"),
    (
        "admin.audit.export_text",
        "Exporter toutes les entrées correspondant aux filtres (CSV, de la plus ancienne à la \
         plus récente). L'export est lui-même enregistré dans le journal.",
        "Export every entry matching the filters (CSV, oldest first). The export itself is \
         recorded in the trail.",
    ),
    (
        "admin.audit.export",
        "Télécharger en CSV",
        "Download as CSV",
    ),
    ("admin.audit.results", "Entrées", "Entries"),
    ("admin.audit.none", "Aucune entrée.", "No entry."),
    ("admin.audit.device", "appareil", "device"),
    ("admin.audit.ip", "IP", "IP"),
    ("admin.audit.browser", "navigateur", "browser"),
    (
        "admin.event.enrollment_created",
        "Invitation créée",
        "Invitation created",
    ),
    ("admin.event.enrolled", "Téléphone enrôlé", "Phone enrolled"),
    (
        "admin.event.device_revoked",
        "Téléphone révoqué",
        "Phone revoked",
    ),
    (
        "admin.event.approved",
        "Connexion approuvée",
        "Login approved",
    ),
    (
        "admin.event.denied",
        "Connexion refusée (« ce n'était pas moi »)",
        "Login refused (\"this wasn't me\")",
    ),
    (
        "admin.event.response_failed",
        "Échec (PIN ou mot de passe)",
        "Failure (PIN or password)",
    ),
    (
        "admin.event.account_blocked",
        "Compte bloqué",
        "Account blocked",
    ),
    (
        "admin.event.refused_blocked",
        "Essai refusé (compte bloqué)",
        "Attempt refused (account blocked)",
    ),
    (
        "admin.event.deny_failed",
        "Refus invalide",
        "Invalid refusal",
    ),
    (
        "admin.event.unknown_account",
        "Compte inconnu (hors ligne)",
        "Unknown account (offline)",
    ),
    (
        "admin.event.web_login",
        "Session web ouverte",
        "Web session opened",
    ),
    ("admin.event.web_logout", "Déconnexion web", "Web logout"),
    (
        "admin.event.account_created",
        "Compte créé",
        "Account created",
    ),
    (
        "admin.event.account_updated",
        "Compte modifié",
        "Account updated",
    ),
    (
        "admin.event.account_disabled",
        "Compte désactivé",
        "Account disabled",
    ),
    (
        "admin.event.account_enabled",
        "Compte réactivé",
        "Account enabled",
    ),
    (
        "admin.event.account_unblocked",
        "Compte débloqué",
        "Account unblocked",
    ),
    (
        "admin.event.enrollment_cancelled",
        "Invitation annulée",
        "Invitation cancelled",
    ),
    (
        "admin.event.admin_bootstrap",
        "Premier administrateur",
        "First administrator",
    ),
    (
        "admin.event.audit_exported",
        "Journal exporté",
        "Trail exported",
    ),
    // Pages of lists.
    ("admin.pager.label", "Pages", "Pages"),
    (
        "admin.pager.summary",
        "Entrées {first} à {last} sur {total} (page {page} sur {pages})",
        "Items {first} to {last} of {total} (page {page} of {pages})",
    ),
    ("admin.pager.none", "Aucune entrée.", "No item."),
    ("admin.pager.prev", "Page précédente", "Previous page"),
    ("admin.pager.next", "Page suivante", "Next page"),
];

/// The text of `key` in `lang`, if it is an admin text.
pub fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    TEXTS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, fr, en)| lang.pick(fr, en))
}

/// The text of `key` in `lang` (any page's text; `?`, logged, for an unknown key: a bug).
pub fn tr(lang: Lang, key: &str) -> &'static str {
    crate::web::text::text(lang, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_across_tables_and_both_languages_are_filled() {
        let mut keys: Vec<&str> = TEXTS.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len(), "duplicate key");
        for (key, fr, en) in TEXTS {
            assert!(key.starts_with("admin."), "{key}");
            assert!(!fr.trim().is_empty() && !en.trim().is_empty(), "{key}");
            assert!(
                !fr.contains("  ") && !en.contains("  "),
                "{key}: double space"
            );
            // The general table is searched first: an admin key there would shadow this one.
            assert_eq!(
                crate::web::text::lookup(Lang::Fr, key),
                Some(*fr),
                "{key} is shadowed"
            );
        }
    }
}
