package fr.tigr.app.jvmtests

import fr.tigr.app.accounts.AccountListState
import fr.tigr.app.accounts.AccountListViewModel
import fr.tigr.app.accounts.RemovalState
import fr.tigr.app.authentication.GoOffline
import fr.tigr.app.authentication.LoginStep
import fr.tigr.app.authentication.LoginViewModel
import fr.tigr.app.enrollment.EnrollmentStep
import fr.tigr.app.enrollment.EnrollmentViewModel
import fr.tigr.app.navigation.Routes
import fr.tigr.app.offline.OfflineStep
import fr.tigr.app.offline.OfflineViewModel
import fr.tigr.app.scan.ScannerViewModel
import fr.tigr.sdk.Account
import fr.tigr.sdk.ScannedCode
import fr.tigr.sdk.jvmtests.TestServer
import java.nio.file.Path
import java.util.concurrent.atomic.AtomicLong
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.extension.ExtendWith
import org.junit.jupiter.api.io.TempDir

/**
 * The app's real ViewModels (android/ui), one test per flow, against the real tigr-server that
 * [TestServer] starts, through the real SDK. Each test does what the user does on the screens
 * (scan, type the PIN on the pad, press the buttons) and checks the steps the screens show and
 * what the server recorded.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(MainThreadExtension::class)
class ViewModelFlowsTest {
    private lateinit var server: TestServer

    @BeforeAll
    fun startServer() {
        server = TestServer()
    }

    @AfterAll
    fun stopServer() {
        server.close()
    }

    /** The scanner reads [qr]: the code it routes, and the route it opens. */
    private fun scanned(phone: AppPhone, qr: String): ScannedCode {
        val scanner = ScannerViewModel(phone.sdk)
        scanner.onTexts(listOf(qr))
        val found = checkNotNull(scanner.state.await("the scanner reads the QR") { it.found != null }.found)
        assertNotNull(Routes.forCode(found), "a Tigr code opens a flow")
        return found
    }

    private fun enrollment(phone: AppPhone, account: String): EnrollmentViewModel {
        val code = scanned(phone, server.invitationPayload(account)) as ScannedCode.Invitation
        return EnrollmentViewModel(code.code.payload, DEVICE, phone.sdk)
    }

    private fun login(phone: AppPhone, qr: String): LoginViewModel {
        val code = scanned(phone, qr) as ScannedCode.Login
        return LoginViewModel(code.code.payload, phone.sdk)
    }

    private fun enrolled(phone: AppPhone, account: String): Account = phone.enroll(server, account, PIN)

    @Test
    fun `enrollment - offer, PIN mismatch, weak PIN, PIN twice, done, then the list shows it`(@TempDir dir: Path) {
        val phone = AppPhone(dir)
        val flow = enrollment(phone, "vm-enroll")

        val offer = flow.step.awaitStep<EnrollmentStep.Offer>()
        assertEquals("vm-enroll", offer.offer.tigrId)
        assertEquals(TestServer.SERVICE_NAME, offer.offer.serviceName)
        assertFalse(offer.replacesExisting)

        // The two entries differ: back to the first entry with the SDK's sentence.
        flow.startPin()
        flow.type(PIN)
        flow.submitPin()
        flow.step.awaitStep<EnrollmentStep.ConfirmPin>()
        assertEquals(0, flow.pin.length.value, "the pad is cleared for the second entry")
        flow.type("1357")
        flow.submitPin()
        val mismatch = flow.step.await("mismatch refused") { it is EnrollmentStep.ChoosePin && it.error != null }
        val mismatchMessage = checkNotNull((mismatch as EnrollmentStep.ChoosePin).error)

        // A run (1234) is refused by the SDK, with another sentence.
        flow.type("1234")
        flow.submitPin()
        flow.type("1234")
        flow.submitPin()
        val weak = flow.step.await("weak PIN refused") {
            it is EnrollmentStep.ChoosePin && it.error != null && it.error != mismatchMessage
        } as EnrollmentStep.ChoosePin
        assertTrue(checkNotNull(weak.error).isNotBlank())

        flow.type(PIN)
        flow.submitPin()
        flow.type(PIN)
        flow.submitPin()
        val done = flow.step.awaitStep<EnrollmentStep.Done>()
        assertEquals("vm-enroll", done.account.tigrId)
        assertEquals(0, flow.pin.length.value, "the PIN is not kept")

        val list = AccountListViewModel(phone.sdk)
        list.load()
        val loaded = list.state.awaitStep<AccountListState.Loaded>()
        assertEquals(listOf("vm-enroll"), loaded.accounts.map { it.tigrId })

        // A second invitation for the same account says it replaces the one on the phone.
        val again = enrollment(phone, "vm-enroll").step.awaitStep<EnrollmentStep.Offer>()
        assertTrue(again.replacesExisting)
    }

    @Test
    fun `login - review with the context, right PIN, approved on the server`(@TempDir dir: Path) {
        val phone = AppPhone(dir)
        val account = enrolled(phone, "vm-approve")
        val challenge = server.createChallenge()
        val flow = login(phone, challenge.qrPayload)

        val review = flow.step.awaitStep<LoginStep.Review>()
        assertEquals(TestServer.SERVICE_NAME, review.context.serviceName)
        assertEquals(account.serverHost, review.context.serverHost)
        assertTrue(review.context.browserIp.isNotBlank())
        assertTrue(review.context.browserSummary.isNotBlank())
        assertEquals("vm-approve", review.account?.tigrId)
        assertNull(review.pinError)
        assertEquals("scanned", server.awaitState(challenge, "scanned"))

        flow.type(PIN)
        flow.approve()
        val approved = flow.step.awaitStep<LoginStep.Approved>()
        assertEquals(TestServer.SERVICE_NAME, approved.context.serviceName)
        assertEquals("approved" to "vm-approve", server.state(challenge))
    }

    @Test
    fun `login - wrong PIN shows the attempts left, retry on the same QR approves`(@TempDir dir: Path) {
        val phone = AppPhone(dir)
        enrolled(phone, "vm-wrong-pin")
        val challenge = server.createChallenge()
        val flow = login(phone, challenge.qrPayload)
        flow.step.awaitStep<LoginStep.Review>()

        flow.type(WRONG_PIN)
        flow.approve()
        val wrong = flow.step.awaitStep<LoginStep.WrongPin>()
        assertEquals(4, wrong.attemptsLeft)
        assertTrue(wrong.message.contains("4"), wrong.message)

        flow.retry()
        flow.step.awaitStep<LoginStep.Review>()
        flow.type(PIN)
        flow.approve()
        flow.step.awaitStep<LoginStep.Approved>()
        assertEquals("approved", server.state(challenge).first)
    }

    @Test
    fun `login - blocked after the last attempt, with the minutes left`(@TempDir dir: Path) {
        val phone = AppPhone(dir)
        enrolled(phone, "vm-blocked")
        val flow = login(phone, server.createChallenge().qrPayload)
        flow.step.awaitStep<LoginStep.Review>()

        for (left in 4 downTo 1) {
            flow.type(WRONG_PIN)
            flow.approve()
            assertEquals(left, flow.step.awaitStep<LoginStep.WrongPin>().attemptsLeft)
            flow.retry()
            flow.step.awaitStep<LoginStep.Review>()
        }
        flow.type(WRONG_PIN)
        flow.approve()
        val blocked = flow.step.awaitStep<LoginStep.Blocked>()
        assertEquals(15, blocked.minutesLeft, "the server's default block is 15 minutes")
        assertTrue(blocked.message.contains("15 min"), blocked.message)

        // A new QR and the right PIN: still blocked.
        val next = login(phone, server.createChallenge().qrPayload)
        next.step.awaitStep<LoginStep.Review>()
        next.type(PIN)
        next.approve()
        next.step.awaitStep<LoginStep.Blocked>()
    }

    @Test
    fun `login - this was not me, denied on the server`(@TempDir dir: Path) {
        val phone = AppPhone(dir)
        enrolled(phone, "vm-deny")
        val challenge = server.createChallenge()
        val flow = login(phone, challenge.qrPayload)
        flow.step.awaitStep<LoginStep.Review>()

        flow.type("25") // a half-typed PIN is dropped: denying needs none
        flow.deny()
        flow.step.awaitStep<LoginStep.Denied>()
        assertEquals(0, flow.pin.length.value)
        assertEquals("denied", server.state(challenge).first)
    }

    @Test
    fun `offline - no network at the scan, PIN, password with a countdown accepted by the page`(@TempDir dir: Path) {
        val phone = AppPhone(dir)
        enrolled(phone, "vm-offline")
        val challenge = server.createChallenge()
        server.network.cut()
        try {
            val flow = login(phone, challenge.qrPayload)
            val go = flow.nextOffline()
            assertEquals("vm-offline", go.tigrId)
            assertTrue(!go.reason.isNullOrBlank(), "the offline screen says why")

            val clock = AtomicLong(1_000_000)
            val offline = OfflineViewModel(
                payload = (scanned(phone, challenge.qrPayload) as ScannedCode.Login).code.payload,
                tigrId = go.tigrId,
                reason = go.reason,
                sdk = phone.sdk,
                elapsedRealtime = clock::get,
            )
            val enter = offline.step.awaitStep<OfflineStep.EnterPin>()
            assertEquals(go.reason, enter.reason)
            offline.type(PIN)
            offline.submit()
            val code = offline.step.awaitStep<OfflineStep.Code>()
            assertEquals("vm-offline", code.code.tigrId)
            assertTrue(Regex("\\d{8}").matches(code.code.otp), code.code.otp)

            // The countdown runs on the monotonic clock, from the SDK's secondsLeft.
            val start = offline.secondsLeft(code)
            assertEquals(code.code.secondsLeft, start)
            assertTrue(start in 11L..300L, "running: $start s")
            clock.addAndGet(10_000)
            assertEquals(start - 10, offline.secondsLeft(code))
            clock.addAndGet(start * 1_000)
            assertEquals(0, offline.secondsLeft(code))

            val reply = server.submitOffline(challenge, code.code.tigrId, code.code.otp)
            assertEquals(200, reply.statusCode(), reply.body())
            assertEquals("approved", server.state(challenge).first)
        } finally {
            server.network.restore()
        }
    }

    @Test
    fun `login - server unreachable when approving, then the offline code`(@TempDir dir: Path) {
        val phone = AppPhone(dir)
        enrolled(phone, "vm-unreachable")
        val flow = login(phone, server.createChallenge().qrPayload)
        flow.step.awaitStep<LoginStep.Review>()

        server.network.cut()
        try {
            flow.type(PIN)
            flow.approve()
            val failed = flow.step.awaitStep<LoginStep.Failed>()
            assertTrue(failed.canRetry)
            assertTrue(failed.offlinePossible, "a network failure offers the offline code")
            assertTrue(!failed.message.isNullOrBlank())

            flow.goOffline()
            assertEquals("vm-unreachable", flow.nextOffline().tigrId)
        } finally {
            server.network.restore()
        }
    }

    @Test
    fun `account removal - confirmation, list empty, the server's QR then says not enrolled`(@TempDir dir: Path) {
        val phone = AppPhone(dir)
        val account = enrolled(phone, "vm-remove")
        val list = AccountListViewModel(phone.sdk)
        list.load()
        list.state.await("the account is listed") { it is AccountListState.Loaded && it.accounts.isNotEmpty() }

        list.askRemove(account)
        assertEquals(RemovalState.Confirm(account), list.removal.value)
        list.cancelRemove()
        assertEquals(RemovalState.None, list.removal.value)

        list.askRemove(account)
        list.confirmRemove()
        list.removal.await("dialog closed") { it == RemovalState.None }
        list.state.await("the list is empty") { it is AccountListState.Loaded && it.accounts.isEmpty() }

        val flow = login(phone, server.createChallenge().qrPayload)
        val failed = flow.step.awaitStep<LoginStep.Failed>()
        assertFalse(failed.canRetry)
        assertTrue(!failed.message.isNullOrBlank())
    }

    private fun EnrollmentViewModel.type(pin: String) = pin.forEach(::onDigit)

    private fun LoginViewModel.type(pin: String) = pin.forEach(::onDigit)

    private fun OfflineViewModel.type(pin: String) = pin.forEach(::onDigit)

    /** The next hand-over to the offline route. */
    private fun LoginViewModel.nextOffline(): GoOffline = runBlocking { withTimeout(20_000) { offline.first() } }

    private companion object {
        const val PIN = "2580"
        const val WRONG_PIN = "9731"
        const val DEVICE = "Pixel JVM"
    }
}
