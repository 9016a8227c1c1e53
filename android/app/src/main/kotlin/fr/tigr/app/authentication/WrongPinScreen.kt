package fr.tigr.app.authentication

import androidx.compose.runtime.Composable
import androidx.compose.ui.res.pluralStringResource
import androidx.compose.ui.res.stringResource
import fr.tigr.app.R
import fr.tigr.app.ui.components.StatusAction
import fr.tigr.app.ui.components.StatusBody
import fr.tigr.app.ui.components.Tone

/**
 * The server refused the PIN. The phone cannot check a PIN itself (no PIN oracle): this is the
 * server's count. The QR stays valid, so "Réessayer" goes back to the PIN pad.
 */
@Composable
fun WrongPinScreen(step: LoginStep.WrongPin, onRetry: () -> Unit, onCancel: () -> Unit) {
    StatusBody(
        tone = Tone.Warning,
        title = stringResource(R.string.wrong_pin_title),
        message = pluralStringResource(R.plurals.wrong_pin_attempts_left, step.attemptsLeft, step.attemptsLeft),
        advice = if (step.attemptsLeft <= 1) {
            stringResource(R.string.wrong_pin_last_attempt)
        } else {
            stringResource(R.string.wrong_pin_advice)
        },
        actions = listOf(
            StatusAction(stringResource(R.string.action_retry), onRetry),
            StatusAction(stringResource(R.string.action_cancel), onCancel),
        ),
    )
}
