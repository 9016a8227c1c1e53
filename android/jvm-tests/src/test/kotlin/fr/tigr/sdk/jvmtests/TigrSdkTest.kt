package fr.tigr.sdk.jvmtests

import com.google.zxing.BarcodeFormat
import com.google.zxing.EncodeHintType
import com.google.zxing.qrcode.QRCodeWriter
import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel
import fr.tigr.sdk.Account
import fr.tigr.sdk.Authenticator
import fr.tigr.sdk.InvalidCodeReason
import fr.tigr.sdk.InvalidInvitationReason
import fr.tigr.sdk.InvalidPinReason
import fr.tigr.sdk.KeyProtector
import fr.tigr.sdk.KeyProtectorException
import fr.tigr.sdk.LoginRequest
import fr.tigr.sdk.ScanResult
import fr.tigr.sdk.ScannedCode
import fr.tigr.sdk.TigrException
import fr.tigr.sdk.decodeFrame
import fr.tigr.sdk.errorMessage
import fr.tigr.sdk.minutesUntil
import fr.tigr.sdk.parseCode
import fr.tigr.sdk.sdkVersion
import java.nio.file.Files
import java.nio.file.Path
import java.security.SecureRandom
import java.util.concurrent.atomic.AtomicInteger
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.io.TempDir
import org.junit.jupiter.api.assertThrows

/** What an Android app does with the Android Keystore: AES-GCM under a key the SDK never sees. */
class AesKeyProtector : KeyProtector {
    private val key: SecretKey = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
    private val random = SecureRandom()

    override fun wrap(plaintext: ByteArray): ByteArray {
        val iv = ByteArray(12).also(random::nextBytes)
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.ENCRYPT_MODE, key, GCMParameterSpec(128, iv))
        return iv + cipher.doFinal(plaintext)
    }

    override fun unwrap(wrapped: ByteArray): ByteArray {
        if (wrapped.size < 12) throw KeyProtectorException.Failed("wrapped data too short")
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(128, wrapped, 0, 12))
        return try {
            cipher.doFinal(wrapped, 12, wrapped.size - 12)
        } catch (e: javax.crypto.AEADBadTagException) {
            throw KeyProtectorException.Failed("not wrapped by this key")
        }
    }
}

/** A key store that refuses, as a locked phone's would. */
class LockedKeyProtector : KeyProtector {
    override fun wrap(plaintext: ByteArray): ByteArray = throw KeyProtectorException.Failed("device locked")
    override fun unwrap(wrapped: ByteArray): ByteArray = throw KeyProtectorException.Failed("device locked")
}

/** A buggy key store that throws something the SDK does not declare. */
class BuggyKeyProtector : KeyProtector {
    override fun wrap(plaintext: ByteArray): ByteArray = throw IllegalStateException("bug in wrap")
    override fun unwrap(wrapped: ByteArray): ByteArray = throw IllegalStateException("bug in unwrap")
}

