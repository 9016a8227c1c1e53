package fr.tigr.app.jvmtests

import java.io.File
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.test.resetMain
import kotlinx.coroutines.test.setMain
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test

/**
 * Every screen of [screenCatalog], in French, English and French at a large font scale,
 * rendered by Skia to target/screenshots/<look>/<screen>.png and compared with the goldens in
 * src/test/goldens (see [ScreenshotBook]). After a deliberate visual change, run.sh with
 * TIGR_UPDATE_GOLDENS=1 rewrites the goldens: look at the new PNGs before committing them.
 */
@OptIn(ExperimentalCoroutinesApi::class)
class ScreenshotTest {
    @BeforeEach
    fun mainDispatcher() {
        // The account list's ViewModels load from fixed data as soon as they are made.
        Dispatchers.setMain(Dispatchers.Unconfined)
    }

    @AfterEach
    fun resetMainDispatcher() {
        Dispatchers.resetMain()
    }

    @Test
    fun `every screen in every look matches its golden`() {
        val book = ScreenshotBook(
            outDir = File(System.getProperty("tigr.screenshots.dir") ?: "target/screenshots"),
            goldenDir = File(System.getProperty("tigr.goldens.dir") ?: "src/test/goldens"),
            update = System.getProperty("tigr.update.goldens") == "1",
        )
        var expected = 0
        for (look in Look.entries) {
            val screens = screenCatalog(look.text)
            assertEquals(screens.size, screens.map { it.name }.toSet().size, "screen names are unique")
            expected += screens.size
            book.shootAll(look, screens)
        }
        assertEquals(expected, book.written)
        assertTrue(book.problems.isEmpty(), "screenshots differ from their goldens:\n" + book.problems.joinToString("\n"))
    }
}
