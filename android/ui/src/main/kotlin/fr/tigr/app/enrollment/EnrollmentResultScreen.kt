package fr.tigr.app.enrollment

import androidx.compose.runtime.Composable
import fr.tigr.app.ui.components.StatusAction
import fr.tigr.app.ui.components.StatusBody
import fr.tigr.app.ui.components.Tone
import fr.tigr.sdk.Account
import fr.tigr.app.ui.text.TextId
import fr.tigr.app.ui.text.text

/** The phone is enrolled: what it can do now. */
@Composable
fun EnrollmentDoneScreen(account: Account, onDone: () -> Unit) {
    StatusBody(
        tone = Tone.Success,
        title = text(TextId.ENROLL_DONE_TITLE),
        message = text(
            TextId.ENROLL_DONE_BODY,
            account.tigrId,
            account.serviceName,
            account.serverHost,
        ),
        advice = text(TextId.ENROLL_DONE_NEXT),
        actions = listOf(StatusAction(text(TextId.ACTION_DONE), onDone)),
    )
}

/** Enrollment failed: the SDK's sentence and what to do next. */
@Composable
fun EnrollmentFailedScreen(step: EnrollmentStep.Failed, onRetry: () -> Unit, onClose: () -> Unit) {
    val actions = buildList {
        if (step.canRetry) add(StatusAction(text(TextId.ACTION_RETRY), onRetry))
        add(StatusAction(text(TextId.ACTION_CLOSE), onClose))
    }
    StatusBody(
        tone = if (step.canRetry) Tone.Info else Tone.Warning,
        title = text(TextId.ENROLL_FAILED_TITLE),
        message = step.message ?: text(TextId.ENROLL_NOT_ENROLLMENT_CODE),
        advice = if (step.needsNewCode) text(TextId.ENROLL_ASK_NEW_CODE) else null,
        actions = actions,
    )
}
