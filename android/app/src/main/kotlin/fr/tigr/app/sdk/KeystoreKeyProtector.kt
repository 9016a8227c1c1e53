package fr.tigr.app.sdk

import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import fr.tigr.sdk.KeyProtector
import fr.tigr.sdk.KeyProtectorException
import java.security.KeyStore
import java.security.ProviderException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * Wraps the SDK's vault with an AES-256-GCM key that lives in the Android Keystore.
 *
 * - The key is generated inside the Keystore and is not exportable; StrongBox is asked for
 *   (Android 9+) and the TEE is used when the phone has none.
 * - No user authentication is bound to the key: the Tigr PIN is the second factor, and the
 *   vault itself has no PIN oracle (a wrong PIN is only detected by the server). The key only
 *   makes a copied vault file useless off this phone.
 * - The key works only while the phone is unlocked (Android 9+, `setUnlockedDeviceRequired`):
 *   the same key wraps the OTP accounts of other services, which have no PIN, so their secrets
 *   are readable only after the phone's own unlock (its PIN, pattern, password or biometrics).
 *   See docs/security.md, "Authenticator accounts on the phone".
 * - Format of a wrapped blob: `0x01 || IV (12 bytes) || ciphertext || GCM tag (16 bytes)`.
 *   The version byte leaves room for a key rotation.
 */
class KeystoreKeyProtector(
    private val alias: String = DEFAULT_ALIAS,
) : KeyProtector {

    override fun wrap(plaintext: ByteArray): ByteArray = guard("wrap") {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, key()) // the Keystore picks a fresh random IV
        val iv = cipher.iv
        if (iv.size != IV_BYTES) throw KeyProtectorException.Failed("unexpected IV length")
        val sealed = cipher.doFinal(plaintext)
        ByteArray(1 + iv.size + sealed.size).also {
            it[0] = FORMAT_V1
            iv.copyInto(it, 1)
            sealed.copyInto(it, 1 + iv.size)
        }
    }

    override fun unwrap(wrapped: ByteArray): ByteArray = guard("unwrap") {
        if (wrapped.size < 1 + IV_BYTES + TAG_BITS / 8 || wrapped[0] != FORMAT_V1) {
            throw KeyProtectorException.Failed("unknown vault wrapping format")
        }
        val existing = existingKey()
            ?: throw KeyProtectorException.Failed("the Keystore key of this vault is gone")
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(
            Cipher.DECRYPT_MODE,
            existing,
            GCMParameterSpec(TAG_BITS, wrapped, 1, IV_BYTES),
        )
        cipher.doFinal(wrapped, 1 + IV_BYTES, wrapped.size - 1 - IV_BYTES)
    }

    /** Runs [block], reporting platform failures as the SDK's error (never their data). */
    private inline fun <T> guard(operation: String, block: () -> T): T =
        try {
            block()
        } catch (e: KeyProtectorException) {
            throw e
        } catch (e: Exception) {
            // GeneralSecurityException, ProviderException (Keystore daemon), IOException...
            // Only the class name crosses into the SDK: no key material, no plaintext.
            throw KeyProtectorException.Failed("$operation: ${e.javaClass.simpleName}")
        }

    private fun keyStore(): KeyStore = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }

    private fun existingKey(): SecretKey? =
        (keyStore().getEntry(alias, null) as? KeyStore.SecretKeyEntry)?.secretKey

    @Synchronized
    private fun key(): SecretKey = existingKey() ?: generate()

    private fun generate(): SecretKey {
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) {
            try {
                return generate(strongBox = true)
            } catch (e: ProviderException) {
                // StrongBoxUnavailableException (a ProviderException), or a StrongBox that
                // fails on some models: fall back to the TEE-backed Keystore below.
            }
        }
        return generate(strongBox = false)
    }

    private fun generate(strongBox: Boolean): SecretKey {
        val spec = KeyGenParameterSpec.Builder(
            alias,
            KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT,
        )
            .setKeySize(256)
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .setRandomizedEncryptionRequired(true)
            .setUserAuthenticationRequired(false)
            .apply {
                if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) {
                    setUnlockedDeviceRequired(true)
                    if (strongBox) setIsStrongBoxBacked(true)
                }
            }
            .build()
        return KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, ANDROID_KEYSTORE)
            .apply { init(spec) }
            .generateKey()
    }

    companion object {
        const val DEFAULT_ALIAS = "fr.tigr.vault.v1"
        private const val ANDROID_KEYSTORE = "AndroidKeyStore"
        private const val TRANSFORMATION = "AES/GCM/NoPadding"
        private const val IV_BYTES = 12
        private const val TAG_BITS = 128
        private const val FORMAT_V1: Byte = 1
    }
}
