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
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import fr.tigr.app.R
import fr.tigr.app.ui.components.LabeledValue
import fr.tigr.app.ui.components.PinEntry
import fr.tigr.app.ui.components.SecureWindow
import fr.tigr.app.ui.components.formatCountdown
import fr.tigr.app.ui.components.formatTime
import fr.tigr.app.ui.components.secondsUntil
import fr.tigr.sdk.LoginContext

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
        stringResource(R.string.login_request_heading, context.serviceName),
        style = MaterialTheme.typography.titleLarge,
        fontWeight = FontWeight.Bold,
        modifier = Modifier.semantics { heading() },
    )
    Card(modifier = Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            LabeledValue(stringResource(R.string.label_server), context.serverHost)
            LabeledValue(stringResource(R.string.label_requested_at), formatTime(context.requestedAt))
            LabeledValue(stringResource(R.string.label_browser_ip), context.browserIp)
            LabeledValue(stringResource(R.string.label_browser), context.browserSummary)
            account?.let { LabeledValue(stringResource(R.string.label_tigr_id), it.tigrId) }
            HorizontalDivider()
            LabeledValue(
                stringResource(R.string.label_time_left),
                if (left > 0) formatCountdown(left) else stringResource(R.string.login_expired_short),
            )
        }
    }
    Text(stringResource(R.string.login_check_it_is_you), style = MaterialTheme.typography.bodyMedium)
    Text(
        stringResource(R.string.login_enter_pin),
        style = MaterialTheme.typography.titleMedium,
    )
    PinEntry(
        length = pinLength,
        error = pinError,
        enabled = !sending,
        submitLabel = stringResource(R.string.login_approve),
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
        Text(stringResource(R.string.login_not_me))
    }
}
