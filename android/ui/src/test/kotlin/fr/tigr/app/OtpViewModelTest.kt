package fr.tigr.app

import fr.tigr.app.otp.CodeCopier
import fr.tigr.app.otp.OtpEdit
import fr.tigr.app.otp.OtpListState
import fr.tigr.app.otp.OtpRow
import fr.tigr.app.otp.OtpViewModel
import fr.tigr.app.otp.SensitiveClipboard
import fr.tigr.app.otp.ShownCode
import fr.tigr.app.scan.ScannerViewModel
import fr.tigr.sdk.InvalidOtpReason
import fr.tigr.sdk.OtpAccountPreview
import fr.tigr.sdk.OtpAlgorithm
import fr.tigr.sdk.OtpCode
import fr.tigr.sdk.OtpImportPreview
import fr.tigr.sdk.OtpKind
import fr.tigr.sdk.OtpValidity
import fr.tigr.sdk.ScannedCode
import fr.tigr.sdk.TigrException
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.test.StandardTestDispatcher
import kotlinx.coroutines.test.TestScope
import kotlinx.coroutines.test.advanceTimeBy
import kotlinx.coroutines.test.runCurrent
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Rule
import org.junit.Test

/** A clipboard that records what the screen did with it. */
class RecordingClipboard : SensitiveClipboard {
    val events = mutableListOf<String>()
    override fun copySensitive(label: String, text: String) {
        events += "copy($label, $text)"
    }
    override fun clearIfStillOurs() {
        events += "clear"
    }
}

@OptIn(ExperimentalCoroutinesApi::class)
class OtpViewModelTest {
    @get:Rule val main = MainDispatcherRule()
    private val client = FakeTigrClient()
    private val clipboard = RecordingClipboard()
    private val copierScope = TestScope(StandardTestDispatcher())

    private fun viewModel() =
        OtpViewModel(fakeSdk(client, main.dispatcher), CodeCopier(clipboard, copierScope))

    private fun timed(code: String, secondsLeft: UInt, at: Long = Samples.NOW) =
        OtpCode(code, OtpValidity.Time(secondsLeft, 30u, at + secondsLeft.toLong()))

    private fun rows(vm: OtpViewModel): List<OtpRow> = (vm.state.value as OtpListState.Loaded).rows

    @Test
    fun `the list fetches the codes of TOTP accounts only, and refetches each when it expires`() {
        client.answer(listOf(Samples.totp(), Samples.hotp()), timed("123456", 12u))
        val vm = viewModel()
        vm.load()
        assertEquals(listOf("otpAccounts()", "otpCode(TOTP0001)"), client.calls)
        val (totp, hotp) = rows(vm)
        assertEquals(ShownCode.Timed("123456", 12, 30, Samples.NOW + 12), totp.code)
        assertNull("no HOTP code until asked for", hotp.code)

        // Each second counts down by the app's clock, with no SDK call...
        client.clock = Samples.NOW + 11
        vm.tick()
        assertEquals(1, (rows(vm)[0].code as ShownCode.Timed).secondsLeft)
        assertEquals(2, client.calls.size)
        // ...until the code expires: one call for the next one, never for the HOTP account.
        client.clock = Samples.NOW + 12
        client.answer(timed("654321", 30u, Samples.NOW + 12))
        vm.tick()
        assertEquals("otpCode(TOTP0001)", client.calls.last())
        assertEquals(3, client.calls.size)
        assertEquals(ShownCode.Timed("654321", 30, 30, Samples.NOW + 42), rows(vm)[0].code)
        assertNull(rows(vm)[1].code)
    }

    @Test
    fun `an HOTP code is fetched only on request, one counter per request, and survives a reload`() {
        client.answer(listOf(Samples.hotp()))
        val vm = viewModel()
        vm.load()
        repeat(5) { vm.tick() }
        assertEquals(listOf("otpAccounts()"), client.calls)
        client.answer(OtpCode("755224", OtpValidity.Counter(0u)), OtpCode("287082", OtpValidity.Counter(1u)))
        vm.nextHotpCode("HOTP0001")
        assertEquals(ShownCode.Counted("755224", 0u), rows(vm)[0].code)
        vm.nextHotpCode("HOTP0001")
        assertEquals(ShownCode.Counted("287082", 1u), rows(vm)[0].code)
        client.answer(listOf(Samples.hotp(counter = 2u)))
        vm.load()
        assertEquals("the code shown stays after a resume", ShownCode.Counted("287082", 1u), rows(vm)[0].code)
        assertEquals(4, client.calls.size)
    }

    @Test
    fun `a tap copies the code, marked sensitive, and the clipboard is cleared 30 s later`() {
        client.answer(listOf(Samples.totp()), timed("123456", 20u))
        val vm = viewModel()
        vm.load()
        vm.copy(rows(vm)[0])
        assertEquals(listOf("copy(ESEA:c.leroy, 123456)"), clipboard.events)
        assertEquals("ESEA:c.leroy", vm.copied.value)
        vm.copyShown()
        assertNull(vm.copied.value)
        copierScope.advanceTimeBy(29_999)
        copierScope.runCurrent()
        assertEquals(1, clipboard.events.size)
        // A second copy restarts the 30 seconds.
        vm.copy(rows(vm)[0])
        copierScope.advanceTimeBy(29_999)
        copierScope.runCurrent()
        assertEquals(2, clipboard.events.size)
        copierScope.advanceTimeBy(1)
        copierScope.runCurrent()
        assertEquals(listOf("copy(ESEA:c.leroy, 123456)", "copy(ESEA:c.leroy, 123456)", "clear"), clipboard.events)
        // Nothing to copy before a code is shown.
        client.answer(listOf(Samples.hotp()))
        vm.load()
        vm.copy(rows(vm)[0])
        assertEquals(3, clipboard.events.size)
    }

