package fr.tigr.app.navigation

import android.net.Uri
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

    fun enroll(payload: String) = "enroll?$ARG_PAYLOAD=${Uri.encode(payload)}"

    fun login(payload: String) = "login?$ARG_PAYLOAD=${Uri.encode(payload)}"

    fun offline(payload: String, tigrId: String?, reason: String?): String = buildString {
        append("offline?$ARG_PAYLOAD=").append(Uri.encode(payload))
        tigrId?.let { append("&$ARG_TIGR_ID=").append(Uri.encode(it)) }
        reason?.let { append("&$ARG_REASON=").append(Uri.encode(it)) }
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
}
