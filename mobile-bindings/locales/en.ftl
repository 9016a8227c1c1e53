# Tigr mobile SDK: the sentences apps show for SDK errors, in English.
#
# The same keys as fr.ftl (checked by `cargo test -p tigr-mobile`); see fr.ftl for the variables.

invalid-code = This QR code is not a valid Tigr code.
invalid-code-unsupported-version = This Tigr code needs a newer version of the app: please update it.
invalid-code-unknown-challenge = The server does not recognize this login code. Reload the page and scan the new code.
invalid-code-not-a-login-code = This QR code is for enrolling a phone, not for logging in.
invalid-code-not-an-invitation = This QR code is for logging in, not for enrolling a phone.

not-enrolled = This phone is not enrolled on { $server }. Ask your administrator for an enrollment code.
account-choice-needed = Several accounts of this phone are enrolled on this server: choose one.

invalid-pin-format = The PIN must have 4 to 12 digits.
invalid-pin-mismatch = The two PINs do not match.
invalid-pin-too-simple = This PIN is too easy to guess: avoid runs (1234) and repeated digits (1111).

wrong-pin =
    { $attempts ->
        [0] Wrong PIN.
        [one] Wrong PIN. { $attempts } attempt left.
       *[other] Wrong PIN. { $attempts } attempts left.
    }
account-blocked-temporary = Your account is blocked for { $minutes } min after too many wrong attempts. Try again afterwards, or contact your administrator.
account-blocked-permanent = Your account is blocked after too many wrong attempts. Contact your administrator to unblock it.

challenge-expired = This login code has expired. Reload the page and scan the new code.
already-used = This login code has already been used.

invalid-invitation-unknown = This enrollment code is not recognized. Ask your administrator for a new one.
invalid-invitation-expired = This enrollment code has expired. Ask your administrator for a new one.
invalid-invitation-used = This enrollment code has already been used. Ask your administrator for a new one.
phone-revoked = This phone is no longer authorized for this account: another phone was enrolled or access was revoked.

network = Cannot reach the server. Check your Internet connection.
server = The server refused the request: { $detail }
key-store = The phone's secure storage is unavailable. Unlock the phone and try again.
storage = The app's data could not be read or saved.

# Authenticator accounts of other services (otpauth:// QR codes, Google Authenticator exports).
invalid-otp-not-otpauth = This QR code is not an authenticator account (otpauth).
invalid-otp-malformed = This authenticator QR code is malformed.
invalid-otp-too-long = This text is too long to be an authenticator QR code.
invalid-otp-unknown-type = This kind of code is not supported: only TOTP and HOTP are.
invalid-otp-missing-secret = This authenticator QR code holds no secret key.
invalid-otp-bad-secret = The secret key of this QR code is unreadable or too short.
invalid-otp-unknown-algorithm = This algorithm is not supported: only SHA1, SHA256 and SHA512 are.
invalid-otp-bad-digits = Codes must have 6, 7 or 8 digits.
invalid-otp-bad-period = The validity period of this QR code's codes is not valid.
invalid-otp-bad-counter = The counter of this HOTP QR code is missing or not valid.
invalid-otp-bad-label = The account name is empty or holds forbidden characters.
invalid-otp-bad-export = This Google Authenticator export is unreadable. Export your accounts again.
unknown-otp-account = This authenticator account is no longer on this phone.
invalid-otp-name = This name is not valid: 1 to 128 characters, without ":" or invisible characters.
