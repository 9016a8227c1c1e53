package fr.tigr.app.authentication

import androidx.compose.runtime.Composable
import fr.tigr.app.ui.components.StatusAction
import fr.tigr.app.ui.components.StatusBody
import fr.tigr.app.ui.components.Tone
import fr.tigr.app.ui.text.TextId
import fr.tigr.app.ui.text.text

/**
 * Too many wrong PINs: the account is blocked on the server; what to do. The message (from the
 * SDK) says for how long, or that an administrator must unblock; the advice follows.
 */
@Composable
fun BlockedScreen(step: LoginStep.Blocked, onClose: () -> Unit) {
    val advice = if (step.minutesLeft != null) {
        step.serviceName?.let { text(TextId.BLOCKED_TEMPORARY_ADVICE_SERVICE, it) }
            ?: text(TextId.BLOCKED_TEMPORARY_ADVICE)
    } else {
        step.serviceName?.let { text(TextId.BLOCKED_ADVICE_SERVICE, it) }
            ?: text(TextId.BLOCKED_ADVICE)
    }
    StatusBody(
        tone = Tone.Blocked,
        title = text(TextId.BLOCKED_TITLE),
        message = step.message,
        advice = advice,
        actions = listOf(StatusAction(text(TextId.ACTION_CLOSE), onClose)),
    )
}
