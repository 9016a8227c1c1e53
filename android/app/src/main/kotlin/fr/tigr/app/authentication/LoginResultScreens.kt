package fr.tigr.app.authentication

import androidx.compose.runtime.Composable
import androidx.compose.ui.res.stringResource
import fr.tigr.app.R
import fr.tigr.app.ui.components.StatusAction
import fr.tigr.app.ui.components.StatusBody
import fr.tigr.app.ui.components.Tone
import fr.tigr.sdk.LoginContext

/** Approved: the web page logs in by itself. */
@Composable
fun LoginApprovedScreen(context: LoginContext, onDone: () -> Unit) {
    StatusBody(
        tone = Tone.Success,
        title = stringResource(R.string.approved_title),
        message = stringResource(R.string.approved_body, context.serviceName),
        actions = listOf(StatusAction(stringResource(R.string.action_done), onDone)),
    )
}

/** "Ce n'était pas moi" was sent. */
@Composable
fun LoginDeniedScreen(context: LoginContext, onDone: () -> Unit) {
    StatusBody(
        tone = Tone.Info,
        title = stringResource(R.string.denied_title),
        message = stringResource(R.string.denied_body, context.serviceName, context.serverHost),
        advice = stringResource(R.string.denied_advice),
        actions = listOf(StatusAction(stringResource(R.string.action_done), onDone)),
    )
}

/** The QR expired before the answer. */
@Composable
fun LoginExpiredScreen(step: LoginStep.Expired, onScanAgain: () -> Unit, onClose: () -> Unit) {
    StatusBody(
        tone = Tone.Info,
        title = stringResource(R.string.expired_title),
        message = step.message,
        advice = stringResource(R.string.expired_advice),
        actions = listOf(
            StatusAction(stringResource(R.string.action_scan_again), onScanAgain),
            StatusAction(stringResource(R.string.action_close), onClose),
        ),
    )
}

/** This phone no longer answers for the account (replaced or revoked by an administrator). */
@Composable
fun PhoneRevokedScreen(step: LoginStep.Revoked, onRemove: () -> Unit, onClose: () -> Unit) {
    val actions = buildList {
        if (step.account != null) add(StatusAction(stringResource(R.string.revoked_remove), onRemove))
        add(StatusAction(stringResource(R.string.action_close), onClose))
    }
    StatusBody(
        tone = Tone.Blocked,
        title = stringResource(R.string.revoked_title),
        message = step.message,
        advice = stringResource(R.string.revoked_advice),
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
        if (step.canRetry) add(StatusAction(stringResource(R.string.action_retry), onRetry))
        if (step.offlinePossible) add(StatusAction(stringResource(R.string.login_use_offline), onOffline))
        add(StatusAction(stringResource(R.string.action_close), onClose))
    }
    StatusBody(
        tone = Tone.Warning,
        title = stringResource(R.string.login_failed_title),
        message = step.message ?: stringResource(R.string.login_not_login_code),
        actions = actions,
    )
}
