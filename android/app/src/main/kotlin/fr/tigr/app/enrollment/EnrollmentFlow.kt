package fr.tigr.app.enrollment

import androidx.activity.compose.BackHandler
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.res.stringResource
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import fr.tigr.app.R
import fr.tigr.app.ViewModelFactories
import fr.tigr.app.ui.components.FlowScaffold
import fr.tigr.app.ui.components.ProgressBody

/** The enrollment route: one screen per [EnrollmentStep]. */
@Composable
fun EnrollmentFlow(
    onFinished: () -> Unit,
    viewModel: EnrollmentViewModel = viewModel(factory = ViewModelFactories.enrollment),
) {
    val step by viewModel.step.collectAsStateWithLifecycle()
    val pinLength by viewModel.pin.length.collectAsStateWithLifecycle()

    // Back from the confirmation goes to the first entry; elsewhere it leaves the flow.
    BackHandler(enabled = step is EnrollmentStep.ConfirmPin) { viewModel.restartPin() }

    FlowScaffold(title = stringResource(R.string.enroll_title), onClose = onFinished) {
        when (val s = step) {
            EnrollmentStep.Loading -> ProgressBody(stringResource(R.string.enroll_loading))
            is EnrollmentStep.Offer -> EnrollmentOfferScreen(
                offer = s.offer,
                replacesExisting = s.replacesExisting,
                onContinue = viewModel::startPin,
                onCancel = onFinished,
            )
            is EnrollmentStep.ChoosePin -> EnrollmentPinScreen(
                confirming = false,
                pinLength = pinLength,
                error = s.error,
                onDigit = viewModel::onDigit,
                onDelete = viewModel::onDelete,
                onSubmit = viewModel::submitPin,
            )
            is EnrollmentStep.ConfirmPin -> EnrollmentPinScreen(
                confirming = true,
                pinLength = pinLength,
                error = null,
                onDigit = viewModel::onDigit,
                onDelete = viewModel::onDelete,
                onSubmit = viewModel::submitPin,
            )
            is EnrollmentStep.Enrolling -> ProgressBody(stringResource(R.string.enroll_in_progress))
            is EnrollmentStep.Done -> EnrollmentDoneScreen(s.account, onFinished)
            is EnrollmentStep.Failed -> EnrollmentFailedScreen(
                step = s,
                onRetry = viewModel::retry,
                onClose = onFinished,
            )
        }
    }
}
