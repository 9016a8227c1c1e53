package fr.tigr.app.jvmtests

import androidx.compose.material3.SnackbarHostState
import androidx.compose.runtime.Composable
import androidx.compose.runtime.remember
import fr.tigr.app.accounts.AccountListScreen
import fr.tigr.app.accounts.AccountListViewModel
import fr.tigr.app.authentication.AccountChoice
import fr.tigr.app.authentication.AccountChoiceScreen
import fr.tigr.app.authentication.BlockedScreen
import fr.tigr.app.authentication.LoginApprovedScreen
import fr.tigr.app.authentication.LoginDeniedScreen
import fr.tigr.app.authentication.LoginExpiredScreen
import fr.tigr.app.authentication.LoginFailedScreen
import fr.tigr.app.authentication.LoginReviewScreen
import fr.tigr.app.authentication.LoginStep
import fr.tigr.app.authentication.PhoneRevokedScreen
import fr.tigr.app.authentication.WrongPinScreen
import fr.tigr.app.enrollment.EnrollmentDoneScreen
import fr.tigr.app.enrollment.EnrollmentFailedScreen
import fr.tigr.app.enrollment.EnrollmentOfferScreen
import fr.tigr.app.enrollment.EnrollmentPinScreen
import fr.tigr.app.enrollment.EnrollmentStep
import fr.tigr.app.offline.OfflineChooseAccount
import fr.tigr.app.offline.OfflineCodeScreen
import fr.tigr.app.offline.OfflineFailedScreen
import fr.tigr.app.offline.OfflinePinScreen
import fr.tigr.app.offline.OfflineStep
import fr.tigr.app.otp.CodeCopier
import fr.tigr.app.otp.OtpOfferDialog
import fr.tigr.app.otp.OtpViewModel
import fr.tigr.app.otp.SensitiveClipboard
import fr.tigr.app.sdk.TigrClient
import fr.tigr.app.sdk.TigrSdk
import fr.tigr.app.ui.components.FlowScaffold
import fr.tigr.app.ui.components.ProgressBody
import fr.tigr.app.ui.text.TextId
import fr.tigr.app.ui.text.UiText
import fr.tigr.app.ui.text.text
import fr.tigr.sdk.Account
import fr.tigr.sdk.InvalidPinReason
import fr.tigr.sdk.InvitationOffer
import fr.tigr.sdk.LoginContext
import fr.tigr.sdk.OfflineCode
import fr.tigr.sdk.OtpAccount
import fr.tigr.sdk.OtpAccountPreview
import fr.tigr.sdk.OtpAlgorithm
import fr.tigr.sdk.OtpCode
import fr.tigr.sdk.OtpImportPreview
import fr.tigr.sdk.OtpKind
import fr.tigr.sdk.OtpValidity
import fr.tigr.sdk.ScanResult
import fr.tigr.sdk.ScannedCode
import fr.tigr.sdk.TigrException
import fr.tigr.sdk.errorMessage
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers

/** One screen in one state, as the user sees it. */
class Screen(val name: String, val content: @Composable () -> Unit)

/** The sample data of the screenshots (a fixed clock: [SCREENSHOT_NOW]). */
object Sample {
    const val ORIGIN = "https://auth.chu-exemple.fr"
    const val HOST = "auth.chu-exemple.fr"
    val account = Account(ORIGIN, HOST, "marie.curie", "Marie Curie", "Dossier patient", "DEVICE1", SCREENSHOT_NOW - 86_400 * 40)
    val second = Account(ORIGIN, HOST, "m.curie-admin", "Marie Curie (admin)", "Dossier patient", "DEVICE2", SCREENSHOT_NOW - 86_400 * 3)
    val offer = InvitationOffer("https://$HOST/t/1/E/GEZDGNBVGY3TQOJQGEZDGNBVGY", HOST, "Dossier patient", "marie.curie", "Marie Curie", SCREENSHOT_NOW + 47 * 60 + 12)
    val context = LoginContext("Dossier patient", HOST, SCREENSHOT_NOW - 8, SCREENSHOT_NOW + 112, "192.0.2.7", "Firefox 133 sur Windows")
    val offlineCode = OfflineCode("marie.curie", "48203917", SCREENSHOT_NOW + 83, 83)
    val totp = OtpAccount("TOTP0001", "Messagerie", "m.curie", "Messagerie:m.curie", OtpKind.Totp(30u), OtpAlgorithm.SHA1, 6u, SCREENSHOT_NOW - 86_400)
    val hotp = OtpAccount("HOTP0001", "Banque", "jeton", "Banque:jeton", OtpKind.Hotp(3u), OtpAlgorithm.SHA1, 6u, SCREENSHOT_NOW - 86_400)
    val otpOffer = OtpImportPreview(
        listOf(OtpAccountPreview("Messagerie", "m.curie", "Messagerie:m.curie", OtpKind.Totp(30u), OtpAlgorithm.SHA1, 6u, "Banque")),
        null,
        null,
    )
    val otpExport = OtpImportPreview(
        listOf(
            OtpAccountPreview("Messagerie", "m.curie", "Messagerie:m.curie", OtpKind.Totp(30u), OtpAlgorithm.SHA1, 6u, null),
            OtpAccountPreview("Banque", "jeton", "Banque:jeton", OtpKind.Hotp(0u), OtpAlgorithm.SHA1, 8u, null),
        ),
        1u,
        2u,
    )
}

