package fr.tigr.app.authentication

import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.res.stringResource
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import fr.tigr.app.R
import fr.tigr.app.ViewModelFactories
import fr.tigr.app.ui.components.FlowScaffold
import fr.tigr.app.ui.components.ProgressBody

/** The login route: one screen per [LoginStep]; hands over to the offline route when needed. */
@Composable
fun LoginFlow(
    onFinished: () -> Unit,
    onScanAgain: () -> Unit,
    onOffline: (GoOffline) -> Unit,
    viewModel: LoginViewModel = viewModel(factory = ViewModelFactories.login),
) {
    val step by viewModel.step.collectAsStateWithLifecycle()
    val pinLength by viewModel.pin.length.collectAsStateWithLifecycle()

    LaunchedEffect(viewModel) {
        viewModel.offline.collect { onOffline(it) }
    }
    LaunchedEffect(viewModel) {
        viewModel.finished.collect { onFinished() }
    }

    FlowScaffold(title = stringResource(R.string.login_title), onClose = onFinished) {
        when (val s = step) {
            LoginStep.Loading -> ProgressBody(stringResource(R.string.login_loading))
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
                stringResource(if (s.denying) R.string.login_denying else R.string.login_approving),
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