    @Test
    fun `rename and remove ask first and show the SDK's refusals`() {
        client.answer(listOf(Samples.hotp()))
        val vm = viewModel()
        vm.load()
        val account = Samples.hotp()
        vm.askRename(account)
        client.answer(TigrException.InvalidOtpName("with a colon"))
        vm.confirmRename("Banque", "a:b")
        assertEquals(OtpEdit.Rename(account, "message:InvalidOtpName"), vm.edit.value)
        val renamed = account.copy(issuer = null, accountName = "Mon jeton", label = "Mon jeton")
        client.answer(renamed)
        vm.confirmRename(" ", "Mon jeton")
        assertEquals("renameOtpAccount(HOTP0001, null, Mon jeton)", client.calls.last())
        assertEquals(OtpEdit.None, vm.edit.value)
        assertEquals(renamed, rows(vm)[0].account)

        vm.askRemove(renamed)
        vm.cancelEdit()
        assertEquals(OtpEdit.None, vm.edit.value)
        vm.askRemove(renamed)
        client.answer(Unit, emptyList<Any>())
        vm.confirmRemove()
        assertEquals(listOf("removeOtpAccount(HOTP0001)", "otpAccounts()"), client.calls.takeLast(2))
        assertEquals(OtpListState.Loaded(emptyList()), vm.state.value)
    }

    @Test
    fun `a code of an account removed meanwhile reloads the list, a locked key store says so`() {
        client.answer(listOf(Samples.totp()), TigrException.KeyStore("device locked"))
        val vm = viewModel()
        vm.load()
        assertEquals("message:KeyStore", rows(vm)[0].error)
        vm.tick()
        assertEquals("no retry every second after a failure", 2, client.calls.size)
        client.answer(TigrException.UnknownOtpAccount(), emptyList<Any>())
        vm.nextHotpCode("TOTP0001")
        assertEquals("otpAccounts()", client.calls.last())
        assertEquals(OtpListState.Loaded(emptyList()), vm.state.value)
    }

    private fun preview(label: String = "ESEA:c.leroy", labelIssuer: String? = null) = OtpImportPreview(
        listOf(OtpAccountPreview("ESEA", "c.leroy", label, OtpKind.Totp(30u), OtpAlgorithm.SHA1, 6u, labelIssuer)),
        null,
        null,
    )

    @Test
    fun `the scanner offers an OTP code and adds it only when asked, keeping the secret out of its state`() {
        val uri = "otpauth://totp/ESEA:c.leroy?secret=JBSWY3DPEHPK3PXP&issuer=ESEA"
        val offered = preview(labelIssuer = "Banque")
        client.answer(ScannedCode.OtpAccounts(offered))
        val vm = ScannerViewModel(fakeSdk(client, main.dispatcher))
        vm.onTexts(listOf(uri))
        assertEquals(offered, vm.state.value.otpOffer)
        assertNull(vm.state.value.found)
        assertTrue("the state never holds the secret", !vm.state.value.toString().contains("JBSWY3DP"))
        vm.onTexts(listOf(uri))
        assertEquals("scanning stopped while the offer shows", 1, client.calls.size)

        client.answer(listOf(Samples.totp()))
        vm.confirmOtp()
        assertEquals("addOtpAccounts($uri)", client.calls.last())
        assertEquals(1, vm.state.value.otpAdded)
        assertNull(vm.state.value.otpOffer)
        vm.otpAddedShown()
        assertNull(vm.state.value.otpAdded)
    }

    @Test
    fun `a cancelled or refused OTP code adds nothing and scanning goes on`() {
        val uri = "otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZTAC"
        client.answer(ScannedCode.OtpAccounts(preview()))
        val vm = ScannerViewModel(fakeSdk(client, main.dispatcher))
        vm.onTexts(listOf(uri))
        client.answer(TigrException.KeyStore("device locked"))
        vm.confirmOtp()
        assertEquals("message:KeyStore", vm.state.value.otpError)
        assertEquals("the offer stays for another try", preview(), vm.state.value.otpOffer)
        vm.cancelOtp()
        assertNull(vm.state.value.otpOffer)
        // The same code right away is ignored; another code is read.
        vm.onTexts(listOf(uri))
        assertEquals(2, client.calls.size)
        client.answer(TigrException.InvalidOtpCode(InvalidOtpReason.BAD_DIGITS, "digits"))
        vm.onTexts(listOf("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=9"))
        assertEquals("message:InvalidOtpCode", vm.state.value.notTigr)
        assertTrue(vm.state.value.badOtpCode)
        client.answer(Samples.invitationCode())
        vm.onTexts(listOf(Samples.ENROLL))
        assertEquals(Samples.invitationCode(), vm.state.value.found)
    }
}
