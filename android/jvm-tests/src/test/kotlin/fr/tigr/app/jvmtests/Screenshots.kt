package fr.tigr.app.jvmtests

import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.material3.Surface
import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.ui.ImageComposeScene
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.toAwtImage
import androidx.compose.ui.graphics.toComposeImageBitmap
import androidx.compose.ui.unit.Density
import androidx.compose.ui.use
import fr.tigr.app.ui.components.LocalScreenClock
import fr.tigr.app.ui.components.LocalWindowProtection
import fr.tigr.app.ui.components.ScreenClock
import fr.tigr.app.ui.components.WindowProtection
import fr.tigr.app.ui.text.LocalUiText
import fr.tigr.app.ui.text.UiText
import fr.tigr.app.ui.theme.TigrLightColors
import fr.tigr.app.ui.theme.TigrTheme
import java.awt.image.BufferedImage
import java.io.File
import java.time.ZoneId
import javax.imageio.ImageIO
import kotlin.math.abs
import kotlinx.coroutines.awaitCancellation
import org.jetbrains.skia.EncodedImageFormat
import org.jetbrains.skia.Image

/** One way of looking at the screens: a language and a font scale. */
enum class Look(val text: UiText, val fontScale: Float) {
    FR(UiText.French, 1f),
    EN(UiText.English, 1f),

    /** French at 1.5x text size (Android's accessibility font sizes go up to 2x). */
    FR_LARGE(UiText.French, 1.5f),
    ;

    val folder: String get() = name.lowercase().replace('_', '-')
}

/** The fixed clock of every screenshot: 3 Dec 2026, 11:15 in Paris. */
const val SCREENSHOT_NOW = 1_796_292_900L
val ScreenshotClock = ScreenClock({ SCREENSHOT_NOW }, ZoneId.of("Europe/Paris"), tick = { awaitCancellation() })

/**
 * The UI tests' clock: the real time, but countdowns do not tick (a ticking countdown would
 * keep Compose's test clock busy until the code expires).
 */
val StillClock = ScreenClock(ScreenClock.System.now, ZoneId.of("Europe/Paris"), tick = { awaitCancellation() })

/** Counts the PIN and code screens that asked for FLAG_SECURE and have not released it. */
class CountingProtection : WindowProtection {
    @Volatile var active = 0
        private set

    @Volatile var requests = 0
        private set

    override fun protect(): () -> Unit {
        active += 1
        requests += 1
        var released = false
        return {
            if (!released) {
                released = true
                active -= 1
            }
        }
    }
}

/** What the app's activity provides to the screens, with the test's text, clock and protection. */
@Composable
fun AppFrame(
    text: UiText,
    clock: ScreenClock = StillClock,
    protection: WindowProtection? = null,
    content: @Composable () -> Unit,
) {
    CompositionLocalProvider(
        LocalUiText provides text,
        LocalScreenClock provides clock,
        LocalWindowProtection provides protection,
    ) {
        TigrTheme(colors = TigrLightColors) {
            Surface(modifier = Modifier.fillMaxSize(), content = content)
        }
    }
}

/**
 * Renders screens with Skia, headless, to PNG under [outDir]/<look>/<name>.png, and compares
 * each with its golden: the screenshot at a third of its size in 16 grey levels (small enough
 * to commit, precise enough to see a moved, missing or changed element). A pixel counts
 * as different beyond [PIXEL_TOLERANCE] grey levels; a screen fails beyond [MAX_DIFFERENT]
 * of its pixels (font anti-aliasing varies slightly from one machine to another).
 */
class ScreenshotBook(private val outDir: File, private val goldenDir: File, private val update: Boolean) {
    val problems = mutableListOf<String>()
    var written = 0
        private set

    /** Renders each of [screens] in [look], one after the other on one scene. */
    fun shootAll(look: Look, screens: List<Screen>) {
        val density = Density(DENSITY, look.fontScale)
        ImageComposeScene(WIDTH_DP * DENSITY.toInt(), HEIGHT_DP * DENSITY.toInt(), density).use { scene ->
            for (screen in screens) {
                scene.setContent { AppFrame(look.text, ScreenshotClock, CountingProtection(), screen.content) }
                check(screen.name, look, scene.render())
            }
        }
    }

    private fun check(name: String, look: Look, image: Image) {
        val png = checkNotNull(image.encodeToData(EncodedImageFormat.PNG)) { "PNG encoding of $name" }.bytes
        val file = File(outDir, "${look.folder}/$name.png")
        file.parentFile.mkdirs()
        file.writeBytes(png)
        written += 1

        val reduced = reduce(image.toComposeImageBitmap().toAwtImage())
        val golden = File(goldenDir, "${look.folder}/$name.png")
        if (update) {
            golden.parentFile.mkdirs()
            ImageIO.write(reduced, "png", golden)
            return
        }
        if (!golden.isFile) {
            problems += "$name (${look.folder}): no golden $golden (run.sh with TIGR_UPDATE_GOLDENS=1 creates it)"
            return
        }
        val expected = ImageIO.read(golden)
        if (expected.width != reduced.width || expected.height != reduced.height) {
            problems += "$name (${look.folder}): golden is ${expected.width}x${expected.height}, screenshot ${reduced.width}x${reduced.height}"
            return
        }
        var different = 0
        val diff = BufferedImage(reduced.width, reduced.height, BufferedImage.TYPE_INT_RGB)
        for (y in 0 until reduced.height) {
            for (x in 0 until reduced.width) {
                val a = reduced.raster.getSample(x, y, 0)
                val b = expected.raster.getSample(x, y, 0)
                if (abs(a - b) > PIXEL_TOLERANCE) {
                    different += 1
                    diff.setRGB(x, y, 0xFF0000)
                } else {
                    diff.setRGB(x, y, (a / 3 + 170).let { (it shl 16) or (it shl 8) or it })
                }
            }
        }
        val share = different.toDouble() / (reduced.width * reduced.height)
        if (share > MAX_DIFFERENT) {
            val diffFile = File(outDir, "diff/${look.folder}/$name.png")
            diffFile.parentFile.mkdirs()
            ImageIO.write(diff, "png", diffFile)
            problems += "$name (${look.folder}): %.2f %% of the pixels differ from the golden (see %s)"
                .format(share * 100, diffFile)
        }
    }

    /** A [REDUCTION]th of the size, in 16 grey levels (small PNGs), area-averaged. */
    private fun reduce(image: BufferedImage): BufferedImage {
        val width = image.width / REDUCTION
        val height = image.height / REDUCTION
        val out = BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY)
        for (y in 0 until height) {
            for (x in 0 until width) {
                var sum = 0
                for (dy in 0 until REDUCTION) {
                    for (dx in 0 until REDUCTION) {
                        val rgb = image.getRGB(x * REDUCTION + dx, y * REDUCTION + dy)
                        val r = rgb shr 16 and 0xFF
                        val g = rgb shr 8 and 0xFF
                        val b = rgb and 0xFF
                        sum += (r * 299 + g * 587 + b * 114) / 1000
                    }
                }
                out.raster.setSample(x, y, 0, (sum / (REDUCTION * REDUCTION)) and 0xF0)
            }
        }
        return out
    }

    companion object {
        const val WIDTH_DP = 360
        const val HEIGHT_DP = 800
        const val DENSITY = 1f
        const val REDUCTION = 3
        const val PIXEL_TOLERANCE = 48
        const val MAX_DIFFERENT = 0.01
    }
}
