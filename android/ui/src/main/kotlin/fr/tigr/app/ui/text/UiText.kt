package fr.tigr.app.ui.text

import androidx.compose.runtime.Composable
import androidx.compose.runtime.staticCompositionLocalOf
import java.util.Locale

/** The plural categories the tables use (CLDR names, as in strings.xml `<item quantity>`). */
enum class Quantity { ONE, MANY, OTHER }

/**
 * The user-facing text of the screens in one language. The screens never hold a sentence
 * themselves: they ask [LocalUiText], which the Android shell fills from the language its
 * resources resolved to, and the JVM tests set to French or English.
 *
 * Formats are Android's (`%1$s`, `%1$d`), applied with [java.lang.String.format].
 */
class UiText private constructor(
    /** The language tag the SDK is given too ("fr", "en"). */
    val language: String,
    val locale: Locale,
    private val texts: Map<TextId, String>,
    private val plurals: Map<PluralId, Map<Quantity, String>>,
    private val quantityOf: (Int) -> Quantity,
) {
    operator fun get(id: TextId, vararg args: Any): String {
        val pattern = texts.getValue(id)
        return if (args.isEmpty()) pattern else String.format(locale, pattern, *args)
    }

    /** The sentence for [count] (its category by the language's rules); [args] fill it. */
    fun plural(id: PluralId, count: Int, vararg args: Any): String {
        val forms = plurals.getValue(id)
        val pattern = forms[quantityOf(count)] ?: forms.getValue(Quantity.OTHER)
        return String.format(locale, pattern, *args)
    }

    /** The forms of [id] as the table holds them (to check the tables against strings.xml). */
    fun pluralForms(id: PluralId): Map<Quantity, String> = plurals.getValue(id)

    companion object {
        /** French: 0 and 1 are singular; exact millions take "many" (CLDR). */
        val French = UiText("fr", Locale.FRENCH, FrenchTexts, FrenchPlurals) { n ->
            when {
                n == 0 || n == 1 -> Quantity.ONE
                n % 1_000_000 == 0 -> Quantity.MANY
                else -> Quantity.OTHER
            }
        }

        val English = UiText("en", Locale.ENGLISH, EnglishTexts, EnglishPlurals) { n ->
            if (n == 1) Quantity.ONE else Quantity.OTHER
        }

        /** English for "en", French for everything else (French is the app's default). */
        fun forLanguage(language: String): UiText = if (language == English.language) English else French
    }
}

/** The text of the screens below; French unless the platform says otherwise. */
val LocalUiText = staticCompositionLocalOf { UiText.French }

/** The sentence [id] in the current language. */
@Composable
fun text(id: TextId, vararg args: Any): String = LocalUiText.current.get(id, *args)

/** The sentence [id] for [count] in the current language. */
@Composable
fun pluralText(id: PluralId, count: Int, vararg args: Any): String = LocalUiText.current.plural(id, count, *args)
