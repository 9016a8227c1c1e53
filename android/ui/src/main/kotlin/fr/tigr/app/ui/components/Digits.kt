package fr.tigr.app.ui.components

import androidx.compose.foundation.layout.Column
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.clearAndSetSemantics
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.unit.sp

/**
 * A code in large monospace digits, read digit by digit by TalkBack ("label: 1 2 3 4 ...").
 */
@Composable
fun LargeCode(label: String, code: String, modifier: Modifier = Modifier, group: Boolean = true) {
    Column(
        modifier = modifier.clearAndSetSemantics {
            contentDescription = "$label : ${spokenDigits(code)}"
        },
        horizontalAlignment = Alignment.CenterHorizontally,
    ) {
        Text(label, style = MaterialTheme.typography.labelLarge)
        Text(
            text = if (group) groupedDigits(code) else code,
            fontFamily = FontFamily.Monospace,
            fontWeight = FontWeight.Bold,
            fontSize = 40.sp,
            letterSpacing = 2.sp,
            textAlign = TextAlign.Center,
        )
    }
}

/** A Tigr ID in large type; TalkBack spells it out character by character. */
@Composable
fun LargeIdentifier(label: String, value: String, modifier: Modifier = Modifier) {
    Column(
        modifier = modifier.clearAndSetSemantics {
            contentDescription = "$label : ${value.toList().joinToString(" ")}"
        },
        horizontalAlignment = Alignment.CenterHorizontally,
    ) {
        Text(label, style = MaterialTheme.typography.labelLarge)
        Text(
            text = value,
            fontFamily = FontFamily.Monospace,
            fontWeight = FontWeight.Bold,
            fontSize = 28.sp,
            textAlign = TextAlign.Center,
        )
    }
}
