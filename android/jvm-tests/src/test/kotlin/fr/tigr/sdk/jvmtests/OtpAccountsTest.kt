package fr.tigr.sdk.jvmtests

import fr.tigr.sdk.Authenticator
import fr.tigr.sdk.InvalidOtpReason
import fr.tigr.sdk.KeyProtector
import fr.tigr.sdk.OtpAccount
import fr.tigr.sdk.OtpAlgorithm
import fr.tigr.sdk.OtpKind
import fr.tigr.sdk.OtpValidity
import fr.tigr.sdk.ScannedCode
import fr.tigr.sdk.TigrException
import fr.tigr.sdk.errorMessage
import fr.tigr.sdk.parseCode
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import org.junit.jupiter.api.assertThrows

/**
 * The phone as an authenticator app, through the generated Kotlin bindings: OTP accounts of
 * other services added from `otpauth://` and Google Authenticator export codes, their codes
 * checked against the RFC 6238 / 4226 tables and against `oathtool` (OATH Toolkit) run as a
 * process. No server: OTP accounts never talk to one.
 */
class OtpAccountsTest {
    /** Removed by JUnit when the tests are done: each phone's folder is made inside it. */
    @field:TempDir
    lateinit var folders: Path

    private fun newPhone(
        protector: KeyProtector? = AesKeyProtector(),
        dir: Path = Files.createTempDirectory(folders, "tigr-otp"),
    ): Authenticator = Authenticator(dir.toString(), protector, "fr")

    /** Adds the one account of [uri] and returns it. */
    private fun Authenticator.addOne(uri: String): OtpAccount = addOtpAccounts(uri).single()

    /** What `oathtool` prints for [args]: the reference implementation, in another process. */
    private fun oathtool(vararg args: String): String {
        val process = ProcessBuilder(listOf("oathtool") + args).redirectErrorStream(true).start()
        val output = process.inputStream.bufferedReader().readText().trim()
        assertTrue(process.waitFor(10, TimeUnit.SECONDS), "oathtool finished")
        assertEquals(0, process.exitValue(), "oathtool ${args.toList()}: $output")
        return output
    }

    @Test
    fun `an otpauth code is previewed, added, listed and gives the RFC 6238 codes`() {
        val phone = newPhone()
        assertEquals(emptyList<OtpAccount>(), phone.otpAccounts())
        val added = RFC_6238_SEEDS.map { (algorithm, secret) ->
            val uri = "otpauth://totp/ESEA:${algorithm.name}?secret=$secret&issuer=ESEA&algorithm=${algorithm.name}&digits=8"
            val preview = (parseCode(uri) as ScannedCode.OtpAccounts).preview
            assertNull(preview.batchNumber)
            val shown = preview.accounts.single()
            assertEquals("ESEA:${algorithm.name}", shown.label)
            assertEquals(OtpKind.Totp(30u), shown.kind)
            assertEquals(algorithm, shown.algorithm)
            assertEquals(8.toUByte(), shown.digits)
            assertNull(shown.labelIssuer)
            phone.addOne(uri)
        }
        assertEquals(added, phone.otpAccounts())
        for ((time, codes) in RFC_6238_TABLE) {
            for ((account, expected) in added.zip(codes)) {
                val code = phone.otpCode(account.id, time)
                assertEquals(expected, code.code, "${account.label} at $time")
                val secondsLeft = (30 - time % 30).toUInt()
                assertEquals(OtpValidity.Time(secondsLeft, 30u, time + secondsLeft.toLong()), code.validity)
            }
        }
    }

