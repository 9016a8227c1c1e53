# Tigr mobile SDK: the sentences apps show for SDK errors, in French (the default language).
#
# One message per key; en.ftl has exactly the same keys (checked by `cargo test -p tigr-mobile`).
# Variables: $server (a host name), $attempts (wrong PINs left before the account is blocked),
# $minutes (minutes until a temporary block lifts), $detail (the server's own words).
# Plural variants follow CLDR: in French, [one] covers 0 and 1, so an exact [0] comes first.

invalid-code = Ce QR code n'est pas un code Tigr valide.
invalid-code-unsupported-version = Ce code Tigr demande une version plus récente de l'application : mettez-la à jour.
invalid-code-unknown-challenge = Ce code de connexion n'est pas reconnu par le serveur. Rechargez la page et scannez le nouveau code.
invalid-code-not-a-login-code = Ce QR code sert à enrôler un téléphone, pas à se connecter.
invalid-code-not-an-invitation = Ce QR code sert à se connecter, pas à enrôler un téléphone.

not-enrolled = Ce téléphone n'est pas enregistré sur { $server }. Demandez un code d'enrôlement à votre administrateur.
account-choice-needed = Plusieurs comptes de ce téléphone sont enregistrés sur ce serveur : choisissez-en un.

invalid-pin-format = Le code PIN doit comporter de 4 à 12 chiffres.
invalid-pin-mismatch = Les deux codes PIN ne sont pas identiques.
invalid-pin-too-simple = Ce code PIN est trop facile à deviner : évitez les suites (1234) et les chiffres répétés (1111).

wrong-pin =
    { $attempts ->
        [0] Code PIN incorrect.
        [one] Code PIN incorrect. Il vous reste { $attempts } essai.
       *[other] Code PIN incorrect. Il vous reste { $attempts } essais.
    }
account-blocked-temporary = Votre compte est bloqué pour { $minutes } min après trop d'essais incorrects. Réessayez ensuite, ou contactez votre administrateur.
account-blocked-permanent = Votre compte est bloqué après trop d'essais incorrects. Contactez votre administrateur pour le débloquer.

challenge-expired = Ce code de connexion a expiré. Rechargez la page et scannez le nouveau code.
already-used = Ce code de connexion a déjà été utilisé.

invalid-invitation-unknown = Ce code d'enrôlement n'est pas reconnu. Demandez-en un nouveau à votre administrateur.
invalid-invitation-expired = Ce code d'enrôlement a expiré. Demandez-en un nouveau à votre administrateur.
invalid-invitation-used = Ce code d'enrôlement a déjà été utilisé. Demandez-en un nouveau à votre administrateur.
phone-revoked = Ce téléphone n'est plus autorisé pour ce compte : un autre téléphone a été enregistré ou l'accès a été révoqué.

network = Impossible de joindre le serveur. Vérifiez votre connexion à Internet.
server = Le serveur a refusé la demande : { $detail }
key-store = Le stockage sécurisé du téléphone est indisponible. Déverrouillez le téléphone et réessayez.
storage = Les données de l'application n'ont pas pu être lues ou enregistrées.

# Authenticator accounts of other services (otpauth:// QR codes, Google Authenticator exports).
invalid-otp-not-otpauth = Ce QR code n'est pas un compte d'authentification (otpauth).
invalid-otp-malformed = Ce QR code d'authentification est mal formé.
invalid-otp-too-long = Ce texte est trop long pour être un QR code d'authentification.
invalid-otp-unknown-type = Ce type de code n'est pas pris en charge : seuls TOTP et HOTP le sont.
invalid-otp-missing-secret = Ce QR code d'authentification ne contient pas de clé secrète.
invalid-otp-bad-secret = La clé secrète de ce QR code est illisible ou trop courte.
invalid-otp-unknown-algorithm = Cet algorithme n'est pas pris en charge : seuls SHA1, SHA256 et SHA512 le sont.
invalid-otp-bad-digits = Les codes doivent compter 6, 7 ou 8 chiffres.
invalid-otp-bad-period = La durée de validité des codes de ce QR code n'est pas valide.
invalid-otp-bad-counter = Le compteur de ce QR code HOTP est absent ou n'est pas valide.
invalid-otp-bad-label = Le nom du compte est vide ou contient des caractères interdits.
invalid-otp-bad-export = Cet export de Google Authenticator est illisible. Exportez à nouveau vos comptes.
unknown-otp-account = Ce compte d'authentification n'est plus sur ce téléphone.
invalid-otp-name = Ce nom n'est pas valide : de 1 à 128 caractères, sans « : » ni caractères invisibles.
