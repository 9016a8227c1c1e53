package fr.tigr.app.enrollment

import androidx.compose.runtime.Composable
import androidx.compose.ui.res.stringResource
import fr.tigr.app.R
import fr.tigr.app.ui.components.StatusAction
import fr.tigr.app.ui.components.StatusBody
import fr.tigr.app.ui.components.Tone
import fr.tigr.sdk.Account

/** The phone is enrolled: what it can do now. */
@Composable
fun EnrollmentDoneScreen(account: Account, onDone: () -> Unit) {
    StatusBody(
        tone = Tone.Success,
        title = stringResource(R.string.enroll_done_title),
        message = stringResource(
            R.string.enroll_done_body,
            account.tigrId,
            account.serviceName,
            account.serverHost,
        ),
        advice = stringResource(R.string.enroll_done_next),
        actions = listOf(StatusAction(stringResource(R.string.action_done), onDone)),
    )
}

/** Enrollment failed: the SDK's sentence and what to do next. */
@Composable
fun EnrollmentFailedScreen(step: EnrollmentStep.Failed, onRetry: () -> Unit, onClose: () -> Unit) {
    val actions = buildList {
        if (step.canRetry) add(StatusAction(stringResource(R.string.action_retry), onRetry))
        add(StatusAction(stringResource(R.string.action_close), onClose))
    }
    StatusBody(
        tone = if (step.canRetry) Tone.Info else Tone.Warning,
        title = stringResource(R.string.enroll_failed_title),
        message = step.message ?: stringResource(R.string.enroll_not_enrollment_code),
        advice = if (step.needsNewCode) stringResource(R.string.enroll_ask_new_code) else null,
        actions = actions,
    )
}
