package fr.tigr.app.jvmtests

import fr.tigr.app.enrollment.EnrollmentStep
import fr.tigr.app.enrollment.EnrollmentViewModel
import fr.tigr.app.sdk.AuthenticatorClient
import fr.tigr.app.sdk.TigrSdk
import fr.tigr.app.ui.text.TextId
import fr.tigr.app.ui.text.UiText
import fr.tigr.sdk.Account
import fr.tigr.sdk.ScannedCode
import fr.tigr.sdk.jvmtests.AesKeyProtector
import fr.tigr.sdk.jvmtests.TestServer
import fr.tigr.sdk.parseCode
import java.nio.file.Path
import java.util.concurrent.Executor
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import javax.swing.SwingUtilities
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.test.resetMain
import kotlinx.coroutines.test.setMain
import kotlinx.coroutines.withTimeoutOrNull
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.extension.AfterEachCallback
import org.junit.jupiter.api.extension.BeforeEachCallback
import org.junit.jupiter.api.extension.ExtensionContext

/**
 * The app's SDK wiring (`TigrApplication`) on a JVM phone: the real SDK (JNA, libtigr_mobile)
 * over a vault in [dir], the platform key store replaced by [AesKeyProtector] (same blob format
 * as `KeystoreKeyProtector`), in [language].
 */
class AppPhone(dir: Path, val language: String = "fr") {
    val client = AuthenticatorClient(dir.resolve("tigr").toString(), AesKeyProtector(), language)
    val sdk = TigrSdk(
        client = { client },
        unexpected = { UiText.forLanguage(language)[TextId.ERROR_UNEXPECTED] },
    )

    /** Enrolls [account] of [server] the way the enrollment screens do: offer, PIN twice. */
    fun enroll(server: TestServer, account: String, pin: String): Account {
        val invitation = parseCode(server.invitationPayload(account)) as ScannedCode.Invitation
        val flow = EnrollmentViewModel(invitation.code.payload, "Pixel JVM", sdk)
        flow.step.awaitStep<EnrollmentStep.Offer>()
        flow.startPin()
        pin.forEach(flow::onDigit)
        flow.submitPin()
        pin.forEach(flow::onDigit)
        flow.submitPin()
        return flow.step.awaitStep<EnrollmentStep.Done>().account
    }
}

/**
 * Runs `viewModelScope` (Dispatchers.Main) on a thread of its own, as the phone's main thread;
 * the SDK calls run on Dispatchers.IO as in the app. For the ViewModels alone
 * ([ViewModelFlowsTest]); the Compose UI tests use [UiThreadMainExtension].
 */
@OptIn(ExperimentalCoroutinesApi::class)
open class MainThreadExtension : BeforeEachCallback, AfterEachCallback {
    private var executor: ExecutorService? = null

    /** The dispatcher that plays the phone's main thread. */
    protected open fun mainDispatcher(): CoroutineDispatcher {
        val main = Executors.newSingleThreadExecutor { task -> Thread(task, "main").apply { isDaemon = true } }
        executor = main
        return main.asCoroutineDispatcher()
    }

    override fun beforeEach(context: ExtensionContext) {
        Dispatchers.setMain(mainDispatcher())
    }

    override fun afterEach(context: ExtensionContext) {
        Dispatchers.resetMain()
        executor?.shutdownNow()
        executor = null
    }
}

/**
 * Dispatchers.Main is the UI thread, as on the phone: the AWT event thread, where
 * `runComposeUiTest` composes, lays out and draws, so a ViewModel changes its state between
 * two frames. (With a main thread of its own, the screens' `collectAsState` collectors ran on
 * that thread, the test's composition dispatcher being unconfined, and a step written there
 * while a frame was being produced was now and then never recomposed: the screen stayed on
 * "Loading" while the ViewModel was on its offer.)
 */
class UiThreadMainExtension : MainThreadExtension() {
    override fun mainDispatcher(): CoroutineDispatcher =
        Executor { task -> SwingUtilities.invokeLater(task) }.asCoroutineDispatcher()
}

/** Waits (20 s at most) until the value matches [predicate]; fails with the last value. */
fun <T> StateFlow<T>.await(what: String, predicate: (T) -> Boolean): T = runBlocking {
    withTimeoutOrNull(20_000) { first(predicate) } ?: fail("$what: still $value")
}

/** Waits for the step of type [S]. */
inline fun <reified S : Any> StateFlow<*>.awaitStep(): S =
    await("waiting for ${S::class.simpleName}") { it is S } as S
