package fr.tigr.app.jvmtests

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import androidx.compose.ui.test.ComposeUiTest
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.assertCountEquals
import androidx.compose.ui.test.assertIsEnabled
import androidx.compose.ui.test.assertIsNotEnabled
import androidx.compose.ui.test.hasContentDescription
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.onAllNodesWithText
import androidx.compose.ui.test.onNodeWithContentDescription
import androidx.compose.ui.test.onNodeWithText
import androidx.compose.ui.test.onRoot
import androidx.compose.ui.test.printToString
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performScrollTo
import androidx.compose.ui.test.runComposeUiTest
import fr.tigr.app.authentication.GoOffline
import fr.tigr.app.authentication.LoginFlow
import fr.tigr.app.authentication.LoginStep
import fr.tigr.app.authentication.LoginViewModel
import fr.tigr.app.enrollment.EnrollmentFlow
import fr.tigr.app.enrollment.EnrollmentViewModel
import fr.tigr.app.offline.OfflineFlow
import fr.tigr.app.offline.OfflineStep
import fr.tigr.app.offline.OfflineViewModel
import fr.tigr.app.ui.components.spokenDigits
import fr.tigr.app.ui.text.PluralId
import fr.tigr.app.ui.text.TextId
import fr.tigr.app.ui.text.UiText
import fr.tigr.sdk.ScannedCode
import fr.tigr.sdk.jvmtests.TestServer
import fr.tigr.sdk.parseCode
import java.nio.file.Path
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.Timeout
import org.junit.jupiter.api.extension.ExtendWith
import org.junit.jupiter.api.io.TempDir

/**
 * The real screens (android/ui) driven as a user drives them: PIN typed on the app's pad,
 * buttons pressed by their labels, what is shown read back; the real ViewModels and SDK behind
 * them, against the real tigr-server that [TestServer] starts.
 */
