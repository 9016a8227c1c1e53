package fr.tigr.app.enrollment

import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.style.TextAlign
import fr.tigr.app.ui.components.PIN_MAX_DIGITS
import fr.tigr.app.ui.components.PIN_MIN_DIGITS
import fr.tigr.app.ui.components.PinEntry
import fr.tigr.app.ui.components.SecureWindow
import fr.tigr.app.ui.text.TextId
import fr.tigr.app.ui.text.text

/** Choosing the PIN ([confirming] = false), then typing it again. */
@Composable
fun EnrollmentPinScreen(
    confirming: Boolean,
    pinLength: Int,
    error: String?,
    onDigit: (Char) -> Unit,
    onDelete: () -> Unit,
    onSubmit: () -> Unit,
) {
    SecureWindow()
    Text(
        text(if (confirming) TextId.ENROLL_PIN_CONFIRM_TITLE else TextId.ENROLL_PIN_CHOOSE_TITLE),
        style = MaterialTheme.typography.titleLarge,
        textAlign = TextAlign.Center,
        modifier = Modifier.semantics { heading() },
    )
    Text(
        if (confirming) {
            text(TextId.ENROLL_PIN_CONFIRM_BODY)
        } else {
            text(TextId.ENROLL_PIN_RULES, PIN_MIN_DIGITS, PIN_MAX_DIGITS)
        },
        style = MaterialTheme.typography.bodyMedium,
        textAlign = TextAlign.Center,
    )
    PinEntry(
        length = pinLength,
        error = error,
        enabled = true,
        submitLabel = text(if (confirming) TextId.ENROLL_SUBMIT else TextId.ACTION_NEXT),
        onDigit = onDigit,
        onDelete = onDelete,
        onSubmit = onSubmit,
    )
}
