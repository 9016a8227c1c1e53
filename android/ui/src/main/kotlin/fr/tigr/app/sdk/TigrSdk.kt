package fr.tigr.app.sdk

import fr.tigr.sdk.TigrException
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext

/** The outcome of one SDK call, as the ViewModels see it. */
sealed interface SdkResult<out T> {
    data class Success<T>(val value: T) : SdkResult<T>

    /**
     * The call failed. [error] is a [TigrException] for every failure the SDK describes (the
     * screens switch on its subclass); anything else is a bug or a crash inside the native
     * library. [message] is the sentence to show, in the UI language.
     */
    data class Failure(val error: Throwable, val message: String) : SdkResult<Nothing>
}

/**
 * Runs SDK calls off the main thread and turns exceptions into [SdkResult].
 *
 * [client] is asked for on every call, so a language change (per-app language, Android 13+)
 * takes effect on the next call. [unexpected] is the message for non-Tigr failures.
 */
class TigrSdk(
    private val client: () -> TigrClient,
    private val unexpected: () -> String,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) {
    suspend fun <T> call(block: TigrClient.() -> T): SdkResult<T> = withContext(io) {
        val sdk = client()
        try {
            SdkResult.Success(sdk.block())
        } catch (e: TigrException) {
            SdkResult.Failure(e, messageFor(sdk, e))
        } catch (e: RuntimeException) {
            // uniffi's InternalException (a Rust panic), or a JNA failure.
            SdkResult.Failure(e, unexpected())
        }
    }

    /**
     * Minutes until a temporary block ends (`TigrException.AccountBlocked.blockedUntil`), by the
     * app's clock. Pure arithmetic: safe on the main thread.
     */
    fun minutesUntil(blockedUntil: Long): Int = client().minutesUntil(blockedUntil)

    /** The app's clock, Unix seconds (what TOTP countdowns count with). No I/O. */
    fun now(): Long = client().now()

    private fun messageFor(sdk: TigrClient, error: TigrException): String =
        try {
            sdk.errorMessage(error)
        } catch (e: RuntimeException) {
            unexpected()
        }
}
