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
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.unit.dp
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.compose.LifecycleResumeEffect
import androidx.lifecycle.compose.LocalLifecycleOwner
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.repeatOnLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import fr.tigr.app.R
import fr.tigr.app.ViewModelFactories
import fr.tigr.app.otp.OtpEditDialog
import fr.tigr.app.otp.OtpListState
import fr.tigr.app.otp.OtpViewModel
import fr.tigr.app.otp.otpSection
import kotlinx.coroutines.delay

/**
 * Home screen: the Tigr accounts of this phone, then its OTP accounts (codes with a countdown,
 * tap to copy), a "Scanner un QR code" button, and per account a remove action with
 * confirmation. Empty state explains how to get enrolled or add an OTP account.
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun AccountListScreen(
    onScan: () -> Unit,
    snackbar: SnackbarHostState,
    viewModel: AccountListViewModel = viewModel(factory = ViewModelFactories.accountList),
    otp: OtpViewModel = viewModel(factory = ViewModelFactories.otp),
) {
    val state by viewModel.state.collectAsStateWithLifecycle()
    val removal by viewModel.removal.collectAsStateWithLifecycle()
    val otpState by otp.state.collectAsStateWithLifecycle()
    val otpEdit by otp.edit.collectAsStateWithLifecycle()
    val copied by otp.copied.collectAsStateWithLifecycle()

    LifecycleResumeEffect(Unit) {
        viewModel.load()
        otp.load()
        onPauseOrDispose { }
    }
    // TOTP countdowns tick while the list is on screen (and stop in the background).
    val lifecycle = LocalLifecycleOwner.current.lifecycle
    LaunchedEffect(lifecycle) {
        lifecycle.repeatOnLifecycle(Lifecycle.State.RESUMED) {
            while (true) {
                delay(1_000)
                otp.tick()
            }
        }
    }
    val copiedMessage = stringResource(R.string.otp_copied)
    LaunchedEffect(copied) {
        if (copied != null) {
            otp.copyShown()
            snackbar.showSnackbar(copiedMessage)
        }
    }

    Scaffold(
        topBar = { TopAppBar(title = { Text(stringResource(R.string.accounts_title)) }) },
        snackbarHost = { SnackbarHost(snackbar) },
        floatingActionButton = {
            ExtendedFloatingActionButton(
                onClick = onScan,
                icon = { Icon(Icons.Filled.Add, contentDescription = null) },
                text = { Text(stringResource(R.string.accounts_scan)) },
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
                Button(onClick = viewModel::load) { Text(stringResource(R.string.action_retry)) }
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
            stringResource(R.string.accounts_empty_title),
            style = MaterialTheme.typography.headlineSmall,
            textAlign = TextAlign.Center,
            modifier = Modifier.semantics { heading() },
        )
        Text(
            stringResource(R.string.accounts_empty_body),
            style = MaterialTheme.typography.bodyLarge,
            textAlign = TextAlign.Center,
        )
        for (hint in listOf(R.string.accounts_empty_next, R.string.accounts_empty_otp)) {
            Text(
                stringResource(hint),
                style = MaterialTheme.typography.bodyMedium,
                color = MaterialTheme.colorScheme.onSurfaceVariant,
                textAlign = TextAlign.Center,
                modifier = Modifier.fillMaxWidth(),
            )
        }
    }
}
