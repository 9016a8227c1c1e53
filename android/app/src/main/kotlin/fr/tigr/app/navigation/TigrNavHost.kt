package fr.tigr.app.navigation

import androidx.activity.compose.BackHandler
import androidx.compose.material3.SnackbarHostState
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.ui.platform.LocalContext
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.compose.LifecycleResumeEffect
import androidx.lifecycle.compose.LocalLifecycleOwner
import androidx.lifecycle.repeatOnLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import androidx.navigation.NavHostController
import androidx.navigation.NavType
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.rememberNavController
import androidx.navigation.navArgument
import fr.tigr.app.R
import fr.tigr.app.TigrApplication
import fr.tigr.app.ViewModelFactories
import fr.tigr.app.accounts.AccountListScreen
import fr.tigr.app.accounts.AccountListViewModel
import fr.tigr.app.authentication.LoginFlow
import fr.tigr.app.enrollment.EnrollmentFlow
import fr.tigr.app.enrollment.EnrollmentStep
import fr.tigr.app.enrollment.EnrollmentViewModel
import fr.tigr.app.offline.OfflineFlow
import fr.tigr.app.otp.OtpViewModel
import fr.tigr.app.scan.ScannerScreen
import fr.tigr.app.sdk.SdkResult
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.launch

/**
 * accounts -> scan -> enroll | login [-> offline]; every flow ends back on accounts.
 * [links] are App Links / tigr:// URLs that opened the app: they skip the scanner.
 */
@Composable
fun TigrNavHost(links: Flow<String>, navController: NavHostController = rememberNavController()) {
    val snackbar = remember { SnackbarHostState() }
    val context = LocalContext.current
    val sdk = (context.applicationContext as TigrApplication).sdk
    val notTigr = context.getString(R.string.scan_not_tigr)
    val scope = rememberCoroutineScope()

    LaunchedEffect(links) {
        links.collect { link ->
            when (val parsed = sdk.call { parseCode(link) }) {
                is SdkResult.Success -> when (val route = Routes.forCode(parsed.value)) {
                    null -> snackbar.showSnackbar(context.getString(R.string.otp_link_use_scanner))
                    else -> navController.navigate(route) {
                        popUpTo(Routes.ACCOUNTS)
                        launchSingleTop = true
                    }
                }
                is SdkResult.Failure -> snackbar.showSnackbar("$notTigr — ${parsed.message}")
            }
        }
    }

    fun home() {
        if (!navController.popBackStack(Routes.ACCOUNTS, inclusive = false)) {
            navController.navigate(Routes.ACCOUNTS)
        }
    }

    // Query arguments must be optional for Navigation; the ViewModels require the payload.
    val payloadArg = navArgument(Routes.ARG_PAYLOAD) {
        type = NavType.StringType
        nullable = true
        defaultValue = null
    }

    NavHost(navController = navController, startDestination = Routes.ACCOUNTS) {
        composable(Routes.ACCOUNTS) {
            AccountsRoute(onScan = { navController.navigate(Routes.SCAN) }, snackbar = snackbar)
        }
        composable(Routes.SCAN) {
            ScannerScreen(
                onClose = { home() },
                onCode = { code ->
                    Routes.forCode(code)?.let { route ->
                        navController.navigate(route) {
                            popUpTo(Routes.SCAN) { inclusive = true }
                        }
                    }
                },
                onOtpAdded = { count ->
                    home()
                    scope.launch {
                        snackbar.showSnackbar(context.resources.getQuantityString(R.plurals.otp_added, count, count))
                    }
                },
            )
        }
        composable(Routes.ENROLL, arguments = listOf(payloadArg)) {
            EnrollmentRoute(onFinished = { home() })
        }
        composable(Routes.LOGIN, arguments = listOf(payloadArg)) { entry ->
            LoginFlow(
                viewModel = viewModel(factory = ViewModelFactories.login),
                onFinished = { home() },
                onScanAgain = {
                    navController.navigate(Routes.SCAN) { popUpTo(Routes.ACCOUNTS) }
                },
                onOffline = { go ->
                    val payload = entry.arguments?.getString(Routes.ARG_PAYLOAD).orEmpty()
                    navController.navigate(Routes.offline(payload, go.tigrId, go.reason)) {
                        popUpTo(Routes.ACCOUNTS)
                    }
                },
            )
        }
        composable(
            Routes.OFFLINE,
            arguments = listOf(
                payloadArg,
                navArgument(Routes.ARG_TIGR_ID) { type = NavType.StringType; nullable = true; defaultValue = null },
                navArgument(Routes.ARG_REASON) { type = NavType.StringType; nullable = true; defaultValue = null },
            ),
        ) {
            OfflineFlow(viewModel = viewModel(factory = ViewModelFactories.offline), onFinished = { home() })
        }
    }
}

/**
 * The account list with Android's lifecycle: both lists reload each time the screen resumes
 * (an enrollment or the scanner may have added an account), and the TOTP countdowns tick only
 * while it is in the foreground.
 */
@Composable
private fun AccountsRoute(
    onScan: () -> Unit,
    snackbar: SnackbarHostState,
    accounts: AccountListViewModel = viewModel(factory = ViewModelFactories.accountList),
    otp: OtpViewModel = viewModel(factory = ViewModelFactories.otp),
) {
    LifecycleResumeEffect(Unit) {
        accounts.load()
        otp.load()
        onPauseOrDispose { }
    }
    val lifecycle = LocalLifecycleOwner.current.lifecycle
    LaunchedEffect(lifecycle) {
        lifecycle.repeatOnLifecycle(Lifecycle.State.RESUMED) {
            while (true) {
                delay(1_000)
                otp.tick()
            }
        }
    }
    AccountListScreen(viewModel = accounts, otp = otp, onScan = onScan, snackbar = snackbar)
}

/** The enrollment flow; the back key on the PIN confirmation returns to the first entry. */
@Composable
private fun EnrollmentRoute(
    onFinished: () -> Unit,
    viewModel: EnrollmentViewModel = viewModel(factory = ViewModelFactories.enrollment),
) {
    val step by viewModel.step.collectAsState()
    BackHandler(enabled = step is EnrollmentStep.ConfirmPin) { viewModel.restartPin() }
    EnrollmentFlow(viewModel = viewModel, onFinished = onFinished)
}
