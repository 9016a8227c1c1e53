package fr.tigr.app.scan

import android.Manifest
import android.content.Context
import android.content.Intent
import android.content.pm.PackageManager
import android.net.Uri
import android.provider.Settings
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.unit.dp
import androidx.core.content.ContextCompat
import androidx.lifecycle.compose.LifecycleResumeEffect
import fr.tigr.app.R
import fr.tigr.app.ui.components.findActivity

/** Where the camera permission stands. */
enum class CameraAccess { Granted, NotAsked, Denied, DeniedForever }

/**
 * Shows [content] once the camera may be used. Otherwise asks once, then explains why Tigr needs
 * the camera, with "Autoriser" (asks again) or, when Android will not ask any more, "Ouvrir les
 * réglages". Re-checked on every resume (the user may come back from the settings).
 */
@Composable
fun CameraPermissionGate(content: @Composable () -> Unit) {
    val context = LocalContext.current
    var asked by rememberSaveable { mutableStateOf(false) }
    var access by rememberSaveable { mutableStateOf(currentAccess(context, asked)) }
    val launcher = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) {
        asked = true
        access = currentAccess(context, asked)
    }
    LifecycleResumeEffect(asked) {
        access = currentAccess(context, asked)
        onPauseOrDispose { }
    }
    LaunchedEffect(Unit) {
        if (access == CameraAccess.NotAsked) launcher.launch(Manifest.permission.CAMERA)
    }
    when (access) {
        CameraAccess.Granted -> content()
        CameraAccess.NotAsked, CameraAccess.Denied -> PermissionExplanation(
            action = stringResource(R.string.camera_allow),
            onAction = { launcher.launch(Manifest.permission.CAMERA) },
        )
        CameraAccess.DeniedForever -> PermissionExplanation(
            action = stringResource(R.string.camera_open_settings),
            onAction = {
                context.startActivity(
                    Intent(
                        Settings.ACTION_APPLICATION_DETAILS_SETTINGS,
                        Uri.fromParts("package", context.packageName, null),
                    ),
                )
            },
            extra = stringResource(R.string.camera_denied_forever),
        )
    }
}

private fun currentAccess(context: Context, asked: Boolean): CameraAccess {
    if (ContextCompat.checkSelfPermission(context, Manifest.permission.CAMERA) ==
        PackageManager.PERMISSION_GRANTED
    ) {
        return CameraAccess.Granted
    }
    if (!asked) return CameraAccess.NotAsked
    val activity = context.findActivity()
    val canAskAgain = activity?.shouldShowRequestPermissionRationale(Manifest.permission.CAMERA) == true
    return if (canAskAgain) CameraAccess.Denied else CameraAccess.DeniedForever
}

@Composable
private fun PermissionExplanation(action: String, onAction: () -> Unit, extra: String? = null) {
    Column(
        modifier = Modifier.fillMaxSize().padding(32.dp),
        horizontalAlignment = Alignment.CenterHorizontally,
        verticalArrangement = Arrangement.spacedBy(16.dp, Alignment.CenterVertically),
    ) {
        Text(
            stringResource(R.string.camera_needed_title),
            style = MaterialTheme.typography.headlineSmall,
            textAlign = TextAlign.Center,
            modifier = Modifier.semantics { heading() },
        )
        Text(stringResource(R.string.camera_needed_body), textAlign = TextAlign.Center)
        extra?.let { Text(it, textAlign = TextAlign.Center, style = MaterialTheme.typography.bodyMedium) }
        Button(onClick = onAction, modifier = Modifier.fillMaxWidth()) { Text(action) }
    }
}
