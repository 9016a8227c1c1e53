//! The server's one text catalogue: every sentence a person reads (pages, error messages of
//! the API and of the administration, the command line), in French and English, looked up by
//! key.
//!
//! The texts are Project Fluent files, `server/text/fr.ftl` and `server/text/en.ftl`,
//! embedded in the binary. Fluent gives CLDR plural rules (`{ $n -> [one] … *[other] … }`),
//! named variables (`{ $minutes }`), and files that translators edit without touching Rust.
//! Keys are `area-what` (`login-heading`, `error-challenge-expired`, `admin-nav-accounts`);
//! templates use the same keys (`{{ t("login-heading") }}`, `{{ t("admin-unblock-label",
//! id=a.id) }}`). The test `tests/text_catalogue.rs` checks that both languages have the
//! same keys with the same variables, that every key the code or a template names exists,
//! and that every key is used.

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

use crate::i18n::Lang;

pub use fluent_bundle::FluentValue as Arg;

/// The French catalogue, as shipped.
pub const FRENCH: &str = include_str!("../text/fr.ftl");
/// The English catalogue, as shipped.
pub const ENGLISH: &str = include_str!("../text/en.ftl");

type Bundle = FluentBundle<FluentResource>;

fn bundle(locale: &str, source: &str) -> Bundle {
    let resource = FluentResource::try_new(source.to_owned())
        .unwrap_or_else(|(_, errors)| panic!("{locale}.ftl does not parse: {errors:?}"));
    let mut bundle = Bundle::new_concurrent(vec![locale.parse().expect("language tag")]);
    // Plain text: no Unicode isolation marks around variables (pages, JSON, terminals).
    bundle.set_use_isolating(false);
    bundle
        .add_resource(resource)
        .unwrap_or_else(|errors| panic!("{locale}.ftl has duplicate keys: {errors:?}"));
    bundle
}

static FR: LazyLock<Bundle> = LazyLock::new(|| bundle("fr", FRENCH));
static EN: LazyLock<Bundle> = LazyLock::new(|| bundle("en", ENGLISH));

fn bundle_of(lang: Lang) -> &'static Bundle {
    match lang {
        Lang::Fr => &FR,
        Lang::En => &EN,
    }
}

/// True when the catalogue has `key`.
pub fn has(key: &str) -> bool {
    FR.has_message(key)
}

/// The text of `key` in `lang`.
pub fn text(lang: Lang, key: &str) -> String {
    text_with(lang, key, &[])
}

/// The text of `key` in `lang` with its variables (`("minutes", 15.into())`). An unknown key
/// or variable is a bug (the catalogue test catches it): logged, and shown as the key.
pub fn text_with(lang: Lang, key: &str, args: &[(&str, Arg<'_>)]) -> String {
    let bundle = bundle_of(lang);
    let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
        tracing::error!(key, "missing text");
        return key.to_owned();
    };
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        fluent_args.set(*name, value.clone());
    }
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
    if !errors.is_empty() {
        tracing::error!(key, ?errors, "text with a missing variable");
    }
    text.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_follow_each_languages_rules() {
        let left = |lang, n: u32| text_with(lang, "error-attempts-left", &[("n", n.into())]);
        assert_eq!(
            left(Lang::Fr, 1),
            "Il reste 1 essai avant le blocage du compte."
        );
        assert_eq!(
            left(Lang::Fr, 3),
            "Il reste 3 essais avant le blocage du compte."
        );
        assert_eq!(
            left(Lang::En, 1),
            "1 attempt left before the account is blocked."
        );
        assert_eq!(
            left(Lang::En, 4),
            "4 attempts left before the account is blocked."
        );
    }

    #[test]
    fn unknown_keys_show_themselves() {
        assert_eq!(text(Lang::Fr, "no-such-text"), "no-such-text");
        assert!(has("login-heading") && !has("no-such-text"));
    }
}
