package fr.tigr.app.sdk

import android.content.Context
import android.os.Build
import android.provider.Settings

/**
 * The name the server shows to administrators for this phone ("Pixel 8 de Marie"): the
 * user-set device name when there is one, else maker and model. The SDK trims it to 64 chars.
 */
fun deviceName(context: Context): String {
    val userSet = Settings.Global.getString(context.contentResolver, Settings.Global.DEVICE_NAME)
    if (!userSet.isNullOrBlank()) return userSet.trim()
    val maker = Build.MANUFACTURER.orEmpty().replaceFirstChar { it.uppercase() }
    val model = Build.MODEL.orEmpty()
    return if (model.startsWith(maker, ignoreCase = true)) model else "$maker $model".trim()
}
