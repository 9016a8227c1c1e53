package fr.tigr.app

import android.app.Application
import fr.tigr.app.otp.AndroidSensitiveClipboard
import fr.tigr.app.otp.CodeCopier
import fr.tigr.app.sdk.AuthenticatorClient
import fr.tigr.app.sdk.KeystoreKeyProtector
import fr.tigr.app.sdk.TigrClient
import fr.tigr.app.sdk.TigrSdk
import java.io.File
import kotlinx.coroutines.MainScope

/**
 * Holds the one SDK instance of the process. The vault and the OTP accounts live in files/tigr/
 * (excluded from backups and device transfers, see res/xml/data_extraction_rules.xml).
 */
class TigrApplication : Application() {
    lateinit var sdk: TigrSdk
        private set

    /**
     * Copies OTP codes, cleared from the clipboard 30 s later. The process's scope, not a
     * screen's: leaving the list does not leave a code on the clipboard.
     */
    lateinit var codeCopier: CodeCopier
        private set

    private val keyProtector = KeystoreKeyProtector()
    private var client: AuthenticatorClient? = null

    override fun onCreate() {
        super.onCreate()
        sdk = TigrSdk(
            client = ::currentClient,
            unexpected = { getString(R.string.error_unexpected) },
        )
        codeCopier = CodeCopier(AndroidSensitiveClipboard(this), MainScope())
    }

    /**
     * The SDK speaks the language the resources resolved to: R.string.sdk_language is "fr" in
     * values/ (the default, so every non-English phone gets French) and "en" in values-en/.
     */
    @Synchronized
    private fun currentClient(): TigrClient {
        val language = getString(R.string.sdk_language)
        client?.let { if (it.language == language) return it }
        val dir = File(filesDir, VAULT_DIR).apply { mkdirs() }
        return AuthenticatorClient(dir.path, keyProtector, language).also { client = it }
    }

    companion object {
        const val VAULT_DIR = "tigr"
    }
}