    @Test
    fun `totp codes match oathtool for other lengths, periods and times`() {
        val phone = newPhone()
        data class Case(val uri: String, val mode: String, val secret: String, val digits: Int, val period: Long)
        val cases = listOf(
            Case("otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example", "SHA1", "JBSWY3DPEHPK3PXP", 6, 30),
            Case(
                "otpauth://totp/H%C3%B4pital%20Nord:c.leroy?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&algorithm=SHA256&digits=7&period=60",
                "SHA256", "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ", 7, 60,
            ),
            Case(
                "otpauth://totp/c.leroy?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA%3D%3D%3D%3D&algorithm=SHA512&digits=8&period=45",
                "SHA512", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA", 8, 45,
            ),
        )
        val now = System.currentTimeMillis() / 1000
        for (case in cases) {
            val account = phone.addOne(case.uri)
            for (time in listOf(0L, 59L, 1_700_000_000L, 1_700_000_044L, now, 4_102_444_800L)) {
                val expected = oathtool(
                    "--totp=${case.mode}", "-b", "-d", "${case.digits}", "-s", "${case.period}",
                    "-N", "@$time", case.secret,
                )
                assertEquals(expected, phone.otpCode(account.id, time).code, "${account.label} at $time")
            }
        }
    }

    @Test
    fun `hotp counters move only when a code is asked for, and survive a restart`() {
        val dir = Files.createTempDirectory(folders, "tigr-otp")
        val protector = AesKeyProtector()
        val phone = newPhone(protector, dir)
        val secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        val account = phone.addOne("otpauth://hotp/Banque:jeton?secret=$secret&issuer=Banque&counter=0")
        repeat(3) { assertEquals(OtpKind.Hotp(0u), phone.otpAccounts().single().kind) }
        for ((counter, expected) in RFC_4226_TABLE.withIndex().take(5)) {
            val code = phone.otpCode(account.id, 0)
            assertEquals(expected, code.code)
            assertEquals(OtpValidity.Counter(counter.toULong()), code.validity)
            assertEquals(oathtool("-b", "-c", "$counter", secret), code.code)
        }
        assertEquals(OtpKind.Hotp(5u), phone.otpAccounts().single().kind)
        // Another Authenticator on the same folder (the app restarted) goes on from there.
        val restarted = newPhone(protector, dir)
        for (counter in 5 until 10) {
            assertEquals(RFC_4226_TABLE[counter], restarted.otpCode(account.id, 0).code)
        }
    }

    @Test
    fun `accounts are renamed and removed`() {
        val phone = newPhone()
        val account = phone.addOne("otpauth://totp/ESEA:c.leroy?secret=JBSWY3DPEHPK3PXP&issuer=ESEA")
        val before = phone.otpCode(account.id, 1_000_000_000).code
        assertEquals("949556", before)
        val renamed = phone.renameOtpAccount(account.id, "ESEA Nord", "Claire Leroy")
        assertEquals("ESEA Nord:Claire Leroy", renamed.label)
        assertEquals(listOf(renamed), phone.otpAccounts())
        assertEquals(before, phone.otpCode(account.id, 1_000_000_000).code, "a new name, the same codes")
        val refused = assertThrows<TigrException.InvalidOtpName> { phone.renameOtpAccount(account.id, null, "a:b") }
        assertTrue(errorMessage(refused, "fr", 0).contains("« : »"))
        phone.removeOtpAccount(account.id)
        phone.removeOtpAccount(account.id) // nothing left to remove: no error
        assertEquals(emptyList<OtpAccount>(), phone.otpAccounts())
        val gone = assertThrows<TigrException.UnknownOtpAccount> { phone.otpCode(account.id, 0) }
        assertEquals("This authenticator account is no longer on this phone.", errorMessage(gone, "en", 0))
    }

