package fr.tigr.app.offline

import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.style.TextAlign
import fr.tigr.app.ui.components.PinEntry
import fr.tigr.app.ui.components.SecureWindow
import fr.tigr.app.ui.text.TextId
import fr.tigr.app.ui.text.text

/** "Hors connexion": the server could not be reached; the PIN unlocks an offline password. */
@Composable
fun OfflinePinScreen(
    step: OfflineStep.EnterPin,
    pinLength: Int,
    onDigit: (Char) -> Unit,
    onDelete: () -> Unit,
    onSubmit: () -> Unit,
) {
    SecureWindow()
    Text(
        text(TextId.OFFLINE_HEADING),
        style = MaterialTheme.typography.titleLarge,
        textAlign = TextAlign.Center,
        modifier = Modifier.semantics { heading() },
    )
    step.reason?.let {
        Text(it, style = MaterialTheme.typography.bodyMedium, textAlign = TextAlign.Center)
    }
    Text(text(TextId.OFFLINE_EXPLAIN), style = MaterialTheme.typography.bodyMedium, textAlign = TextAlign.Center)
    step.tigrId?.let {
        Text(text(TextId.ACCOUNT_TIGR_ID, it), style = MaterialTheme.typography.bodyMedium)
    }
    PinEntry(
        length = pinLength,
        error = step.pinError,
        enabled = true,
        submitLabel = text(TextId.OFFLINE_SHOW_CODE),
        onDigit = onDigit,
        onDelete = onDelete,
        onSubmit = onSubmit,
    )
}
