package fr.tigr.app.enrollment

import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.style.TextAlign
import fr.tigr.app.R
import fr.tigr.app.ui.components.PIN_MAX_DIGITS
import fr.tigr.app.ui.components.PIN_MIN_DIGITS
import fr.tigr.app.ui.components.PinEntry
import fr.tigr.app.ui.components.SecureWindow

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
        stringResource(if (confirming) R.string.enroll_pin_confirm_title else R.string.enroll_pin_choose_title),
        style = MaterialTheme.typography.titleLarge,
        textAlign = TextAlign.Center,
        modifier = Modifier.semantics { heading() },
    )
    Text(
        if (confirming) {
            stringResource(R.string.enroll_pin_confirm_body)
        } else {
            stringResource(R.string.enroll_pin_rules, PIN_MIN_DIGITS, PIN_MAX_DIGITS)
        },
        style = MaterialTheme.typography.bodyMedium,
        textAlign = TextAlign.Center,
    )
    PinEntry(
        length = pinLength,
        error = error,
        enabled = true,
        submitLabel = stringResource(if (confirming) R.string.enroll_submit else R.string.action_next),
        onDigit = onDigit,
        onDelete = onDelete,
        onSubmit = onSubmit,
    )
}