@OptIn(ExperimentalTestApi::class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(UiThreadMainExtension::class)
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ScreenUiTest {
    private lateinit var server: TestServer

    @BeforeAll
    fun startServer() {
        server = TestServer()
    }

    @AfterAll
    fun stopServer() {
        server.close()
    }

    /**
     * Waits until a node shows [text]; after [TIMEOUT_MILLIS], fails with [state] (the
     * ViewModel's step) and what the screen shows. (Compose desktop 1.7's `waitUntil` does not
     * give up: it builds its timeout message and goes on waiting.)
     */
    private fun ComposeUiTest.waitForText(text: String, state: () -> Any? = { null }) {
        val matcher = hasText(text, substring = true)
        val deadline = System.nanoTime() + TIMEOUT_MILLIS * 1_000_000
        while (onAllNodes(matcher).fetchSemanticsNodes(atLeastOneRootRequired = false).isEmpty()) {
            if (System.nanoTime() > deadline) {
                fail<Unit>("no \"$text\" after $TIMEOUT_MILLIS ms; step: ${state()}; the screen:\n${onRoot().printToString()}")
            }
            Thread.sleep(10)
        }
    }

    /**
     * Presses the control labelled [label], scrolled into view first as the user would: a
     * click on a control below the test window's edge is lost.
     */
    private fun ComposeUiTest.press(label: String) = onNodeWithText(label).performScrollTo().performClick()

    /** Types [pin] on the app's keypad, one key at a time. */
    private fun ComposeUiTest.typePin(pin: String) = pin.forEach { press(it.toString()) }

    /**
     * What a user has at the login page: a phone (in [dir]) enrolled as [tigrId], a fresh login
     * challenge on the server and the payload its QR holds, and a window whose protection
     * requests are counted.
     */
    private inner class LoginScene(dir: Path, tigrId: String) {
        val phone = AppPhone(dir)
        val account = phone.enroll(server, tigrId, PIN)
        val challenge = server.createChallenge()
        val payload = (parseCode(challenge.qrPayload) as ScannedCode.Login).code.payload
        val protection = CountingProtection()
    }

    /** Enrolls [account] through the screens; the PIN screens keep the window protected. */
    private fun ComposeUiTest.enrollThroughScreens(phone: AppPhone, account: String, text: UiText) {
        val invitation = parseCode(server.invitationPayload(account)) as ScannedCode.Invitation
        val model = EnrollmentViewModel(invitation.code.payload, "Pixel JVM", phone.sdk)
        val protection = CountingProtection()
        var finished = false
        setContent {
            AppFrame(text, protection = protection) { EnrollmentFlow(model, onFinished = { finished = true }) }
        }
        waitForText(text[TextId.ENROLL_CHOOSE_PIN]) { model.step.value }
        // The Tigr ID (the test server's holder name is the same word) and the service.
        assertTrue(onAllNodesWithText(account).fetchSemanticsNodes().isNotEmpty())
        onNodeWithText(TestServer.SERVICE_NAME).assertExists()
        assertEquals(0, protection.active, "the offer is not a PIN screen")

        press(text[TextId.ENROLL_CHOOSE_PIN])
        waitForText(text[TextId.ENROLL_PIN_CHOOSE_TITLE]) { model.step.value }
        assertEquals(1, protection.active, "the PIN screen protects the window")
        onNodeWithText(text[TextId.ACTION_NEXT]).assertIsNotEnabled()
        typePin(PIN)
        // The dots say how many digits, never which.
        onNodeWithContentDescription(text.plural(PluralId.PIN_DIGITS_ENTERED, 4, 4)).assertExists()
        onAllNodesWithText(PIN, substring = true).assertCountEquals(0)
        onNodeWithText(text[TextId.ACTION_NEXT]).assertIsEnabled()
        press(text[TextId.ACTION_NEXT])

        waitForText(text[TextId.ENROLL_PIN_CONFIRM_TITLE]) { model.step.value }
        typePin(PIN)
        press(text[TextId.ENROLL_SUBMIT])
        waitForText(text[TextId.ENROLL_DONE_TITLE]) { model.step.value }
        waitForIdle()
        assertEquals(0, protection.active, "leaving the PIN screens lifts the protection")
        assertTrue(protection.requests >= 2)
        press(text[TextId.ACTION_DONE])
        assertTrue(finished)
        assertEquals(listOf(account), phone.client.accounts().map { it.tigrId })
    }

    @Test
    fun `enrollment - the PIN typed twice on the pad enrolls the phone`(@TempDir dir: Path) = runComposeUiTest {
        enrollThroughScreens(AppPhone(dir), "ui-enroll", UiText.French)
    }

    @Test
    fun `enrollment in English`(@TempDir dir: Path) = runComposeUiTest {
        enrollThroughScreens(AppPhone(dir, language = "en"), "ui-enroll-en", UiText.English)
    }

    @Test
    fun `login review - who asks is shown, the PIN typed on the pad approves on the server`(@TempDir dir: Path) = runComposeUiTest {
        val text = UiText.French
        val scene = LoginScene(dir, "ui-login")
        val login = LoginViewModel(scene.payload, scene.phone.sdk)
        var finished = false
        setContent {
            AppFrame(text, protection = scene.protection) {
                LoginFlow(login, onFinished = { finished = true }, onScanAgain = {}, onOffline = {})
            }
        }
        waitForText(text[TextId.LOGIN_REQUEST_HEADING, TestServer.SERVICE_NAME]) { login.step.value }
        // Who asks: the server, the browser's address and summary, the account.
        val review = login.step.value as LoginStep.Review
        fun shown(label: TextId, value: String) =
            onNode(hasText(text[label]) and hasText(value)).assertExists()
        shown(TextId.LABEL_SERVER, scene.account.serverHost)
        shown(TextId.LABEL_BROWSER_IP, review.context.browserIp)
        shown(TextId.LABEL_BROWSER, review.context.browserSummary)
        shown(TextId.LABEL_TIGR_ID, "ui-login")
        assertEquals("scanned", server.awaitState(scene.challenge, "scanned"))
        assertEquals(1, scene.protection.active, "the review screen (PIN pad) protects the window")

        onNodeWithText(text[TextId.LOGIN_APPROVE]).assertIsNotEnabled()
        typePin(PIN)
        onNodeWithContentDescription(text.plural(PluralId.PIN_DIGITS_ENTERED, 4, 4)).assertExists()
        onAllNodesWithText(PIN, substring = true).assertCountEquals(0)
        onNodeWithText(text[TextId.LOGIN_APPROVE]).assertIsEnabled()
        press(text[TextId.LOGIN_APPROVE])

        waitForText(text[TextId.APPROVED_TITLE]) { login.step.value }
        waitForIdle()
        assertEquals(0, scene.protection.active, "leaving the PIN screen lifts the protection")
        assertEquals("approved" to "ui-login", server.state(scene.challenge))
        press(text[TextId.ACTION_DONE])
        assertTrue(finished)
    }

    @Test
    fun `offline - no network, the login hands over, the password is read digit by digit`(@TempDir dir: Path) = runComposeUiTest {
        val text = UiText.French
        val scene = LoginScene(dir, "ui-offline")
        server.network.cut()
        try {
            val login = LoginViewModel(scene.payload, scene.phone.sdk)
            var offline by mutableStateOf<OfflineViewModel?>(null)
            setContent {
                AppFrame(text, protection = scene.protection) {
                    val current = offline
                    if (current == null) {
                        LoginFlow(login, onFinished = {}, onScanAgain = {}, onOffline = { go: GoOffline ->
                            offline = OfflineViewModel(scene.payload, go.tigrId, go.reason, scene.phone.sdk) { System.nanoTime() / 1_000_000 }
                        })
                    } else {
                        OfflineFlow(current, onFinished = {})
                    }
                }
            }
            waitForText(text[TextId.OFFLINE_HEADING]) { offline?.step?.value ?: login.step.value }
            onNodeWithText(text[TextId.ACCOUNT_TIGR_ID, "ui-offline"]).assertExists()
            typePin(PIN)
            press(text[TextId.OFFLINE_SHOW_CODE])
            waitForText(text[TextId.OFFLINE_INSTRUCTION]) { offline?.step?.value }
            assertEquals(1, scene.protection.active, "the password screen protects the window")

            val code = (checkNotNull(offline).step.value as OfflineStep.Code).code
            val label = text[TextId.LABEL_PASSWORD]
            onNode(hasContentDescription("$label : ${spokenDigits(code.otp)}")).assertExists()
            assertEquals(15, spokenDigits(code.otp).length, "8 digits, one by one")
            onNodeWithContentDescription(text[TextId.LABEL_TIGR_ID] + " : u i - o f f l i n e").assertExists()

            val reply = server.submitOffline(scene.challenge, code.tigrId, code.otp)
            assertEquals(200, reply.statusCode(), reply.body())
        } finally {
            server.network.restore()
        }
    }

    private companion object {
        const val PIN = "2580"
        const val TIMEOUT_MILLIS = 20_000L
    }
}
