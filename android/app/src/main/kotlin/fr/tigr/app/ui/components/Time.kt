package fr.tigr.app.ui.components

import androidx.compose.runtime.Composable
import androidx.compose.runtime.State
import androidx.compose.runtime.produceState
import androidx.compose.ui.platform.LocalConfiguration
import kotlinx.coroutines.delay
import java.time.Instant
import java.time.ZoneId
import java.time.format.DateTimeFormatter
import java.time.format.FormatStyle
import java.util.Locale

/** Unix seconds as a local time ("14:32"). */
@Composable
fun formatTime(unixSeconds: Long): String =
    DateTimeFormatter.ofLocalizedTime(FormatStyle.SHORT)
        .withLocale(currentLocale())
        .withZone(ZoneId.systemDefault())
        .format(Instant.ofEpochSecond(unixSeconds))

/** Unix seconds as a local date and time ("12 mars 2025, 14:32"). */
@Composable
fun formatDateTime(unixSeconds: Long): String =
    DateTimeFormatter.ofLocalizedDateTime(FormatStyle.MEDIUM, FormatStyle.SHORT)
        .withLocale(currentLocale())
        .withZone(ZoneId.systemDefault())
        .format(Instant.ofEpochSecond(unixSeconds))

@Composable
private fun currentLocale(): Locale = LocalConfiguration.current.locales[0] ?: Locale.FRENCH

/** Seconds left until [unixSeconds] by the phone's clock, ticking every second. */
@Composable
fun secondsUntil(unixSeconds: Long): State<Long> =
    produceState(initialValue = left(unixSeconds), unixSeconds) {
        while (true) {
            value = left(unixSeconds)
            if (value <= 0) break
            delay(1_000)
        }
    }

private fun left(unixSeconds: Long): Long =
    (unixSeconds - System.currentTimeMillis() / 1000).coerceAtLeast(0)
