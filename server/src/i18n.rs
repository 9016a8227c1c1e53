//! Language of user-facing text: French by default, English when the client prefers it.

/// A language the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// French, the default.
    #[default]
    Fr,
    /// English.
    En,
}

impl From<Lang> for tigr_core::clock::Language {
    fn from(lang: Lang) -> Self {
        match lang {
            Lang::Fr => Self::French,
            Lang::En => Self::English,
        }
    }
}

impl Lang {
    /// Negotiates from an `Accept-Language` header value: the supported language with the
    /// highest quality wins; ties, absent or unparsable headers give French.
    pub fn from_accept_language(header: Option<&str>) -> Self {
        let Some(header) = header else {
            return Self::Fr;
        };
        let (mut fr, mut en) = (0.0f32, 0.0f32);
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
            let mut quality = 1.0f32;
            for param in parts {
                if let Some(q) = param.trim().strip_prefix("q=") {
                    quality = q.trim().parse().unwrap_or(0.0);
                }
            }
            if !(0.0..=1.0).contains(&quality) {
                continue;
            }
            match primary.as_str() {
                "fr" => fr = fr.max(quality),
                "en" => en = en.max(quality),
                _ => {}
            }
        }
        if en > fr { Self::En } else { Self::Fr }
    }

    /// From the process environment (`LC_ALL`, `LC_MESSAGES`, `LANG`), for the command line.
    pub fn from_env() -> Self {
        for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Ok(value) = std::env::var(var)
                && !value.is_empty()
            {
                return if value.to_ascii_lowercase().starts_with("en") {
                    Self::En
                } else {
                    Self::Fr
                };
            }
        }
        Self::Fr
    }

    /// Picks the text of this language.
    pub fn pick<'a>(self, fr: &'a str, en: &'a str) -> &'a str {
        match self {
            Self::Fr => fr,
            Self::En => en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation() {
        let cases = [
            (None, Lang::Fr),
            (Some(""), Lang::Fr),
            (Some("en"), Lang::En),
            (Some("en-US,en;q=0.9"), Lang::En),
            (Some("fr-FR,fr;q=0.9,en;q=0.8"), Lang::Fr),
            (Some("en;q=0.5,fr;q=0.9"), Lang::Fr),
            (Some("de-DE,de;q=0.9,en;q=0.8"), Lang::En),
            (Some("de"), Lang::Fr),
            (Some("en;q=0"), Lang::Fr),
            (Some("en;q=bogus"), Lang::Fr),
            (Some("EN-gb"), Lang::En),
            (Some("fr, en"), Lang::Fr),
        ];
        for (header, expected) in cases {
            assert_eq!(Lang::from_accept_language(header), expected, "{header:?}");
        }
    }
}
