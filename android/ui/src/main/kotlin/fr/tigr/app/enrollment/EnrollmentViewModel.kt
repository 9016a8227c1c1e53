package fr.tigr.app.enrollment

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import fr.tigr.app.sdk.SdkResult
import fr.tigr.app.sdk.TigrSdk
import fr.tigr.app.ui.components.PinBuffer
import fr.tigr.sdk.Account
import fr.tigr.sdk.InvalidCodeReason
import fr.tigr.sdk.InvitationOffer
import fr.tigr.sdk.ScanResult
import fr.tigr.sdk.TigrException
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch

/** The steps of enrolling this phone, one screen each. */
sealed interface EnrollmentStep {
    /** `scan(payload)` is asking the server what the code offers. */
    data object Loading : EnrollmentStep

    /** Server, service, account and expiry of the invitation, before any PIN. */
    data class Offer(val offer: InvitationOffer, val replacesExisting: Boolean) : EnrollmentStep

    /** First PIN entry; [error] is the SDK's sentence when the previous choice was refused. */
    data class ChoosePin(val offer: InvitationOffer, val error: String?) : EnrollmentStep

    /** Second PIN entry. */
    data class ConfirmPin(val offer: InvitationOffer) : EnrollmentStep

    /** `enroll(...)`: keys generated, registered, vault written. */
    data class Enrolling(val offer: InvitationOffer) : EnrollmentStep

    data class Done(val account: Account) : EnrollmentStep

    /**
     * Enrollment failed. [canRetry]: a network or server fault, worth trying again;
     * [needsNewCode]: the invitation is used, expired or unknown, only the administrator can
     * help. [message] is the SDK's sentence; null when the code is a login code, not an
     * invitation.
     */
    data class Failed(val message: String?, val canRetry: Boolean, val needsNewCode: Boolean) : EnrollmentStep
}

/**
 * Enrollment flow for one payload: `scan(payload)` -> [EnrollmentStep.Offer] -> PIN twice ->
 * `enroll(payload, pin, confirmation, deviceName)` -> [EnrollmentStep.Done]. The PIN rules are
 * the SDK's: a refused PIN comes back as `InvalidPin` and the user chooses again.
 */
class EnrollmentViewModel(
    private val payload: String,
    private val deviceName: String,
    private val sdk: TigrSdk,
) : ViewModel() {
    private val _step = MutableStateFlow<EnrollmentStep>(EnrollmentStep.Loading)
    val step: StateFlow<EnrollmentStep> = _step.asStateFlow()

    val pin = PinBuffer()
    private var firstPin: String? = null
    private var offer: InvitationOffer? = null

    init {
        load()
    }

    fun load() {
        _step.value = EnrollmentStep.Loading
        viewModelScope.launch {
            when (val scanned = sdk.call { scan(payload) }) {
                is SdkResult.Failure -> _step.value = failed(scanned)
                is SdkResult.Success -> when (val result = scanned.value) {
                    is ScanResult.Invitation -> {
                        val offer = result.offer
                        this@EnrollmentViewModel.offer = offer
                        val existing = (sdk.call { accounts() } as? SdkResult.Success)?.value.orEmpty()
                        val replaces = existing.any {
                            it.serverHost == offer.serverHost && it.tigrId == offer.tigrId
                        }
                        _step.value = EnrollmentStep.Offer(offer, replaces)
                    }
                    is ScanResult.Login -> _step.value =
                        EnrollmentStep.Failed(message = null, canRetry = false, needsNewCode = true)
                }
            }
        }
    }

    /** "Choisir mon code PIN". */
    fun startPin() {
        val offer = offer ?: return
        pin.clear()
        firstPin = null
        _step.value = EnrollmentStep.ChoosePin(offer, error = null)
    }

    fun onDigit(digit: Char) = pin.add(digit)

    fun onDelete() = pin.delete()

    /** "Suivant" on the first entry, "Enrôler" on the second. */
    fun submitPin() {
        when (val current = _step.value) {
            is EnrollmentStep.ChoosePin -> {
                firstPin = pin.take()
                _step.value = EnrollmentStep.ConfirmPin(current.offer)
            }
            is EnrollmentStep.ConfirmPin -> enroll(current.offer, firstPin.orEmpty(), pin.take())
            else -> Unit
        }
    }

    /** Back from the confirmation to the first entry. */
    fun restartPin() = startPin()

    private fun enroll(offer: InvitationOffer, chosen: String, confirmation: String) {
        firstPin = null
        _step.value = EnrollmentStep.Enrolling(offer)
        viewModelScope.launch {
            val result = sdk.call { enroll(payload, chosen, confirmation, deviceName) }
            _step.value = when (result) {
                is SdkResult.Success -> EnrollmentStep.Done(result.value)
                is SdkResult.Failure ->
                    if (result.error is TigrException.InvalidPin) {
                        EnrollmentStep.ChoosePin(offer, error = result.message)
                    } else {
                        failed(result)
                    }
            }
        }
    }

    /** "Réessayer" after a network or server failure: back to the PIN (typed again). */
    fun retry() {
        if (offer != null) startPin() else load()
    }

    /** The Failed step of an error: every SDK error and reason is mapped (a new one does not compile). */
    private fun failed(failure: SdkResult.Failure): EnrollmentStep.Failed {
        val error = failure.error as? TigrException
        val (canRetry, needsNewCode) = when (error) {
            null -> false to false
            is TigrException.Network, is TigrException.Server -> true to false
            is TigrException.InvalidInvitation, is TigrException.AlreadyUsed, is TigrException.ChallengeExpired ->
                false to true
            is TigrException.InvalidCode -> false to when (error.reason) {
                // A newer app is needed, not a new invitation (the message says so).
                InvalidCodeReason.UNSUPPORTED_VERSION -> false
                InvalidCodeReason.NOT_TIGR,
                InvalidCodeReason.UNKNOWN_CHALLENGE,
                InvalidCodeReason.NOT_A_LOGIN_CODE,
                InvalidCodeReason.NOT_AN_INVITATION,
                -> true
            }
            is TigrException.NotEnrolled,
            is TigrException.AccountChoiceNeeded,
            is TigrException.InvalidPin,
            is TigrException.WrongPin,
            is TigrException.AccountBlocked,
            is TigrException.PhoneRevoked,
            is TigrException.KeyStore,
            is TigrException.Storage,
            // OTP account errors: never from an enrollment call.
            is TigrException.InvalidOtpCode,
            is TigrException.UnknownOtpAccount,
            is TigrException.InvalidOtpName,
            -> false to false
        }
        return EnrollmentStep.Failed(message = failure.message, canRetry = canRetry, needsNewCode = needsNewCode)
    }

    override fun onCleared() {
        pin.clear()
        firstPin = null
    }
}