/**
 * The SDK as the account list sees it on a phone with [Sample] accounts: fixed answers, so the
 * list renders the same on every run. Only what the list calls is answered.
 */
private class SampleClient(override val language: String, private val accounts: List<Account>, private val otp: List<OtpAccount>) : TigrClient {
    override fun accounts() = accounts
    override fun otpAccounts() = otp
    override fun otpCode(id: String) = OtpCode("492039", OtpValidity.Time(7u, 30u, SCREENSHOT_NOW + 7))
    override fun now() = SCREENSHOT_NOW
    override fun errorMessage(error: TigrException) = errorMessage(error, language, SCREENSHOT_NOW)
    override fun minutesUntil(blockedUntil: Long) = ((blockedUntil - SCREENSHOT_NOW) / 60).toInt()
    override fun parseCode(text: String): ScannedCode = unused()
    override fun scan(text: String): ScanResult = unused()
    override fun enroll(payload: String, pin: String, pinConfirmation: String, deviceName: String): Account = unused()
    override fun approve(payload: String, tigrId: String?, pin: String) = unused()
    override fun deny(payload: String, tigrId: String?) = unused()
    override fun offlineCode(payload: String, tigrId: String?, pin: String): OfflineCode = unused()
    override fun removeAccount(serverOrigin: String, tigrId: String) = unused()
    override fun addOtpAccounts(text: String): List<OtpAccount> = unused()
    override fun renameOtpAccount(id: String, issuer: String?, accountName: String): OtpAccount = unused()
    override fun removeOtpAccount(id: String) = unused()
    private fun unused(): Nothing = error("not called by the account list")
}

private object NoClipboard : SensitiveClipboard {
    override fun copySensitive(label: String, text: String) = Unit
    override fun clearIfStillOurs() = Unit
}

/** The account list over [SampleClient], with what [prepare] does to its ViewModels first. */
@Composable
private fun AccountList(
    language: String,
    accounts: List<Account>,
    otp: List<OtpAccount>,
    prepare: (AccountListViewModel, OtpViewModel) -> Unit = { _, _ -> },
) {
    val models = remember {
        val client = SampleClient(language, accounts, otp)
        val sdk = TigrSdk(client = { client }, unexpected = { "" }, io = Dispatchers.Unconfined)
        val list = AccountListViewModel(sdk).apply { load() }
        val codes = OtpViewModel(sdk, CodeCopier(NoClipboard, CoroutineScope(Dispatchers.Unconfined))).apply { load() }
        prepare(list, codes)
        list to codes
    }
    AccountListScreen(models.first, models.second, onScan = {}, snackbar = remember { SnackbarHostState() })
}

@Composable
private fun Flow(title: TextId, content: @Composable () -> Unit) {
    FlowScaffold(title = text(title), onClose = {}) { content() }
}

