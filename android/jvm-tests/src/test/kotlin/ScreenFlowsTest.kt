import fr.tigr.sdk.Account
import fr.tigr.sdk.Authenticator
import fr.tigr.sdk.InvalidPinReason
import fr.tigr.sdk.KeyProtector
import fr.tigr.sdk.KeyProtectorException
import fr.tigr.sdk.LoginRequest
import fr.tigr.sdk.ScanResult
import fr.tigr.sdk.ScannedCode
import fr.tigr.sdk.TigrException
import fr.tigr.sdk.errorMessage
import fr.tigr.sdk.jvmtests.TestServer
import fr.tigr.sdk.minutesUntil
import fr.tigr.sdk.parseCode
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.security.SecureRandom
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * The SDK call sequences of the Android app's screens (android/app, docs/mobile.md §2), one
 * test per screen flow, against the real tigr-server that [TestServer] starts.
 *
 * Each test performs exactly the calls the screen's ViewModel makes, in the same order, and
 * checks what the screen would show. The app's platform key store is replaced by
 * [AesGcmKeyProtector], which has the same blob format as `KeystoreKeyProtector` without the
 * Android Keystore; the language is the app's default, French.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ScreenFlowsTest {
    private lateinit var server: TestServer

    @BeforeAll
    fun startServer() {
        server = TestServer()
    }

    @AfterAll
    fun stopServer() {
        server.close()
    }

    /** `TigrApplication`: one authenticator over the vault folder, with the platform key store. */
    private fun phone(dir: Path): Authenticator =
        Authenticator(dir.resolve("tigr").toString(), AesGcmKeyProtector(), LANGUAGE)

    /**
     * Scanner + enrollment screens for [account] (the same calls as [enrollmentScreen], without
     * its checks): the setup of the other flows.
     */
    private fun enrolled(phone: Authenticator, account: String): Account {
        val payload = server.invitationPayload(account)
        val code = parseCode(payload) as ScannedCode.Invitation
        phone.scan(code.code.payload) as ScanResult.Invitation
        phone.accounts()
        return phone.enroll(code.code.payload, PIN, PIN, DEVICE)
    }

    /** Scanner + login screen up to Review: `parseCode` then `scan`. */
    private fun loginRequest(phone: Authenticator, qr: String): LoginRequest {
        val code = parseCode(qr)
        assertTrue(code is ScannedCode.Login, "the scanner routes a login QR to the login flow")
        val payload = (code as ScannedCode.Login).code.payload
        return (phone.scan(payload) as ScanResult.Login).request
    }

    @Test
    fun `account list - empty state`(@TempDir dir: Path) {
        // AccountListViewModel.load()
        val accounts = phone(dir).accounts()
        assertTrue(accounts.isEmpty(), "a new phone shows the empty state")
    }

    @Test
    fun `enrollment screen - offer, PIN refused, PIN twice, done`(@TempDir dir: Path) {
        val phone = phone(dir)
        val payload = server.invitationPayload("flow-enroll")

        // ScannerViewModel: parseCode routes an invitation to the enrollment flow.
        val scanned = parseCode(payload)
        assertTrue(scanned is ScannedCode.Invitation)
        val routed = (scanned as ScannedCode.Invitation).code.payload

        // EnrollmentViewModel.load(): scan -> Offer, then accounts() for "replaces existing".
        val offer = (phone.scan(routed) as ScanResult.Invitation).offer
        assertEquals("flow-enroll", offer.tigrId)
        assertEquals("127.0.0.1", offer.serverHost.substringBefore(':'))
        assertEquals(TestServer.SERVICE_NAME, offer.serviceName)
        assertTrue(offer.expiresAt > System.currentTimeMillis() / 1000, "the offer shows a future expiry")
        val replaces = phone.accounts().any { it.serverHost == offer.serverHost && it.tigrId == offer.tigrId }
        assertFalse(replaces)

        // ConfirmPin with a different PIN: InvalidPin -> back to ChoosePin with the SDK's sentence.
        val mismatch = assertThrows<TigrException.InvalidPin> { phone.enroll(routed, PIN, "1357", DEVICE) }
        assertEquals(InvalidPinReason.MISMATCH, mismatch.reason)
        assertTrue(errorMessage(mismatch, LANGUAGE, now()).isNotBlank())
        // A run is refused by the SDK, not by the pad.
        val run = assertThrows<TigrException.InvalidPin> { phone.enroll(routed, "1234", "1234", DEVICE) }
        assertEquals(InvalidPinReason.TOO_SIMPLE, run.reason)

        // ChoosePin -> ConfirmPin -> Enrolling -> Done.
        val account = phone.enroll(routed, PIN, PIN, DEVICE)
        assertEquals("flow-enroll", account.tigrId)
        assertEquals(TestServer.SERVICE_NAME, account.serviceName)

        // Back on the account list (resume -> load()).
        assertEquals(listOf("flow-enroll"), phone.accounts().map { it.tigrId })
    }

    @Test
    fun `approval screen - context before PIN, approve, page logs in`(@TempDir dir: Path) {
        val phone = phone(dir)
        val account = enrolled(phone, "flow-approve")
        val challenge = server.createChallenge()

        // LoginViewModel.load(): scan -> Review with the context.
        val request = loginRequest(phone, challenge.qrPayload)
        val context = checkNotNull(request.context) { "online: the Review step, not offline" }
        assertNull(request.offlineReason)
        assertEquals(TestServer.SERVICE_NAME, context.serviceName)
        assertEquals(account.serverHost, context.serverHost)
        assertTrue(context.browserIp.isNotBlank())
        assertTrue(context.browserSummary.isNotBlank())
        assertTrue(context.expiresAt > context.requestedAt)
        assertEquals(listOf("flow-approve"), request.accounts.map { it.tigrId }, "one account: no chooser")
        assertEquals("scanned", server.state(challenge).first)

        // Approuver: approve(payload, tigrId, pin) -> Approved; the web page completes.
        phone.approve(request.code.payload, request.accounts.single().tigrId, PIN)
        assertEquals("approved" to "flow-approve", server.state(challenge))
    }

    @Test
    fun `wrong PIN screen - attempts left, retry on the same QR`(@TempDir dir: Path) {
        val phone = phone(dir)
        enrolled(phone, "flow-wrong-pin")
        val challenge = server.createChallenge()
        val request = loginRequest(phone, challenge.qrPayload)
        val tigrId = request.accounts.single().tigrId

        // Approuver with a wrong PIN -> WrongPin(attemptsLeft).
        val wrong = assertThrows<TigrException.WrongPin> { phone.approve(request.code.payload, tigrId, WRONG_PIN) }
        assertEquals(4u, wrong.attemptsLeft)
        assertTrue(errorMessage(wrong, LANGUAGE, now()).contains("4"), "the message says how many attempts are left")

        // Réessayer -> Review again with the same payload -> Approved.
        phone.approve(request.code.payload, tigrId, PIN)
        assertEquals("approved", server.state(challenge).first)
    }

    @Test
    fun `blocked screen - after the last attempt, even the right PIN is refused`(@TempDir dir: Path) {
        val phone = phone(dir)
        enrolled(phone, "flow-blocked")
        val challenge = server.createChallenge()
        val request = loginRequest(phone, challenge.qrPayload)
        val tigrId = request.accounts.single().tigrId

        // WrongPin 4, 3, 2, 1 (each time: Réessayer), then Blocked.
        for (left in 4 downTo 1) {
            val wrong = assertThrows<TigrException.WrongPin> { phone.approve(request.code.payload, tigrId, WRONG_PIN) }
            assertEquals(left.toUInt(), wrong.attemptsLeft)
        }
        val blocked = assertThrows<TigrException.AccountBlocked> { phone.approve(request.code.payload, tigrId, WRONG_PIN) }
        // The server's default block is temporary: the screen says for how long, by the app's clock
        // (LoginViewModel: minutesUntil(blockedUntil, now)).
        val now = now()
        assertEquals(15u, minutesUntil(checkNotNull(blocked.blockedUntil) { "temporary" }, now))
        val message = errorMessage(blocked, LANGUAGE, now)
        assertTrue(message.contains("15 min"), "the message says how long: $message")
        assertTrue(message.contains("administrateur"), "and whom to contact: $message")

        // A new QR with the right PIN still lands on the Blocked screen.
        val next = loginRequest(phone, server.createChallenge().qrPayload)
        assertThrows<TigrException.AccountBlocked> { phone.approve(next.code.payload, tigrId, PIN) }
    }

    @Test
    fun `deny - this wasn't me`(@TempDir dir: Path) {
        val phone = phone(dir)
        enrolled(phone, "flow-deny")
        val challenge = server.createChallenge()
        val request = loginRequest(phone, challenge.qrPayload)
        assertNotNull(request.context)

        // "Ce n'était pas moi": deny(payload, tigrId), no PIN -> Denied.
        phone.deny(request.code.payload, request.accounts.single().tigrId)
        assertEquals("denied", server.state(challenge).first)

        // The QR is spent: approving it afterwards is refused.
        assertThrows<TigrException.AlreadyUsed> {
            phone.approve(request.code.payload, request.accounts.single().tigrId, PIN)
        }
    }

    @Test
    fun `offline screen - no network, Tigr ID and password typed into the page`(@TempDir dir: Path) {
        val phone = phone(dir)
        enrolled(phone, "flow-offline")
        val challenge = server.createChallenge()
        server.network.cut()
        try {
            // LoginViewModel.load(): scan gives no context -> GoOffline(tigrId, offlineReason).
            val request = loginRequest(phone, challenge.qrPayload)
            assertNull(request.context, "no network: the offline route")
            val reason = checkNotNull(request.offlineReason) { "offline reason" }
            assertTrue(reason.isNotBlank(), "the offline screen explains why")
            val tigrId = request.accounts.single().tigrId

            // OfflineViewModel.submit(): offlineCode(payload, tigrId, pin) -> Code step.
            val code = phone.offlineCode(request.code.payload, tigrId, PIN)
            assertEquals("flow-offline", code.tigrId)
            assertTrue(Regex("\\d{8}").matches(code.otp), "8 digits")
            assertTrue(code.secondsLeft in 1L..300L, "a running countdown (${code.secondsLeft} s)")
            assertTrue(code.expiresAt > System.currentTimeMillis() / 1000)

            // The user clicks the QR on the page and types both: the page logs in.
            val reply = server.submitOffline(challenge, code.tigrId, code.otp)
            assertEquals(200, reply.statusCode(), reply.body())
            assertEquals("approved", server.state(challenge).first)
        } finally {
            server.network.restore()
        }
    }

    @Test
    fun `remove account - confirmation, then the list and the server forget it here`(@TempDir dir: Path) {
        val phone = phone(dir)
        val account = enrolled(phone, "flow-remove")

        // AccountListViewModel: askRemove -> confirmRemove -> removeAccount -> load().
        phone.removeAccount(account.serverOrigin, account.tigrId)
        assertTrue(phone.accounts().isEmpty())

        // A login QR of that server now says "not enrolled".
        val qr = server.createChallenge().qrPayload
        val notEnrolled = assertThrows<TigrException.NotEnrolled> { loginRequest(phone, qr) }
        assertTrue(errorMessage(notEnrolled, LANGUAGE, now()).isNotBlank())
    }

    /** The app's clock (Unix seconds), as `TigrClient` hands it to the SDK. */
    private fun now(): Long = System.currentTimeMillis() / 1000

    private companion object {
        const val LANGUAGE = "fr"
        const val PIN = "2580"
        const val WRONG_PIN = "9731"
        const val DEVICE = "Pixel JVM"
    }
}

/**
 * The app's `KeystoreKeyProtector` without the Android Keystore: AES-256-GCM with an in-memory
 * key and the same blob format, `0x01 || IV (12) || ciphertext || tag`.
 */
private class AesGcmKeyProtector : KeyProtector {
    private val key: SecretKey = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
    private val random = SecureRandom()

    override fun wrap(plaintext: ByteArray): ByteArray {
        val iv = ByteArray(12).also(random::nextBytes)
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.ENCRYPT_MODE, key, GCMParameterSpec(128, iv))
        return byteArrayOf(1) + iv + cipher.doFinal(plaintext)
    }

    override fun unwrap(wrapped: ByteArray): ByteArray {
        if (wrapped.size < 1 + 12 + 16 || wrapped[0] != 1.toByte()) {
            throw KeyProtectorException.Failed("unknown vault wrapping format")
        }
        return try {
            val cipher = Cipher.getInstance("AES/GCM/NoPadding")
            cipher.init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(128, wrapped, 1, 12))
            cipher.doFinal(wrapped, 13, wrapped.size - 13)
        } catch (e: Exception) {
            throw KeyProtectorException.Failed("unwrap: ${e.javaClass.simpleName}")
        }
    }
}
