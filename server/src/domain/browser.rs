//! A short, language-neutral description of a browser from its `User-Agent` header, shown on
//! the phone before the PIN ("Firefox 133 · Windows"). Only known names and digits make it
//! into the summary, so a forged header cannot put arbitrary text on the phone's screen.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

/// Bytes of the header that are looked at.
const MAX_SCAN: usize = 512;

/// Browsers, most specific marker first (Edge and Opera also say "Chrome", Chrome also says
/// "Safari").
const BROWSERS: &[(&str, &str)] = &[
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("YaBrowser/", "Yandex"),
    ("Vivaldi/", "Vivaldi"),
    ("FxiOS/", "Firefox"),
    ("Firefox/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("curl/", "curl"),
    ("Wget/", "Wget"),
    ("python-requests/", "Python requests"),
    ("okhttp/", "OkHttp"),
];

/// Operating systems, most specific marker first (iOS says "like Mac OS X", Android and
/// ChromeOS say "Linux").
const SYSTEMS: &[(&str, &str)] = &[
    ("Windows", "Windows"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("iPod", "iOS"),
    ("CrOS", "ChromeOS"),
    ("Android", "Android"),
    ("Macintosh", "macOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
    ("FreeBSD", "FreeBSD"),
];

/// The markers that tell Safari (it says "Safari/" but Chrome does too, and gives its
/// version in "Version/x"), in the order of [`Safari`].
const SAFARI_MARKERS: [&str; 3] = ["Safari/", "Chrome", "Version/"];

/// Which of [`SAFARI_MARKERS`].
#[derive(Debug, Clone, Copy)]
enum Safari {
    Name = 0,
    Chrome = 1,
    Version = 2,
}

/// Every marker, found in one pass over the header rather than one search per marker on
/// every request: those of [`BROWSERS`], then [`SYSTEMS`], then [`SAFARI_MARKERS`].
static MARKERS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    let markers = BROWSERS
        .iter()
        .chain(SYSTEMS)
        .map(|(marker, _)| *marker)
        .chain(SAFARI_MARKERS);
    AhoCorasick::new(markers).expect("fixed, valid markers")
});

/// "Browser major · OS", either part alone when the other is unknown, or "" when nothing is
/// recognised (the reader then says "unknown browser" in its language).
pub fn summarize_user_agent(user_agent: &str) -> String {
    let ua = truncate(user_agent, MAX_SCAN);
    let found = Found::in_text(ua);
    let browser = detect_browser(ua, &found);
    let system = SYSTEMS
        .iter()
        .enumerate()
        .find(|(i, _)| found.system(*i).is_some())
        .map(|(_, (_, name))| *name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} · {s}"),
        (Some(b), None) => b,
        (None, Some(s)) => s.to_owned(),
        (None, None) => String::new(),
    }
}

/// Where each marker first occurs (by the indexes of [`MARKERS`]).
struct Found(Vec<Option<usize>>);

impl Found {
    fn in_text(ua: &str) -> Self {
        let mut first = vec![None; MARKERS.patterns_len()];
        // Overlapping: "Chrome" inside "Chrome/", "Safari/" beside "Version/".
        for found in MARKERS.find_overlapping_iter(ua) {
            first[found.pattern().as_usize()].get_or_insert(found.start());
        }
        Self(first)
    }

    /// Where the marker of `BROWSERS[i]` first occurs.
    fn browser(&self, i: usize) -> Option<usize> {
        self.0[i]
    }

    /// Where the marker of `SYSTEMS[i]` first occurs.
    fn system(&self, i: usize) -> Option<usize> {
        self.0[BROWSERS.len() + i]
    }

    /// Where one of Safari's markers first occurs.
    fn safari(&self, marker: Safari) -> Option<usize> {
        self.0[BROWSERS.len() + SYSTEMS.len() + marker as usize]
    }
}

fn detect_browser(ua: &str, found: &Found) -> Option<String> {
    for (i, (marker, name)) in BROWSERS.iter().enumerate() {
        if let Some(at) = found.browser(i) {
            return Some(with_major(name, &ua[at + marker.len()..]));
        }
    }
    // Safari gives its version in "Version/x", and says "Safari" last.
    if found.safari(Safari::Name).is_some() && found.safari(Safari::Chrome).is_none() {
        let version = SAFARI_MARKERS[Safari::Version as usize];
        return Some(match found.safari(Safari::Version) {
            Some(at) => with_major("Safari", &ua[at + version.len()..]),
            None => "Safari".to_owned(),
        });
    }
    None
}

fn with_major(name: &str, version: &str) -> String {
    let major: String = version
        .chars()
        .take_while(char::is_ascii_digit)
        .take(5)
        .collect();
    if major.is_empty() {
        name.to_owned()
    } else {
        format!("{name} {major}")
    }
}

fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_browsers() {
        let cases = [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox 133 · Windows",
            ),
            (
                "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
                "Chrome 131 · Android",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
                "Edge 131 · Windows",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
                "Safari 18 · macOS",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
                "Safari 18 · iOS",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
                "Chrome 120 · iOS",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0",
                "Opera 115 · Linux",
            ),
            (
                "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                "Chrome 131 · ChromeOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
                "Samsung Internet 26 · Android",
            ),
            ("curl/8.5.0", "curl 8"),
            // The first occurrence of a marker gives the version.
            (
                "Firefox/128.0 Firefox/133.0 (Windows)",
                "Firefox 128 · Windows",
            ),
            // "Chrome" anywhere keeps Safari's marker from counting.
            ("Safari/605.1 Chrome-ish Version/18.1", ""),
            ("Mozilla/5.0 (X11; Linux x86_64)", "Linux"),
            ("", ""),
            ("\u{202e}evil text<script>", ""),
        ];
        for (ua, expected) in cases {
            assert_eq!(summarize_user_agent(ua), expected, "{ua}");
        }
    }

    #[test]
    fn long_and_odd_input_is_bounded() {
        let long = format!("{}Firefox/999999999999", "é".repeat(400));
        assert_eq!(summarize_user_agent(&long), "");
        assert_eq!(
            summarize_user_agent("Firefox/999999999999"),
            "Firefox 99999"
        );
        assert_eq!(summarize_user_agent("Firefox/"), "Firefox");
    }
}
