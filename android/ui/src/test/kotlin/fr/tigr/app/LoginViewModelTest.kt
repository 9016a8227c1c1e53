package fr.tigr.app

import fr.tigr.app.authentication.AccountChoice
import fr.tigr.app.authentication.GoOffline
import fr.tigr.app.authentication.LoginStep
import fr.tigr.app.authentication.LoginViewModel
import fr.tigr.sdk.TigrException
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.test.runTest
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Rule
import org.junit.Test

class LoginViewModelTest {
    @get:Rule val main = MainDispatcherRule()
    private val client = FakeTigrClient()

    private fun viewModel() = LoginViewModel(Samples.LOGIN, fakeSdk(client, main.dispatcher))

    private fun LoginViewModel.typeAndApprove(pin: String) {
        pin.forEach(::onDigit)
        approve()
    }

    @Test
    fun `review shows the context, approve sends the PIN`() {
        client.answer(Samples.online(), Unit)
        val vm = viewModel()
        val review = vm.step.value as LoginStep.Review
        assertEquals(Samples.context(), review.context)
        vm.typeAndApprove("2580")
        assertEquals(LoginStep.Approved(Samples.context()), vm.step.value)
        assertEquals(
            listOf("scan(${Samples.LOGIN})", "approve(${Samples.LOGIN}, marie.curie, 2580)"),
            client.calls,
        )
    }

    @Test
    fun `wrong PIN shows attempts left, retry returns to the pad, then blocked`() {
        client.answer(Samples.online(), TigrException.WrongPin(2u), TigrException.AccountBlocked(Samples.NOW + 900))
        val vm = viewModel()
        vm.typeAndApprove("1111")
        assertEquals(2, (vm.step.value as LoginStep.WrongPin).attemptsLeft)
        vm.retry()
        assertTrue(vm.step.value is LoginStep.Review)
        vm.typeAndApprove("2222")
        val blocked = vm.step.value as LoginStep.Blocked
        assertEquals("ESEA", blocked.serviceName)
        assertEquals(15, blocked.minutesLeft)
    }

    @Test
    fun `a block only an administrator lifts has no minutes left`() {
        client.answer(Samples.online(), TigrException.AccountBlocked(null))
        val vm = viewModel()
        vm.typeAndApprove("1111")
        val blocked = vm.step.value as LoginStep.Blocked
        assertEquals(null, blocked.minutesLeft)
    }

    @Test
    fun `this wasn't me denies without a PIN`() {
        client.answer(Samples.online(), Unit)
        val vm = viewModel()
        vm.onDigit('1')
        vm.deny()
        assertEquals(LoginStep.Denied(Samples.context()), vm.step.value)
        assertEquals("deny(${Samples.LOGIN}, marie.curie)", client.calls.last())
        assertEquals(0, vm.pin.length.value)
    }

    @Test
    fun `no context goes offline with the reason`() = runTest(main.dispatcher) {
        client.answer(Samples.offline())
        val vm = viewModel()
        assertEquals(GoOffline("marie.curie", "Le serveur est injoignable."), vm.offline.first())
    }

    @Test
    fun `several accounts are chosen before the review`() {
        val other = Samples.account("m.curie2")
        client.answer(Samples.online(Samples.account(), other), Unit)
        val vm = viewModel()
        val choose = vm.step.value as LoginStep.ChooseAccount
        assertEquals(listOf("marie.curie", "m.curie2"), choose.choices.map(AccountChoice::tigrId))
        vm.choose(choose.choices[1])
        vm.typeAndApprove("2580")
        assertEquals("approve(${Samples.LOGIN}, m.curie2, 2580)", client.calls.last())
    }

    @Test
    fun `network failure offers the offline code`() = runTest(main.dispatcher) {
        client.answer(Samples.online(), TigrException.Network("timeout"))
        val vm = viewModel()
        vm.typeAndApprove("2580")
        val failed = vm.step.value as LoginStep.Failed
        assertTrue(failed.canRetry && failed.offlinePossible)
        vm.goOffline()
        assertEquals(GoOffline("marie.curie", null), vm.offline.first())
    }

    @Test
    fun `expired and revoked have their own steps`() {
        client.answer(Samples.online(), TigrException.ChallengeExpired())
        val expired = viewModel()
        expired.typeAndApprove("2580")
        assertTrue(expired.step.value is LoginStep.Expired)

        val revokedClient = FakeTigrClient().apply { answer(Samples.online(), TigrException.PhoneRevoked(), Unit) }
        val revoked = LoginViewModel(Samples.LOGIN, fakeSdk(revokedClient, main.dispatcher))
        revoked.typeAndApprove("2580")
        assertEquals(Samples.account(), (revoked.step.value as LoginStep.Revoked).account)
        revoked.removeRevokedAccount()
        assertEquals("removeAccount(${Samples.ORIGIN}, marie.curie)", revokedClient.calls.last())
    }
}
