package fr.tigr.app.jvmtests

import fr.tigr.app.ui.text.PluralId
import fr.tigr.app.ui.text.Quantity
import fr.tigr.app.ui.text.TextId
import fr.tigr.app.ui.text.UiText
import java.io.File
import javax.xml.parsers.DocumentBuilderFactory
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.w3c.dom.Element

/**
 * The screens' text tables (android/ui, `UiText`) say exactly what the Android resources say:
 * French = `values/strings.xml`, English = `values-en/strings.xml`, every string and plural,
 * nothing more, nothing less; and both languages fill the same placeholders.
 */
class UiTextTablesTest {
    private val res = File(System.getProperty("tigr.strings.dir") ?: "../app/src/main/res")

    private class Resources(val strings: Map<String, String>, val plurals: Map<String, Map<String, String>>)

    private fun load(folder: String): Resources {
        val document = DocumentBuilderFactory.newInstance().newDocumentBuilder()
            .parse(File(res, "$folder/strings.xml"))
        val strings = linkedMapOf<String, String>()
        val plurals = linkedMapOf<String, Map<String, String>>()
        val children = document.documentElement.childNodes
        for (i in 0 until children.length) {
            val element = children.item(i) as? Element ?: continue
            val name = element.getAttribute("name")
            when (element.tagName) {
                // Not user text: the app's name and the SDK's language tag.
                "string" -> if (element.getAttribute("translatable") != "false") {
                    strings[name] = unescape(element.textContent)
                }
                "plurals" -> {
                    val items = element.getElementsByTagName("item")
                    plurals[name] = (0 until items.length).associate {
                        val item = items.item(it) as Element
                        item.getAttribute("quantity") to unescape(item.textContent)
                    }
                }
            }
        }
        return Resources(strings, plurals)
    }

    /** Android's resource escapes (\' \" \n \\). */
    private fun unescape(value: String): String =
        value.replace(Regex("""\\(.)""")) { m -> if (m.groupValues[1] == "n") "\n" else m.groupValues[1] }

    private fun check(table: UiText, folder: String) {
        val xml = load(folder)
        assertEquals(
            xml.strings.keys.sorted(),
            TextId.entries.map { it.name.lowercase() }.sorted(),
            "$folder: the strings and TextId",
        )
        for (id in TextId.entries) {
            assertEquals(xml.strings.getValue(id.name.lowercase()), table[id], "$folder: ${id.name.lowercase()}")
        }
        assertEquals(
            xml.plurals.keys.sorted(),
            PluralId.entries.map { it.name.lowercase() }.sorted(),
            "$folder: the plurals and PluralId",
        )
        for (id in PluralId.entries) {
            val forms = table.pluralForms(id).mapKeys { it.key.name.lowercase() }
            assertEquals(xml.plurals.getValue(id.name.lowercase()), forms, "$folder: plurals ${id.name.lowercase()}")
        }
    }

    @Test
    fun `the French table is values-strings-xml`() = check(UiText.French, "values")

    @Test
    fun `the English table is values-en-strings-xml`() = check(UiText.English, "values-en")

    @Test
    fun `both languages fill the same placeholders`() {
        val placeholder = Regex("""%(\d+\$)?[sd]""")
        fun slots(text: String) = placeholder.findAll(text).map { it.value }.toSortedSet()
        for (id in TextId.entries) {
            assertEquals(slots(UiText.French[id]), slots(UiText.English[id]), id.name)
        }
        for (id in PluralId.entries) {
            val french = UiText.French.pluralForms(id).values.map(::slots).toSet()
            val english = UiText.English.pluralForms(id).values.map(::slots).toSet()
            assertEquals(french, english, id.name)
        }
    }

    @Test
    fun `plural rules - French singular for 0 and 1, English for 1 only`() {
        assertEquals("0 chiffre saisi", UiText.French.plural(PluralId.PIN_DIGITS_ENTERED, 0, 0))
        assertEquals("1 chiffre saisi", UiText.French.plural(PluralId.PIN_DIGITS_ENTERED, 1, 1))
        assertEquals("4 chiffres saisis", UiText.French.plural(PluralId.PIN_DIGITS_ENTERED, 4, 4))
        assertEquals("0 digits entered", UiText.English.plural(PluralId.PIN_DIGITS_ENTERED, 0, 0))
        assertEquals("1 digit entered", UiText.English.plural(PluralId.PIN_DIGITS_ENTERED, 1, 1))
        assertEquals(Quantity.entries.toSet(), UiText.French.pluralForms(PluralId.PIN_DIGITS_ENTERED).keys)
        assertEquals(UiText.English, UiText.forLanguage("en"))
        assertEquals(UiText.French, UiText.forLanguage("de"))
    }
}
