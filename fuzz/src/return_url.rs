//! The `?return=` check of the login page (`tigr_server::domain::return_url`), with the
//! configured list of places a login may return to (`TIGR_RETURN_ORIGINS`).
//!
//! Input: a first byte that picks the server's own origin and whether the list is the fixed
//! one below or comes from the input (then the text before the first new line), and the
//! return value.
//!
//! Property: where an accepted value leads, as a browser resolves it against the login page
//! (the `url` crate follows the same WHATWG rules), is this server or a configured origin,
//! within the configured path prefix, without user info, and without a `..;` segment that a
//! Java servlet container behind the prefix would read as "up one level".

use tigr_core::payload::Origin;
use tigr_server::domain::return_url::{ReturnPrefix, checked_return};
use url::Url;

const OWN: [&str; 3] = [
    "https://auth.example.fr",
    "http://127.0.0.1:8080",
    "https://auth.example.fr:8443",
];

const FIXED_LIST: &str = "https://dpi.example.fr, https://portail.example.fr/app/ \
                          https://x.example.fr:8443/a http://127.0.0.1:9000/cb";

/// The target.
pub fn check(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let own = OWN[usize::from(first) % OWN.len()];
    let (list, value) = if first & 0x80 == 0 {
        (FIXED_LIST.to_owned(), super::lossy(rest).into_owned())
    } else {
        let (list, value) = super::split_once(rest, b'\n');
        (
            super::lossy(list).into_owned(),
            super::lossy(value).into_owned(),
        )
    };
    let Ok(allowed) = ReturnPrefix::parse_list(&list) else {
        return;
    };
    let own_origin = Origin::parse(own).expect("valid own origin");
    let Some(target) = checked_return(&value, &own_origin, &allowed) else {
        return;
    };
    let login_page = Url::parse(&format!("{own}/login")).expect("valid page URL");
    // A value no browser can resolve leads nowhere.
    let Ok(resolved) = login_page.join(&target) else {
        return;
    };
    assert!(
        resolved.username().is_empty() && resolved.password().is_none(),
        "{value:?} leads to {resolved} with user info"
    );
    if resolved.origin() == login_page.origin() {
        return;
    }
    let under_a_prefix = entries(&list).any(|entry| {
        Url::parse(entry).is_ok_and(|prefix| {
            prefix.origin() == resolved.origin() && within(resolved.path(), prefix.path())
        })
    });
    assert!(
        under_a_prefix,
        "{value:?} (accepted as {target:?}) leads to {resolved}, outside {list:?} and {own}"
    );
}

/// The entries of a list as `ReturnPrefix::parse_list` splits it.
fn entries(list: &str) -> impl Iterator<Item = &str> {
    list.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|e| !e.is_empty())
}

/// Whether a resolved path stays within a configured prefix, segment by segment (`/app/`
/// and `/app` both cover `/app` and `/app/x`, not `/application`). Under a prefix, no
/// segment may be a dot segment once its `;` parameters are dropped.
fn within(path: &str, prefix: &str) -> bool {
    let wanted: Vec<&str> = prefix.trim_end_matches('/').split('/').collect();
    let segments: Vec<&str> = path.split('/').collect();
    if wanted.len() > 1 {
        let dot_segment = segments.iter().any(|segment| {
            let name = segment.split(';').next().unwrap_or_default();
            let name = name.to_ascii_lowercase().replace("%2e", ".");
            name == "." || name == ".."
        });
        if dot_segment {
            return false;
        }
    }
    segments.starts_with(&wanted)
}