/**
 * The generated Kotlin bindings, loaded from the host-built libtigr_mobile.so through JNA,
 * against a real tigr-server: every flow an app goes through.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TigrSdkTest {
    /** Removed by JUnit when the tests are done: each phone's folder is made inside it. */
    @field:TempDir
    lateinit var folders: Path

    private lateinit var server: TestServer
    private val accounts = AtomicInteger()
    private val pin = "2580"

    @BeforeAll
    fun startServer() {
        server = TestServer()
    }

    @AfterAll
    fun stopServer() {
        server.close()
    }

    private fun newAccountName() = "dr.test${accounts.incrementAndGet()}"

    /** The app's clock, in Unix seconds: what it hands to `errorMessage` and `minutesUntil`. */
    private fun now(): Long = System.currentTimeMillis() / 1000

    private fun newPhone(protector: KeyProtector? = null, dir: Path = Files.createTempDirectory(folders, "tigr-phone")): Authenticator =
        Authenticator(dir.toString(), protector, "fr")

    /** Admin invites, phone scans, user picks a PIN. */
    private fun enrolled(
        phone: Authenticator,
        tigrId: String = newAccountName(),
        server: TestServer = this.server,
    ): Account {
        val payload = server.invitationPayload(tigrId)
        val offer = (phone.scan(payload) as ScanResult.Invitation).offer
        assertEquals(tigrId, offer.tigrId)
        return phone.enroll(offer.payload, pin, pin, "JVM test phone")
    }

    private fun scanLogin(phone: Authenticator, payload: String): LoginRequest =
        (phone.scan(payload) as ScanResult.Login).request

    @Test
    fun `sdk version and offline parsing`() {
        assertTrue(sdkVersion().matches(Regex("""\d+\.\d+\.\d+.*""")))
        val challenge = server.createChallenge()
        val login = parseCode(challenge.qrPayload) as ScannedCode.Login
        assertEquals(challenge.id, login.code.challengeId)
        assertEquals(server.publicUrl, login.code.serverOrigin)
        assertEquals(challenge.qrPayload, login.code.payload)
        assertTrue(login.code.expiresAt > System.currentTimeMillis() / 1000)

        val invitation = parseCode(server.invitationPayload(newAccountName())) as ScannedCode.Invitation
        assertEquals(server.publicUrl, invitation.code.serverOrigin)

        val notTigr = assertThrows<TigrException.InvalidCode> { parseCode("https://example.com/hello") }
        assertEquals(InvalidCodeReason.NOT_TIGR, notTigr.reason)
        val newer = assertThrows<TigrException.InvalidCode> {
            parseCode("https://auth.example.fr/t/2/L/x")
        }
        assertEquals(InvalidCodeReason.UNSUPPORTED_VERSION, newer.reason)
        assertTrue(errorMessage(newer, "en", now()).contains("newer version"))
    }

    @Test
    fun `enrollment then online approval completes the browser login`() {
        val phone = newPhone()
        val account = enrolled(phone)
        assertEquals(TestServer.SERVICE_NAME, account.serviceName)
        assertEquals(server.publicUrl, account.serverOrigin)
        assertEquals(listOf(account), phone.accounts())

        val challenge = server.createChallenge()
        assertEquals("pending", server.state(challenge).first)
        val request = scanLogin(phone, challenge.qrPayload)
        val context = requireNotNull(request.context) { "online scan has a context" }
        assertEquals(TestServer.SERVICE_NAME, context.serviceName)
        assertEquals("127.0.0.1", context.browserIp)
        assertTrue(context.browserSummary.contains("Firefox"), context.browserSummary)
        assertNull(request.offlineReason)
        assertEquals(listOf(account), request.accounts)
        assertEquals("scanned", server.awaitState(challenge, "scanned"))

        phone.approve(request.code.payload, null, pin)
        assertEquals("approved" to account.tigrId, server.state(challenge))

        // Single use: the same QR cannot log in twice.
        assertThrows<TigrException.AlreadyUsed> { phone.approve(request.code.payload, null, pin) }
        phone.close()
    }

    @Test
    fun `PIN rules are checked before any network call`() {
        val phone = newPhone()
        // A server that does not exist: a PIN problem must be reported without trying it.
        val payload = "http://127.0.0.1:9/t/1/E/GEZDGNBVGY3TQOJQGEZDGNBVGY"
        fun reason(pin: String, confirmation: String) =
            assertThrows<TigrException.InvalidPin> { phone.enroll(payload, pin, confirmation, "x") }.reason
        assertEquals(InvalidPinReason.TOO_SIMPLE, reason("1234", "1234"))
        assertEquals(InvalidPinReason.TOO_SIMPLE, reason("0000", "0000"))
        assertEquals(InvalidPinReason.MISMATCH, reason("2580", "2581"))
        assertEquals(InvalidPinReason.FORMAT, reason("25a0", "25a0"))
        assertEquals(InvalidPinReason.FORMAT, reason("12", "12"))
        // With a good PIN the network is tried, and its absence reported.
        assertThrows<TigrException.Network> { phone.enroll(payload, pin, pin, "x") }
        assertThrows<TigrException.Network> { phone.scan(payload) }
    }

    @Test
    fun `wrong PINs count down then block the account, even for the right PIN`() {
        val phone = newPhone()
        enrolled(phone)
        val challenge = server.createChallenge()
        val request = scanLogin(phone, challenge.qrPayload)
        val left = (1..4).map {
            assertThrows<TigrException.WrongPin> { phone.approve(request.code.payload, null, "99999") }.attemptsLeft
        }
        assertEquals(listOf(4u, 3u, 2u, 1u), left)
        assertEquals("Code PIN incorrect. Il vous reste 1 essai.", errorMessage(TigrException.WrongPin(1u), "fr", now()))
        // The server's default block is temporary (15 min): the error says until when, and the
        // app counts the minutes with its own clock.
        val blocked = assertThrows<TigrException.AccountBlocked> { phone.approve(request.code.payload, null, "99999") }
        val now = now()
        val until = requireNotNull(blocked.blockedUntil) { "a temporary block says when it lifts" }
        assertTrue(until in now + 895..now + 905, "blocked until $until, now $now")
        assertEquals(15u, minutesUntil(until, now))
        val message = errorMessage(blocked, "fr", now)
        assertTrue(message.contains("bloqué pour 15 min"), message)
        assertTrue(errorMessage(blocked, "en", now).contains("blocked for 15 min"))
        // Ten minutes later by the app's clock, the same error says 5 minutes.
        assertEquals(5u, minutesUntil(until, now + 600))
        assertTrue(errorMessage(blocked, "fr", now + 600).contains("bloqué pour 5 min"))
        // Blocked means blocked: the right PIN is refused too, on this QR and on a new one.
        assertThrows<TigrException.AccountBlocked> { phone.approve(request.code.payload, null, pin) }
        val next = scanLogin(phone, server.createChallenge().qrPayload)
        assertThrows<TigrException.AccountBlocked> { phone.approve(next.code.payload, null, pin) }
        // The blocking answer ended the login: the page showing the QR says so.
        assertEquals("blocked", server.state(challenge).first)
    }

    @Test
    fun `a block only an administrator lifts says so`() {
        val settings = mapOf("TIGR_LOCKOUT_THRESHOLD" to "2", "TIGR_LOCKOUT_DURATION" to "0")
        TestServer(settings).use { strict ->
            newPhone().use { phone ->
                enrolled(phone, server = strict)
                val request = scanLogin(phone, strict.createChallenge().qrPayload)
                assertEquals(1u, assertThrows<TigrException.WrongPin> { phone.approve(request.code.payload, null, "99999") }.attemptsLeft)
                val blocked = assertThrows<TigrException.AccountBlocked> { phone.approve(request.code.payload, null, "99999") }
                assertNull(blocked.blockedUntil)
                assertEquals(
                    "Votre compte est bloqué après trop d'essais incorrects. Contactez votre administrateur pour le débloquer.",
                    errorMessage(blocked, "fr", now()),
                )
                assertThrows<TigrException.AccountBlocked> { phone.approve(request.code.payload, null, pin) }
            }
        }
    }

    @Test
    fun `offline code computed without network is accepted by the server`() {
        val storage = Files.createTempDirectory(folders, "tigr-offline-phone")
        val account = newPhone(dir = storage).use { enrolled(it) }
        val challenge = server.createChallenge()

        server.network.cut()
        try {
            // A fresh instance on the same storage: the vault survives an app restart.
            newPhone(dir = storage).use { phone ->
                val request = scanLogin(phone, challenge.qrPayload)
                assertNull(request.context)
                assertNotNull(request.offlineReason)
                assertEquals(listOf(account), request.accounts)
                val code = phone.offlineCode(request.code.payload, null, pin)
                assertEquals(account.tigrId, code.tigrId)
                assertTrue(code.otp.matches(Regex("""\d{8}""")), "8 digits")
                assertTrue(code.secondsLeft in 1L..120L, "seconds left: ${code.secondsLeft}")
                assertEquals(request.code.expiresAt, code.expiresAt)

                // The user types the code on the page, whose browser is online.
                val wrong = phone.offlineCode(request.code.payload, null, "13579")
                assertTrue(wrong.otp != code.otp)
                assertEquals(401, server.submitOffline(challenge, code.tigrId, wrong.otp).statusCode())
                val reply = server.submitOffline(challenge, code.tigrId, code.otp)
                assertEquals(200, reply.statusCode(), reply.body())
                assertEquals("approved" to account.tigrId, server.state(challenge))
            }
        } finally {
            server.network.restore()
        }
    }

    @Test
    fun `this wasn't me denies the login`() {
        newPhone().use { phone ->
            enrolled(phone)
            val challenge = server.createChallenge()
            val request = scanLogin(phone, challenge.qrPayload)
            phone.deny(request.code.payload, null)
            assertEquals("denied", server.state(challenge).first)
            assertThrows<TigrException.AlreadyUsed> { phone.approve(request.code.payload, null, pin) }
        }
    }

    @Test
    fun `several accounts on one server need a choice, and a new phone revokes the old one`() {
        val phone = newPhone()
        val alice = enrolled(phone)
        val bob = enrolled(phone)
        val challenge = server.createChallenge()
        val request = scanLogin(phone, challenge.qrPayload)
        assertEquals(setOf(alice.tigrId, bob.tigrId), request.accounts.map { it.tigrId }.toSet())
        val choice = assertThrows<TigrException.AccountChoiceNeeded> { phone.approve(request.code.payload, null, pin) }
        assertEquals(setOf(alice.tigrId, bob.tigrId), choice.tigrIds.toSet())
        assertThrows<TigrException.NotEnrolled> { phone.approve(request.code.payload, "nobody", pin) }
        phone.approve(request.code.payload, bob.tigrId, pin)
        assertEquals("approved" to bob.tigrId, server.state(challenge))

        // Alice moves to a new phone: the old one is revoked for her.
        val alicesNewPhone = newPhone()
        enrolled(alicesNewPhone, alice.tigrId)
        val next = scanLogin(phone, server.createChallenge().qrPayload)
        assertThrows<TigrException.PhoneRevoked> { phone.approve(next.code.payload, alice.tigrId, pin) }

        // An invitation works once.
        val payload = server.invitationPayload(newAccountName())
        alicesNewPhone.enroll(payload, pin, pin, "x")
        val used = assertThrows<TigrException.InvalidInvitation> { phone.scan(payload) }
        assertEquals(InvalidInvitationReason.USED, used.reason)

        phone.removeAccount(alice.serverOrigin, alice.tigrId)
        assertEquals(listOf(bob.tigrId), phone.accounts().map { it.tigrId })
        phone.removeAccount(alice.serverOrigin, alice.tigrId) // idempotent
    }

    @Test
    fun `a login QR of a server this phone does not know gives NotEnrolled`() {
        val phone = newPhone()
        val e = assertThrows<TigrException.NotEnrolled> { phone.scan(server.createChallenge().qrPayload) }
        assertEquals(server.publicUrl.removePrefix("http://"), e.server)
    }

    @Test
    fun `decodeFrame finds the login QR in a camera frame`() {
        val challenge = server.createChallenge()
        val (luma, width, height, stride) = cameraFrame(challenge.qrPayload)
        assertEquals(listOf(challenge.qrPayload), decodeFrame(luma, width.toUInt(), height.toUInt(), stride.toUInt()))
        // A frame without a QR code: nothing found, no error.
        assertEquals(emptyList<String>(), decodeFrame(ByteArray(stride * height) { 0x7f }, width.toUInt(), height.toUInt(), stride.toUInt()))
        // A buffer too small for the announced size is refused, not read out of bounds.
        val refused = assertThrows<TigrException.InvalidCode> {
            decodeFrame(ByteArray(100), width.toUInt(), height.toUInt(), stride.toUInt())
        }
        assertEquals(InvalidCodeReason.NOT_TIGR, refused.reason)
    }

    @Test
    fun `failing key protectors give KeyStore errors, never a crash`() {
        val storage = Files.createTempDirectory(folders, "tigr-keystore-phone")
        val good = AesKeyProtector()
        val account = newPhone(good, storage).use { enrolled(it) }
        // The vault on disk is wrapped: the software key file is not used with a protector.
        assertFalse(storage.resolve("keystore.key").toFile().exists())

        for (protector in listOf(LockedKeyProtector(), BuggyKeyProtector(), AesKeyProtector())) {
            newPhone(protector, storage).use { phone ->
                val e = assertThrows<TigrException.KeyStore> { phone.accounts() }
                assertFalse(e.detail.contains(pin))
                assertTrue(errorMessage(e, "fr", now()).contains("stockage sécurisé"))
            }
        }
        // Saving through a refusing protector fails cleanly too.
        newPhone(LockedKeyProtector()).use { phone ->
            val payload = server.invitationPayload(newAccountName())
            assertThrows<TigrException.KeyStore> { phone.enroll(payload, pin, pin, "x") }
        }
        // The process is alive and the right key still opens the vault.
        newPhone(good, storage).use { phone -> assertEquals(listOf(account), phone.accounts()) }
    }

    @Test
    fun `errorMessage speaks French and English`() {
        val now = 1_795_000_000L
        assertEquals("Code PIN incorrect. Il vous reste 3 essais.", errorMessage(TigrException.WrongPin(3u), "fr", now))
        assertEquals("Wrong PIN. 3 attempts left.", errorMessage(TigrException.WrongPin(3u), "en", now))
        assertEquals("Wrong PIN. 1 attempt left.", errorMessage(TigrException.WrongPin(1u), "en", now))
        assertEquals(errorMessage(TigrException.AccountBlocked(null), "fr", now), errorMessage(TigrException.AccountBlocked(null), "xx", now))
        assertTrue(errorMessage(TigrException.AccountBlocked(null), "en", now).contains("Contact your administrator to unblock it"))
        assertEquals(
            "Votre compte est bloqué pour 15 min après trop d'essais incorrects. Réessayez ensuite, ou contactez votre administrateur.",
            errorMessage(TigrException.AccountBlocked(now + 900), "fr", now),
        )
        assertEquals(
            "Your account is blocked for 15 min after too many wrong attempts. Try again afterwards, or contact your administrator.",
            errorMessage(TigrException.AccountBlocked(now + 900), "en", now),
        )
        assertTrue(errorMessage(TigrException.NotEnrolled("auth.example.fr"), "fr", now).contains("auth.example.fr"))
        assertTrue(errorMessage(TigrException.Network("refused"), "en", now).contains("Cannot reach the server"))
        assertTrue(errorMessage(TigrException.InvalidPin(InvalidPinReason.MISMATCH), "fr", now).contains("identiques"))
    }

    @Test
    fun `every reason has its own sentence in both languages`() {
        val now = 1_795_000_000L
        val errors: List<TigrException> =
            InvalidCodeReason.entries.map { TigrException.InvalidCode(it, "detail") } +
                InvalidPinReason.entries.map { TigrException.InvalidPin(it) } +
                InvalidInvitationReason.entries.map { TigrException.InvalidInvitation(it) }
        for (language in listOf("fr", "en")) {
            val sentences = errors.map { errorMessage(it, language, now) }
            assertTrue(sentences.all { it.isNotBlank() }, "$language: $sentences")
            assertEquals(errors.size, sentences.toSet().size, "$language: one sentence per reason: $sentences")
        }
    }

    @Test
    fun `wrong kind and unknown login codes give typed reasons`() {
        val phone = newPhone()
        enrolled(phone)
        val invitation = server.invitationPayload(newAccountName())
        val login = server.createChallenge().qrPayload
        val reasons = listOf(
            assertThrows<TigrException.InvalidCode> { phone.approve(invitation, null, pin) }.reason,
            assertThrows<TigrException.InvalidCode> { phone.enroll(login, pin, pin, "x") }.reason,
            // A login code whose challenge the server never issued (one letter of its id changed).
            assertThrows<TigrException.InvalidCode> { phone.scan(otherChallenge(login)) }.reason,
        )
        assertEquals(
            listOf(InvalidCodeReason.NOT_A_LOGIN_CODE, InvalidCodeReason.NOT_AN_INVITATION, InvalidCodeReason.UNKNOWN_CHALLENGE),
            reasons,
        )
        // What a scanner does with each reason: an exhaustive switch, checked by the compiler.
        val actions = reasons.map { reason ->
            when (reason) {
                InvalidCodeReason.NOT_TIGR, InvalidCodeReason.NOT_A_LOGIN_CODE, InvalidCodeReason.NOT_AN_INVITATION -> "keep scanning"
                InvalidCodeReason.UNSUPPORTED_VERSION -> "update the app"
                InvalidCodeReason.UNKNOWN_CHALLENGE -> "reload the page"
            }
        }
        assertEquals(listOf("keep scanning", "keep scanning", "reload the page"), actions)
        assertTrue(errorMessage(TigrException.InvalidCode(reasons[2], ""), "fr", now()).contains("Rechargez la page"))
    }

    /** [payload] with the first letter of its challenge id changed: a challenge nobody issued. */
    private fun otherChallenge(payload: String): String {
        val parts = payload.split("/").toMutableList()
        val id = parts.indexOf("L") + 1
        val first = parts[id][0]
        parts[id] = (if (first == 'A') 'B' else 'A') + parts[id].substring(1)
        return parts.joinToString("/")
    }

    private data class Frame(val luma: ByteArray, val width: Int, val height: Int, val stride: Int)

    /** A 640x480 grey camera frame (Y plane, padded rows) with the QR code of `text` in it. */
    private fun cameraFrame(text: String): Frame {
        val matrix = QRCodeWriter().encode(
            text, BarcodeFormat.QR_CODE, 0, 0,
            mapOf(EncodeHintType.MARGIN to 4, EncodeHintType.ERROR_CORRECTION to ErrorCorrectionLevel.M),
        )
        val (width, height, stride, scale) = listOf(640, 480, 704, 5)
        val luma = ByteArray(stride * height) { 0xb4.toByte() }
        val left = (width - matrix.width * scale) / 2
        val top = (height - matrix.height * scale) / 2
        for (y in 0 until matrix.height * scale) for (x in 0 until matrix.width * scale) {
            val dark = matrix.get(x / scale, y / scale)
            luma[(top + y) * stride + left + x] = (if (dark) 0x20 else 0xe6).toByte()
        }
        return Frame(luma, width, height, stride)
    }
}
