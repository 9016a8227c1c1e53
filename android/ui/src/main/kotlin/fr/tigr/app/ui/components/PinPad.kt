package fr.tigr.app.ui.components

import androidx.compose.foundation.background
import androidx.compose.foundation.border
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.aspectRatio
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.layout.widthIn
import androidx.compose.foundation.shape.CircleShape
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material3.FilledTonalButton
import androidx.compose.material3.Icon
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.clearAndSetSemantics
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import fr.tigr.app.ui.text.TextId
import fr.tigr.app.ui.text.PluralId
import fr.tigr.app.ui.text.pluralText
import fr.tigr.app.ui.text.text

/**
 * Dots for the digits typed so far. The PIN itself never reaches the UI tree: TalkBack hears
 * "3 chiffres saisis", not the digits.
 */
@Composable
fun PinDots(length: Int, modifier: Modifier = Modifier) {
    val spoken = pluralText(PluralId.PIN_DIGITS_ENTERED, length, length)
    Row(
        modifier = modifier
            .padding(vertical = 12.dp)
            .clearAndSetSemantics {
                contentDescription = spoken
                liveRegion = LiveRegionMode.Polite
            },
        horizontalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        val shown = maxOf(length, PIN_MIN_DIGITS)
        repeat(shown) { index ->
            val filled = index < length
            Box(
                modifier = Modifier
                    .size(16.dp)
                    .then(
                        if (filled) {
                            Modifier.background(MaterialTheme.colorScheme.primary, CircleShape)
                        } else {
                            Modifier.border(2.dp, MaterialTheme.colorScheme.outline, CircleShape)
                        },
                    ),
            )
        }
    }
}

/**
 * A numeric keypad drawn by the app rather than the system keyboard, so no third-party input
 * method ever sees the PIN. Digits are in the phone-dialer order, 0 under 8.
 */
@Composable
fun PinPad(
    onDigit: (Char) -> Unit,
    onDelete: () -> Unit,
    enabled: Boolean,
    modifier: Modifier = Modifier,
) {
    val rows = listOf("123", "456", "789")
    val deleteLabel = text(TextId.PIN_DELETE)
    Column(
        modifier = modifier.widthIn(max = 360.dp).fillMaxWidth(),
        verticalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        rows.forEach { row ->
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                row.forEach { digit ->
                    PadKey(digit.toString(), enabled, Modifier.weight(1f)) { onDigit(digit) }
                }
            }
        }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Spacer(Modifier.weight(1f))
            PadKey("0", enabled, Modifier.weight(1f)) { onDigit('0') }
            Box(Modifier.weight(1f).aspectRatio(1.6f), contentAlignment = Alignment.Center) {
                TextButton(onClick = onDelete, enabled = enabled) {
                    Icon(Icons.AutoMirrored.Filled.ArrowBack, contentDescription = deleteLabel)
                }
            }
        }
    }
}

@Composable
private fun PadKey(label: String, enabled: Boolean, modifier: Modifier, onClick: () -> Unit) {
    FilledTonalButton(
        onClick = onClick,
        enabled = enabled,
        modifier = modifier.aspectRatio(1.6f),
    ) {
        Text(label, fontSize = 24.sp)
    }
}

/**
 * Dots, an inline error (announced by TalkBack), the pad and the submit button: the PIN part
 * of the enrollment and login steps. Submit is enabled from [PIN_MIN_DIGITS] digits.
 */
@Composable
fun PinEntry(
    length: Int,
    error: String?,
    enabled: Boolean,
    submitLabel: String,
    onDigit: (Char) -> Unit,
    onDelete: () -> Unit,
    onSubmit: () -> Unit,
    modifier: Modifier = Modifier,
) {
    Column(
        modifier = modifier.fillMaxWidth(),
        horizontalAlignment = Alignment.CenterHorizontally,
        verticalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        PinDots(length)
        if (error != null) {
            Text(
                error,
                color = MaterialTheme.colorScheme.error,
                style = MaterialTheme.typography.bodyMedium,
                modifier = Modifier.clearAndSetSemantics {
                    contentDescription = error
                    liveRegion = LiveRegionMode.Assertive
                },
            )
        }
        PinPad(onDigit = onDigit, onDelete = onDelete, enabled = enabled)
        androidx.compose.material3.Button(
            onClick = onSubmit,
            enabled = enabled && length >= PIN_MIN_DIGITS,
            modifier = Modifier.fillMaxWidth().widthIn(max = 360.dp),
        ) {
            Text(submitLabel)
        }
    }
}
