package fr.tigr.app.sdk

import fr.tigr.sdk.Account
import fr.tigr.sdk.Authenticator
import fr.tigr.sdk.KeyProtector
import fr.tigr.sdk.OfflineCode
import fr.tigr.sdk.OtpAccount
import fr.tigr.sdk.OtpCode
import fr.tigr.sdk.ScanResult
import fr.tigr.sdk.ScannedCode
import fr.tigr.sdk.TigrException

/**
 * The Tigr SDK calls the screens make, one to one with `fr.tigr.sdk` (see docs/mobile.md).
 * Every method but [minutesUntil] BLOCKS (vault, key derivation, network): call them through
 * [TigrSdk], which runs them on Dispatchers.IO. This interface is the seam that lets ViewModel
 * tests use a fake; it also holds the app's clock, which the SDK's texts and block times need.
 */
interface TigrClient {
    fun accounts(): List<Account>
    fun parseCode(text: String): ScannedCode
    fun scan(text: String): ScanResult
    fun enroll(payload: String, pin: String, pinConfirmation: String, deviceName: String): Account
    fun approve(payload: String, tigrId: String?, pin: String)
    fun deny(payload: String, tigrId: String?)
    fun offlineCode(payload: String, tigrId: String?, pin: String): OfflineCode
    fun removeAccount(serverOrigin: String, tigrId: String)
    fun otpAccounts(): List<OtpAccount>
    fun addOtpAccounts(text: String): List<OtpAccount>
    /** The code of OTP account [id] at the app's clock ([now]); the next one for HOTP. */
    fun otpCode(id: String): OtpCode
    fun renameOtpAccount(id: String, issuer: String?, accountName: String): OtpAccount
    fun removeOtpAccount(id: String)
    /** The app's clock, Unix seconds (no I/O): TOTP countdowns and the codes agree on it. */
    fun now(): Long
    /** The sentence to show for [error], in [language], counted with the app's clock. */
    fun errorMessage(error: TigrException): String
    /** Minutes until a temporary block's `blockedUntil`, by the app's clock (no I/O). */
    fun minutesUntil(blockedUntil: Long): Int
    val language: String
}

/**
 * The real SDK: one [Authenticator] over the vault directory, in the UI language.
 *
 * The authenticator is opened on first use (on the IO dispatcher, since opening reads the vault
 * and may touch the Keystore); if opening fails the next call tries again. [clock] is the app's
 * clock in Unix seconds.
 */
class AuthenticatorClient(
    private val storageDir: String,
    private val keyProtector: KeyProtector,
    override val language: String,
    private val clock: () -> Long = { System.currentTimeMillis() / 1000 },
) : TigrClient {
    private val authenticator: Authenticator by lazy {
        Authenticator(storageDir, keyProtector, language)
    }

    override fun accounts(): List<Account> = authenticator.accounts()

    override fun parseCode(text: String): ScannedCode = fr.tigr.sdk.parseCode(text)

    override fun scan(text: String): ScanResult = authenticator.scan(text)

    override fun enroll(
        payload: String,
        pin: String,
        pinConfirmation: String,
        deviceName: String,
    ): Account = authenticator.enroll(payload, pin, pinConfirmation, deviceName)

    override fun approve(payload: String, tigrId: String?, pin: String) =
        authenticator.approve(payload, tigrId, pin)

    override fun deny(payload: String, tigrId: String?) = authenticator.deny(payload, tigrId)

    override fun offlineCode(payload: String, tigrId: String?, pin: String): OfflineCode =
        authenticator.offlineCode(payload, tigrId, pin)

    override fun removeAccount(serverOrigin: String, tigrId: String) =
        authenticator.removeAccount(serverOrigin, tigrId)

    override fun otpAccounts(): List<OtpAccount> = authenticator.otpAccounts()

    override fun addOtpAccounts(text: String): List<OtpAccount> = authenticator.addOtpAccounts(text)

    override fun otpCode(id: String): OtpCode = authenticator.otpCode(id, now())

    override fun renameOtpAccount(id: String, issuer: String?, accountName: String): OtpAccount =
        authenticator.renameOtpAccount(id, issuer, accountName)

    override fun removeOtpAccount(id: String) = authenticator.removeOtpAccount(id)

    override fun now(): Long = clock()

    override fun errorMessage(error: TigrException): String =
        fr.tigr.sdk.errorMessage(error, language, now())

    override fun minutesUntil(blockedUntil: Long): Int =
        fr.tigr.sdk.minutesUntil(blockedUntil, now()).toInt()
}
