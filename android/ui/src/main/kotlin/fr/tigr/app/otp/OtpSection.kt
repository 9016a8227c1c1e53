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
import androidx.compose.ui.semantics.clearAndSetSemantics
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.onClick
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import fr.tigr.app.ui.components.otpGroups
import fr.tigr.app.ui.components.spokenDigits
import fr.tigr.app.ui.text.TextId
import fr.tigr.app.ui.text.PluralId
import fr.tigr.app.ui.text.pluralText
import fr.tigr.app.ui.text.text

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
                    TextButton(onClick = onRetry) { Text(text(TextId.ACTION_RETRY)) }
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
        text(TextId.OTP_SECTION_TITLE),
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
    val copyLabel = text(TextId.OTP_COPY_ACTION)
    val code = row.code
    val spoken = code?.let { shown ->
        val digits = spokenDigits(shown.digits)
        when (shown) {
            is ShownCode.Timed -> pluralText(
                PluralId.OTP_CODE_SPOKEN_TIMED, shown.secondsLeft, row.account.label, digits, shown.secondsLeft,
            )
            is ShownCode.Counted -> text(TextId.OTP_CODE_SPOKEN, row.account.label, digits)
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
                    Text(text(if (code == null) TextId.OTP_HOTP_GENERATE else TextId.OTP_HOTP_NEXT))
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
            Icon(Icons.Filled.MoreVert, contentDescription = text(TextId.OTP_MENU_LABEL, row.account.label))
        }
        DropdownMenu(expanded = open, onDismissRequest = { open = false }) {
            DropdownMenuItem(text = { Text(text(TextId.OTP_RENAME)) }, onClick = { open = false; onRename(row) })
            DropdownMenuItem(text = { Text(text(TextId.OTP_REMOVE)) }, onClick = { open = false; onRemove(row) })
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
                title = { Text(text(TextId.OTP_RENAME_TITLE)) },
                text = {
                    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                        OutlinedTextField(issuer, { issuer = it }, label = { Text(text(TextId.OTP_ISSUER)) }, singleLine = true)
                        OutlinedTextField(name, { name = it }, label = { Text(text(TextId.OTP_ACCOUNT_NAME)) }, singleLine = true)
                        edit.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
                    }
                },
                confirmButton = {
                    TextButton(onClick = { onRename(issuer, name) }, enabled = !edit.busy) {
                        Text(text(TextId.OTP_RENAME_CONFIRM))
                    }
                },
                dismissButton = {
                    TextButton(onClick = onDismiss, enabled = !edit.busy) { Text(text(TextId.ACTION_CANCEL)) }
                },
            )
        }
        is OtpEdit.Remove -> AlertDialog(
            onDismissRequest = { if (!edit.busy) onDismiss() },
            title = { Text(text(TextId.OTP_REMOVE_TITLE)) },
            text = {
                Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                    Text(text(TextId.OTP_REMOVE_BODY, edit.account.label))
                    Text(text(TextId.OTP_REMOVE_CONSEQUENCE), style = MaterialTheme.typography.bodySmall)
                    if (edit.busy) CircularProgressIndicator()
                    edit.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
                }
            },
            confirmButton = {
                TextButton(onClick = onRemove, enabled = !edit.busy) {
                    Text(text(TextId.OTP_REMOVE), color = MaterialTheme.colorScheme.error)
                }
            },
            dismissButton = {
                TextButton(onClick = onDismiss, enabled = !edit.busy) { Text(text(TextId.ACTION_CANCEL)) }
            },
        )
    }
}
