package fr.tigr.app

import fr.tigr.app.offline.OfflineStep
import fr.tigr.app.offline.OfflineViewModel
import fr.tigr.sdk.InvalidPinReason
import fr.tigr.sdk.OfflineCode
import fr.tigr.sdk.TigrException
import org.junit.Assert.assertEquals
import org.junit.Rule
import org.junit.Test

class OfflineViewModelTest {
    @get:Rule val main = MainDispatcherRule()
    private val client = FakeTigrClient()
    private var now = 10_000L

    private fun viewModel(tigrId: String? = "marie.curie") =
        OfflineViewModel(Samples.LOGIN, tigrId, "hors ligne", fakeSdk(client, main.dispatcher), elapsedRealtime = { now })

    @Test
    fun `PIN gives the code, counted down on the monotonic clock`() {
        client.answer(OfflineCode("marie.curie", "12345678", 1_795_000_120, 90))
        val vm = viewModel()
        "2580".forEach(vm::onDigit)
        vm.submit()
        val code = vm.step.value as OfflineStep.Code
        assertEquals("12345678", code.code.otp)
        assertEquals(90, vm.secondsLeft(code))
        now += 89_500
        assertEquals(1, vm.secondsLeft(code))
        now += 1_000
        assertEquals(0, vm.secondsLeft(code))
        assertEquals(listOf("offlineCode(${Samples.LOGIN}, marie.curie, 2580)"), client.calls)
    }

    @Test
    fun `account choice, then PIN`() {
        client.answer(TigrException.AccountChoiceNeeded(listOf("a", "b")), OfflineCode("b", "87654321", 1, 30))
        val vm = viewModel(tigrId = null)
        "2580".forEach(vm::onDigit)
        vm.submit()
        assertEquals(OfflineStep.ChooseAccount(listOf("a", "b")), vm.step.value)
        vm.choose("b")
        "2580".forEach(vm::onDigit)
        vm.submit()
        assertEquals("offlineCode(${Samples.LOGIN}, b, 2580)", client.calls.last())
    }

    @Test
    fun `an invalid PIN stays on the pad`() {
        client.answer(TigrException.InvalidPin(InvalidPinReason.FORMAT))
        val vm = viewModel()
        "12".forEach(vm::onDigit)
        vm.submit()
        assertEquals("message:InvalidPin", (vm.step.value as OfflineStep.EnterPin).pinError)
    }
}
