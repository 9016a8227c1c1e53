//! Accessibility checks of pages in headless Chromium: the axe-core engine (npm package
//! `axe-core`, pinned in scripts/install-deps.sh, which installs it in
//! `<target>/axe-core/node_modules/axe-core`) injected through WebDriver into the page as it
//! is, and run on its WCAG 2.1 A and AA rules.

use std::path::PathBuf;
use std::sync::OnceLock;

use fantoccini::Client;
use serde_json::Value;

/// The axe-core rule tags checked: WCAG 2.0 and 2.1, levels A and AA.
pub const WCAG21_AA: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/// `TIGR_AXE_CORE` (a path to `axe.min.js`), else the copy scripts/install-deps.sh installs
/// in `<target>/axe-core` (`CARGO_TARGET_DIR` when set).
fn axe_script_path() -> PathBuf {
    if let Some(path) = std::env::var_os("TIGR_AXE_CORE") {
        return path.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("axe-core/node_modules/axe-core/axe.min.js")
}

/// The axe-core source, read once.
fn axe_source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let path = axe_script_path();
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run scripts/install-deps.sh: it installs the npm package axe-core)",
                path.display()
            )
        })
    })
}

/// The violations of WCAG 2.1 A/AA rules axe-core finds in the page as it is now (the
/// engine is injected first if this document does not have it yet). Each is axe-core's
/// JSON: `id`, `impact`, `help`, `nodes` (with `target` and `failureSummary`).
pub async fn wcag_violations(c: &Client) -> Vec<Value> {
    let present = c
        .execute("return typeof window.axe !== 'undefined';", vec![])
        .await
        .expect("script runs");
    if present != Value::Bool(true) {
        c.execute(&format!("{}\nreturn true;", axe_source()), vec![])
            .await
            .expect("axe-core is injected");
    }
    let result = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const tags = arguments[0];
             window.axe
               .run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })
               .then((r) => done({ ok: r.violations }))
               .catch((e) => done({ error: String(e) }));",
            vec![Value::from(WCAG21_AA.to_vec())],
        )
        .await
        .expect("axe-core runs");
    if let Some(error) = result.get("error") {
        panic!("axe-core failed: {error}");
    }
    result["ok"].as_array().cloned().unwrap_or_default()
}

/// One line per violation and per element: rule, impact, what it asks, where, why.
pub fn violation_report(violations: &[Value]) -> String {
    let mut out = String::new();
    for v in violations {
        for node in v["nodes"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "- {} ({}): {} at {} — {}\n",
                v["id"].as_str().unwrap_or("?"),
                v["impact"].as_str().unwrap_or("?"),
                v["help"].as_str().unwrap_or(""),
                node["target"],
                node["failureSummary"]
                    .as_str()
                    .unwrap_or("")
                    .replace('\n', " ")
            ));
        }
    }
    out
}

/// Asserts that axe-core finds no WCAG 2.1 A/AA violation in the page; the message lists
/// them, naming the page state `what`.
pub async fn assert_wcag_clean(c: &Client, what: &str) {
    let violations = wcag_violations(c).await;
    assert!(
        violations.is_empty(),
        "{what}: {} axe-core violation(s) of WCAG 2.1 A/AA:\n{}",
        violations.len(),
        violation_report(&violations)
    );
}
