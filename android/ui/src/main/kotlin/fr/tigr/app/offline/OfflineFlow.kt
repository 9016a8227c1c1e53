package fr.tigr.app.offline

import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.runtime.collectAsState
import fr.tigr.app.ui.components.FlowScaffold
import fr.tigr.app.ui.components.ProgressBody
import fr.tigr.app.ui.components.StatusAction
import fr.tigr.app.ui.components.StatusBody
import fr.tigr.app.ui.components.Tone
import fr.tigr.app.ui.text.TextId
import fr.tigr.app.ui.text.text

/** The offline route: one screen per [OfflineStep]. */
@Composable
fun OfflineFlow(
    viewModel: OfflineViewModel,
    onFinished: () -> Unit,
) {
    val step by viewModel.step.collectAsState()
    val pinLength by viewModel.pin.length.collectAsState()

    FlowScaffold(title = text(TextId.OFFLINE_TITLE), onClose = onFinished) {
        when (val s = step) {
            is OfflineStep.EnterPin -> OfflinePinScreen(
                step = s,
                pinLength = pinLength,
                onDigit = viewModel::onDigit,
                onDelete = viewModel::onDelete,
                onSubmit = viewModel::submit,
            )
            is OfflineStep.ChooseAccount -> OfflineChooseAccount(s.tigrIds, onChoose = viewModel::choose)
            OfflineStep.Computing -> ProgressBody(text(TextId.OFFLINE_COMPUTING))
            is OfflineStep.Code -> OfflineCodeScreen(
                step = s,
                secondsLeft = { viewModel.secondsLeft(s) },
                onDone = onFinished,
            )
            is OfflineStep.Failed -> OfflineFailedScreen(s, onClose = onFinished)
        }
    }
}

/** Several accounts on this server: which one the password is for. */
@Composable
fun OfflineChooseAccount(tigrIds: List<String>, onChoose: (String) -> Unit) {
    Text(
        text(TextId.LOGIN_CHOOSE_ACCOUNT),
        style = MaterialTheme.typography.titleLarge,
        modifier = Modifier.semantics { heading() },
    )
    tigrIds.forEach { id ->
        OutlinedButton(onClick = { onChoose(id) }, modifier = Modifier.fillMaxWidth()) {
            Text(id)
        }
    }
}

/** No password: the SDK's sentence says why. */
@Composable
fun OfflineFailedScreen(step: OfflineStep.Failed, onClose: () -> Unit) {
    StatusBody(
        tone = Tone.Warning,
        title = text(TextId.OFFLINE_FAILED_TITLE),
        message = step.message,
        actions = listOf(StatusAction(text(TextId.ACTION_CLOSE), onClose)),
    )
}
