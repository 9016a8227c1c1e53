//! The SDK's user-facing text: one keyed catalogue, in French (the default) and English.
//!
//! The sentences live in Project Fluent files, `locales/fr.ftl` and `locales/en.ftl`, embedded
//! in the library. Fluent, because messages need CLDR plural rules ("1 essai" / "3 essais";
//! French counts 0 as singular) and variables, and because translators edit `.ftl` files, not
//! Rust (the server's catalogue uses the same format). [`Message`] names every message the code
//! uses, by its key (the Fluent message id): the tests check that both files hold exactly these
//! keys, that every message is the text of some error, and that every message formats in both
//! languages; the compiler's dead-code lint refuses a message that no code uses.

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentError, FluentResource};
use unic_langid::LanguageIdentifier;

use crate::error::{
    InvalidCodeReason, InvalidInvitationReason, InvalidOtpReason, InvalidPinReason, TigrError,
    minutes_until,
};

pub use tigr_core::clock::Language;

/// The catalogue's Fluent source of `language`.
fn source(language: Language) -> &'static str {
    match language {
        Language::French => include_str!("../locales/fr.ftl"),
        Language::English => include_str!("../locales/en.ftl"),
    }
}

/// Declares [`Message`], its keys, and (for the tests) the list of all messages.
macro_rules! messages {
    ($($variant:ident = $id:literal,)*) => {
        /// A message of the catalogue; its key is its Fluent id in the `.ftl` files.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Message {
            $($variant,)*
        }

        impl Message {
            #[cfg(test)]
            const ALL: &[Message] = &[$(Message::$variant,)*];

            fn key(self) -> &'static str {
                match self {
                    $(Message::$variant => $id,)*
                }
            }
        }
    };
}

messages! {
    InvalidCode = "invalid-code",
    UnsupportedVersion = "invalid-code-unsupported-version",
    UnknownChallenge = "invalid-code-unknown-challenge",
    NotALoginCode = "invalid-code-not-a-login-code",
    NotAnInvitation = "invalid-code-not-an-invitation",
    NotEnrolled = "not-enrolled",
    AccountChoiceNeeded = "account-choice-needed",
    PinFormat = "invalid-pin-format",
    PinMismatch = "invalid-pin-mismatch",
    PinTooSimple = "invalid-pin-too-simple",
    WrongPin = "wrong-pin",
    BlockedTemporarily = "account-blocked-temporary",
    BlockedPermanently = "account-blocked-permanent",
    ChallengeExpired = "challenge-expired",
    AlreadyUsed = "already-used",
    InvitationUnknown = "invalid-invitation-unknown",
    InvitationExpired = "invalid-invitation-expired",
    InvitationUsed = "invalid-invitation-used",
    PhoneRevoked = "phone-revoked",
    Network = "network",
    Server = "server",
    KeyStore = "key-store",
    Storage = "storage",
    OtpNotOtpauth = "invalid-otp-not-otpauth",
    OtpMalformed = "invalid-otp-malformed",
    OtpTooLong = "invalid-otp-too-long",
    OtpUnknownType = "invalid-otp-unknown-type",
    OtpMissingSecret = "invalid-otp-missing-secret",
    OtpBadSecret = "invalid-otp-bad-secret",
    OtpUnknownAlgorithm = "invalid-otp-unknown-algorithm",
    OtpBadDigits = "invalid-otp-bad-digits",
    OtpBadPeriod = "invalid-otp-bad-period",
    OtpBadCounter = "invalid-otp-bad-counter",
    OtpBadLabel = "invalid-otp-bad-label",
    OtpBadExport = "invalid-otp-bad-export",
    UnknownOtpAccount = "unknown-otp-account",
    InvalidOtpName = "invalid-otp-name",
}

/// One Fluent bundle per language, built on first use.
struct Catalogue {
    french: FluentBundle<FluentResource>,
    english: FluentBundle<FluentResource>,
}

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| Catalogue {
    french: bundle(Language::French),
    english: bundle(Language::English),
});

/// The bundle of `language`. A syntax error or a duplicate id in an `.ftl` file (both refused
/// by the tests) would only lose the entries concerned, never stop the app.
fn bundle(language: Language) -> FluentBundle<FluentResource> {
    let resource =
        FluentResource::try_new(source(language).to_owned()).unwrap_or_else(|(partial, _)| partial);
    let tag: LanguageIdentifier = language
        .tag()
        .parse()
        .unwrap_or_else(|_| LanguageIdentifier::default());
    let mut bundle = FluentBundle::new_concurrent(vec![tag]);
    // Plain text for native widgets and logs: no Unicode isolation marks around variables.
    bundle.set_use_isolating(false);
    let _ = bundle.add_resource(resource);
    bundle
}

