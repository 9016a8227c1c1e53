package fr.tigr.app.authentication

import androidx.compose.runtime.Composable
import androidx.compose.ui.res.stringResource
import fr.tigr.app.R
import fr.tigr.app.ui.components.StatusAction
import fr.tigr.app.ui.components.StatusBody
import fr.tigr.app.ui.components.Tone

/**
 * Too many wrong PINs: the account is blocked on the server; what to do. The message (from the
 * SDK) says for how long, or that an administrator must unblock; the advice follows.
 */
@Composable
fun BlockedScreen(step: LoginStep.Blocked, onClose: () -> Unit) {
    val advice = if (step.minutesLeft != null) {
        step.serviceName?.let { stringResource(R.string.blocked_temporary_advice_service, it) }
            ?: stringResource(R.string.blocked_temporary_advice)
    } else {
        step.serviceName?.let { stringResource(R.string.blocked_advice_service, it) }
            ?: stringResource(R.string.blocked_advice)
    }
    StatusBody(
        tone = Tone.Blocked,
        title = stringResource(R.string.blocked_title),
        message = step.message,
        advice = advice,
        actions = listOf(StatusAction(stringResource(R.string.action_close), onClose)),
    )
}
