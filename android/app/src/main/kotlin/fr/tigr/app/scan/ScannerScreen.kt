package fr.tigr.app.scan

import androidx.compose.foundation.background
import androidx.compose.foundation.border
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.shape.RoundedCornerShape
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Close
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.res.painterResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import fr.tigr.app.R
import fr.tigr.app.ViewModelFactories
import fr.tigr.app.otp.OtpOfferDialog
import fr.tigr.sdk.ScannedCode

/**
 * The scanner step: camera preview, aiming frame, torch toggle, and the "Ce n'est pas un code
 * Tigr" hint. Calls [onCode] once with the first Tigr code read; an OTP code is offered over the
 * camera, and [onOtpAdded] is called with the number of accounts added.
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun ScannerScreen(
    onClose: () -> Unit,
    onCode: (ScannedCode) -> Unit,
    onOtpAdded: (Int) -> Unit,
    viewModel: ScannerViewModel = viewModel(factory = ViewModelFactories.scanner),
) {
    val state by viewModel.state.collectAsStateWithLifecycle()
    var torchAvailable by rememberSaveable { mutableStateOf(true) }
    val analyzer = remember(viewModel) { QrFrameAnalyzer(viewModel::onTexts) }

    LaunchedEffect(state.found) {
        state.found?.let { code ->
            analyzer.paused = true
            viewModel.consumed()
            onCode(code)
        }
    }
    LaunchedEffect(state.otpOffer) {
        analyzer.paused = state.otpOffer != null
    }
    LaunchedEffect(state.otpAdded) {
        state.otpAdded?.let { count ->
            viewModel.otpAddedShown()
            onOtpAdded(count)
        }
    }
    state.otpOffer?.let { offer ->
        OtpOfferDialog(
            offer = offer,
            adding = state.otpAdding,
            error = state.otpError,
            onAdd = viewModel::confirmOtp,
            onCancel = viewModel::cancelOtp,
        )
    }

    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(stringResource(R.string.scan_title)) },
                navigationIcon = {
                    IconButton(onClick = onClose) {
                        Icon(Icons.Filled.Close, contentDescription = stringResource(R.string.action_close))
                    }
                },
                actions = {
                    if (torchAvailable) {
                        IconButton(onClick = { viewModel.setTorch(!state.torchOn) }) {
                            Icon(
                                painterResource(if (state.torchOn) R.drawable.ic_flash_off else R.drawable.ic_flash_on),
                                contentDescription = stringResource(
                                    if (state.torchOn) R.string.scan_torch_off else R.string.scan_torch_on,
                                ),
                            )
                        }
                    }
                },
            )
        },
    ) { padding ->
        Box(Modifier.padding(padding).fillMaxSize()) {
            CameraPermissionGate {
                CameraPreview(
                    analyzer = analyzer,
                    torchOn = state.torchOn,
                    onTorchAvailable = { torchAvailable = it },
                    modifier = Modifier.fillMaxSize(),
                )
                Box(
                    Modifier
                        .align(Alignment.Center)
                        .size(260.dp)
                        .border(3.dp, Color.White, RoundedCornerShape(16.dp)),
                )
                Column(
                    modifier = Modifier.align(Alignment.BottomCenter).fillMaxWidth().padding(24.dp),
                    horizontalAlignment = Alignment.CenterHorizontally,
                    verticalArrangement = Arrangement.spacedBy(12.dp),
                ) {
                    state.notTigr?.let { reason ->
                        Surface(
                            color = MaterialTheme.colorScheme.errorContainer,
                            shape = RoundedCornerShape(12.dp),
                            modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite },
                        ) {
                            Column(Modifier.padding(12.dp), horizontalAlignment = Alignment.CenterHorizontally) {
                                Text(
                                    stringResource(if (state.badOtpCode) R.string.scan_bad_otp else R.string.scan_not_tigr),
                                    style = MaterialTheme.typography.titleMedium,
                                    color = MaterialTheme.colorScheme.onErrorContainer,
                                )
                                Text(
                                    reason,
                                    style = MaterialTheme.typography.bodyMedium,
                                    color = MaterialTheme.colorScheme.onErrorContainer,
                                    textAlign = TextAlign.Center,
                                )
                            }
                        }
                    }
                    Text(
                        stringResource(R.string.scan_hint),
                        color = Color.White,
                        textAlign = TextAlign.Center,
                        modifier = Modifier
                            .background(Color.Black.copy(alpha = 0.55f), RoundedCornerShape(8.dp))
                            .padding(horizontal = 12.dp, vertical = 8.dp),
                    )
                }
            }
        }
    }
}
