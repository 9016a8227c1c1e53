package fr.tigr.app.authentication

import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import fr.tigr.app.R

/** Several accounts of this phone use this server: pick the one that logs in. */
@Composable
fun AccountChoiceScreen(choices: List<AccountChoice>, onChoose: (AccountChoice) -> Unit) {
    Text(
        stringResource(R.string.login_choose_account),
        style = MaterialTheme.typography.titleLarge,
        modifier = Modifier.semantics { heading() },
    )
    choices.forEach { choice ->
        OutlinedButton(onClick = { onChoose(choice) }, modifier = Modifier.fillMaxWidth()) {
            Text(
                if (choice.displayName.isNullOrBlank()) {
                    choice.tigrId
                } else {
                    stringResource(R.string.login_account_choice, choice.displayName, choice.tigrId)
                },
            )
        }
    }
}
