package fr.tigr.app

import fr.tigr.app.sdk.TigrClient
import fr.tigr.app.sdk.TigrSdk
import fr.tigr.sdk.Account
import fr.tigr.sdk.InvitationCode
import fr.tigr.sdk.InvitationOffer
import fr.tigr.sdk.LoginCode
import fr.tigr.sdk.LoginContext
import fr.tigr.sdk.LoginRequest
import fr.tigr.sdk.OfflineCode
import fr.tigr.sdk.OtpAccount
import fr.tigr.sdk.OtpAlgorithm
import fr.tigr.sdk.OtpCode
import fr.tigr.sdk.OtpKind
import fr.tigr.sdk.ScanResult
import fr.tigr.sdk.ScannedCode
import fr.tigr.sdk.TigrException
import kotlinx.coroutines.CoroutineDispatcher
import org.junit.rules.TestWatcher
import org.junit.runner.Description
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.test.UnconfinedTestDispatcher
import kotlinx.coroutines.test.resetMain
import kotlinx.coroutines.test.setMain

/**
 * A scripted SDK: each method answers with the next queued result (a value, or a TigrException
 * to throw) and records the call, so tests check the exact SDK sequence of a screen.
 */
class FakeTigrClient : TigrClient {
    override val language = "fr"
    val calls = mutableListOf<String>()
    private val answers = ArrayDeque<Any>()

    /** Queues the answer of the next call (a value, Unit, or a TigrException). */
    fun answer(vararg values: Any) {
        answers.addAll(values)
    }

    @Suppress("UNCHECKED_CAST")
    private fun <T> next(call: String): T {
        calls += call
        val answer = answers.removeFirstOrNull() ?: error("no answer queued for $call")
        if (answer is TigrException) throw answer
        return answer as T
    }

    override fun accounts(): List<Account> = next("accounts()")
    override fun parseCode(text: String): ScannedCode = next("parseCode($text)")
    override fun scan(text: String): ScanResult = next("scan($text)")
    override fun enroll(payload: String, pin: String, pinConfirmation: String, deviceName: String): Account =
        next("enroll($payload, $pin, $pinConfirmation, $deviceName)")
    override fun approve(payload: String, tigrId: String?, pin: String): Unit = next("approve($payload, $tigrId, $pin)")
    override fun deny(payload: String, tigrId: String?): Unit = next("deny($payload, $tigrId)")
    override fun offlineCode(payload: String, tigrId: String?, pin: String): OfflineCode =
        next("offlineCode($payload, $tigrId, $pin)")
    override fun removeAccount(serverOrigin: String, tigrId: String): Unit = next("removeAccount($serverOrigin, $tigrId)")
    override fun otpAccounts(): List<OtpAccount> = next("otpAccounts()")
    override fun addOtpAccounts(text: String): List<OtpAccount> = next("addOtpAccounts($text)")
    override fun otpCode(id: String): OtpCode = next("otpCode($id)")
    override fun renameOtpAccount(id: String, issuer: String?, accountName: String): OtpAccount =
        next("renameOtpAccount($id, $issuer, $accountName)")
    override fun removeOtpAccount(id: String): Unit = next("removeOtpAccount($id)")
    override fun errorMessage(error: TigrException): String = "message:${error.javaClass.simpleName}"

    /** The fake clock (Unix seconds), moved by the tests. */
    var clock: Long = Samples.NOW
    override fun now(): Long = clock

    /** Whole minutes from the fake clock [Samples.NOW] (tests use whole minutes). */
    override fun minutesUntil(blockedUntil: Long): Int = ((blockedUntil - Samples.NOW) / 60).toInt()
}

/** A [TigrSdk] over [client] that runs calls on [dispatcher] (tests: the Main test dispatcher). */
fun fakeSdk(client: TigrClient, dispatcher: CoroutineDispatcher) =
    TigrSdk(client = { client }, unexpected = { "unexpected" }, io = dispatcher)

/** Sets Dispatchers.Main to an unconfined test dispatcher, so viewModelScope runs eagerly. */
@OptIn(ExperimentalCoroutinesApi::class)
class MainDispatcherRule(val dispatcher: CoroutineDispatcher = UnconfinedTestDispatcher()) : TestWatcher() {
    override fun starting(description: Description) = Dispatchers.setMain(dispatcher)
    override fun finished(description: Description) = Dispatchers.resetMain()
}

object Samples {
    const val ORIGIN = "https://auth.example.fr"
    const val HOST = "auth.example.fr"
    const val LOGIN = "https://auth.example.fr/t/1/L/KRSXG5CJIRJUKQ2SIVKC2MJRGE/MFRGGZDFMZTWQ2LKNNWG23TPOA/1795000120"
    const val ENROLL = "https://auth.example.fr/t/1/E/GEZDGNBVGY3TQOJQGEZDGNBVGY"
    /** The fake clock's time (Unix seconds). */
    const val NOW = 1_795_000_010L

    fun account(tigrId: String = "marie.curie") =
        Account(ORIGIN, HOST, tigrId, "Marie Curie", "ESEA", "DEVICE", 1_700_000_000)

    fun offer() = InvitationOffer(ENROLL, HOST, "ESEA", "marie.curie", "Marie Curie", 4_000_000_000)

    fun context() = LoginContext("ESEA", HOST, 1_795_000_000, 1_795_000_120, "192.0.2.7", "Firefox 133 sur Windows")

    fun loginCode() = LoginCode(LOGIN, ORIGIN, HOST, "KRSXG5CJIRJUKQ2SIVKC2MJRGE", 1_795_000_120)

    fun online(vararg accounts: Account = arrayOf(account())) =
        ScanResult.Login(LoginRequest(loginCode(), context(), accounts.toList(), null))

    fun offline(vararg accounts: Account = arrayOf(account())) =
        ScanResult.Login(LoginRequest(loginCode(), null, accounts.toList(), "Le serveur est injoignable."))

    fun invitationCode() = ScannedCode.Invitation(InvitationCode(ENROLL, ORIGIN, HOST))

    fun totp(id: String = "TOTP0001", label: String = "ESEA:c.leroy") =
        OtpAccount(id, label.substringBefore(':'), label.substringAfter(':'), label, OtpKind.Totp(30u), OtpAlgorithm.SHA1, 6u, 1_700_000_000)

    fun hotp(id: String = "HOTP0001", counter: ULong = 0u) =
        OtpAccount(id, "Banque", "jeton", "Banque:jeton", OtpKind.Hotp(counter), OtpAlgorithm.SHA1, 6u, 1_700_000_000)
}
