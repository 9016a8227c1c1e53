package fr.tigr.app.otp

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import fr.tigr.app.sdk.SdkResult
import fr.tigr.app.sdk.TigrSdk
import fr.tigr.sdk.OtpAccount
import fr.tigr.sdk.OtpCode
import fr.tigr.sdk.OtpKind
import fr.tigr.sdk.OtpValidity
import fr.tigr.sdk.TigrException
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** The code an OTP row shows. */
sealed interface ShownCode {
    val digits: String

    /** A TOTP code: [secondsLeft] of [periodSeconds], by the app's clock, until [expiresAt]. */
    data class Timed(
        override val digits: String,
        val secondsLeft: Int,
        val periodSeconds: Int,
        val expiresAt: Long,
    ) : ShownCode

    /** An HOTP code the user asked for, made with [counter]. */
    data class Counted(override val digits: String, val counter: ULong) : ShownCode
}

/** One OTP account of the list: a TOTP code always shows; an HOTP one once asked for. */
data class OtpRow(val account: OtpAccount, val code: ShownCode?, val error: String? = null) {
    val isHotp: Boolean get() = account.kind is OtpKind.Hotp
}

sealed interface OtpListState {
    data object Loading : OtpListState
    data class Loaded(val rows: List<OtpRow>) : OtpListState
    data class Failed(val message: String) : OtpListState
}

/** Rename and remove, shown over the list. */
sealed interface OtpEdit {
    data object None : OtpEdit
    data class Rename(val account: OtpAccount, val error: String? = null, val busy: Boolean = false) : OtpEdit
    data class Remove(val account: OtpAccount, val error: String? = null, val busy: Boolean = false) : OtpEdit
}

/**
 * The OTP section of the account list (docs/mobile.md §2.6): `otpAccounts()`, then `otpCode(id)`
 * for each TOTP account, again whenever its code expires ([tick], every second, by the app's
 * clock); an HOTP code only on [nextHotpCode] (each call moves the counter on). Tap to copy
 * goes through [copier] (cleared after 30 s). Rename and remove with confirmation.
 */
class OtpViewModel(private val sdk: TigrSdk, private val copier: CodeCopier) : ViewModel() {
    private val _state = MutableStateFlow<OtpListState>(OtpListState.Loading)
    val state: StateFlow<OtpListState> = _state.asStateFlow()

    private val _edit = MutableStateFlow<OtpEdit>(OtpEdit.None)
    val edit: StateFlow<OtpEdit> = _edit.asStateFlow()

    /** Set after a copy, for the "Code copié" message; [copyShown] resets it. */
    private val _copied = MutableStateFlow<String?>(null)
    val copied: StateFlow<String?> = _copied.asStateFlow()

    /** TOTP codes being fetched, so that one expiry asks the SDK once. */
    private val refreshing = mutableSetOf<String>()

    /** On every resume: the accounts, and the codes of the TOTP ones. */
    fun load() {
        viewModelScope.launch {
            when (val result = sdk.call { otpAccounts() }) {
                is SdkResult.Failure -> _state.value = OtpListState.Failed(result.message)
                is SdkResult.Success -> {
                    val previous = rowsById()
                    // HOTP codes already shown stay; TOTP ones are fetched below.
                    _state.value = OtpListState.Loaded(
                        result.value.map { account ->
                            OtpRow(account, previous[account.id]?.code?.takeIf { it is ShownCode.Counted })
                        },
                    )
                    result.value.filter { it.kind is OtpKind.Totp }.forEach { refresh(it.id) }
                }
            }
        }
    }

    /** Once a second while the list shows: counts down, and fetches the codes that expired. */
    fun tick() {
        val now = sdk.now()
        val rows = (state.value as? OtpListState.Loaded)?.rows ?: return
        _state.value = OtpListState.Loaded(
            rows.map { row ->
                val code = row.code as? ShownCode.Timed ?: return@map row
                row.copy(code = code.copy(secondsLeft = (code.expiresAt - now).coerceAtLeast(0).toInt()))
            },
        )
        rows.filter { row ->
            val code = row.code
            !row.isHotp && (code == null && row.error == null || code is ShownCode.Timed && code.expiresAt <= now)
        }.forEach { refresh(it.account.id) }
    }

    private fun refresh(id: String) {
        if (!refreshing.add(id)) return
        viewModelScope.launch {
            val result = sdk.call { otpCode(id) }
            refreshing.remove(id)
            show(id, result)
        }
    }

    /** "Générer un code" on an HOTP account: the SDK moves its counter on. */
    fun nextHotpCode(id: String) {
        viewModelScope.launch { show(id, sdk.call { otpCode(id) }) }
    }

    private fun show(id: String, result: SdkResult<OtpCode>) {
        updateRow(id) { row ->
            when (result) {
                is SdkResult.Success -> row.copy(code = shown(result.value), error = null)
                is SdkResult.Failure -> row.copy(code = null, error = result.message)
            }
        }
        if (result is SdkResult.Failure && result.error is TigrException.UnknownOtpAccount) load()
    }

    private fun shown(code: OtpCode): ShownCode = when (val validity = code.validity) {
        is OtpValidity.Time -> ShownCode.Timed(
            code.code,
            validity.secondsLeft.toInt(),
            validity.periodSeconds.toInt(),
            validity.expiresAt,
        )
        is OtpValidity.Counter -> ShownCode.Counted(code.code, validity.counter)
    }

    /** Tap on a code: copies it, marked sensitive, cleared 30 s later. */
    fun copy(row: OtpRow) {
        val code = row.code ?: return
        copier.copy(row.account.label, code.digits)
        _copied.value = row.account.label
    }

    fun copyShown() {
        _copied.value = null
    }

    fun askRename(account: OtpAccount) {
        _edit.value = OtpEdit.Rename(account)
    }

    fun askRemove(account: OtpAccount) {
        _edit.value = OtpEdit.Remove(account)
    }

    fun cancelEdit() {
        _edit.value = OtpEdit.None
    }

    /** Renames with the names typed; the SDK refuses an empty name or a colon (InvalidOtpName). */
    fun confirmRename(issuer: String, accountName: String) {
        val edit = _edit.value as? OtpEdit.Rename ?: return
        _edit.value = edit.copy(busy = true, error = null)
        viewModelScope.launch {
            when (val result = sdk.call { renameOtpAccount(edit.account.id, issuer.ifBlank { null }, accountName) }) {
                is SdkResult.Success -> {
                    _edit.value = OtpEdit.None
                    updateRow(edit.account.id) { it.copy(account = result.value) }
                }
                is SdkResult.Failure -> _edit.value = edit.copy(busy = false, error = result.message)
            }
        }
    }

    fun confirmRemove() {
        val edit = _edit.value as? OtpEdit.Remove ?: return
        _edit.value = edit.copy(busy = true, error = null)
        viewModelScope.launch {
            when (val result = sdk.call { removeOtpAccount(edit.account.id) }) {
                is SdkResult.Success -> {
                    _edit.value = OtpEdit.None
                    load()
                }
                is SdkResult.Failure -> _edit.value = edit.copy(busy = false, error = result.message)
            }
        }
    }

    private fun rowsById(): Map<String, OtpRow> =
        (state.value as? OtpListState.Loaded)?.rows.orEmpty().associateBy { it.account.id }

    private fun updateRow(id: String, change: (OtpRow) -> OtpRow) {
        _state.update { state ->
            if (state !is OtpListState.Loaded) return@update state
            OtpListState.Loaded(state.rows.map { if (it.account.id == id) change(it) else it })
        }
    }
}
