package fr.tigr.app.authentication

import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.collectAsState
import fr.tigr.app.ui.components.FlowScaffold
import fr.tigr.app.ui.components.ProgressBody
import fr.tigr.app.ui.text.TextId
import fr.tigr.app.ui.text.text

/** The login route: one screen per [LoginStep]; hands over to the offline route when needed. */
@Composable
fun LoginFlow(
    viewModel: LoginViewModel,
    onFinished: () -> Unit,
    onScanAgain: () -> Unit,
    onOffline: (GoOffline) -> Unit,
) {
    val step by viewModel.step.collectAsState()
    val pinLength by viewModel.pin.length.collectAsState()

    LaunchedEffect(viewModel) {
        viewModel.offline.collect { onOffline(it) }
    }
    LaunchedEffect(viewModel) {
        viewModel.finished.collect { onFinished() }
    }

    FlowScaffold(title = text(TextId.LOGIN_TITLE), onClose = onFinished) {
        when (val s = step) {
            LoginStep.Loading -> ProgressBody(text(TextId.LOGIN_LOADING))
            is LoginStep.ChooseAccount -> AccountChoiceScreen(s.choices, onChoose = viewModel::choose)
            is LoginStep.Review -> LoginReviewScreen(
                context = s.context,
                account = s.account,
                pinLength = pinLength,
                pinError = s.pinError,
                sending = false,
                onDigit = viewModel::onDigit,
                onDelete = viewModel::onDelete,
                onApprove = viewModel::approve,
                onDeny = viewModel::deny,
            )
            is LoginStep.Sending -> ProgressBody(
                text(if (s.denying) TextId.LOGIN_DENYING else TextId.LOGIN_APPROVING),
            )
            is LoginStep.Approved -> LoginApprovedScreen(s.context, onFinished)
            is LoginStep.Denied -> LoginDeniedScreen(s.context, onFinished)
            is LoginStep.WrongPin -> WrongPinScreen(s, onRetry = viewModel::retry, onCancel = onFinished)
            is LoginStep.Blocked -> BlockedScreen(s, onClose = onFinished)
            is LoginStep.Expired -> LoginExpiredScreen(s, onScanAgain = onScanAgain, onClose = onFinished)
            is LoginStep.Revoked -> PhoneRevokedScreen(
                step = s,
                onRemove = viewModel::removeRevokedAccount,
                onClose = onFinished,
            )
            is LoginStep.Failed -> LoginFailedScreen(
                step = s,
                onRetry = viewModel::retry,
                onOffline = viewModel::goOffline,
                onClose = onFinished,
            )
        }
    }
}
