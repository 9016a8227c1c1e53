package fr.tigr.app.authentication

import androidx.compose.runtime.Composable
import fr.tigr.app.ui.components.StatusAction
import fr.tigr.app.ui.components.StatusBody
import fr.tigr.app.ui.components.Tone
import fr.tigr.sdk.LoginContext
import fr.tigr.app.ui.text.TextId
import fr.tigr.app.ui.text.text

/** Approved: the web page logs in by itself. */
@Composable
fun LoginApprovedScreen(context: LoginContext, onDone: () -> Unit) {
    StatusBody(
        tone = Tone.Success,
        title = text(TextId.APPROVED_TITLE),
        message = text(TextId.APPROVED_BODY, context.serviceName),
        actions = listOf(StatusAction(text(TextId.ACTION_DONE), onDone)),
    )
}

/** "Ce n'était pas moi" was sent. */
@Composable
fun LoginDeniedScreen(context: LoginContext, onDone: () -> Unit) {
    StatusBody(
        tone = Tone.Info,
        title = text(TextId.DENIED_TITLE),
        message = text(TextId.DENIED_BODY, context.serviceName, context.serverHost),
        advice = text(TextId.DENIED_ADVICE),
        actions = listOf(StatusAction(text(TextId.ACTION_DONE), onDone)),
    )
}

/** The QR expired before the answer. */
@Composable
fun LoginExpiredScreen(step: LoginStep.Expired, onScanAgain: () -> Unit, onClose: () -> Unit) {
    StatusBody(
        tone = Tone.Info,
        title = text(TextId.EXPIRED_TITLE),
        message = step.message,
        advice = text(TextId.EXPIRED_ADVICE),
        actions = listOf(
            StatusAction(text(TextId.ACTION_SCAN_AGAIN), onScanAgain),
            StatusAction(text(TextId.ACTION_CLOSE), onClose),
        ),
    )
}

/** This phone no longer answers for the account (replaced or revoked by an administrator). */
@Composable
fun PhoneRevokedScreen(step: LoginStep.Revoked, onRemove: () -> Unit, onClose: () -> Unit) {
    val actions = buildList {
        if (step.account != null) add(StatusAction(text(TextId.REVOKED_REMOVE), onRemove))
        add(StatusAction(text(TextId.ACTION_CLOSE), onClose))
    }
    StatusBody(
        tone = Tone.Blocked,
        title = text(TextId.REVOKED_TITLE),
        message = step.message,
        advice = text(TextId.REVOKED_ADVICE),
        actions = actions,
    )
}

/** Any other failure, with retry and the offline code when the network is the problem. */
@Composable
fun LoginFailedScreen(
    step: LoginStep.Failed,
    onRetry: () -> Unit,
    onOffline: () -> Unit,
    onClose: () -> Unit,
) {
    val actions = buildList {
        if (step.canRetry) add(StatusAction(text(TextId.ACTION_RETRY), onRetry))
        if (step.offlinePossible) add(StatusAction(text(TextId.LOGIN_USE_OFFLINE), onOffline))
        add(StatusAction(text(TextId.ACTION_CLOSE), onClose))
    }
    StatusBody(
        tone = Tone.Warning,
        title = text(TextId.LOGIN_FAILED_TITLE),
        message = step.message ?: text(TextId.LOGIN_NOT_LOGIN_CODE),
        actions = actions,
    )
}
