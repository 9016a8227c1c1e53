package fr.tigr.app.ui.components

import android.app.Activity
import android.content.Context
import android.content.ContextWrapper
import android.view.WindowManager
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.ui.platform.LocalContext

private var secureScreens = 0

/**
 * Marks the window FLAG_SECURE while this composable is shown: no screenshots, no screen
 * recording, blank in the recent-apps thumbnail. Used on every PIN and code screen. Nested or
 * overlapping uses are counted so that leaving one screen does not unprotect the next.
 */
@Composable
fun SecureWindow() {
    val activity = LocalContext.current.findActivity() ?: return
    DisposableEffect(activity) {
        secureScreens += 1
        activity.window.addFlags(WindowManager.LayoutParams.FLAG_SECURE)
        onDispose {
            secureScreens -= 1
            if (secureScreens <= 0) {
                secureScreens = 0
                activity.window.clearFlags(WindowManager.LayoutParams.FLAG_SECURE)
            }
        }
    }
}

fun Context.findActivity(): Activity? {
    var context: Context? = this
    while (context is ContextWrapper) {
        if (context is Activity) return context
        context = context.baseContext
    }
    return null
}
