package fr.tigr.app.accounts

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Add
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.ExtendedFloatingActionButton
import androidx.compose.material3.Icon
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Scaffold
import androidx.compose.material3.SnackbarHost
import androidx.compose.material3.SnackbarHostState
import androidx.compose.material3.Text
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.unit.dp
import androidx.compose.runtime.collectAsState
import fr.tigr.app.otp.OtpEditDialog
import fr.tigr.app.otp.OtpListState
import fr.tigr.app.otp.OtpViewModel
import fr.tigr.app.otp.otpSection
import fr.tigr.app.ui.text.TextId
import fr.tigr.app.ui.text.text

/**
 * Home screen: the Tigr accounts of this phone, then its OTP accounts (codes with a countdown,
 * tap to copy), a "Scanner un QR code" button, and per account a remove action with
 * confirmation. Empty state explains how to get enrolled or add an OTP account.
 *
 * Loading the lists when the screen comes back and ticking the TOTP countdowns while it is
 * in the foreground follow the platform's lifecycle: the Android shell's `AccountsRoute` calls
 * [AccountListViewModel.load], [OtpViewModel.load] and [OtpViewModel.tick].
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun AccountListScreen(
    viewModel: AccountListViewModel,
    otp: OtpViewModel,
    onScan: () -> Unit,
    snackbar: SnackbarHostState,
) {
    val state by viewModel.state.collectAsState()
    val removal by viewModel.removal.collectAsState()
    val otpState by otp.state.collectAsState()
    val otpEdit by otp.edit.collectAsState()
    val copied by otp.copied.collectAsState()

    val copiedMessage = text(TextId.OTP_COPIED)
    LaunchedEffect(copied) {
        if (copied != null) {
            otp.copyShown()
            snackbar.showSnackbar(copiedMessage)
        }
    }

    Scaffold(
        topBar = { TopAppBar(title = { Text(text(TextId.ACCOUNTS_TITLE)) }) },
        snackbarHost = { SnackbarHost(snackbar) },
        floatingActionButton = {
            // Material 3 hides the extended button's text from screen readers and reads the
            // icon's description instead: the icon carries the label.
            val scanLabel = text(TextId.ACCOUNTS_SCAN)
            ExtendedFloatingActionButton(
                onClick = onScan,
                icon = { Icon(Icons.Filled.Add, contentDescription = scanLabel) },
                text = { Text(scanLabel) },
            )
        },
    ) { padding ->
        when (val s = state) {
            AccountListState.Loading -> Column(
                Modifier.padding(padding).fillMaxSize(),
                horizontalAlignment = Alignment.CenterHorizontally,
                verticalArrangement = Arrangement.Center,
            ) { CircularProgressIndicator() }

            is AccountListState.Failed -> Column(
                Modifier.padding(padding).fillMaxSize().padding(24.dp),
                horizontalAlignment = Alignment.CenterHorizontally,
                verticalArrangement = Arrangement.spacedBy(16.dp, Alignment.CenterVertically),
            ) {
                Text(s.message, textAlign = TextAlign.Center)
                Button(onClick = viewModel::load) { Text(text(TextId.ACTION_RETRY)) }
            }

            is AccountListState.Loaded ->
                if (s.accounts.isEmpty() && (otpState as? OtpListState.Loaded)?.rows?.isEmpty() != false) {
                    EmptyAccounts(Modifier.padding(padding))
                } else {
                    LazyColumn(
                        modifier = Modifier.padding(padding).fillMaxSize(),
                        contentPadding = PaddingValues(16.dp, 8.dp, 16.dp, 96.dp),
                        verticalArrangement = Arrangement.spacedBy(12.dp),
                    ) {
                        items(s.accounts, key = { it.serverOrigin + "\u0000" + it.tigrId }) { account ->
                            AccountCard(account, onRemove = { viewModel.askRemove(account) })
                        }
                        otpSection(
                            state = otpState,
                            onCopy = otp::copy,
                            onNextHotp = { otp.nextHotpCode(it.account.id) },
                            onRename = { otp.askRename(it.account) },
                            onRemove = { otp.askRemove(it.account) },
                            onRetry = otp::load,
                        )
                    }
                }
        }
    }

    RemoveAccountDialog(
        state = removal,
        onConfirm = viewModel::confirmRemove,
        onDismiss = viewModel::cancelRemove,
    )
    OtpEditDialog(
        edit = otpEdit,
        onRename = otp::confirmRename,
        onRemove = otp::confirmRemove,
        onDismiss = otp::cancelEdit,
    )
}

@Composable
private fun EmptyAccounts(modifier: Modifier) {
    Column(
        modifier = modifier.fillMaxSize().padding(32.dp),
        horizontalAlignment = Alignment.CenterHorizontally,
        verticalArrangement = Arrangement.spacedBy(16.dp, Alignment.CenterVertically),
    ) {
        Text(
            text(TextId.ACCOUNTS_EMPTY_TITLE),
            style = MaterialTheme.typography.headlineSmall,
            textAlign = TextAlign.Center,
            modifier = Modifier.semantics { heading() },
        )
        Text(
            text(TextId.ACCOUNTS_EMPTY_BODY),
            style = MaterialTheme.typography.bodyLarge,
            textAlign = TextAlign.Center,
        )
        for (hint in listOf(TextId.ACCOUNTS_EMPTY_NEXT, TextId.ACCOUNTS_EMPTY_OTP)) {
            Text(
                text(hint),
                style = MaterialTheme.typography.bodyMedium,
                color = MaterialTheme.colorScheme.onSurfaceVariant,
                textAlign = TextAlign.Center,
                modifier = Modifier.fillMaxWidth(),
            )
        }
    }
}
