//! What the browser suites share: starting headless Chromium, scripts and waits in the page,
//! screenshots saved as artifacts, QR codes decoded from those screenshots (as a phone's
//! camera would read the screen), and the login page's states.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::harness::{AsyncHarness, Phone};
use crate::webdriver::{HeadlessChrome, artifacts_dir};

/// Starts headless Chromium with `language` preferred (`fr-FR,fr`, `en-US,en`).
pub async fn launch(language: &str) -> HeadlessChrome {
    HeadlessChrome::launch(language)
        .await
        .expect("headless Chromium starts (Debian packages chromium and chromium-driver)")
}

/// Runs `script` in the page; its result.
pub async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.expect("script runs")
}

/// Runs `script` in the page; its result as text (empty if not a string).
pub async fn js_string(c: &Client, script: &str) -> String {
    js(c, script).await.as_str().unwrap_or("").to_owned()
}

/// Polls `script` (returning a boolean) every 50 ms until true; panics after `timeout`
/// naming `what`.
pub async fn wait_js(c: &Client, script: &str, timeout: Duration, what: &str) {
    let deadline = Instant::now() + timeout;
    loop {
        if js(c, script).await == Value::Bool(true) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the page has an element `css` (e.g. the page a form post leads to).
pub async fn wait_for_element(c: &Client, css: &str, timeout: Duration) {
    wait_js(
        c,
        &format!("return !!document.querySelector({});", Value::from(css)),
        timeout,
        css,
    )
    .await;
}

/// Visible text of the element `css`.
pub async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css} on the page"))
        .text()
        .await
        .expect("text")
}

/// Clicks the element `css`.
pub async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css} on the page"))
        .click()
        .await
        .unwrap_or_else(|_| panic!("click {css}"));
}

/// Clicks the element `css`, which posts a form without script, and waits for the page the
/// post leads to: a check made right after the click could still read the page it leaves
/// (and the element it read would then vanish under it).
pub async fn submit_and_wait(c: &Client, css: &str) {
    js(c, "window.tigrLeaving = true; return true;").await;
    click(c, css).await;
    wait_js(
        c,
        "return !window.tigrLeaving && document.readyState === 'complete';",
        Duration::from_secs(20),
        "the page the form leads to",
    )
    .await;
}

/// Empties the field `id` and types `value` into it.
pub async fn type_into(c: &Client, id: &str, value: &str) {
    let field = c.find(Locator::Id(id)).await.expect("field");
    field.clear().await.expect("clear");
    field.send_keys(value).await.expect("type");
}

/// The `id` of the focused element (empty if none).
pub async fn active_id(c: &Client) -> String {
    js_string(
        c,
        "return document.activeElement && document.activeElement.id;",
    )
    .await
}

/// A phone (the `tigr-phone` binary at `binary`) enrolled on `account` with `pin`.
pub async fn enrolled_phone(h: &AsyncHarness, binary: &Path, account: &str, pin: &str) -> Phone {
    let phone = h.phone(account);
    let payload = h.enrollment(account).await;
    let run = phone
        .run_async(binary, &["enroll", &payload], Some(pin))
        .await;
    assert!(run.ok, "enroll failed: {run:?}");
    phone
}

/// Visible text of the whole page.
pub async fn body_text(c: &Client) -> String {
    text(c, "body").await
}

/// Waits until the browser shows `path` (navigations made by the page itself).
pub async fn wait_for_path(c: &Client, path: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        if c.current_url().await.expect("url").path() == path {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {path}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the login page (`#login`) is in `state` (`pending`, `approved`, ...).
pub async fn wait_login_state(c: &Client, state: &str, timeout: Duration) {
    wait_js(
        c,
        &format!(
            "const l = document.getElementById('login'); return !!l && l.dataset.state === '{state}';"
        ),
        timeout,
        &format!("state {state}"),
    )
    .await;
}

/// Saves a screenshot as `<name>.png` in the artifacts folder of `suite`
/// (`target/browser-artifacts/<suite>/`); returns its path and bytes.
pub async fn shot(chrome: &HeadlessChrome, suite: &str, name: &str) -> (PathBuf, Vec<u8>) {
    let dir = artifacts_dir(suite);
    let png = chrome
        .screenshot(Some(&dir), name)
        .await
        .expect("screenshot");
    (dir.join(format!("{name}.png")), png)
}

/// The one QR payload containing `kind` (`/t/1/L/` for login, `/t/1/E/` for enrollment)
/// decoded from a screenshot.
pub fn decode_qr(png: &[u8], kind: &str) -> String {
    let codes = tigr_core::qr::decode_image_bytes(png).expect("screenshot decodes");
    let payloads: Vec<&str> = codes
        .iter()
        .map(|c| c.text.as_str())
        .filter(|t| t.contains(kind))
        .collect();
    assert_eq!(payloads.len(), 1, "one {kind} QR on the screen: {codes:?}");
    payloads[0].to_owned()
}

/// The login payload decoded from a screenshot of the login page.
pub fn decode_login_qr(png: &[u8]) -> String {
    decode_qr(png, "/t/1/L/")
}
