package fr.tigr.app.ui.theme

import android.os.Build
import androidx.compose.foundation.isSystemInDarkTheme
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.darkColorScheme
import androidx.compose.material3.dynamicDarkColorScheme
import androidx.compose.material3.dynamicLightColorScheme
import androidx.compose.material3.lightColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.LocalContext

private val TigrBlue = Color(0xFF0B5FA5)
private val TigrBlueDark = Color(0xFF9FCAFF)

private val Light = lightColorScheme(primary = TigrBlue, secondary = Color(0xFF3D5F7A))
private val Dark = darkColorScheme(primary = TigrBlueDark, secondary = Color(0xFFB4CAE0))

/** Material 3 theme: the phone's dynamic colours on Android 12+, Tigr blue before. */
@Composable
fun TigrTheme(content: @Composable () -> Unit) {
    val dark = isSystemInDarkTheme()
    val colors = when {
        Build.VERSION.SDK_INT >= Build.VERSION_CODES.S -> {
            val context = LocalContext.current
            if (dark) dynamicDarkColorScheme(context) else dynamicLightColorScheme(context)
        }
        dark -> Dark
        else -> Light
    }
    MaterialTheme(colorScheme = colors, content = content)
}
