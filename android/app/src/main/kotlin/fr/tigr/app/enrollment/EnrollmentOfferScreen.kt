package fr.tigr.app.enrollment

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import fr.tigr.app.R
import fr.tigr.app.ui.components.LabeledValue
import fr.tigr.app.ui.components.formatCountdown
import fr.tigr.app.ui.components.formatTime
import fr.tigr.app.ui.components.secondsUntil
import fr.tigr.sdk.InvitationOffer

/**
 * What the enrollment QR offers, before any PIN: server (first: it is the one to check),
 * service, account holder, Tigr ID, and until when the code is valid.
 */
@Composable
fun EnrollmentOfferScreen(
    offer: InvitationOffer,
    replacesExisting: Boolean,
    onContinue: () -> Unit,
    onCancel: () -> Unit,
) {
    val left by secondsUntil(offer.expiresAt)
    Text(
        stringResource(R.string.enroll_offer_heading),
        style = MaterialTheme.typography.titleLarge,
        modifier = Modifier.semantics { heading() },
    )
    Card(modifier = Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            LabeledValue(stringResource(R.string.label_server), offer.serverHost)
            LabeledValue(stringResource(R.string.label_service), offer.serviceName)
            LabeledValue(stringResource(R.string.label_holder), offer.displayName)
            LabeledValue(stringResource(R.string.label_tigr_id), offer.tigrId)
            LabeledValue(
                stringResource(R.string.label_valid_until),
                stringResource(R.string.enroll_expiry, formatTime(offer.expiresAt), formatCountdown(left)),
            )
        }
    }
    Text(stringResource(R.string.enroll_check_server), style = MaterialTheme.typography.bodyMedium)
    Text(
        stringResource(R.string.enroll_one_phone),
        style = MaterialTheme.typography.bodyMedium,
        color = MaterialTheme.colorScheme.onSurfaceVariant,
    )
    if (replacesExisting) {
        Card(colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.tertiaryContainer)) {
            Text(stringResource(R.string.enroll_replaces_existing), modifier = Modifier.padding(12.dp))
        }
    }
    Button(onClick = onContinue, enabled = left > 0, modifier = Modifier.fillMaxWidth()) {
        Text(stringResource(R.string.enroll_choose_pin))
    }
    if (left <= 0) {
        Text(stringResource(R.string.enroll_code_expired), color = MaterialTheme.colorScheme.error)
    }
    OutlinedButton(onClick = onCancel, modifier = Modifier.fillMaxWidth()) {
        Text(stringResource(R.string.action_cancel))
    }
}
