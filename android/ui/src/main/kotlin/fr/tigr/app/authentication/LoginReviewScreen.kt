package fr.tigr.app.authentication

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.Card
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import fr.tigr.app.ui.components.LabeledValue
import fr.tigr.app.ui.components.PinEntry
import fr.tigr.app.ui.components.SecureWindow
import fr.tigr.app.ui.components.formatCountdown
import fr.tigr.app.ui.components.formatTime
import fr.tigr.app.ui.components.secondsUntil
import fr.tigr.sdk.LoginContext
import fr.tigr.app.ui.text.TextId
import fr.tigr.app.ui.text.text

/**
 * Who asks, before the PIN: service, server, time of the request, browser IP and summary,
 * account, time left. Then the PIN pad, "Approuver", and "Ce n'était pas moi" (no PIN needed).
 */
@Composable
fun LoginReviewScreen(
    context: LoginContext,
    account: AccountChoice?,
    pinLength: Int,
    pinError: String?,
    sending: Boolean,
    onDigit: (Char) -> Unit,
    onDelete: () -> Unit,
    onApprove: () -> Unit,
    onDeny: () -> Unit,
) {
    SecureWindow()
    val left by secondsUntil(context.expiresAt)
    Text(
        text(TextId.LOGIN_REQUEST_HEADING, context.serviceName),
        style = MaterialTheme.typography.titleLarge,
        fontWeight = FontWeight.Bold,
        modifier = Modifier.semantics { heading() },
    )
    Card(modifier = Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            LabeledValue(text(TextId.LABEL_SERVER), context.serverHost)
            LabeledValue(text(TextId.LABEL_REQUESTED_AT), formatTime(context.requestedAt))
            LabeledValue(text(TextId.LABEL_BROWSER_IP), context.browserIp)
            LabeledValue(text(TextId.LABEL_BROWSER), context.browserSummary)
            account?.let { LabeledValue(text(TextId.LABEL_TIGR_ID), it.tigrId) }
            HorizontalDivider()
            LabeledValue(
                text(TextId.LABEL_TIME_LEFT),
                if (left > 0) formatCountdown(left) else text(TextId.LOGIN_EXPIRED_SHORT),
            )
        }
    }
    Text(text(TextId.LOGIN_CHECK_IT_IS_YOU), style = MaterialTheme.typography.bodyMedium)
    Text(
        text(TextId.LOGIN_ENTER_PIN),
        style = MaterialTheme.typography.titleMedium,
    )
    PinEntry(
        length = pinLength,
        error = pinError,
        enabled = !sending,
        submitLabel = text(TextId.LOGIN_APPROVE),
        onDigit = onDigit,
        onDelete = onDelete,
        onSubmit = onApprove,
    )
    OutlinedButton(
        onClick = onDeny,
        enabled = !sending,
        colors = ButtonDefaults.outlinedButtonColors(contentColor = MaterialTheme.colorScheme.error),
        modifier = Modifier.fillMaxWidth(),
    ) {
        Text(text(TextId.LOGIN_NOT_ME))
    }
}
