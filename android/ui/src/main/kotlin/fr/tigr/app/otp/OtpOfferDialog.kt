package fr.tigr.app.otp

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import fr.tigr.sdk.OtpImportPreview
import fr.tigr.sdk.OtpKind
import fr.tigr.app.ui.text.TextId
import fr.tigr.app.ui.text.PluralId
import fr.tigr.app.ui.text.pluralText
import fr.tigr.app.ui.text.text

/**
 * "Ajouter ce compte ?" over the scanner, for an `otpauth://` code or a Google Authenticator
 * export: each account (label, kind, digits), a warning when the name claims another issuer
 * than the code's issuer, and for a multi-code export which code this is.
 */
@Composable
fun OtpOfferDialog(
    offer: OtpImportPreview,
    adding: Boolean,
    error: String?,
    onAdd: () -> Unit,
    onCancel: () -> Unit,
) {
    AlertDialog(
        onDismissRequest = { if (!adding) onCancel() },
        title = { Text(pluralText(PluralId.OTP_OFFER_TITLE, offer.accounts.size, offer.accounts.size)) },
        text = {
            Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                offer.accounts.forEach { account ->
                    val kind = when (val k = account.kind) {
                        is OtpKind.Totp -> text(TextId.OTP_KIND_TOTP, account.digits.toInt(), k.periodSeconds.toInt())
                        is OtpKind.Hotp -> text(TextId.OTP_KIND_HOTP, account.digits.toInt())
                    }
                    Column(Modifier.semantics(mergeDescendants = true) {}) {
                        Text(account.label, style = MaterialTheme.typography.titleSmall)
                        Text(kind, style = MaterialTheme.typography.bodySmall)
                        account.labelIssuer?.let { claimed ->
                            Text(
                                text(TextId.OTP_ISSUER_MISMATCH, claimed, account.issuer.orEmpty()),
                                color = MaterialTheme.colorScheme.error,
                                style = MaterialTheme.typography.bodySmall,
                            )
                        }
                    }
                }
                val number = offer.batchNumber
                val count = offer.batchCount
                if (number != null && count != null) {
                    Text(text(TextId.OTP_EXPORT_BATCH, number.toInt(), count.toInt()))
                }
                Text(text(TextId.OTP_OFFER_PROTECTION), style = MaterialTheme.typography.bodySmall)
                if (adding) CircularProgressIndicator()
                error?.let {
                    Text(it, color = MaterialTheme.colorScheme.error, modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite })
                }
            }
        },
        confirmButton = {
            TextButton(onClick = onAdd, enabled = !adding) { Text(text(TextId.OTP_OFFER_ADD)) }
        },
        dismissButton = {
            TextButton(onClick = onCancel, enabled = !adding) { Text(text(TextId.ACTION_CANCEL)) }
        },
    )
}
