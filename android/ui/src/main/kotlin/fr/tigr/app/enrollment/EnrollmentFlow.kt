package fr.tigr.app.enrollment

import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.collectAsState
import fr.tigr.app.ui.components.FlowScaffold
import fr.tigr.app.ui.components.ProgressBody
import fr.tigr.app.ui.text.TextId
import fr.tigr.app.ui.text.text

/**
 * The enrollment route: one screen per [EnrollmentStep]. (The system back key, which on the
 * confirmation goes back to the first entry, is the Android shell's: `EnrollmentRoute`.)
 */
@Composable
fun EnrollmentFlow(
    viewModel: EnrollmentViewModel,
    onFinished: () -> Unit,
) {
    val step by viewModel.step.collectAsState()
    val pinLength by viewModel.pin.length.collectAsState()

    FlowScaffold(title = text(TextId.ENROLL_TITLE), onClose = onFinished) {
        when (val s = step) {
            EnrollmentStep.Loading -> ProgressBody(text(TextId.ENROLL_LOADING))
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
            is EnrollmentStep.Enrolling -> ProgressBody(text(TextId.ENROLL_IN_PROGRESS))
            is EnrollmentStep.Done -> EnrollmentDoneScreen(s.account, onFinished)
            is EnrollmentStep.Failed -> EnrollmentFailedScreen(
                step = s,
                onRetry = viewModel::retry,
                onClose = onFinished,
            )
        }
    }
}
