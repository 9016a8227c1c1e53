package fr.tigr.app.authentication

import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import fr.tigr.app.ui.text.TextId
import fr.tigr.app.ui.text.text

/** Several accounts of this phone use this server: pick the one that logs in. */
@Composable
fun AccountChoiceScreen(choices: List<AccountChoice>, onChoose: (AccountChoice) -> Unit) {
    Text(
        text(TextId.LOGIN_CHOOSE_ACCOUNT),
        style = MaterialTheme.typography.titleLarge,
        modifier = Modifier.semantics { heading() },
    )
    choices.forEach { choice ->
        OutlinedButton(onClick = { onChoose(choice) }, modifier = Modifier.fillMaxWidth()) {
            Text(
                if (choice.displayName.isNullOrBlank()) {
                    choice.tigrId
                } else {
                    text(TextId.LOGIN_ACCOUNT_CHOICE, choice.displayName, choice.tigrId)
                },
            )
        }
    }
}
