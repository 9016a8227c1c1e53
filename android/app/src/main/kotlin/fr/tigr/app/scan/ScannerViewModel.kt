package fr.tigr.app.scan

import androidx.lifecycle.ViewModel
import androidx.lifecycle.ViewModelProvider
import androidx.lifecycle.viewModelScope
import androidx.lifecycle.viewmodel.initializer
import androidx.lifecycle.viewmodel.viewModelFactory
import fr.tigr.app.sdk.SdkResult
import fr.tigr.app.sdk.TigrSdk
import fr.tigr.app.tigrApplication
import fr.tigr.sdk.ScannedCode
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import java.util.concurrent.atomic.AtomicBoolean

/** What the scanner shows over the camera. */
data class ScannerState(
    /** Set when the last QR code read is not a Tigr code: the SDK's explanation. */
    val notTigr: String? = null,
    /** A Tigr code was read: the screen navigates to its flow, then calls [ScannerViewModel.consumed]. */
    val found: ScannedCode? = null,
    val torchOn: Boolean = false,
)

/**
 * Scanner step: each decoded text goes through `parseCode(text)` (local, no network). The first
 * Tigr code stops the scan and opens its flow (enrollment or login), which calls `scan(payload)`.
 * Any other QR code shows "Ce n'est pas un code Tigr" for a few seconds and scanning goes on.
 */
class ScannerViewModel(private val sdk: TigrSdk) : ViewModel() {
    private val _state = MutableStateFlow(ScannerState())
    val state: StateFlow<ScannerState> = _state.asStateFlow()

    private val handled = AtomicBoolean(false)
    @Volatile private var lastRejected: String? = null
    private var hintJob: Job? = null

    /** From the analysis thread: texts found in one frame. */
    fun onTexts(texts: List<String>) {
        if (handled.get()) return
        viewModelScope.launch {
            for (text in texts) {
                if (text == lastRejected) continue
                when (val result = sdk.call { parseCode(text) }) {
                    is SdkResult.Success -> {
                        if (handled.compareAndSet(false, true)) {
                            _state.update { it.copy(found = result.value, notTigr = null) }
                        }
                        return@launch
                    }
                    is SdkResult.Failure -> {
                        lastRejected = text
                        showNotTigr(result.message)
                    }
                }
            }
        }
    }

    private fun showNotTigr(message: String) {
        hintJob?.cancel()
        _state.update { it.copy(notTigr = message) }
        hintJob = viewModelScope.launch {
            delay(HINT_MILLIS)
            lastRejected = null // the same foreign code may be explained again later
            _state.update { it.copy(notTigr = null) }
        }
    }

    /** The screen has navigated to the flow of [ScannerState.found]. */
    fun consumed() {
        _state.update { it.copy(found = null) }
    }

    fun setTorch(on: Boolean) {
        _state.update { it.copy(torchOn = on) }
    }

    val isDone: Boolean get() = handled.get()

    companion object {
        const val HINT_MILLIS = 3_000L

        val Factory: ViewModelProvider.Factory = viewModelFactory {
            initializer { ScannerViewModel(tigrApplication().sdk) }
        }
    }
}
