//! The text catalogue (`server/text/*.ftl`, see `server/src/text.rs`) is complete: French and
//! English have the same keys with the same variables, every key that the code or a
//! template names exists, and every key is used somewhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const FRENCH: &str = include_str!("../text/fr.ftl");
const ENGLISH: &str = include_str!("../text/en.ftl");

/// Each message of a Fluent file with the variables it uses (`{ $name }`, selectors too).
fn messages(source: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in source.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            let (key, _) = line
                .split_once(" =")
                .unwrap_or_else(|| panic!("not a message: {line:?}"));
            assert!(
                out.insert(key.to_owned(), BTreeSet::new()).is_none(),
                "{key} twice"
            );
            current = Some(key.to_owned());
        }
        let key = current.as_ref().expect("a message first");
        let vars = out.get_mut(key).expect("message");
        for piece in line.split('$').skip(1) {
            let name: String = piece
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            vars.insert(name);
        }
    }
    out
}

/// Every file under `dir` ending with one of `extensions`, with its text.
fn files(dir: &Path, extensions: &[&str], out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files(&path, extensions, out);
        } else if extensions
            .iter()
            .any(|e| path.extension().is_some_and(|x| x == *e))
        {
            let text = std::fs::read_to_string(&path).expect("file");
            out.push((path.display().to_string(), text));
        }
    }
}

/// Every piece of text between double quotes.
fn quoted(text: &str) -> impl Iterator<Item = &str> {
    text.split('"').skip(1).step_by(2)
}

fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    files(&root.join("src"), &["rs"], &mut out);
    files(&root.join("templates"), &["html"], &mut out);
    out
}

/// The keys looked up without variables: the quoted key is the call's last argument.
fn plain_lookups(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for opening in ["t(\"", "text(lang, \"", "tr(lang, \"", "text(self.lang, \""] {
        for rest in text.split(opening).skip(1) {
            if let Some((key, after)) = rest.split_once('"')
                && after.starts_with(')')
            {
                out.push(key);
            }
        }
    }
    out
}

#[test]
fn both_languages_have_the_same_keys_and_variables() {
    let (fr, en) = (messages(FRENCH), messages(ENGLISH));
    assert!(fr.len() > 300, "{} messages", fr.len());
    let fr_keys: BTreeSet<_> = fr.keys().collect();
    let en_keys: BTreeSet<_> = en.keys().collect();
    assert_eq!(
        fr_keys.symmetric_difference(&en_keys).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "keys in one language only"
    );
    for (key, vars) in &fr {
        assert_eq!(vars, &en[key], "{key}: not the same variables");
    }
}

#[test]
fn every_key_named_exists_and_every_key_is_used() {
    let catalogue = messages(FRENCH);
    // Keys are `area-what`: a quoted piece that starts like one must be one.
    let areas: BTreeSet<&str> = catalogue
        .keys()
        .filter_map(|k| k.split('-').next())
        .collect();
    let looks_like_key = |piece: &str| {
        piece.contains('-')
            && piece
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && areas.contains(piece.split('-').next().unwrap_or(""))
    };
    let mut used = BTreeSet::new();
    let mut missing = Vec::new();
    let mut without_variables = Vec::new();
    for (file, text) in sources() {
        // Templates name texts as `t("key"...)`; Rust code as string literals.
        let named: Vec<&str> = if file.ends_with(".html") {
            text.split("t(\"")
                .skip(1)
                .filter_map(|rest| rest.split('"').next())
                .collect()
        } else {
            quoted(&text)
                .filter(|piece| catalogue.contains_key(*piece) || looks_like_key(piece))
                .collect()
        };
        // Texts asked for without variables: `t("key")` in templates, `text(lang, "key")`,
        // `.t("key")` and `tr(lang, "key")` in Rust.
        for key in plain_lookups(&text) {
            if catalogue.get(key).is_some_and(|vars| !vars.is_empty()) {
                without_variables.push(format!("{file}: {key}"));
            }
        }
        for key in named {
            used.insert(key.to_owned());
            if !catalogue.contains_key(key) && !file.ends_with("src/text.rs") {
                missing.push(format!("{file}: {key}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "keys not in the catalogue: {missing:#?}"
    );
    assert!(
        without_variables.is_empty(),
        "texts with variables asked for without them: {without_variables:#?}"
    );
    let unused: Vec<&String> = catalogue.keys().filter(|k| !used.contains(*k)).collect();
    assert!(unused.is_empty(), "keys used nowhere: {unused:#?}");
}