/// The text of `message` in `language` with `args`, and what went wrong formatting it.
fn format(
    language: Language,
    message: Message,
    args: &FluentArgs<'_>,
) -> (String, Vec<FluentError>) {
    let bundle = match language {
        Language::French => &CATALOGUE.french,
        Language::English => &CATALOGUE.english,
    };
    let mut errors = Vec::new();
    let text = match bundle.get_message(message.key()).and_then(|m| m.value()) {
        Some(pattern) => bundle
            .format_pattern(pattern, Some(args), &mut errors)
            .into_owned(),
        // Cannot happen (tested): show the key rather than nothing.
        None => message.key().to_owned(),
    };
    (text, errors)
}

impl TigrError {
    /// The catalogue message of this error and its variables; `now_unix` counts the minutes left
    /// of a temporary block.
    fn text(&self, now_unix: i64) -> (Message, FluentArgs<'_>) {
        let mut args = FluentArgs::new();
        let message = match self {
            Self::InvalidCode { reason, .. } => match reason {
                InvalidCodeReason::NotTigr => Message::InvalidCode,
                InvalidCodeReason::UnsupportedVersion => Message::UnsupportedVersion,
                InvalidCodeReason::UnknownChallenge => Message::UnknownChallenge,
                InvalidCodeReason::NotALoginCode => Message::NotALoginCode,
                InvalidCodeReason::NotAnInvitation => Message::NotAnInvitation,
            },
            Self::NotEnrolled { server } => {
                args.set("server", server.as_str());
                Message::NotEnrolled
            }
            Self::AccountChoiceNeeded { .. } => Message::AccountChoiceNeeded,
            Self::InvalidPin { reason } => match reason {
                InvalidPinReason::Format => Message::PinFormat,
                InvalidPinReason::Mismatch => Message::PinMismatch,
                InvalidPinReason::TooSimple => Message::PinTooSimple,
            },
            Self::WrongPin { attempts_left } => {
                args.set("attempts", *attempts_left);
                Message::WrongPin
            }
            Self::AccountBlocked {
                blocked_until: Some(until),
            } => {
                args.set("minutes", minutes_until(*until, now_unix));
                Message::BlockedTemporarily
            }
            Self::AccountBlocked {
                blocked_until: None,
            } => Message::BlockedPermanently,
            Self::ChallengeExpired => Message::ChallengeExpired,
            Self::AlreadyUsed => Message::AlreadyUsed,
            Self::InvalidInvitation { reason } => match reason {
                InvalidInvitationReason::Unknown => Message::InvitationUnknown,
                InvalidInvitationReason::Expired => Message::InvitationExpired,
                InvalidInvitationReason::Used => Message::InvitationUsed,
            },
            Self::PhoneRevoked => Message::PhoneRevoked,
            Self::Network { .. } => Message::Network,
            Self::Server { detail } => {
                args.set("detail", detail.as_str());
                Message::Server
            }
            Self::KeyStore { .. } => Message::KeyStore,
            Self::Storage { .. } => Message::Storage,
            Self::InvalidOtpCode { reason, .. } => match reason {
                InvalidOtpReason::NotOtpauth => Message::OtpNotOtpauth,
                InvalidOtpReason::Malformed => Message::OtpMalformed,
                InvalidOtpReason::TooLong => Message::OtpTooLong,
                InvalidOtpReason::UnknownType => Message::OtpUnknownType,
                InvalidOtpReason::MissingSecret => Message::OtpMissingSecret,
                InvalidOtpReason::BadSecret => Message::OtpBadSecret,
                InvalidOtpReason::UnknownAlgorithm => Message::OtpUnknownAlgorithm,
                InvalidOtpReason::BadDigits => Message::OtpBadDigits,
                InvalidOtpReason::BadPeriod => Message::OtpBadPeriod,
                InvalidOtpReason::BadCounter => Message::OtpBadCounter,
                InvalidOtpReason::BadLabel => Message::OtpBadLabel,
                InvalidOtpReason::BadExport => Message::OtpBadExport,
            },
            Self::UnknownOtpAccount => Message::UnknownOtpAccount,
            Self::InvalidOtpName { .. } => Message::InvalidOtpName,
        };
        (message, args)
    }

