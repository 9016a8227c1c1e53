package fr.tigr.app.otp

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.lazy.LazyListScope
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.MoreVert
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Card
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.DropdownMenu
import androidx.compose.material3.DropdownMenuItem
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.pluralStringResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.clearAndSetSemantics
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.onClick
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import fr.tigr.app.R
import fr.tigr.app.ui.components.otpGroups
import fr.tigr.app.ui.components.spokenDigits

/**
 * The OTP section of the account list: a heading, then one card per account. A TOTP card shows
 * its code with a countdown ring; an HOTP card a "Générer un code" button. Tapping a code copies
 * it. TalkBack reads the label, then the digits one by one, then the seconds left.
 */
fun LazyListScope.otpSection(
    state: OtpListState,
    onCopy: (OtpRow) -> Unit,
    onNextHotp: (OtpRow) -> Unit,
    onRename: (OtpRow) -> Unit,
    onRemove: (OtpRow) -> Unit,
    onRetry: () -> Unit,
) {
    val rows = when (state) {
        OtpListState.Loading -> return
        is OtpListState.Failed -> {
            item(key = "otp-failed") {
                Column(Modifier.padding(vertical = 8.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                    OtpHeading()
                    Text(state.message, color = MaterialTheme.colorScheme.error)
                    TextButton(onClick = onRetry) { Text(stringResource(R.string.action_retry)) }
                }
            }
            return
        }
        is OtpListState.Loaded -> state.rows
    }
    if (rows.isEmpty()) return
    item(key = "otp-heading") { OtpHeading() }
    items(rows, key = { "otp-" + it.account.id }) { row ->
        OtpCard(row, onCopy, onNextHotp, onRename, onRemove)
    }
}

@Composable
private fun OtpHeading() {
    Text(
        stringResource(R.string.otp_section_title),
        style = MaterialTheme.typography.titleMedium,
        modifier = Modifier.padding(top = 16.dp).semantics { heading() },
    )
}

@Composable
private fun OtpCard(
    row: OtpRow,
    onCopy: (OtpRow) -> Unit,
    onNextHotp: (OtpRow) -> Unit,
    onRename: (OtpRow) -> Unit,
    onRemove: (OtpRow) -> Unit,
) {
    val copyLabel = stringResource(R.string.otp_copy_action)
    val code = row.code
    val spoken = code?.let { shown ->
        val digits = spokenDigits(shown.digits)
        when (shown) {
            is ShownCode.Timed -> pluralStringResource(
                R.plurals.otp_code_spoken_timed, shown.secondsLeft, row.account.label, digits, shown.secondsLeft,
            )
            is ShownCode.Counted -> stringResource(R.string.otp_code_spoken, row.account.label, digits)
        }
    } ?: row.account.label
    Card(modifier = Modifier.fillMaxWidth()) {
        Row(Modifier.padding(start = 16.dp, top = 12.dp, bottom = 12.dp), verticalAlignment = Alignment.CenterVertically) {
            Column(
                modifier = Modifier
                    .weight(1f)
                    .clickable(enabled = code != null, onClickLabel = copyLabel) { onCopy(row) }
                    .clearAndSetSemantics {
                        contentDescription = spoken
                        if (code != null) onClick(label = copyLabel) { onCopy(row); true }
                    },
                verticalArrangement = Arrangement.spacedBy(4.dp),
            ) {
                Text(row.account.label, style = MaterialTheme.typography.bodyMedium)
                if (code != null) {
                    Text(
                        otpGroups(code.digits),
                        fontFamily = FontFamily.Monospace,
                        fontWeight = FontWeight.Bold,
                        fontSize = 32.sp,
                        letterSpacing = 2.sp,
                    )
                }
                row.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
            }
            when {
                code is ShownCode.Timed -> CountdownRing(code)
                row.isHotp -> OutlinedButton(onClick = { onNextHotp(row) }) {
                    Text(stringResource(if (code == null) R.string.otp_hotp_generate else R.string.otp_hotp_next))
                }
            }
            OtpMenu(row, onRename, onRemove)
        }
    }
}

/** The seconds left as a ring that empties, with the number inside (no information only in colour). */
@Composable
private fun CountdownRing(code: ShownCode.Timed) {
    Box(Modifier.size(44.dp).clearAndSetSemantics {}, contentAlignment = Alignment.Center) {
        CircularProgressIndicator(
            progress = { code.secondsLeft / code.periodSeconds.coerceAtLeast(1).toFloat() },
            modifier = Modifier.size(44.dp),
            color = if (code.secondsLeft <= 5) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.primary,
        )
        Text("${code.secondsLeft}", style = MaterialTheme.typography.labelMedium)
    }
}

@Composable
private fun OtpMenu(row: OtpRow, onRename: (OtpRow) -> Unit, onRemove: (OtpRow) -> Unit) {
    var open by remember { mutableStateOf(false) }
    Box {
        IconButton(onClick = { open = true }) {
            Icon(Icons.Filled.MoreVert, contentDescription = stringResource(R.string.otp_menu_label, row.account.label))
        }
        DropdownMenu(expanded = open, onDismissRequest = { open = false }) {
            DropdownMenuItem(text = { Text(stringResource(R.string.otp_rename)) }, onClick = { open = false; onRename(row) })
            DropdownMenuItem(text = { Text(stringResource(R.string.otp_remove)) }, onClick = { open = false; onRemove(row) })
        }
    }
}

/** Rename ("Émetteur", "Compte") or remove ("Retirer ce compte OTP ?"), over the list. */
@Composable
fun OtpEditDialog(
    edit: OtpEdit,
    onRename: (issuer: String, accountName: String) -> Unit,
    onRemove: () -> Unit,
    onDismiss: () -> Unit,
) {
    when (edit) {
        OtpEdit.None -> Unit
        is OtpEdit.Rename -> {
            var issuer by remember(edit.account.id) { mutableStateOf(edit.account.issuer.orEmpty()) }
            var name by remember(edit.account.id) { mutableStateOf(edit.account.accountName) }
            AlertDialog(
                onDismissRequest = { if (!edit.busy) onDismiss() },
                title = { Text(stringResource(R.string.otp_rename_title)) },
                text = {
                    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                        OutlinedTextField(issuer, { issuer = it }, label = { Text(stringResource(R.string.otp_issuer)) }, singleLine = true)
                        OutlinedTextField(name, { name = it }, label = { Text(stringResource(R.string.otp_account_name)) }, singleLine = true)
                        edit.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
                    }
                },
                confirmButton = {
                    TextButton(onClick = { onRename(issuer, name) }, enabled = !edit.busy) {
                        Text(stringResource(R.string.otp_rename_confirm))
                    }
                },
                dismissButton = {
                    TextButton(onClick = onDismiss, enabled = !edit.busy) { Text(stringResource(R.string.action_cancel)) }
                },
            )
        }
        is OtpEdit.Remove -> AlertDialog(
            onDismissRequest = { if (!edit.busy) onDismiss() },
            title = { Text(stringResource(R.string.otp_remove_title)) },
            text = {
                Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                    Text(stringResource(R.string.otp_remove_body, edit.account.label))
                    Text(stringResource(R.string.otp_remove_consequence), style = MaterialTheme.typography.bodySmall)
                    if (edit.busy) CircularProgressIndicator()
                    edit.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
                }
            },
            confirmButton = {
                TextButton(onClick = onRemove, enabled = !edit.busy) {
                    Text(stringResource(R.string.otp_remove), color = MaterialTheme.colorScheme.error)
                }
            },
            dismissButton = {
                TextButton(onClick = onDismiss, enabled = !edit.busy) { Text(stringResource(R.string.action_cancel)) }
            },
        )
    }
}
