package fr.tigr.app.ui.components

/** The PIN lengths the pad accepts; the SDK makes the real decision (see docs/mobile.md). */
const val PIN_MIN_DIGITS = 4
const val PIN_MAX_DIGITS = 12

/** "12345678" -> "1 2 3 4 5 6 7 8": what TalkBack reads for a code, one digit at a time. */
fun spokenDigits(code: String): String = code.filter { !it.isWhitespace() }.toList().joinToString(" ")

/** "12345678" -> "1234 5678": groups of four, easier to copy by eye. */
fun groupedDigits(code: String): String = code.chunked(4).joinToString(" ")

/** "123456" -> "123 456", "1234567" -> "1234 567": the groups authenticator apps show. */
fun otpGroups(code: String): String = code.chunked(if (code.length == 6) 3 else 4).joinToString(" ")

/** 83 -> "1:23". */
fun formatCountdown(seconds: Long): String {
    val s = seconds.coerceAtLeast(0)
    return "%d:%02d".format(s / 60, s % 60)
}
