//! What administrators type into the admin pages' forms and filters (the same rules serve
//! the command line): times and durations (`tigr_server::admin::time`), page numbers, and
//! the account, e-mail, name, reason, search and audit words of `tigr_server::admin::rules`.
//!
//! Properties: an accepted value is accepted again unchanged (what is stored can be edited
//! and saved as is); times are within the years the pages print and read back from their
//! RFC 3339 text; a whole day in Paris lasts 23 to 25 hours; durations are bounded; a search
//! pattern escapes every `LIKE` wildcard of the text.

use tigr_core::clock::{Language, TimeZone, local_text, rfc3339_utc};
use tigr_core::ids::is_valid_account;
use tigr_server::admin::rules::{
    MAX_DISPLAY_NAME_CHARS, MAX_EMAIL_LEN, MAX_REASON_CHARS, Role, account_id, audit_word,
    display_name, email, invitation_id, reason, search_pattern,
};
use tigr_server::admin::time::{parse_duration, parse_time, parse_until};
use tigr_server::http::pages::forms::parse_page;

/// A fixed "now" for relative times (`7d`).
const NOW: i64 = 1_750_000_000;
/// 9999-12-31T23:59:59Z: the filters read the years 1970 to 9999.
const YEAR_9999_END: i64 = 253_402_300_799;

/// The target.
pub fn check(data: &[u8]) {
    let text = super::lossy(data);
    let text = text.as_ref();
    check_times(text);
    check_rules(text);
}

fn check_times(text: &str) {
    if let Some(seconds) = parse_duration(text) {
        assert!((0..=1_000_000_000 * 86_400).contains(&seconds), "{seconds}");
    }
    if let Ok(page) = parse_page(Some(text)) {
        assert!((1..=1_000_000).contains(&page));
    }
    for zone in [super::paris(), &TimeZone::UTC] {
        let start = parse_time(text, NOW, zone);
        let end = parse_until(text, NOW, zone);
        for time in [start, end].into_iter().flatten() {
            // The pages print what they read (and must not panic on any of it).
            let _ = local_text(time, zone, Language::French);
            let _ = local_text(time, zone, Language::English);
            if (0..=YEAR_9999_END).contains(&time) {
                let iso = rfc3339_utc(time);
                assert_eq!(parse_time(&iso, NOW, zone), Some(time), "{iso}");
            }
        }
        // A date typed as the last day of a period covers that whole local day.
        if let (Some(start), Some(end)) = (start, end)
            && is_plain_date(text.trim())
        {
            let day = end - start;
            assert!(
                (23 * 3600..=25 * 3600).contains(&day),
                "{text:?} lasts {day} s"
            );
        }
    }
}

/// `YYYY-MM-DD`, the form the filters read as a whole day.
fn is_plain_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

fn check_rules(text: &str) {
    if let Ok(id) = account_id(text) {
        assert!(is_valid_account(&id));
        assert_eq!(account_id(&id).ok(), Some(id.clone()));
    }
    if let Ok(name) = display_name(text) {
        assert!(name.chars().count() <= MAX_DISPLAY_NAME_CHARS);
        assert_eq!(display_name(&name).ok(), Some(name.clone()), "{name:?}");
    }
    if let Ok(Some(address)) = email(text) {
        assert!(address.len() <= MAX_EMAIL_LEN, "{address:?}");
        assert_eq!(
            email(&address).ok(),
            Some(Some(address.clone())),
            "the stored e-mail {address:?} is refused when saved again"
        );
    }
    if let Ok(Some(why)) = reason(Some(text)) {
        assert!(why.chars().count() <= MAX_REASON_CHARS);
        assert_eq!(reason(Some(&why)).ok(), Some(Some(why.clone())));
    }
    if let Ok(Some(pattern)) = search_pattern(Some(text)) {
        assert_eq!(unescape_like(&pattern), Some(text.trim().to_owned()));
    }
    if let Ok(id) = invitation_id(text) {
        assert_eq!(invitation_id(&id).ok(), Some(id.clone()));
    }
    if let Ok(Some(word)) = audit_word(Some(text), "event") {
        assert_eq!(
            audit_word(Some(&word), "event").ok(),
            Some(Some(word.clone()))
        );
    }
    if let Ok(role) = Role::parse(text) {
        assert_eq!(Role::parse(role.as_str()).ok(), Some(role));
    }
}

/// The text a `%text%` pattern with `\`-escaped wildcards matches literally; `None` when a
/// wildcard of the middle is not escaped.
fn unescape_like(pattern: &str) -> Option<String> {
    let inner = pattern.strip_prefix('%')?.strip_suffix('%')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '%' | '_' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}
