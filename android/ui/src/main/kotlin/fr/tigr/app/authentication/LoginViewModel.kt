package fr.tigr.app.authentication

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import fr.tigr.app.sdk.SdkResult
import fr.tigr.app.sdk.TigrSdk
import fr.tigr.app.ui.components.PinBuffer
import fr.tigr.sdk.Account
import fr.tigr.sdk.LoginContext
import fr.tigr.sdk.LoginRequest
import fr.tigr.sdk.ScanResult
import fr.tigr.sdk.TigrException
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.receiveAsFlow
import kotlinx.coroutines.launch

/** One account the user may pick when several of this phone's accounts use the same server. */
data class AccountChoice(val tigrId: String, val displayName: String?)

/** The steps of answering a login QR, one screen each. */
sealed interface LoginStep {
    /** `scan(payload)`: fetching who asks. */
    data object Loading : LoginStep

    /** Several accounts on this server: which one logs in? ([offline]: then the offline code). */
    data class ChooseAccount(val choices: List<AccountChoice>, val offline: Boolean) : LoginStep

    /** Service, server, time, browser; PIN pad; "Ce n'était pas moi". */
    data class Review(
        val context: LoginContext,
        val account: AccountChoice?,
        val pinError: String?,
    ) : LoginStep

    /** `approve` or `deny` in flight. */
    data class Sending(val context: LoginContext, val denying: Boolean) : LoginStep

    data class Approved(val context: LoginContext) : LoginStep
    data class Denied(val context: LoginContext) : LoginStep

    /** The server refused the PIN; [attemptsLeft] before the account is blocked. */
    data class WrongPin(val attemptsLeft: Int, val message: String) : LoginStep

    /**
     * Too many wrong PINs: the account is blocked for [minutesLeft] minutes (it lifts by itself;
     * counted by the app's clock from the SDK's `blockedUntil`), or, when [minutesLeft] is null,
     * until an administrator unblocks it.
     */
    data class Blocked(val message: String, val serviceName: String?, val minutesLeft: Int? = null) : LoginStep

    /** The QR expired (server clock): refresh the web page and scan again. */
    data class Expired(val message: String) : LoginStep

    /** This phone was replaced or revoked for the account: it can be removed. */
    data class Revoked(val message: String, val account: Account?) : LoginStep

    /** Anything else. [canRetry]: network or server fault; [offlinePossible]: offer a code. */
    data class Failed(val message: String?, val canRetry: Boolean, val offlinePossible: Boolean) : LoginStep
}

/** Leaving the login route for the offline one. */
data class GoOffline(val tigrId: String?, val reason: String?)

/**
 * Login flow for one payload (docs/mobile.md §Login):
 * `scan(payload)` -> `ScanResult.Login(request)`; `request.context == null` -> offline route;
 * otherwise [LoginStep.Review] -> `approve(payload, tigrId, pin)` or `deny(payload, tigrId)`.
 */
