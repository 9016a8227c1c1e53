package fr.tigr.app.scan

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import fr.tigr.app.sdk.SdkResult
import fr.tigr.app.sdk.TigrSdk
import fr.tigr.sdk.OtpImportPreview
import fr.tigr.sdk.ScannedCode
import fr.tigr.sdk.TigrException
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
    /** With [notTigr]: the code was an OTP code (`otpauth://`...) that cannot be used. */
    val badOtpCode: Boolean = false,
    /** A Tigr code was read: the screen navigates to its flow, then calls [ScannerViewModel.consumed]. */
    val found: ScannedCode? = null,
    /** An OTP code was read: its accounts, shown for confirmation (no secret in the state). */
    val otpOffer: OtpImportPreview? = null,
    val otpAdding: Boolean = false,
    val otpError: String? = null,
    /** The accounts were added: how many (the screen goes back to the list). */
    val otpAdded: Int? = null,
    val torchOn: Boolean = false,
)

/**
 * Scanner step: each decoded text goes through `parseCode(text)` (local, no network). The first
 * Tigr code stops the scan and opens its flow (enrollment or login), which calls `scan(payload)`.
 * An OTP code (`otpauth://`, Google Authenticator export) stops the scan and shows its accounts;
 * [confirmOtp] adds them (`addOtpAccounts(text)`). Its text holds the secret, so it stays in
 * this ViewModel's memory only: never in the state, a route or saved state.
 * Any other QR code shows "Ce n'est pas un code Tigr" for a few seconds and scanning goes on.
 */
class ScannerViewModel(private val sdk: TigrSdk) : ViewModel() {
    private val _state = MutableStateFlow(ScannerState())
    val state: StateFlow<ScannerState> = _state.asStateFlow()

    private val handled = AtomicBoolean(false)
    @Volatile private var lastRejected: String? = null
    private var hintJob: Job? = null
    /** The scanned OTP code while its accounts are offered. */
    private var otpText: String? = null

    /** From the analysis thread: texts found in one frame. */
    fun onTexts(texts: List<String>) {
        if (handled.get()) return
        viewModelScope.launch {
            for (text in texts) {
                if (text == lastRejected) continue
                when (val result = sdk.call { parseCode(text) }) {
                    is SdkResult.Success -> {
                        if (handled.compareAndSet(false, true)) {
                            when (val code = result.value) {
                                is ScannedCode.OtpAccounts -> {
                                    otpText = text
                                    _state.update { it.copy(otpOffer = code.preview, notTigr = null) }
                                }
                                is ScannedCode.Invitation, is ScannedCode.Login ->
                                    _state.update { it.copy(found = code, notTigr = null) }
                            }
                        }
                        return@launch
                    }
                    is SdkResult.Failure -> {
                        lastRejected = text
                        showNotTigr(result.message, badOtp = result.error is TigrException.InvalidOtpCode)
                    }
                }
            }
        }
    }

    private fun showNotTigr(message: String, badOtp: Boolean) {
        hintJob?.cancel()
        _state.update { it.copy(notTigr = message, badOtpCode = badOtp) }
        hintJob = viewModelScope.launch {
            delay(HINT_MILLIS)
            lastRejected = null // the same foreign code may be explained again later
            _state.update { it.copy(notTigr = null) }
        }
    }

    /** "Ajouter": adds the offered accounts, all or none. */
    fun confirmOtp() {
        val text = otpText ?: return
        _state.update { it.copy(otpAdding = true, otpError = null) }
        viewModelScope.launch {
            when (val result = sdk.call { addOtpAccounts(text) }) {
                is SdkResult.Success -> {
                    otpText = null
                    _state.update { it.copy(otpAdding = false, otpOffer = null, otpAdded = result.value.size) }
                }
                is SdkResult.Failure -> _state.update { it.copy(otpAdding = false, otpError = result.message) }
            }
        }
    }

    /** "Annuler": forgets the code and scans again (the same code is ignored for a few seconds). */
    fun cancelOtp() {
        lastRejected = otpText
        otpText = null
        _state.update { it.copy(otpOffer = null, otpError = null, otpAdding = false) }
        handled.set(false)
        hintJob?.cancel()
        hintJob = viewModelScope.launch {
            delay(HINT_MILLIS)
            lastRejected = null
        }
    }

    /** The screen has gone back to the list after [ScannerState.otpAdded]. */
    fun otpAddedShown() {
        _state.update { it.copy(otpAdded = null) }
    }

    override fun onCleared() {
        otpText = null
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
    }
}
