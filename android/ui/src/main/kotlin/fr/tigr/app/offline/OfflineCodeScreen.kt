package fr.tigr.app.offline

import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.produceState
import androidx.compose.runtime.remember
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.clearAndSetSemantics
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.unit.dp
import fr.tigr.app.ui.components.LargeCode
import fr.tigr.app.ui.components.LargeIdentifier
import fr.tigr.app.ui.components.LocalScreenClock
import fr.tigr.app.ui.components.SecureWindow
import fr.tigr.app.ui.components.formatCountdown
import fr.tigr.app.ui.components.formatTime
import fr.tigr.app.ui.text.TextId
import fr.tigr.app.ui.text.text

/**
 * The offline result: Tigr ID and one-time password in large type, the instruction, and a
 * countdown until the QR (and so the password) expires. At zero the password is hidden.
 */
@Composable
fun OfflineCodeScreen(step: OfflineStep.Code, secondsLeft: () -> Long, onDone: () -> Unit) {
    SecureWindow()
    val total = remember(step) { secondsLeft().coerceAtLeast(1) }
    val clock = LocalScreenClock.current
    val left by produceState(initialValue = secondsLeft(), step, clock) {
        while (true) {
            value = secondsLeft()
            if (value <= 0) break
            clock.tick()
        }
    }
    Text(
        text(TextId.OFFLINE_INSTRUCTION),
        style = MaterialTheme.typography.titleMedium,
        textAlign = TextAlign.Center,
        modifier = Modifier.semantics { heading() },
    )
    if (left > 0) {
        Card(modifier = Modifier.fillMaxWidth()) {
            LargeIdentifier(
                label = text(TextId.LABEL_TIGR_ID),
                value = step.code.tigrId,
                modifier = Modifier.fillMaxWidth().padding(16.dp),
            )
            LargeCode(
                label = text(TextId.LABEL_PASSWORD),
                code = step.code.otp,
                modifier = Modifier.fillMaxWidth().padding(16.dp),
            )
        }
        LinearProgressIndicator(
            progress = { left.toFloat() / total },
            modifier = Modifier.fillMaxWidth().clearAndSetSemantics { },
        )
        val countdown = text(TextId.OFFLINE_TIME_LEFT, formatCountdown(left))
        val spoken = text(TextId.OFFLINE_VALID_UNTIL, formatTime(step.code.expiresAt))
        Text(
            countdown,
            style = MaterialTheme.typography.bodyLarge,
            modifier = Modifier.clearAndSetSemantics { contentDescription = spoken },
        )
        Text(
            text(TextId.OFFLINE_WRONG_PIN_NOTE),
            style = MaterialTheme.typography.bodySmall,
            color = MaterialTheme.colorScheme.onSurfaceVariant,
            textAlign = TextAlign.Center,
        )
    } else {
        Text(
            text(TextId.OFFLINE_EXPIRED),
            style = MaterialTheme.typography.bodyLarge,
            color = MaterialTheme.colorScheme.error,
            textAlign = TextAlign.Center,
            modifier = Modifier.semantics { liveRegion = LiveRegionMode.Assertive },
        )
    }
    Button(onClick = onDone, modifier = Modifier.fillMaxWidth()) {
        Text(text(TextId.ACTION_DONE))
    }
}