    @Test
    fun `bad codes are refused with each reason and add nothing`() {
        val phone = newPhone()
        val base = "otpauth://totp/ESEA:c.leroy"
        val cases = mapOf(
            "https://example.fr/" to InvalidOtpReason.NOT_OTPAUTH,
            "otpauth:totp?secret=JBSWY3DPEHPK3PXP" to InvalidOtpReason.MALFORMED,
            "$base?secret=JBSWY3DPEHPK3PXP&issuer=${"a".repeat(5000)}" to InvalidOtpReason.TOO_LONG,
            "otpauth://motp/x?secret=JBSWY3DPEHPK3PXP" to InvalidOtpReason.UNKNOWN_TYPE,
            "$base?issuer=ESEA" to InvalidOtpReason.MISSING_SECRET,
            "$base?secret=JBSWY3DPEHPK3PX1" to InvalidOtpReason.BAD_SECRET,
            "$base?secret=JBSWY3DP" to InvalidOtpReason.BAD_SECRET,
            "$base?secret=JBSWY3DPEHPK3PXP&algorithm=MD5" to InvalidOtpReason.UNKNOWN_ALGORITHM,
            "$base?secret=JBSWY3DPEHPK3PXP&digits=5" to InvalidOtpReason.BAD_DIGITS,
            "$base?secret=JBSWY3DPEHPK3PXP&digits=9" to InvalidOtpReason.BAD_DIGITS,
            "$base?secret=JBSWY3DPEHPK3PXP&period=0" to InvalidOtpReason.BAD_PERIOD,
            "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP" to InvalidOtpReason.BAD_COUNTER,
            "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=-1" to InvalidOtpReason.BAD_COUNTER,
            "otpauth://totp/Example:alice:bob?secret=JBSWY3DPEHPK3PXP" to InvalidOtpReason.BAD_LABEL,
            "otpauth://totp/ESEA:%E2%80%AEc.leroy?secret=JBSWY3DPEHPK3PXP" to InvalidOtpReason.BAD_LABEL,
            "otpauth-migration://offline?data=AAAA" to InvalidOtpReason.BAD_EXPORT,
        )
        assertEquals(InvalidOtpReason.entries.toSet(), cases.values.toSet(), "every reason is exercised")
        for ((uri, reason) in cases) {
            val added = assertThrows<TigrException.InvalidOtpCode>(uri) { phone.addOtpAccounts(uri) }
            assertEquals(reason, added.reason, uri)
            assertFalse(added.detail.contains("JBSWY3DP"), "no secret in ${added.detail}")
            if (reason != InvalidOtpReason.NOT_OTPAUTH) {
                val parsed = assertThrows<TigrException.InvalidOtpCode>(uri) { parseCode(uri) }
                assertEquals(reason, parsed.reason, uri)
            }
        }
        // A foreign code is "not a Tigr code" for the scanner, as before.
        assertThrows<TigrException.InvalidCode> { parseCode("https://example.fr/") }
        assertEquals(emptyList<OtpAccount>(), phone.otpAccounts())
        // One sentence per reason, in both languages.
        for (language in listOf("fr", "en")) {
            val sentences = InvalidOtpReason.entries.map { errorMessage(TigrException.InvalidOtpCode(it, "d"), language, 0) }
            assertEquals(InvalidOtpReason.entries.size, sentences.toSet().size, "$language: $sentences")
        }
        assertNotEquals(
            errorMessage(TigrException.InvalidOtpCode(InvalidOtpReason.BAD_DIGITS, "d"), "fr", 0),
            errorMessage(TigrException.InvalidOtpCode(InvalidOtpReason.BAD_DIGITS, "d"), "en", 0),
        )
    }

