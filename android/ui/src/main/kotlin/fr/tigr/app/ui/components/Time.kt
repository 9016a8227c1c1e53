package fr.tigr.app.ui.components

import androidx.compose.runtime.Composable
import androidx.compose.runtime.State
import androidx.compose.runtime.produceState
import androidx.compose.runtime.staticCompositionLocalOf
import fr.tigr.app.ui.text.LocalUiText
import java.time.Instant
import java.time.ZoneId
import java.time.format.DateTimeFormatter
import java.time.format.FormatStyle
import kotlinx.coroutines.delay

/**
 * The clock and time zone the screens show times and countdowns with, and how a countdown
 * waits for its next second ([tick]). Injected so that a screen renders the same on every run
 * in tests (screenshots, UI tests: a clock that never ticks), and the phone's own on Android.
 */
class ScreenClock(
    /** Unix seconds now. */
    val now: () -> Long,
    val zone: ZoneId,
    val tick: suspend () -> Unit = { delay(1_000) },
) {
    companion object {
        val System = ScreenClock({ java.lang.System.currentTimeMillis() / 1000 }, ZoneId.systemDefault())
    }
}

val LocalScreenClock = staticCompositionLocalOf { ScreenClock.System }

/** Unix seconds as a local time ("14:32"). */
@Composable
fun formatTime(unixSeconds: Long): String =
    DateTimeFormatter.ofLocalizedTime(FormatStyle.SHORT)
        .withLocale(LocalUiText.current.locale)
        .withZone(LocalScreenClock.current.zone)
        .format(Instant.ofEpochSecond(unixSeconds))

/** Unix seconds as a local date and time ("12 mars 2025, 14:32"). */
@Composable
fun formatDateTime(unixSeconds: Long): String =
    DateTimeFormatter.ofLocalizedDateTime(FormatStyle.MEDIUM, FormatStyle.SHORT)
        .withLocale(LocalUiText.current.locale)
        .withZone(LocalScreenClock.current.zone)
        .format(Instant.ofEpochSecond(unixSeconds))

/** Seconds left until [unixSeconds] by the screen clock, ticking every second. */
@Composable
fun secondsUntil(unixSeconds: Long): State<Long> {
    val clock = LocalScreenClock.current
    val left = { (unixSeconds - clock.now()).coerceAtLeast(0) }
    return produceState(initialValue = left(), unixSeconds, clock) {
        while (true) {
            value = left()
            if (value <= 0) break
            clock.tick()
        }
    }
}
