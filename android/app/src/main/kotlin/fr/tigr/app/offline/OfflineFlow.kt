package fr.tigr.app.offline

import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import fr.tigr.app.R
import fr.tigr.app.ViewModelFactories
import fr.tigr.app.ui.components.FlowScaffold
import fr.tigr.app.ui.components.ProgressBody
import fr.tigr.app.ui.components.StatusAction
import fr.tigr.app.ui.components.StatusBody
import fr.tigr.app.ui.components.Tone

/** The offline route: one screen per [OfflineStep]. */
@Composable
fun OfflineFlow(
    onFinished: () -> Unit,
    viewModel: OfflineViewModel = viewModel(factory = ViewModelFactories.offline),
) {
    val step by viewModel.step.collectAsStateWithLifecycle()
    val pinLength by viewModel.pin.length.collectAsStateWithLifecycle()

    FlowScaffold(title = stringResource(R.string.offline_title), onClose = onFinished) {
        when (val s = step) {
            is OfflineStep.EnterPin -> OfflinePinScreen(
                step = s,
                pinLength = pinLength,
                onDigit = viewModel::onDigit,
                onDelete = viewModel::onDelete,
                onSubmit = viewModel::submit,
            )
            is OfflineStep.ChooseAccount -> {
                Text(
                    stringResource(R.string.login_choose_account),
                    style = MaterialTheme.typography.titleLarge,
                    modifier = Modifier.semantics { heading() },
                )
                s.tigrIds.forEach { id ->
                    OutlinedButton(onClick = { viewModel.choose(id) }, modifier = Modifier.fillMaxWidth()) {
                        Text(id)
                    }
                }
            }
            OfflineStep.Computing -> ProgressBody(stringResource(R.string.offline_computing))
            is OfflineStep.Code -> OfflineCodeScreen(
                step = s,
                secondsLeft = { viewModel.secondsLeft(s) },
                onDone = onFinished,
            )
            is OfflineStep.Failed -> StatusBody(
                tone = Tone.Warning,
                title = stringResource(R.string.offline_failed_title),
                message = s.message,
                actions = listOf(StatusAction(stringResource(R.string.action_close), onFinished)),
            )
        }
    }
}
