package fr.tigr.app.authentication

import androidx.compose.runtime.Composable
import androidx.compose.ui.res.stringResource
import fr.tigr.app.R
import fr.tigr.app.ui.components.StatusAction
import fr.tigr.app.ui.components.StatusBody
import fr.tigr.app.ui.components.Tone

/** Too many wrong PINs: the account is blocked on the server; what to do. */
@Composable
fun BlockedScreen(step: LoginStep.Blocked, onClose: () -> Unit) {
    StatusBody(
        tone = Tone.Blocked,
        title = stringResource(R.string.blocked_title),
        message = step.message,
        advice = step.serviceName?.let { stringResource(R.string.blocked_advice_service, it) }
            ?: stringResource(R.string.blocked_advice),
        actions = listOf(StatusAction(stringResource(R.string.action_close), onClose)),
    )
}
