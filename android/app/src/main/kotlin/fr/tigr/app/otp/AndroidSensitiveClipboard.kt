package fr.tigr.app.otp

import android.content.ClipData
import android.content.ClipDescription
import android.content.ClipboardManager
import android.content.Context
import android.os.Build
import android.os.PersistableBundle

/**
 * The Android clipboard for OTP codes: each clip is marked sensitive
 * (`ClipDescription.EXTRA_IS_SENSITIVE`, Android 13+; the same key by name before, which
 * keyboards and clipboard managers honour), so the system shows no preview and keeps it out of
 * clipboard history. [clearIfStillOurs] leaves alone a clip another app put there since.
 */
class AndroidSensitiveClipboard(context: Context) : SensitiveClipboard {
    private val manager = context.getSystemService(ClipboardManager::class.java)
    private var ours: ClipData? = null

    override fun copySensitive(label: String, text: String) {
        val clip = ClipData.newPlainText(label, text).apply {
            description.extras = PersistableBundle().apply { putBoolean(SENSITIVE_KEY, true) }
        }
        manager.setPrimaryClip(clip)
        ours = clip
    }

    override fun clearIfStillOurs() {
        val copied = ours ?: return
        ours = null
        // Reading is allowed while the app has focus; in the background Android 10+ returns
        // null, and the code is cleared anyway (it may still be ours).
        val current = runCatching { manager.primaryClip }.getOrNull()
        val text = current?.takeIf { it.itemCount > 0 }?.getItemAt(0)?.text?.toString()
        if (current != null && text != copied.getItemAt(0).text.toString()) return
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) {
            manager.clearPrimaryClip()
        } else {
            manager.setPrimaryClip(ClipData.newPlainText("", ""))
        }
    }

    private companion object {
        val SENSITIVE_KEY: String =
            if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) {
                ClipDescription.EXTRA_IS_SENSITIVE
            } else {
                "android.content.extra.IS_SENSITIVE"
            }
    }
}
