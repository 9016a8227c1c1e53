package fr.tigr.app.offline

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import fr.tigr.app.sdk.SdkResult
import fr.tigr.app.sdk.TigrSdk
import fr.tigr.app.ui.components.PinBuffer
import fr.tigr.sdk.OfflineCode
import fr.tigr.sdk.TigrException
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch

/** The steps of the offline login, one screen each. */
sealed interface OfflineStep {
    /** "Hors connexion": why, and the PIN pad. */
    data class EnterPin(val tigrId: String?, val reason: String?, val pinError: String?) : OfflineStep

    /** Several accounts on this server (the SDK said `AccountChoiceNeeded`). */
    data class ChooseAccount(val tigrIds: List<String>) : OfflineStep

    /** `offlineCode(...)`: unmasking the secret and computing the password. */
    data object Computing : OfflineStep

    /**
     * The Tigr ID and password to type into the web page. [deadline] is in the
     * SystemClock.elapsedRealtime() time base (immune to clock changes while it is shown).
     */
    data class Code(val code: OfflineCode, val deadline: Long) : OfflineStep

    data class Failed(val message: String) : OfflineStep
}

/**
 * Offline flow: the login QR could not reach its server (`LoginRequest.context == null`) or the
 * user asked for a code. PIN -> `offlineCode(payload, tigrId, pin)` -> [OfflineStep.Code] with a
 * countdown from `secondsLeft`. The phone cannot tell a wrong PIN (no PIN oracle): the web page
 * will refuse the password and show the attempts left.
 */
class OfflineViewModel(
    private val payload: String,
    private var tigrId: String?,
    private val reason: String?,
    private val sdk: TigrSdk,
    /** A monotonic clock in milliseconds (Android: `SystemClock::elapsedRealtime`). */
    private val elapsedRealtime: () -> Long,
) : ViewModel() {
    private val _step = MutableStateFlow<OfflineStep>(OfflineStep.EnterPin(tigrId, reason, null))
    val step: StateFlow<OfflineStep> = _step.asStateFlow()

    val pin = PinBuffer()

    fun onDigit(digit: Char) = pin.add(digit)

    fun onDelete() = pin.delete()

    fun choose(id: String) {
        tigrId = id
        pin.clear()
        _step.value = OfflineStep.EnterPin(id, reason, null)
    }

    /** "Afficher le code". */
    fun submit() {
        val entry = _step.value as? OfflineStep.EnterPin ?: return
        val typed = pin.take()
        val account = tigrId
        _step.value = OfflineStep.Computing
        viewModelScope.launch {
            val result = sdk.call { offlineCode(payload, account, typed) }
            _step.value = when (result) {
                is SdkResult.Success -> OfflineStep.Code(
                    code = result.value,
                    deadline = elapsedRealtime() + result.value.secondsLeft * 1_000,
                )
                // Every SDK error is mapped (a new one does not compile).
                is SdkResult.Failure -> when (val error = result.error as? TigrException) {
                    is TigrException.InvalidPin -> entry.copy(pinError = result.message)
                    is TigrException.AccountChoiceNeeded -> OfflineStep.ChooseAccount(error.tigrIds)
                    null,
                    is TigrException.InvalidCode,
                    is TigrException.NotEnrolled,
                    is TigrException.WrongPin,
                    is TigrException.AccountBlocked,
                    is TigrException.ChallengeExpired,
                    is TigrException.AlreadyUsed,
                    is TigrException.InvalidInvitation,
                    is TigrException.PhoneRevoked,
                    is TigrException.Network,
                    is TigrException.Server,
                    is TigrException.KeyStore,
                    is TigrException.Storage,
                    // OTP account errors: never from an offline code.
                    is TigrException.InvalidOtpCode,
                    is TigrException.UnknownOtpAccount,
                    is TigrException.InvalidOtpName,
                    -> OfflineStep.Failed(result.message)
                }
            }
        }
    }

    /** Seconds left on [OfflineStep.Code], by the monotonic clock. */
    fun secondsLeft(code: OfflineStep.Code): Long =
        ((code.deadline - elapsedRealtime() + 999) / 1_000).coerceAtLeast(0)

    override fun onCleared() {
        pin.clear()
    }
}
