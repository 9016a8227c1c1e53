package fr.tigr.app

import android.content.Intent
import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.material3.Surface
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.ui.Modifier
import fr.tigr.app.navigation.TigrNavHost
import fr.tigr.app.ui.components.ActivityWindowProtection
import fr.tigr.app.ui.components.LocalWindowProtection
import fr.tigr.app.ui.text.LocalUiText
import fr.tigr.app.ui.text.UiText
import fr.tigr.app.ui.theme.AndroidTigrTheme
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.receiveAsFlow

/**
 * The only activity. VIEW intents (App Links https://<server>/t/1/..., tigr://...) carry a QR
 * payload: it is handed to the navigation, which opens the matching flow without the scanner.
 * It gives the screens (android/ui) their text in the language the resources resolved to
 * (R.string.sdk_language, the SDK's too) and FLAG_SECURE for the PIN and code screens.
 */
class MainActivity : ComponentActivity() {
    private val links = Channel<String>(Channel.BUFFERED)
    private val linkFlow = links.receiveAsFlow()
    private val windowProtection = ActivityWindowProtection(this)

    override fun onCreate(savedInstanceState: Bundle?) {
        enableEdgeToEdge()
        super.onCreate(savedInstanceState)
        // On re-creation the link was already handled (the flow is in the back stack).
        if (savedInstanceState == null) intent.tigrLink()?.let { links.trySend(it) }
        val text = UiText.forLanguage(getString(R.string.sdk_language))
        setContent {
            CompositionLocalProvider(
                LocalUiText provides text,
                LocalWindowProtection provides windowProtection,
            ) {
                AndroidTigrTheme {
                    Surface(modifier = Modifier.fillMaxSize()) {
                        TigrNavHost(links = linkFlow)
                    }
                }
            }
        }
    }

    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        intent.tigrLink()?.let { links.trySend(it) }
    }
}

/** The QR payload of a VIEW intent, exactly as the QR code holds it. */
private fun Intent.tigrLink(): String? =
    if (action == Intent.ACTION_VIEW) dataString?.takeIf { it.isNotBlank() } else null
