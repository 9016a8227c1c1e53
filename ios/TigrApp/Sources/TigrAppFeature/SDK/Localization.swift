import Foundation

/// A string of Resources/<lang>.lproj/Localizable.strings (French is the development region,
/// so any phone not set to English gets French).
func L(_ key: String) -> String {
    NSLocalizedString(key, bundle: .module, comment: "")
}

/// A formatted string: `L("account.tigrId", id)`.
func L(_ key: String, _ arguments: CVarArg...) -> String {
    String(format: L(key), locale: Locale.current, arguments: arguments)
}

/// The language the UI resolved to, handed to the SDK (`Authenticator`, `errorMessage`), so
/// SDK sentences and app strings always agree.
func sdkLanguage() -> String {
    Bundle.module.preferredLocalizations.first == "en" ? "en" : "fr"
}

/// "1 essai" / "3 essais": French counts 0 and 1 as singular, English only 1.
func plural(_ count: Int, one: String, other: String) -> String {
    L(pluralKey(count, one: one, other: other), count)
}

/// The key of `one` or `other` for `count`, by the plural rule of the UI language.
func pluralKey(_ count: Int, one: String, other: String) -> String {
    let singular = sdkLanguage() == "fr" ? count <= 1 : count == 1
    return singular ? one : other
}
