package fr.tigr.app.ui.components

import android.app.Activity
import android.content.Context
import android.content.ContextWrapper
import android.view.WindowManager

/**
 * FLAG_SECURE on the activity's window while a PIN or code screen is shown (the screens ask
 * through [SecureWindow]): no screenshots, no screen recording, blank in the recent-apps
 * thumbnail. Nested or overlapping screens are counted so that leaving one screen does not
 * unprotect the next.
 */
class ActivityWindowProtection(private val activity: Activity) : WindowProtection {
    private var protectedScreens = 0

    override fun protect(): () -> Unit {
        protectedScreens += 1
        activity.window.addFlags(WindowManager.LayoutParams.FLAG_SECURE)
        var released = false
        return {
            if (!released) {
                released = true
                protectedScreens -= 1
                if (protectedScreens <= 0) {
                    protectedScreens = 0
                    activity.window.clearFlags(WindowManager.LayoutParams.FLAG_SECURE)
                }
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
