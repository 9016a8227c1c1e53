package fr.tigr.app.otp

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch

/** The system clipboard, as the OTP screen uses it (Android: [AndroidSensitiveClipboard]). */
interface SensitiveClipboard {
    /** Puts [text] on the clipboard, marked sensitive (no preview, kept out of clipboard history). */
    fun copySensitive(label: String, text: String)

    /** Empties the clipboard if it still holds what [copySensitive] last put there. */
    fun clearIfStillOurs()
}

/**
 * Copies OTP codes and clears them from the clipboard [clearAfterMillis] later (30 s: a code
 * outlives its use by seconds, and other apps can read the clipboard). Each copy restarts the
 * delay. [scope] is the process's, not a screen's: leaving the screen does not keep a code on
 * the clipboard.
 */
class CodeCopier(
    private val clipboard: SensitiveClipboard,
    private val scope: CoroutineScope,
    private val clearAfterMillis: Long = CLEAR_AFTER_MILLIS,
) {
    private var pendingClear: Job? = null

    fun copy(label: String, code: String) {
        clipboard.copySensitive(label, code)
        pendingClear?.cancel()
        pendingClear = scope.launch {
            delay(clearAfterMillis)
            clipboard.clearIfStillOurs()
        }
    }

    companion object {
        const val CLEAR_AFTER_MILLIS = 30_000L
    }
}
