package fr.tigr.app.ui.components

import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.staticCompositionLocalOf

/**
 * What the platform does while a PIN or code screen is shown (Android: FLAG_SECURE on the
 * window: no screenshots, no screen recording, blank in the recent-apps thumbnail).
 * [protect] starts the protection and returns what ends it.
 */
fun interface WindowProtection {
    fun protect(): () -> Unit
}

/** Null where the platform has no window to protect (the JVM tests set their own). */
val LocalWindowProtection = staticCompositionLocalOf<WindowProtection?> { null }

/** Keeps the window protected while this composable is shown: on every PIN and code screen. */
@Composable
fun SecureWindow() {
    val protection = LocalWindowProtection.current ?: return
    DisposableEffect(protection) {
        val release = protection.protect()
        onDispose { release() }
    }
}
