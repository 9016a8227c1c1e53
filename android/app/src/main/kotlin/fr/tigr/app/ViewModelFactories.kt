package fr.tigr.app

import android.os.SystemClock
import androidx.lifecycle.SavedStateHandle
import androidx.lifecycle.ViewModelProvider
import androidx.lifecycle.createSavedStateHandle
import androidx.lifecycle.viewmodel.CreationExtras
import androidx.lifecycle.viewmodel.initializer
import androidx.lifecycle.viewmodel.viewModelFactory
import fr.tigr.app.accounts.AccountListViewModel
import fr.tigr.app.authentication.LoginViewModel
import fr.tigr.app.enrollment.EnrollmentViewModel
import fr.tigr.app.navigation.Routes
import fr.tigr.app.offline.OfflineViewModel
import fr.tigr.app.otp.OtpViewModel
import fr.tigr.app.scan.ScannerViewModel
import fr.tigr.app.sdk.deviceName

/**
 * How each screen's ViewModel is made on Android: from the application (SDK, clipboard) and the
 * navigation arguments. Kept apart from the ViewModels, which use no Android API, so that they
 * and their tests also compile and run on a plain JVM (android/jvm-tests, see android/README.md).
 */
object ViewModelFactories {
    val accountList: ViewModelProvider.Factory = viewModelFactory {
        initializer { AccountListViewModel(tigrApplication().sdk) }
    }

    val otp: ViewModelProvider.Factory = viewModelFactory {
        initializer {
            val app = tigrApplication()
            OtpViewModel(app.sdk, app.codeCopier)
        }
    }

    val scanner: ViewModelProvider.Factory = viewModelFactory {
        initializer { ScannerViewModel(tigrApplication().sdk) }
    }

    val enrollment: ViewModelProvider.Factory = viewModelFactory {
        initializer {
            val app = tigrApplication()
            EnrollmentViewModel(
                payload = requireNotNull(navigation().get<String>(Routes.ARG_PAYLOAD)),
                deviceName = deviceName(app),
                sdk = app.sdk,
            )
        }
    }

    val login: ViewModelProvider.Factory = viewModelFactory {
        initializer {
            LoginViewModel(
                payload = requireNotNull(navigation().get<String>(Routes.ARG_PAYLOAD)),
                sdk = tigrApplication().sdk,
            )
        }
    }

    val offline: ViewModelProvider.Factory = viewModelFactory {
        initializer {
            val handle = navigation()
            OfflineViewModel(
                payload = requireNotNull(handle.get<String>(Routes.ARG_PAYLOAD)),
                tigrId = handle.get<String>(Routes.ARG_TIGR_ID),
                reason = handle.get<String>(Routes.ARG_REASON),
                sdk = tigrApplication().sdk,
                elapsedRealtime = SystemClock::elapsedRealtime,
            )
        }
    }
}

/** The application, from inside a `viewModelFactory { initializer { ... } }` block. */
private fun CreationExtras.tigrApplication(): TigrApplication =
    this[ViewModelProvider.AndroidViewModelFactory.APPLICATION_KEY] as TigrApplication

/** The navigation arguments of the screen (the payload, never a secret of an OTP account). */
private fun CreationExtras.navigation(): SavedStateHandle = createSavedStateHandle()
