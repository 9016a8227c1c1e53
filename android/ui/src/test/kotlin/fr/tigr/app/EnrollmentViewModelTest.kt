package fr.tigr.app

import fr.tigr.app.enrollment.EnrollmentStep
import fr.tigr.app.enrollment.EnrollmentViewModel
import fr.tigr.sdk.InvalidCodeReason
import fr.tigr.sdk.InvalidInvitationReason
import fr.tigr.sdk.InvalidPinReason
import fr.tigr.sdk.ScanResult
import fr.tigr.sdk.TigrException
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Rule
import org.junit.Test

class EnrollmentViewModelTest {
    @get:Rule val main = MainDispatcherRule()
    private val client = FakeTigrClient()

    private fun viewModel() = EnrollmentViewModel(Samples.ENROLL, "Pixel 8", fakeSdk(client, main.dispatcher))

    private fun EnrollmentViewModel.type(pin: String) {
        pin.forEach(::onDigit)
        submitPin()
    }

    @Test
    fun `offer, PIN twice, done`() {
        client.answer(ScanResult.Invitation(Samples.offer()), emptyList<Any>(), Samples.account())
        val vm = viewModel()
        val offer = vm.step.value as EnrollmentStep.Offer
        assertEquals(false, offer.replacesExisting)

        vm.startPin()
        vm.type("2580")
        assertTrue(vm.step.value is EnrollmentStep.ConfirmPin)
        assertEquals(0, vm.pin.length.value)
        vm.type("2580")

        assertEquals(EnrollmentStep.Done(Samples.account()), vm.step.value)
        assertEquals(
            listOf("scan(${Samples.ENROLL})", "accounts()", "enroll(${Samples.ENROLL}, 2580, 2580, Pixel 8)"),
            client.calls,
        )
    }

    @Test
    fun `an existing entry is announced as replaced`() {
        client.answer(ScanResult.Invitation(Samples.offer()), listOf(Samples.account()))
        assertEquals(true, (viewModel().step.value as EnrollmentStep.Offer).replacesExisting)
    }

    @Test
    fun `a refused PIN goes back to the first entry with the SDK's sentence`() {
        client.answer(ScanResult.Invitation(Samples.offer()), emptyList<Any>(), TigrException.InvalidPin(InvalidPinReason.TOO_SIMPLE))
        val vm = viewModel()
        vm.startPin()
        vm.type("1234")
        vm.type("1234")
        val step = vm.step.value as EnrollmentStep.ChoosePin
        assertEquals("message:InvalidPin", step.error)
        assertEquals(0, vm.pin.length.value)
    }

    @Test
    fun `network failure can be retried, a used code cannot`() {
        client.answer(ScanResult.Invitation(Samples.offer()), emptyList<Any>(), TigrException.Network("down"))
        val vm = viewModel()
        vm.startPin()
        vm.type("2580")
        vm.type("2580")
        val failed = vm.step.value as EnrollmentStep.Failed
        assertEquals(true, failed.canRetry)
        vm.retry()
        assertTrue(vm.step.value is EnrollmentStep.ChoosePin)

        val other = FakeTigrClient().apply { answer(TigrException.InvalidInvitation(InvalidInvitationReason.USED)) }
        val dead = EnrollmentViewModel(Samples.ENROLL, "Pixel 8", fakeSdk(other, main.dispatcher))
        val step = dead.step.value as EnrollmentStep.Failed
        assertEquals(false, step.canRetry)
        assertEquals(true, step.needsNewCode)
    }

    @Test
    fun `a code of a newer protocol asks for an app update, not a new invitation`() {
        val newer = FakeTigrClient().apply {
            answer(TigrException.InvalidCode(InvalidCodeReason.UNSUPPORTED_VERSION, "version 2"))
        }
        val step = EnrollmentViewModel(Samples.ENROLL, "Pixel 8", fakeSdk(newer, main.dispatcher)).step.value
            as EnrollmentStep.Failed
        assertEquals(false, step.canRetry)
        assertEquals(false, step.needsNewCode)

        val damaged = FakeTigrClient().apply { answer(TigrException.InvalidCode(InvalidCodeReason.NOT_TIGR, "")) }
        val other = EnrollmentViewModel(Samples.ENROLL, "Pixel 8", fakeSdk(damaged, main.dispatcher)).step.value
            as EnrollmentStep.Failed
        assertEquals(true, other.needsNewCode)
    }
}
