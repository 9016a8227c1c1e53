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
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import fr.tigr.app.ui.components.LabeledValue
import fr.tigr.app.ui.components.formatCountdown
import fr.tigr.app.ui.components.formatTime
import fr.tigr.app.ui.components.secondsUntil
import fr.tigr.sdk.InvitationOffer
import fr.tigr.app.ui.text.TextId
import fr.tigr.app.ui.text.text

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
        text(TextId.ENROLL_OFFER_HEADING),
        style = MaterialTheme.typography.titleLarge,
        modifier = Modifier.semantics { heading() },
    )
    Card(modifier = Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            LabeledValue(text(TextId.LABEL_SERVER), offer.serverHost)
            LabeledValue(text(TextId.LABEL_SERVICE), offer.serviceName)
            LabeledValue(text(TextId.LABEL_HOLDER), offer.displayName)
            LabeledValue(text(TextId.LABEL_TIGR_ID), offer.tigrId)
            LabeledValue(
                text(TextId.LABEL_VALID_UNTIL),
                text(TextId.ENROLL_EXPIRY, formatTime(offer.expiresAt), formatCountdown(left)),
            )
        }
    }
    Text(text(TextId.ENROLL_CHECK_SERVER), style = MaterialTheme.typography.bodyMedium)
    Text(
        text(TextId.ENROLL_ONE_PHONE),
        style = MaterialTheme.typography.bodyMedium,
        color = MaterialTheme.colorScheme.onSurfaceVariant,
    )
    if (replacesExisting) {
        Card(colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.tertiaryContainer)) {
            Text(text(TextId.ENROLL_REPLACES_EXISTING), modifier = Modifier.padding(12.dp))
        }
    }
    Button(onClick = onContinue, enabled = left > 0, modifier = Modifier.fillMaxWidth()) {
        Text(text(TextId.ENROLL_CHOOSE_PIN))
    }
    if (left <= 0) {
        Text(text(TextId.ENROLL_CODE_EXPIRED), color = MaterialTheme.colorScheme.error)
    }
    OutlinedButton(onClick = onCancel, modifier = Modifier.fillMaxWidth()) {
        Text(text(TextId.ACTION_CANCEL))
    }
}
