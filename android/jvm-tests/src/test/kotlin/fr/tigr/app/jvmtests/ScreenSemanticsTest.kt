package fr.tigr.app.jvmtests

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableIntStateOf
import androidx.compose.runtime.setValue
import androidx.compose.ui.semantics.SemanticsProperties
import androidx.compose.ui.semantics.getOrNull
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.hasClickAction
import androidx.compose.ui.test.runComposeUiTest
import fr.tigr.app.ui.text.UiText
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
 * Accessibility and protection rules, checked on every screen of [screenCatalog]: every
 * control has a label a screen reader can say, and exactly the PIN and code screens ask for
 * the window's protection (FLAG_SECURE on Android).
 */
@OptIn(ExperimentalTestApi::class, ExperimentalCoroutinesApi::class)
class ScreenSemanticsTest {
    @BeforeEach
    fun mainDispatcher() = Dispatchers.setMain(Dispatchers.Unconfined)

    @AfterEach
    fun resetMainDispatcher() = Dispatchers.resetMain()

    @Test
    fun `every control is labelled and only PIN and code screens are protected`() = runComposeUiTest {
        for (text in listOf(UiText.French, UiText.English)) {
            val screens = screenCatalog(text)
            var shown by mutableIntStateOf(0)
            val protection = CountingProtection()
            setContent {
                AppFrame(text, ScreenshotClock, protection) { screens[shown].content() }
            }
            val protectedScreens = Regex("^(enroll-pin|login-review|offline-pin|offline-code)")
            var controls = 0
            for ((index, screen) in screens.withIndex()) {
                shown = index
                waitForIdle()
                for (node in onAllNodes(hasClickAction()).fetchSemanticsNodes()) {
                    val label = listOfNotNull(
                        node.config.getOrNull(SemanticsProperties.ContentDescription)?.joinToString(" "),
                        node.config.getOrNull(SemanticsProperties.Text)?.joinToString(" "),
                    ).joinToString(" ")
                    assertTrue(label.isNotBlank(), "${screen.name} (${text.language}): a control without a label: ${node.config}")
                    controls += 1
                }
                val expected = if (protectedScreens.containsMatchIn(screen.name)) 1 else 0
                assertEquals(expected, protection.active, "${screen.name}: window protection")
            }
            assertTrue(controls > screens.size, "controls were found ($controls)")
        }
    }
}