    @Test
    fun `google authenticator exports import every account`() {
        val phone = newPhone()
        // The public example of the Go package dim13/otpauth (core/tests/data/vectors/otpauth-migration.json).
        val example = (parseCode(PUBLIC_EXPORT) as ScannedCode.OtpAccounts).preview
        assertEquals(listOf("Example:alice@google.com"), example.accounts.map { it.label })
        val alice = phone.addOtpAccounts(PUBLIC_EXPORT).single()
        assertEquals("949556", phone.otpCode(alice.id, 1_000_000_000).code)
        assertEquals(oathtool("--totp", "-b", "-N", "@1000000000", "JBSWY3DPEHPK3PXP"), "949556")

        // Built with RFC secrets: code 2 of an export of 3.
        val preview = (parseCode(BUILT_EXPORT) as ScannedCode.OtpAccounts).preview
        assertEquals(2u, preview.batchNumber)
        assertEquals(3u, preview.batchCount)
        assertEquals(listOf("ESEA:c.leroy", "Hôpital Nord:c.leroy", "Banque:jeton"), preview.accounts.map { it.label })
        assertEquals(listOf(OtpAlgorithm.SHA1, OtpAlgorithm.SHA256, OtpAlgorithm.SHA1), preview.accounts.map { it.algorithm })
        val (esea, nord, jeton) = phone.addOtpAccounts(BUILT_EXPORT)
        assertEquals("94287082", phone.otpCode(esea.id, 59).code)
        assertEquals("46119246", phone.otpCode(nord.id, 59).code)
        assertEquals(OtpKind.Hotp(7u), jeton.kind)
        assertEquals("162583", phone.otpCode(jeton.id, 0).code)
        // Scanning the same code again adds nothing.
        phone.addOtpAccounts(BUILT_EXPORT)
        assertEquals(4, phone.otpAccounts().size)
    }

    @Test
    fun `otp secrets need the key protector`() {
        val dir = Files.createTempDirectory(folders, "tigr-otp")
        val phone = newPhone(AesKeyProtector(), dir)
        val account = phone.addOne("otpauth://totp/ESEA:c.leroy?secret=JBSWY3DPEHPK3PXP&issuer=ESEA")
        val file = Files.readAllBytes(dir.resolve("tigr-otp.bin")).toString(Charsets.ISO_8859_1)
        assertFalse(file.contains("c.leroy") || file.contains("JBSWY3DP"), "the file is wrapped")
        for (protector in listOf(AesKeyProtector(), LockedKeyProtector(), BuggyKeyProtector())) {
            val other = newPhone(protector, dir)
            assertThrows<TigrException.KeyStore> { other.otpAccounts() }
            val refused = assertThrows<TigrException.KeyStore> { other.otpCode(account.id, 0) }
            assertTrue(errorMessage(refused, "fr", 0).contains("Déverrouillez"))
        }
        assertEquals(listOf(account), phone.otpAccounts())
    }

    companion object {
        /** RFC 6238 Appendix A seeds, base32. */
        val RFC_6238_SEEDS = listOf(
            OtpAlgorithm.SHA1 to "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
            OtpAlgorithm.SHA256 to "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA",
            OtpAlgorithm.SHA512 to
                "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA",
        )

        /** RFC 6238 Appendix B: time -> SHA1, SHA256, SHA512 codes (8 digits, 30 s). */
        val RFC_6238_TABLE = mapOf(
            59L to listOf("94287082", "46119246", "90693936"),
            1_111_111_109L to listOf("07081804", "68084774", "25091201"),
            1_111_111_111L to listOf("14050471", "67062674", "99943326"),
            1_234_567_890L to listOf("89005924", "91819424", "93441116"),
            2_000_000_000L to listOf("69279037", "90698825", "38618901"),
            20_000_000_000L to listOf("65353130", "77737706", "47863826"),
        )

        /** RFC 4226 Appendix D: counters 0 to 9 for "12345678901234567890". */
        val RFC_4226_TABLE = listOf(
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489",
        )

        const val PUBLIC_EXPORT =
            "otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZTAC"

        const val BUILT_EXPORT =
            "otpauth-migration://offline?data=CjAKFDEyMzQ1Njc4OTAxMjM0NTY3ODkwEgxFU0VBOmMubGVyb3kaBEVTRUEgASgCMAIKPwogMTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTISFUjDtHBpdGFsIE5vcmQ6Yy5sZXJveSACKAIwAgotChQxMjM0NTY3ODkwMTIzNDU2Nzg5MBIFamV0b24aBkJhbnF1ZSABKAEwATgHEAEYAyABKJDK1Ak%3D"
    }
}
