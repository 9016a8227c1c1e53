package fr.tigr.app.accounts

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Delete
import androidx.compose.material3.Card
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import fr.tigr.app.ui.components.formatDateTime
import fr.tigr.sdk.Account
import fr.tigr.app.ui.text.TextId
import fr.tigr.app.ui.text.text

/** One enrolled account: holder, Tigr ID, service, server, enrollment date, remove button. */
@Composable
fun AccountCard(account: Account, onRemove: () -> Unit) {
    Card(modifier = Modifier.fillMaxWidth()) {
        Row(
            modifier = Modifier.padding(16.dp),
            verticalAlignment = Alignment.Top,
        ) {
            Column(
                modifier = Modifier.weight(1f).semantics(mergeDescendants = true) {},
                verticalArrangement = Arrangement.spacedBy(4.dp),
            ) {
                Text(account.displayName, style = MaterialTheme.typography.titleMedium)
                Text(
                    text(TextId.ACCOUNT_TIGR_ID, account.tigrId),
                    style = MaterialTheme.typography.bodyMedium,
                )
                Text(
                    text(TextId.ACCOUNT_SERVICE_ON_SERVER, account.serviceName, account.serverHost),
                    style = MaterialTheme.typography.bodyMedium,
                    color = MaterialTheme.colorScheme.onSurfaceVariant,
                )
                Text(
                    text(TextId.ACCOUNT_ENROLLED_AT, formatDateTime(account.enrolledAt)),
                    style = MaterialTheme.typography.bodySmall,
                    color = MaterialTheme.colorScheme.onSurfaceVariant,
                )
            }
            IconButton(onClick = onRemove) {
                Icon(
                    Icons.Filled.Delete,
                    contentDescription = text(TextId.ACCOUNT_REMOVE_LABEL, account.tigrId, account.serverHost),
                )
            }
        }
    }
}
