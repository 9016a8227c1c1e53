package fr.tigr.app.ui.theme

import androidx.compose.foundation.isSystemInDarkTheme
import androidx.compose.material3.ColorScheme
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.darkColorScheme
import androidx.compose.material3.lightColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.ui.graphics.Color

private val TigrBlue = Color(0xFF0B5FA5)
private val TigrBlueDark = Color(0xFF9FCAFF)

/** Tigr blue, light. */
val TigrLightColors: ColorScheme = lightColorScheme(primary = TigrBlue, secondary = Color(0xFF3D5F7A))

/** Tigr blue, dark. */
val TigrDarkColors: ColorScheme = darkColorScheme(primary = TigrBlueDark, secondary = Color(0xFFB4CAE0))

/**
 * Material 3 theme. [colors] defaults to Tigr blue; the Android shell passes the phone's
 * dynamic colours on Android 12+.
 */
@Composable
fun TigrTheme(
    colors: ColorScheme = if (isSystemInDarkTheme()) TigrDarkColors else TigrLightColors,
    content: @Composable () -> Unit,
) {
    MaterialTheme(colorScheme = colors, content = content)
}
