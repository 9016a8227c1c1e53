package fr.tigr.app.navigation

import fr.tigr.sdk.ScannedCode

/**
 * Navigation routes, one per flow. A flow receives the scanned payload as its argument and
 * calls the SDK itself, so a flow opened from the scanner and one opened from an App Link
 * behave the same.
 */
object Routes {
    const val ARG_PAYLOAD = "payload"
    const val ARG_TIGR_ID = "tigrId"
    const val ARG_REASON = "reason"

    const val ACCOUNTS = "accounts"
    const val SCAN = "scan"
    const val ENROLL = "enroll?$ARG_PAYLOAD={$ARG_PAYLOAD}"
    const val LOGIN = "login?$ARG_PAYLOAD={$ARG_PAYLOAD}"
    const val OFFLINE = "offline?$ARG_PAYLOAD={$ARG_PAYLOAD}&$ARG_TIGR_ID={$ARG_TIGR_ID}&$ARG_REASON={$ARG_REASON}"

    fun enroll(payload: String) = "enroll?$ARG_PAYLOAD=${encode(payload)}"

    fun login(payload: String) = "login?$ARG_PAYLOAD=${encode(payload)}"

    fun offline(payload: String, tigrId: String?, reason: String?): String = buildString {
        append("offline?$ARG_PAYLOAD=").append(encode(payload))
        tigrId?.let { append("&$ARG_TIGR_ID=").append(encode(it)) }
        reason?.let { append("&$ARG_REASON=").append(encode(it)) }
    }

    /**
     * The flow of a scanned Tigr code. An OTP code has none: it holds a secret, which never
     * goes into a route (routes are saved with the back stack); the scanner adds it itself.
     */
    fun forCode(code: ScannedCode): String? = when (code) {
        is ScannedCode.Invitation -> enroll(code.code.payload)
        is ScannedCode.Login -> login(code.code.payload)
        is ScannedCode.OtpAccounts -> null
    }

    /**
     * Percent-encodes a route argument as Android's `Uri.encode` does (everything but letters,
     * digits and `_-!.~'()*`, UTF-8), which Navigation decodes: a payload's `&`, `=`, `?`, `/`
     * and `%` survive the trip.
     */
    fun encode(value: String): String = buildString {
        for (byte in value.toByteArray(Charsets.UTF_8)) {
            val char = (byte.toInt() and 0xFF).toChar()
            if (char.isLetterOrDigit() && char.code < 0x80 || char in UNRESERVED) {
                append(char)
            } else {
                append('%').append("%02X".format(byte.toInt() and 0xFF))
            }
        }
    }

    private const val UNRESERVED = "_-!.~'()*"
}
