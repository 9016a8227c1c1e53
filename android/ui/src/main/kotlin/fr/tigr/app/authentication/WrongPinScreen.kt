package fr.tigr.app.authentication

import androidx.compose.runtime.Composable
import fr.tigr.app.ui.components.StatusAction
import fr.tigr.app.ui.components.StatusBody
import fr.tigr.app.ui.components.Tone
import fr.tigr.app.ui.text.TextId
import fr.tigr.app.ui.text.PluralId
import fr.tigr.app.ui.text.pluralText
import fr.tigr.app.ui.text.text

/**
 * The server refused the PIN. The phone cannot check a PIN itself (no PIN oracle): this is the
 * server's count. The QR stays valid, so "Réessayer" goes back to the PIN pad.
 */
@Composable
fun WrongPinScreen(step: LoginStep.WrongPin, onRetry: () -> Unit, onCancel: () -> Unit) {
    StatusBody(
        tone = Tone.Warning,
        title = text(TextId.WRONG_PIN_TITLE),
        message = pluralText(PluralId.WRONG_PIN_ATTEMPTS_LEFT, step.attemptsLeft, step.attemptsLeft),
        advice = if (step.attemptsLeft <= 1) {
            text(TextId.WRONG_PIN_LAST_ATTEMPT)
        } else {
            text(TextId.WRONG_PIN_ADVICE)
        },
        actions = listOf(
            StatusAction(text(TextId.ACTION_RETRY), onRetry),
            StatusAction(text(TextId.ACTION_CANCEL), onCancel),
        ),
    )
}
