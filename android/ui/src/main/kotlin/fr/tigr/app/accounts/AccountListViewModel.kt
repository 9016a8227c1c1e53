package fr.tigr.app.accounts

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import fr.tigr.app.sdk.SdkResult
import fr.tigr.app.sdk.TigrSdk
import fr.tigr.sdk.Account
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch

/** The account list step. */
sealed interface AccountListState {
    data object Loading : AccountListState
    data class Loaded(val accounts: List<Account>) : AccountListState
    data class Failed(val message: String) : AccountListState
}

/** The remove-account confirmation, shown over the list. */
sealed interface RemovalState {
    data object None : RemovalState
    data class Confirm(val account: Account) : RemovalState
    data class Removing(val account: Account) : RemovalState
    data class Failed(val account: Account, val message: String) : RemovalState
}

/** Lists the accounts (`accounts()`) and removes one (`removeAccount(serverOrigin, tigrId)`). */
class AccountListViewModel(private val sdk: TigrSdk) : ViewModel() {
    private val _state = MutableStateFlow<AccountListState>(AccountListState.Loading)
    val state: StateFlow<AccountListState> = _state.asStateFlow()

    private val _removal = MutableStateFlow<RemovalState>(RemovalState.None)
    val removal: StateFlow<RemovalState> = _removal.asStateFlow()

    /** Called each time the screen resumes (an enrollment may have added an account). */
    fun load() {
        viewModelScope.launch {
            _state.value = when (val result = sdk.call { accounts() }) {
                is SdkResult.Success -> AccountListState.Loaded(result.value)
                is SdkResult.Failure -> AccountListState.Failed(result.message)
            }
        }
    }

    fun askRemove(account: Account) {
        _removal.value = RemovalState.Confirm(account)
    }

    fun cancelRemove() {
        _removal.value = RemovalState.None
    }

    fun confirmRemove() {
        val account = when (val current = _removal.value) {
            is RemovalState.Confirm -> current.account
            is RemovalState.Failed -> current.account
            else -> return
        }
        _removal.value = RemovalState.Removing(account)
        viewModelScope.launch {
            when (val result = sdk.call { removeAccount(account.serverOrigin, account.tigrId) }) {
                is SdkResult.Success -> {
                    _removal.value = RemovalState.None
                    load()
                }
                is SdkResult.Failure -> _removal.value = RemovalState.Failed(account, result.message)
            }
        }
    }
}