class LoginViewModel(
    private val payload: String,
    private val sdk: TigrSdk,
) : ViewModel() {
    private val _step = MutableStateFlow<LoginStep>(LoginStep.Loading)
    val step: StateFlow<LoginStep> = _step.asStateFlow()

    private val _offline = Channel<GoOffline>(Channel.BUFFERED)
    /** One-shot: navigate to the offline route. */
    val offline: Flow<GoOffline> = _offline.receiveAsFlow()

    private val _finished = Channel<Unit>(Channel.CONFLATED)
    /** One-shot: the flow is over (a revoked account was removed). */
    val finished: Flow<Unit> = _finished.receiveAsFlow()

    val pin = PinBuffer()

    private var request: LoginRequest? = null
    private var chosen: AccountChoice? = null

    init {
        load()
    }

    fun load() {
        _step.value = LoginStep.Loading
        viewModelScope.launch {
            when (val scanned = sdk.call { scan(payload) }) {
                is SdkResult.Failure -> _step.value = failure(scanned)
                is SdkResult.Success -> when (val result = scanned.value) {
                    is ScanResult.Login -> onRequest(result.request)
                    is ScanResult.Invitation ->
                        _step.value = LoginStep.Failed(message = null, canRetry = false, offlinePossible = false)
                }
            }
        }
    }

    private fun onRequest(request: LoginRequest) {
        this.request = request
        val choices = request.accounts.map { AccountChoice(it.tigrId, it.displayName) }
        val offline = request.context == null
        when {
            choices.size > 1 && chosen == null -> _step.value = LoginStep.ChooseAccount(choices, offline)
            else -> {
                chosen = chosen ?: choices.firstOrNull()
                proceed()
            }
        }
    }

    /** An account was picked on [LoginStep.ChooseAccount]. */
    fun choose(choice: AccountChoice) {
        chosen = choice
        proceed()
    }

    private fun proceed() {
        val request = request ?: return load()
        val context = request.context
        if (context == null) {
            _offline.trySend(GoOffline(chosen?.tigrId, request.offlineReason))
        } else {
            pin.clear()
            _step.value = LoginStep.Review(context, chosen, pinError = null)
        }
    }

    fun onDigit(digit: Char) = pin.add(digit)

    fun onDelete() = pin.delete()

    /** "Approuver" with the PIN typed so far. */
    fun approve() {
        val review = _step.value as? LoginStep.Review ?: return
        val typed = pin.take()
        val tigrId = chosen?.tigrId
        _step.value = LoginStep.Sending(review.context, denying = false)
        viewModelScope.launch {
            _step.value = when (val result = sdk.call { approve(payload, tigrId, typed) }) {
                is SdkResult.Success -> LoginStep.Approved(review.context)
                is SdkResult.Failure ->
                    if (result.error is TigrException.InvalidPin) {
                        review.copy(pinError = result.message)
                    } else {
                        failure(result)
                    }
            }
        }
    }

    /** "Ce n'était pas moi": no PIN, the server records the denial. */
    fun deny() {
        val review = _step.value as? LoginStep.Review ?: return
        pin.clear()
        val tigrId = chosen?.tigrId
        _step.value = LoginStep.Sending(review.context, denying = true)
        viewModelScope.launch {
            _step.value = when (val result = sdk.call { deny(payload, tigrId) }) {
                is SdkResult.Success -> LoginStep.Denied(review.context)
                is SdkResult.Failure -> failure(result)
            }
        }
    }

    /** "Réessayer": after a wrong PIN or a network/server fault, back to the PIN. */
    fun retry() {
        val context = request?.context
        if (context == null) load() else proceed()
    }

    /** "Obtenir un code hors connexion" after a network failure. */
    fun goOffline() {
        pin.clear()
        _offline.trySend(GoOffline(chosen?.tigrId, request?.offlineReason))
    }

    /** On [LoginStep.Revoked]: forget the account here (`removeAccount`), then leave. */
    fun removeRevokedAccount() {
        val revoked = _step.value as? LoginStep.Revoked ?: return
        val account = revoked.account ?: return
        viewModelScope.launch {
            when (val result = sdk.call { removeAccount(account.serverOrigin, account.tigrId) }) {
                is SdkResult.Success -> _finished.trySend(Unit)
                is SdkResult.Failure ->
                    _step.value = LoginStep.Failed(result.message, canRetry = false, offlinePossible = false)
            }
        }
    }

    /** The screen for a failed call: every SDK error is mapped (a new one does not compile). */
    private fun failure(failure: SdkResult.Failure): LoginStep {
        val message = failure.message
        val error = failure.error as? TigrException
            ?: return LoginStep.Failed(message, canRetry = false, offlinePossible = false)
        return when (error) {
            is TigrException.WrongPin -> LoginStep.WrongPin(error.attemptsLeft.toInt(), message)
            is TigrException.AccountBlocked -> LoginStep.Blocked(
                message,
                request?.context?.serviceName,
                error.blockedUntil?.let(sdk::minutesUntil),
            )
            is TigrException.ChallengeExpired -> LoginStep.Expired(message)
            is TigrException.PhoneRevoked -> LoginStep.Revoked(
                message,
                request?.accounts?.firstOrNull { it.tigrId == chosen?.tigrId },
            )
            is TigrException.AccountChoiceNeeded -> LoginStep.ChooseAccount(
                error.tigrIds.map { id ->
                    AccountChoice(id, request?.accounts?.firstOrNull { it.tigrId == id }?.displayName)
                },
                offline = request?.context == null,
            )
            is TigrException.Network -> LoginStep.Failed(message, canRetry = true, offlinePossible = true)
            is TigrException.Server -> LoginStep.Failed(message, canRetry = true, offlinePossible = false)
            is TigrException.InvalidCode,
            is TigrException.NotEnrolled,
            is TigrException.InvalidPin,
            is TigrException.AlreadyUsed,
            is TigrException.InvalidInvitation,
            is TigrException.KeyStore,
            is TigrException.Storage,
            // OTP account errors: never from a login call.
            is TigrException.InvalidOtpCode,
            is TigrException.UnknownOtpAccount,
            is TigrException.InvalidOtpName,
            -> LoginStep.Failed(message, canRetry = false, offlinePossible = false)
        }
    }

    override fun onCleared() {
        pin.clear()
    }
}