/** Every screen of the app in every state it can show, in [text]'s language. */
fun screenCatalog(text: UiText): List<Screen> {
    val language = text.language
    fun sdk(error: TigrException) = errorMessage(error, language, SCREENSHOT_NOW)
    val network = sdk(TigrException.Network("connection refused"))
    val none: () -> Unit = {}
    fun enroll(name: String, content: @Composable () -> Unit) = Screen("enroll-$name") { Flow(TextId.ENROLL_TITLE, content) }
    fun login(name: String, content: @Composable () -> Unit) = Screen("login-$name") { Flow(TextId.LOGIN_TITLE, content) }
    fun offline(name: String, content: @Composable () -> Unit) = Screen("offline-$name") { Flow(TextId.OFFLINE_TITLE, content) }
    val choice = AccountChoice(Sample.account.tigrId, Sample.account.displayName)
    val code = OfflineStep.Code(Sample.offlineCode, deadline = 0)
    return listOf(
        Screen("accounts-empty") { AccountList(language, emptyList(), emptyList()) },
        Screen("accounts-list") { AccountList(language, listOf(Sample.account, Sample.second), listOf(Sample.totp, Sample.hotp)) },
        Screen("accounts-remove") {
            AccountList(language, listOf(Sample.account), emptyList()) { list, _ -> list.askRemove(Sample.account) }
        },
        Screen("accounts-otp-rename") {
            AccountList(language, emptyList(), listOf(Sample.totp)) { _, otp -> otp.askRename(Sample.totp) }
        },
        Screen("accounts-otp-remove") {
            AccountList(language, emptyList(), listOf(Sample.totp)) { _, otp -> otp.askRemove(Sample.totp) }
        },
        Screen("scan-otp-offer") { OtpOfferDialog(Sample.otpOffer, adding = false, error = null, onAdd = none, onCancel = none) },
        Screen("scan-otp-export") { OtpOfferDialog(Sample.otpExport, adding = false, error = null, onAdd = none, onCancel = none) },

        enroll("loading") { ProgressBody(text(TextId.ENROLL_LOADING)) },
        enroll("offer") { EnrollmentOfferScreen(Sample.offer, replacesExisting = false, onContinue = none, onCancel = none) },
        enroll("offer-replaces") { EnrollmentOfferScreen(Sample.offer, replacesExisting = true, onContinue = none, onCancel = none) },
        enroll("offer-expired") {
            EnrollmentOfferScreen(Sample.offer.copy(expiresAt = SCREENSHOT_NOW - 5), replacesExisting = false, onContinue = none, onCancel = none)
        },
        enroll("pin-choose") { EnrollmentPinScreen(false, 0, null, {}, none, none) },
        enroll("pin-mismatch") {
            EnrollmentPinScreen(false, 0, sdk(TigrException.InvalidPin(InvalidPinReason.MISMATCH)), {}, none, none)
        },
        enroll("pin-too-simple") {
            EnrollmentPinScreen(false, 0, sdk(TigrException.InvalidPin(InvalidPinReason.TOO_SIMPLE)), {}, none, none)
        },
        enroll("pin-confirm") { EnrollmentPinScreen(true, 3, null, {}, none, none) },
        enroll("in-progress") { ProgressBody(text(TextId.ENROLL_IN_PROGRESS)) },
        enroll("done") { EnrollmentDoneScreen(Sample.account, none) },
        enroll("failed-network") { EnrollmentFailedScreen(EnrollmentStep.Failed(network, true, false), none, none) },
        enroll("failed-used") {
            EnrollmentFailedScreen(EnrollmentStep.Failed(sdk(TigrException.AlreadyUsed()), false, true), none, none)
        },
        enroll("failed-login-code") { EnrollmentFailedScreen(EnrollmentStep.Failed(null, false, true), none, none) },

        login("loading") { ProgressBody(text(TextId.LOGIN_LOADING)) },
        login("choose-account") {
            AccountChoiceScreen(listOf(choice, AccountChoice(Sample.second.tigrId, Sample.second.displayName))) {}
        },
        login("review") { LoginReviewScreen(Sample.context, choice, 0, null, false, {}, none, none, none) },
        login("review-typing") { LoginReviewScreen(Sample.context, choice, 5, null, false, {}, none, none, none) },
        login("review-pin-format") {
            LoginReviewScreen(Sample.context, choice, 0, sdk(TigrException.InvalidPin(InvalidPinReason.FORMAT)), false, {}, none, none, none)
        },
        login("review-expired") {
            LoginReviewScreen(Sample.context.copy(expiresAt = SCREENSHOT_NOW - 1), choice, 0, null, false, {}, none, none, none)
        },
        login("approving") { ProgressBody(text(TextId.LOGIN_APPROVING)) },
        login("approved") { LoginApprovedScreen(Sample.context, none) },
        login("denied") { LoginDeniedScreen(Sample.context, none) },
        login("wrong-pin") { WrongPinScreen(LoginStep.WrongPin(4, sdk(TigrException.WrongPin(4u))), none, none) },
        login("wrong-pin-last") { WrongPinScreen(LoginStep.WrongPin(1, sdk(TigrException.WrongPin(1u))), none, none) },
        login("blocked-minutes") {
            BlockedScreen(LoginStep.Blocked(sdk(TigrException.AccountBlocked(SCREENSHOT_NOW + 15 * 60)), "Dossier patient", 15), none)
        },
        login("blocked-admin") {
            BlockedScreen(LoginStep.Blocked(sdk(TigrException.AccountBlocked(null)), "Dossier patient", null), none)
        },
        login("expired") { LoginExpiredScreen(LoginStep.Expired(sdk(TigrException.ChallengeExpired())), none, none) },
        login("revoked") { PhoneRevokedScreen(LoginStep.Revoked(sdk(TigrException.PhoneRevoked()), Sample.account), none, none) },
        login("failed-network") { LoginFailedScreen(LoginStep.Failed(network, true, true), none, none, none) },
        login("failed-enrollment-code") { LoginFailedScreen(LoginStep.Failed(null, false, false), none, none, none) },

        offline("pin") {
            OfflinePinScreen(OfflineStep.EnterPin(Sample.account.tigrId, network, null), 0, {}, none, none)
        },
        offline("choose-account") { OfflineChooseAccount(listOf(Sample.account.tigrId, Sample.second.tigrId)) {} },
        offline("computing") { ProgressBody(text(TextId.OFFLINE_COMPUTING)) },
        offline("code") { OfflineCodeScreen(code, secondsLeft = { 83 }, onDone = none) },
        offline("code-expired") { OfflineCodeScreen(code, secondsLeft = { 0 }, onDone = none) },
        offline("failed") { OfflineFailedScreen(OfflineStep.Failed(sdk(TigrException.NotEnrolled(Sample.HOST))), none) },
    )
}
