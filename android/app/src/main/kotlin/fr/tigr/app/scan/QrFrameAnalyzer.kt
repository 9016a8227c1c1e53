package fr.tigr.app.scan

import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import fr.tigr.sdk.decodeFrame

/**
 * Feeds the luma (Y) plane of each CameraX frame to the SDK's `decodeFrame`, which finds QR
 * codes in a grayscale image with the given row stride (rows may be padded). Runs on the
 * analysis executor, never on the main thread; with STRATEGY_KEEP_ONLY_LATEST a slow decode
 * simply skips frames. Rotation does not matter to a QR decoder, so frames are not rotated.
 */
class QrFrameAnalyzer(
    private val onTexts: (List<String>) -> Unit,
) : ImageAnalysis.Analyzer {
    @Volatile
    var paused: Boolean = false

    private var luma = ByteArray(0)

    override fun analyze(image: ImageProxy) {
        image.use { frame ->
            if (paused) return
            // YUV_420_888, plane 0 = Y: one byte per pixel (pixelStride 1), rowStride >= width.
            val plane = frame.planes[0]
            val width = frame.width
            val height = frame.height
            val stride = plane.rowStride
            // The buffer's last row may stop at `width`: copy into a full stride*height array so
            // the SDK always gets whole rows.
            val size = stride * height
            if (luma.size != size) luma = ByteArray(size)
            val buffer = plane.buffer
            buffer.rewind()
            buffer.get(luma, 0, minOf(buffer.remaining(), size))
            val texts = try {
                decodeFrame(luma, width.toUInt(), height.toUInt(), stride.toUInt())
            } catch (e: Exception) {
                // TigrException.InvalidCode for a frame it cannot read (or a bad size): the
                // decoder never crashes on a frame, it reports; skip the frame either way.
                emptyList()
            }
            if (texts.isNotEmpty()) onTexts(texts)
        }
    }
}