    /// The sentence to show for this error in `language`. `now_unix` (Unix seconds, the app's
    /// clock) is read only to say how many minutes a temporary block has left.
    pub fn message(&self, language: Language, now_unix: i64) -> String {
        let (message, args) = self.text(now_unix);
        format(language, message, &args).0
    }
}

/// The sentence an app shows for `error`, in French (`fr`, and any language other than
/// English) or English (`en`, `en-GB`...). `now_unix` is the app's clock (Unix seconds), read
/// only to say how many minutes a temporary block has left.
#[uniffi::export]
pub fn error_message(error: TigrError, language: String, now_unix: i64) -> String {
    error.message(Language::from_tag(&language), now_unix)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use fluent_syntax::ast::Entry;

    use super::*;

    const NOW: i64 = 1_795_000_000;

    /// One error of every variant and reason: everything the code can ask the catalogue for.
    fn every_error() -> Vec<TigrError> {
        let detail = || "detail".to_owned();
        let mut errors = vec![
            TigrError::NotEnrolled {
                server: "auth.example.fr".into(),
            },
            TigrError::AccountChoiceNeeded {
                tigr_ids: vec!["a".into(), "b".into()],
            },
            TigrError::WrongPin { attempts_left: 0 },
            TigrError::WrongPin { attempts_left: 1 },
            TigrError::WrongPin { attempts_left: 4 },
            TigrError::AccountBlocked {
                blocked_until: Some(NOW + 900),
            },
            TigrError::AccountBlocked {
                blocked_until: None,
            },
            TigrError::ChallengeExpired,
            TigrError::AlreadyUsed,
            TigrError::PhoneRevoked,
            TigrError::Network { detail: detail() },
            TigrError::Server { detail: detail() },
            TigrError::KeyStore { detail: detail() },
            TigrError::Storage { detail: detail() },
            TigrError::UnknownOtpAccount,
            TigrError::InvalidOtpName { detail: detail() },
        ];
        errors.extend(
            [
                InvalidOtpReason::NotOtpauth,
                InvalidOtpReason::Malformed,
                InvalidOtpReason::TooLong,
                InvalidOtpReason::UnknownType,
                InvalidOtpReason::MissingSecret,
                InvalidOtpReason::BadSecret,
                InvalidOtpReason::UnknownAlgorithm,
                InvalidOtpReason::BadDigits,
                InvalidOtpReason::BadPeriod,
                InvalidOtpReason::BadCounter,
                InvalidOtpReason::BadLabel,
                InvalidOtpReason::BadExport,
            ]
            .map(|reason| TigrError::InvalidOtpCode {
                reason,
                detail: detail(),
            }),
        );
        errors.extend(
            [
                InvalidCodeReason::NotTigr,
                InvalidCodeReason::UnsupportedVersion,
                InvalidCodeReason::UnknownChallenge,
                InvalidCodeReason::NotALoginCode,
                InvalidCodeReason::NotAnInvitation,
            ]
            .map(|reason| TigrError::InvalidCode {
                reason,
                detail: detail(),
            }),
        );
        errors.extend(
            [
                InvalidPinReason::Format,
                InvalidPinReason::Mismatch,
                InvalidPinReason::TooSimple,
            ]
            .map(|reason| TigrError::InvalidPin { reason }),
        );
        errors.extend(
            [
                InvalidInvitationReason::Unknown,
                InvalidInvitationReason::Expired,
                InvalidInvitationReason::Used,
            ]
            .map(|reason| TigrError::InvalidInvitation { reason }),
        );
        errors
    }

    /// The keys of a `.ftl` file, which must parse without error and hold no duplicate.
    fn ids_in(language: Language) -> BTreeSet<String> {
        let resource = fluent_syntax::parser::parse(source(language))
            .unwrap_or_else(|(_, errors)| panic!("{language:?} .ftl: {errors:?}"));
        let mut ids = BTreeSet::new();
        for entry in resource.body {
            match entry {
                Entry::Message(message) => {
                    let id = message.id.name.to_owned();
                    assert!(message.value.is_some(), "{language:?}: {id} has no text");
                    assert!(ids.insert(id.clone()), "{language:?}: {id} twice");
                }
                Entry::Comment(_) | Entry::GroupComment(_) | Entry::ResourceComment(_) => {}
                other => panic!("{language:?}: unexpected entry {other:?}"),
            }
        }
        ids
    }

    fn keys(messages: impl IntoIterator<Item = Message>) -> BTreeSet<String> {
        messages.into_iter().map(|m| m.key().to_owned()).collect()
    }

    #[test]
    fn both_languages_hold_exactly_the_keys_of_the_code() {
        let code = keys(Message::ALL.iter().copied());
        assert_eq!(code.len(), Message::ALL.len(), "two messages share a key");
        assert_eq!(ids_in(Language::French), code, "fr.ftl vs Message");
        assert_eq!(ids_in(Language::English), code, "en.ftl vs Message");
    }

    #[test]
    fn every_message_is_the_text_of_some_error() {
        let used = keys(every_error().iter().map(|e| e.text(NOW).0));
        assert_eq!(used, keys(Message::ALL.iter().copied()));
    }

    #[test]
    fn every_message_formats_in_both_languages() {
        for error in every_error() {
            let (message, args) = error.text(NOW);
            for language in [Language::French, Language::English] {
                let (text, errors) = format(language, message, &args);
                assert!(errors.is_empty(), "{language:?} {message:?}: {errors:?}");
                assert!(!text.trim().is_empty(), "{language:?} {message:?}");
                assert_ne!(text, message.key(), "{language:?}: no {message:?}");
                assert!(!text.contains(['{', '}', '$', '\u{2068}']), "{text}");
            }
        }
        // Different messages read differently (no sentence copied under two keys).
        for language in [Language::French, Language::English] {
            let texts: BTreeSet<String> = Message::ALL
                .iter()
                .map(|&message| {
                    let mut args = FluentArgs::new();
                    args.set("server", "s");
                    args.set("attempts", 2);
                    args.set("minutes", 2);
                    args.set("detail", "d");
                    format(language, message, &args).0
                })
                .collect();
            assert_eq!(texts.len(), Message::ALL.len(), "{language:?}");
        }
    }

    #[test]
    fn wrong_pin_counts_with_plural_rules() {
        let say = |attempts_left, tag: &str| {
            error_message(TigrError::WrongPin { attempts_left }, tag.into(), NOW)
        };
        assert_eq!(say(0, "fr"), "Code PIN incorrect.");
        assert_eq!(say(1, "fr"), "Code PIN incorrect. Il vous reste 1 essai.");
        assert_eq!(say(3, "fr"), "Code PIN incorrect. Il vous reste 3 essais.");
        assert_eq!(say(0, "en"), "Wrong PIN.");
        assert_eq!(say(1, "en-GB"), "Wrong PIN. 1 attempt left.");
        assert_eq!(say(3, "en"), "Wrong PIN. 3 attempts left.");
        // Any language other than English is French, the default.
        assert_eq!(say(3, "de"), say(3, "fr"));
        assert_eq!(say(3, " EN "), say(3, "en"));
    }

    #[test]
    fn blocked_messages_count_minutes_with_the_given_clock() {
        let temporary = TigrError::AccountBlocked {
            blocked_until: Some(NOW + 900),
        };
        assert_eq!(
            error_message(temporary.clone(), "fr".into(), NOW),
            "Votre compte est bloqué pour 15 min après trop d'essais incorrects. Réessayez ensuite, ou contactez votre administrateur."
        );
        assert_eq!(
            error_message(temporary.clone(), "en".into(), NOW),
            "Your account is blocked for 15 min after too many wrong attempts. Try again afterwards, or contact your administrator."
        );
        assert!(error_message(temporary.clone(), "fr".into(), NOW + 600).contains("pour 5 min"));
        assert!(error_message(temporary, "fr".into(), NOW + 3600).contains("pour 1 min"));
        let permanent = TigrError::AccountBlocked {
            blocked_until: None,
        };
        assert_eq!(
            error_message(permanent.clone(), "fr".into(), NOW),
            "Votre compte est bloqué après trop d'essais incorrects. Contactez votre administrateur pour le débloquer."
        );
        assert_eq!(
            error_message(permanent, "en".into(), NOW),
            "Your account is blocked after too many wrong attempts. Contact your administrator to unblock it."
        );
    }

    #[test]
    fn variables_reach_the_sentence() {
        let not_enrolled = TigrError::NotEnrolled {
            server: "auth.example.fr".into(),
        };
        assert_eq!(
            not_enrolled.message(Language::French, NOW),
            "Ce téléphone n'est pas enregistré sur auth.example.fr. Demandez un code d'enrôlement à votre administrateur."
        );
        let refused = TigrError::Server {
            detail: "requête invalide".into(),
        };
        assert_eq!(
            refused.message(Language::French, NOW),
            "Le serveur a refusé la demande : requête invalide"
        );
        assert_eq!(
            refused.message(Language::English, NOW),
            "The server refused the request: requête invalide"
        );
    }
}
