package fr.tigr.app

import fr.tigr.app.accounts.AccountListState
import fr.tigr.app.accounts.AccountListViewModel
import fr.tigr.app.accounts.RemovalState
import fr.tigr.app.navigation.Routes
import fr.tigr.app.scan.ScannerViewModel
import fr.tigr.app.ui.components.PinBuffer
import fr.tigr.app.ui.components.formatCountdown
import fr.tigr.app.ui.components.groupedDigits
import fr.tigr.app.ui.components.otpGroups
import fr.tigr.app.ui.components.spokenDigits
import fr.tigr.sdk.InvalidCodeReason
import fr.tigr.sdk.TigrException
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Rule
import org.junit.Test

class ScreenHelpersTest {
    @get:Rule val main = MainDispatcherRule()

    @Test
    fun `codes are read digit by digit and grouped by four`() {
        assertEquals("1 2 3 4 5 6 7 8", spokenDigits("12345678"))
        assertEquals("1234 5678", groupedDigits("12345678"))
        assertEquals("1:23", formatCountdown(83))
        assertEquals("0:00", formatCountdown(-4))
    }

    @Test
    fun `OTP codes are grouped as authenticator apps show them and read digit by digit`() {
        assertEquals("123 456", otpGroups("123456"))
        assertEquals("1234 567", otpGroups("1234567"))
        assertEquals("1234 5678", otpGroups("12345678"))
        assertEquals("1 2 3 4 5 6", spokenDigits(otpGroups("123456")))
    }

    @Test
    fun `the PIN buffer caps at 12 digits and clears on take`() {
        val pin = PinBuffer()
        "12345678901234".forEach(pin::add)
        pin.add('x')
        assertEquals(12, pin.length.value)
        pin.delete()
        assertEquals("12345678901", pin.take())
        assertEquals(0, pin.length.value)
    }

    @Test
    fun `scanner routes the first Tigr code and explains others`() {
        val client = FakeTigrClient()
        client.answer(TigrException.InvalidCode(InvalidCodeReason.NOT_TIGR, "not tigr"), Samples.invitationCode())
        val vm = ScannerViewModel(fakeSdk(client, main.dispatcher))
        vm.onTexts(listOf("https://example.org"))
        assertEquals("message:InvalidCode", vm.state.value.notTigr)
        vm.onTexts(listOf("https://example.org", Samples.ENROLL))
        assertEquals(Samples.invitationCode(), vm.state.value.found)
        assertNull(vm.state.value.notTigr)
        // The same foreign text is not parsed twice while its hint shows.
        assertEquals(listOf("parseCode(https://example.org)", "parseCode(${Samples.ENROLL})"), client.calls)
    }

    @Test
    fun `account list loads and removes with confirmation`() {
        val client = FakeTigrClient()
        client.answer(listOf(Samples.account()), Unit, emptyList<Any>())
        val vm = AccountListViewModel(fakeSdk(client, main.dispatcher))
        vm.load()
        assertEquals(AccountListState.Loaded(listOf(Samples.account())), vm.state.value)
        vm.askRemove(Samples.account())
        assertEquals(RemovalState.Confirm(Samples.account()), vm.removal.value)
        vm.confirmRemove()
        assertEquals(RemovalState.None, vm.removal.value)
        assertEquals(AccountListState.Loaded(emptyList()), vm.state.value)
        assertEquals(listOf("accounts()", "removeAccount(${Samples.ORIGIN}, marie.curie)", "accounts()"), client.calls)
    }

    @Test
    fun `routes carry the payload percent-encoded as Android's Uri encode does`() {
        assertEquals(
            "login?payload=https%3A%2F%2Fauth.example.fr%2Ft%2F1%2FL%2FABC%3Fa%3D1%26b%3D%25%20%C3%A9",
            Routes.login("https://auth.example.fr/t/1/L/ABC?a=1&b=% é"),
        )
        assertEquals("enroll?payload=a-b_c.d~e!f*g(h)i'j", Routes.enroll("a-b_c.d~e!f*g(h)i'j"))
        assertEquals("offline?payload=p&tigrId=marie%20c", Routes.offline("p", "marie c", null))
        assertEquals(Routes.enroll(Samples.ENROLL), Routes.forCode(Samples.invitationCode()))
    }
}
