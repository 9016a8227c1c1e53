package fr.tigr.app.accounts

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.unit.dp
import fr.tigr.app.ui.text.TextId
import fr.tigr.app.ui.text.text

/**
 * "Retirer ce compte ?" The account is forgotten by this phone only: the server keeps the
 * device until an administrator revokes it, and logging in again needs a new enrollment QR.
 */
@Composable
fun RemoveAccountDialog(state: RemovalState, onConfirm: () -> Unit, onDismiss: () -> Unit) {
    val account = when (state) {
        RemovalState.None -> return
        is RemovalState.Confirm -> state.account
        is RemovalState.Removing -> state.account
        is RemovalState.Failed -> state.account
    }
    val busy = state is RemovalState.Removing
    AlertDialog(
        onDismissRequest = { if (!busy) onDismiss() },
        title = { Text(text(TextId.REMOVE_TITLE)) },
        text = {
            Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                Text(text(TextId.REMOVE_BODY, account.tigrId, account.serviceName, account.serverHost))
                Text(
                    text(TextId.REMOVE_CONSEQUENCE),
                    style = MaterialTheme.typography.bodySmall,
                )
                if (busy) CircularProgressIndicator()
                if (state is RemovalState.Failed) {
                    Text(state.message, color = MaterialTheme.colorScheme.error)
                }
            }
        },
        confirmButton = {
            TextButton(onClick = onConfirm, enabled = !busy) {
                Text(
                    text(TextId.REMOVE_CONFIRM),
                    color = MaterialTheme.colorScheme.error,
                )
            }
        },
        dismissButton = {
            TextButton(onClick = onDismiss, enabled = !busy) { Text(text(TextId.ACTION_CANCEL)) }
        },
    )
}
