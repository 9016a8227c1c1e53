//! The login page in a real browser (headless Chromium through chromedriver), a real server
//! on loopback and the real `tigr-phone` binary, which reads the QR code from a screenshot of
//! the page.
//!
//! **"Without reload"**, as checked here: between the moment the page shows its QR and the
//! moment it says "approved", the document is never reloaded (a marker set on `window` before
//! the phone acts is still there when the page reaches the approved state, and the challenge
//! id is the same), and the test issues no navigation or click after the phone acts: the
//! page's own script creates the session (`POST /login/complete`) and moves to the session
//! page, whose navigation type is `navigate`, not `reload`.
//!
//! Screenshots of every state are saved in `target/browser-artifacts/browser_login/`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::Value;
use tigr_tests::harness::{AsyncHarness, Phone, PhoneRun};
use tigr_tests::web_flows::{
    body_text, decode_login_qr, enrolled_phone, js, js_string, launch, text, wait_for_path,
    wait_js, wait_login_state as wait_state,
};
use tigr_tests::webdriver::HeadlessChrome;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const PIN: &str = "2580";
const WRONG_PIN: &str = "1379";

/// One browser at a time: the machine has two cores.
static BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn phone_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_tigr-phone"))
}

/// Screenshots go to `target/browser-artifacts/browser_login/`.
const SUITE: &str = "browser_login";

/// Saves a screenshot as `<name>.png` in the artifacts folder; returns its path and bytes.
async fn shot(chrome: &HeadlessChrome, name: &str) -> (PathBuf, Vec<u8>) {
    tigr_tests::web_flows::shot(chrome, SUITE, name).await
}

async fn enroll(h: &AsyncHarness, account: &str) -> Phone {
    enrolled_phone(h, phone_binary(), account, PIN).await
}

async fn page_state(c: &Client) -> String {
    js_string(
        c,
        "const l = document.getElementById('login'); return l ? l.dataset.state : '';",
    )
    .await
}

async fn challenge_id(c: &Client) -> String {
    js_string(
        c,
        "return document.getElementById('login').dataset.challenge;",
    )
    .await
}

fn otp_of(run: &PhoneRun) -> String {
    run.stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("Mot de passe :"))
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| panic!("password line: {run:?}"))
}

/// A minimal HTTP/1.1 exchange, as a client other than the browser.
async fn raw_http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut reply = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut reply))
        .await
        .expect("reply in time")
        .expect("read");
    let reply = String::from_utf8_lossy(&reply).into_owned();
    let status = reply
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, reply)
}

/// Resolves (inside the page) once it reaches `state`, with what the page still remembers.
async fn until_state_in_page(c: &Client, state: &str) -> Value {
    let script = format!(
        "const done = arguments[arguments.length - 1];
         const check = () => {{
           const l = document.getElementById('login');
           if (l && l.dataset.state === '{state}') {{
             done({{ marker: window.__tigrMarker || null, challenge: l.dataset.challenge,
                     states: window.__tigrStates || [], url: location.href }});
             return true;
           }}
           return false;
         }};
         if (!check()) document.addEventListener('tigr:state', check);"
    );
    c.execute_async(&script, vec![])
        .await
        .expect("the page reaches the state")
}

/// Marks the document (a reload would lose the marker) and records, from now on, its states
/// and what its live region announces (`window.__tigrAnnounced`); the states this very
/// document reached, the moment the approval is announced and the moment the page is left are
/// kept in `sessionStorage`, which the next page of the tab still reads.
async fn mark_page(c: &Client) {
    js(
        c,
        "window.__tigrMarker = 'set-before-approval'; window.__tigrStates = [];
         window.__tigrAnnounced = [];
         sessionStorage.removeItem('tigrMarkedStates');
         document.addEventListener('tigr:state', (e) => {
           window.__tigrStates.push(e.detail.state);
           sessionStorage.setItem('tigrMarkedStates', JSON.stringify(window.__tigrStates));
         });
         const region = document.getElementById('announce');
         const approved = document.getElementById('approved-text').dataset.signedIn.split('{name}')[0];
         new MutationObserver(() => {
           const said = region.textContent;
           if (!said) return;
           window.__tigrAnnounced.push(said);
           if (said.includes(approved) && !sessionStorage.getItem('tigrApprovalAnnouncedAt')) {
             sessionStorage.setItem('tigrApprovalAnnouncedAt', String(Date.now()));
           }
         }).observe(region, { childList: true, characterData: true, subtree: true });
         window.addEventListener('pagehide', () => {
           sessionStorage.setItem('tigrLeftAt', String(Date.now()));
         });
         return true;",
    )
    .await;
}

/// The states the document marked by [`mark_page`] went through, read from any later page of
/// the tab.
async fn marked_page_states(c: &Client) -> Vec<String> {
    let stored = js(
        c,
        "return sessionStorage.getItem('tigrMarkedStates') || '[]';",
    )
    .await;
    serde_json::from_str(stored.as_str().expect("a string")).expect("states")
}

/// What the page's live region announced since [`mark_page`].
async fn announced(c: &Client) -> Vec<String> {
    serde_json::from_value(js(c, "return window.__tigrAnnounced || [];").await)
        .expect("announcements")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approving_on_the_phone_logs_the_page_in_by_itself() {
    let _one = BROWSER.lock().await;
    let h = AsyncHarness::start().await;
    let phone = enroll(&h, "alice").await;
    let chrome = launch("fr-FR,fr").await;
    let c = chrome.client();
    c.goto(&h.url("/login")).await.expect("login page");
    wait_state(c, "pending", Duration::from_secs(10)).await;
    assert_eq!(c.title().await.expect("title"), "Connexion · Tigr");
    let body = body_text(c).await;
    assert!(
        body.contains(
            "Scannez le QR code avec l'application Tigr avant l'expiration du délai, puis \
             saisissez votre code PIN."
        ),
        "{body}"
    );
    assert!(body.contains("Le QR code expire dans"), "{body}");
    let id = challenge_id(c).await;

    // The phone reads the QR from a screenshot of the page.
    let (screenshot, png) = shot(&chrome, "01-waiting").await;
    let payload = decode_login_qr(&png);
    assert!(payload.contains(&format!("/t/1/L/{id}/")), "{payload}");

    // Scanned: the phone fetched the context (the page says so, live).
    let qr = tigr_tests::harness::login_qr(&payload);
    let origin = h.origin();
    tokio::task::spawn_blocking(move || {
        let transport = tigr_core::client::UreqTransport::new();
        tigr_core::client::ServerClient::new(&transport, &origin, "fr")
            .login_context(&qr.challenge_id, &qr.nonce)
            .expect("context")
    })
    .await
    .expect("context thread");
    wait_state(c, "scanned", Duration::from_secs(5)).await;
    assert!(body_text(c).await.contains("QR code scanné"));
    // The button's accessible name says what its badge shows (WCAG 2.5.3).
    let label = c
        .find(Locator::Id("qr-button"))
        .await
        .expect("QR button")
        .attr("aria-label")
        .await
        .expect("label")
        .unwrap_or_default();
    assert!(label.starts_with("Scanné. "), "{label}");
    shot(&chrome, "02-scanned").await;

    // Approve with the PIN; the page must get there by itself.
    mark_page(c).await;
    let screenshot = screenshot.to_string_lossy().into_owned();
    let args = ["approve", screenshot.as_str()];
    let (in_page, run) = tokio::join!(
        until_state_in_page(c, "approved"),
        phone.run_async(phone_binary(), &args, Some(PIN)),
    );
    assert!(run.ok, "{run:?}");
    assert!(
        run.stdout.contains("Connexion approuvée pour alice"),
        "{run:?}"
    );
    // The phone showed the real browser that displayed the QR.
    let browser_line = run
        .stdout
        .lines()
        .find(|l| l.contains("Navigateur :"))
        .unwrap_or_else(|| panic!("browser context line: {run:?}"));
    assert!(
        browser_line.contains("Chrom") && browser_line.contains("Linux"),
        "{browser_line}"
    );
    assert!(browser_line.contains("(127.0.0.1)"), "{browser_line}");

    assert_eq!(
        in_page["marker"], "set-before-approval",
        "no reload: {in_page}"
    );
    assert_eq!(in_page["challenge"], id.as_str(), "same QR: {in_page}");
    assert!(in_page["url"].as_str().unwrap_or("").ends_with("/login"));
    shot(&chrome, "03-approved").await;

    // No action from the test: the page's script moves on to the session page, once the
    // approval was announced and left on screen long enough for a screen reader to say it.
    wait_for_path(c, "/session", Duration::from_secs(10)).await;
    let shown_ms = js(
        c,
        "return Number(sessionStorage.getItem('tigrLeftAt'))
              - Number(sessionStorage.getItem('tigrApprovalAnnouncedAt'));",
    )
    .await
    .as_f64()
    .expect("both moments recorded");
    assert!(
        shown_ms >= 1500.0,
        "the approval was announced {shown_ms} ms before the page left"
    );
    let session = body_text(c).await;
    assert!(session.contains("Connecté en tant que"), "{session}");
    assert!(session.contains("alice"), "{session}");
    assert!(session.contains("Se déconnecter"), "{session}");
    assert_eq!(
        js_string(
            c,
            "return performance.getEntriesByType('navigation')[0].type;"
        )
        .await,
        "navigate",
        "moved on by script, not reloaded"
    );
    assert_eq!(
        js(c, "return window.__tigrMarker || null;").await,
        Value::Null
    );
    shot(&chrome, "04-session").await;

    // Another client that knows the challenge id cannot take the login over.
    for (method, path) in [
        ("GET", format!("/login/events/{id}")),
        ("GET", format!("/login/status/{id}")),
        ("POST", "/login/complete".to_owned()),
    ] {
        let (status, reply) = raw_http(
            h.addr(),
            method,
            &path,
            &[("content-type", "application/x-www-form-urlencoded")],
            &format!("challenge_id={id}"),
        )
        .await;
        assert_eq!(status, 403, "{method} {path}: {reply}");
        assert!(!reply.to_lowercase().contains("set-cookie: tigr_session"));
    }
    chrome.close().await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_offline_form_is_typed_into_the_page() {
    let _one = BROWSER.lock().await;
    let h = AsyncHarness::start().await;
    let phone = enroll(&h, "fanny").await;
    let chrome = launch("fr-FR,fr").await;
    let c = chrome.client();
    c.goto(&h.url("/login")).await.expect("login page");
    wait_state(c, "pending", Duration::from_secs(10)).await;
    let (screenshot, png) = shot(&chrome, "10-offline-qr").await;
    let id = challenge_id(c).await;
    assert!(decode_login_qr(&png).contains(&id));
    let run = phone
        .run_async(
            phone_binary(),
            &["offline", &screenshot.to_string_lossy()],
            Some(PIN),
        )
        .await;
    assert!(run.ok, "{run:?}");
    assert!(run.stdout.contains("Identifiant Tigr : fanny"), "{run:?}");
    let otp = otp_of(&run);

    // The QR is a real button: keyboard users reach it and open the form with Enter.
    let button = c.find(Locator::Id("qr-button")).await.expect("QR button");
    assert_eq!(button.tag_name().await.expect("tag"), "button");
    let label = button
        .attr("aria-label")
        .await
        .expect("label")
        .unwrap_or_default();
    assert!(label.contains("application Tigr"), "{label}");
    let nonce = tigr_tests::harness::login_qr(&decode_login_qr(&png)).nonce;
    assert!(
        !label.contains(&nonce),
        "the text alternative never holds the nonce"
    );
    js(
        c,
        "document.getElementById('qr-button').focus(); return true;",
    )
    .await;
    button
        .send_keys(&Key::Enter.to_string())
        .await
        .expect("Enter");
    wait_js(
        c,
        "return !document.getElementById('offline-form').hidden
             && document.activeElement.id === 'tigr-id';",
        Duration::from_secs(5),
        "the offline form with focus on the Tigr ID",
    )
    .await;
    let form_text = text(c, "#offline-form").await;
    assert!(form_text.contains("Identifiant Tigr"), "{form_text}");
    assert!(
        form_text.contains("Mot de passe à usage unique"),
        "{form_text}"
    );

    // The way back to the QR, and again to the form by a click.
    c.find(Locator::Id("back-to-qr"))
        .await
        .expect("back")
        .click()
        .await
        .expect("click back");
    wait_js(
        c,
        "return !document.getElementById('qr-area').hidden
             && document.getElementById('offline-form').hidden
             && document.activeElement.id === 'qr-button';",
        Duration::from_secs(5),
        "back to the QR",
    )
    .await;
    assert_eq!(challenge_id(c).await, id, "same QR after the way back");
    button.click().await.expect("click QR");
    wait_js(
        c,
        "return !document.getElementById('offline-form').hidden;",
        Duration::from_secs(5),
        "the form again",
    )
    .await;

    // A wrong password says how many attempts are left.
    let wrong: String = otp
        .chars()
        .map(|d| char::from(b'0' + (d as u8 - b'0' + 1) % 10))
        .collect();
    let tigr_id = c.find(Locator::Id("tigr-id")).await.expect("id field");
    tigr_id.send_keys("fanny").await.expect("type id");
    let otp_field = c.find(Locator::Id("otp")).await.expect("otp field");
    otp_field.send_keys(&wrong).await.expect("type otp");
    c.find(Locator::Id("offline-submit"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("submit click");
    wait_js(
        c,
        "return document.getElementById('offline-error').textContent.includes('Il reste 4 essais');",
        Duration::from_secs(5),
        "attempts left",
    )
    .await;
    assert_eq!(
        otp_field
            .attr("aria-invalid")
            .await
            .expect("attr")
            .as_deref(),
        Some("true")
    );
    shot(&chrome, "11-offline-wrong-password").await;

    // The right one logs in (the OTP field was emptied and focused for retyping).
    mark_page(c).await;
    otp_field.send_keys(&otp).await.expect("type otp");
    otp_field
        .send_keys(&Key::Enter.to_string())
        .await
        .expect("Enter");
    // The page may already have moved on by the time the test looks, so what the marked
    // document went through is read from the tab's storage on the next page.
    wait_for_path(c, "/session", Duration::from_secs(10)).await;
    let states = marked_page_states(c).await;
    assert!(
        states.iter().any(|s| s == "approved"),
        "the marked page itself (no reload) reached approved: {states:?}"
    );
    let session = body_text(c).await;
    assert!(session.contains("fanny"), "{session}");
    assert!(
        session.contains("mot de passe à usage unique (hors ligne)"),
        "{session}"
    );
    shot(&chrome, "12-offline-session").await;
    chrome.close().await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_attempts_pause_offline_codes_and_the_qr_still_logs_in() {
    let _one = BROWSER.lock().await;
    let h = AsyncHarness::start_with(|c| c.offline_lockout_threshold = 2).await;
    let phone = enroll(&h, "gael").await;
    let chrome = launch("fr-FR,fr").await;
    let c = chrome.client();
    c.goto(&h.url("/login")).await.expect("page");
    wait_state(c, "pending", Duration::from_secs(10)).await;
    let (screenshot, png) = shot(&chrome, "20-qr").await;
    c.find(Locator::Id("qr-button"))
        .await
        .expect("QR button")
        .click()
        .await
        .expect("click");
    let run = phone
        .run_async(
            phone_binary(),
            &["offline", &decode_login_qr(&png)],
            Some(WRONG_PIN),
        )
        .await;
    let otp = otp_of(&run);
    for attempt in 0..2 {
        let field = c.find(Locator::Id("otp")).await.expect("otp");
        if attempt == 0 {
            c.find(Locator::Id("tigr-id"))
                .await
                .expect("id")
                .send_keys("gael")
                .await
                .expect("type");
        }
        field.send_keys(&otp).await.expect("type");
        field
            .send_keys(&Key::Enter.to_string())
            .await
            .expect("submit");
        if attempt == 0 {
            wait_js(
                c,
                "return document.getElementById('offline-error').textContent.includes('Il reste 1 essai');",
                Duration::from_secs(5),
                "one attempt left",
            )
            .await;
        }
    }
    // Offline codes are paused for this Tigr ID (the default first pause: 15 min); the
    // page says until when, and that the QR still works.
    wait_js(
        c,
        "return document.getElementById('offline-error').textContent.includes('Saisie hors connexion suspendue pour ce compte jusqu');",
        Duration::from_secs(5),
        "offline codes paused",
    )
    .await;
    let error = js_string(
        c,
        "return document.getElementById('offline-error').textContent;",
    )
    .await;
    assert!(error.contains("(dans 15 min)"), "{error}");
    assert!(error.contains("La connexion par QR code"), "{error}");
    assert_eq!(page_state(c).await, "pending", "the login goes on");
    shot(&chrome, "21-offline-paused").await;

    // The phone approves the same QR with the right PIN: the page logs in by itself.
    let screenshot = screenshot.to_string_lossy().into_owned();
    let run = phone
        .run_async(phone_binary(), &["approve", screenshot.as_str()], Some(PIN))
        .await;
    assert!(run.ok, "{run:?}");
    wait_for_path(c, "/session", Duration::from_secs(10)).await;
    assert!(body_text(c).await.contains("gael"));
    chrome.close().await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_pins_on_the_phone_block_and_the_page_says_so_live() {
    let _one = BROWSER.lock().await;
    // Two wrong PINs block until an administrator unblocks.
    let h = AsyncHarness::start_with(|c| {
        c.lockout_threshold = 2;
        c.lockout_duration = 0;
    })
    .await;
    let phone = enroll(&h, "jade").await;
    let chrome = launch("fr-FR,fr").await;
    let c = chrome.client();
    c.goto(&h.url("/login")).await.expect("page");
    wait_state(c, "pending", Duration::from_secs(10)).await;
    let id = challenge_id(c).await;
    let (screenshot, _) = shot(&chrome, "22-before-wrong-pins").await;
    let screenshot = screenshot.to_string_lossy().into_owned();
    let args = ["approve", screenshot.as_str()];

    // First wrong PIN: counted, the QR stays usable.
    let first = phone
        .run_async(phone_binary(), &args, Some(WRONG_PIN))
        .await;
    assert!(!first.ok, "{first:?}");
    assert!(first.stderr.contains("Il reste 1 essai"), "{first:?}");
    wait_state(c, "scanned", Duration::from_secs(5)).await;

    // Second: the account is blocked, and the page learns it by itself.
    mark_page(c).await;
    let (in_page, second) = tokio::join!(
        until_state_in_page(c, "blocked"),
        phone.run_async(phone_binary(), &args, Some(WRONG_PIN)),
    );
    assert!(!second.ok, "{second:?}");
    assert_eq!(
        in_page["marker"], "set-before-approval",
        "no reload: {in_page}"
    );
    assert_eq!(in_page["challenge"], id.as_str(), "same QR: {in_page}");
    let body = body_text(c).await;
    assert!(body.contains("Compte bloqué"), "{body}");
    assert!(body.contains("Contactez votre administrateur"), "{body}");
    assert!(
        js(
            c,
            "return document.getElementById('qr-area').offsetParent === null;"
        )
        .await
            == Value::Bool(true),
        "the QR of a blocked login is no longer shown"
    );
    shot(&chrome, "23-blocked-live").await;

    // The right PIN is refused too, and the page stays on the block.
    let right = phone.run_async(phone_binary(), &args, Some(PIN)).await;
    assert!(!right.ok, "{right:?}");
    assert_eq!(page_state(c).await, "blocked");
    chrome.close().await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn this_was_not_me_shows_the_denial_and_offers_a_new_qr() {
    let _one = BROWSER.lock().await;
    let h = AsyncHarness::start().await;
    let phone = enroll(&h, "hugo").await;
    let chrome = launch("fr-FR,fr").await;
    let c = chrome.client();
    c.goto(&h.url("/login")).await.expect("page");
    wait_state(c, "pending", Duration::from_secs(10)).await;
    let id = challenge_id(c).await;
    let (screenshot, _) = shot(&chrome, "30-before-denial").await;
    mark_page(c).await;
    let screenshot = screenshot.to_string_lossy().into_owned();
    let args = ["deny", screenshot.as_str()];
    let (in_page, run) = tokio::join!(
        until_state_in_page(c, "denied"),
        phone.run_async(phone_binary(), &args, None),
    );
    assert!(run.ok, "{run:?}");
    assert_eq!(in_page["marker"], "set-before-approval");
    let body = body_text(c).await;
    assert!(
        body.contains("Connexion refusée depuis le téléphone"),
        "{body}"
    );
    assert!(body.contains("ce n'était pas moi"), "{body}");
    assert!(
        js(
            c,
            "return document.getElementById('qr-area').offsetParent === null;"
        )
        .await
            == Value::Bool(true),
        "the denied QR is no longer shown"
    );
    shot(&chrome, "31-denied").await;
    assert_eq!(c.current_url().await.expect("url").path(), "/login");

    c.find(Locator::Css("[data-for='denied'] .renew-button"))
        .await
        .expect("new QR button")
        .click()
        .await
        .expect("click");
    wait_state(c, "pending", Duration::from_secs(5)).await;
    let new_id = challenge_id(c).await;
    assert_ne!(new_id, id);
    // A QR asked for is announced.
    wait_js(
        c,
        "return (window.__tigrAnnounced || []).some((t) => t.includes('Nouveau QR code affiché'));",
        Duration::from_secs(5),
        "the new QR announced",
    )
    .await;
    let (_, png) = shot(&chrome, "32-new-qr-after-denial").await;
    assert!(decode_login_qr(&png).contains(&new_id));
    chrome.close().await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_qr_is_renewed_before_it_expires_and_expiry_is_shown() {
    let _one = BROWSER.lock().await;
    // 6 s lifetime: the page renews about 1 s before the end.
    let h = AsyncHarness::start_with(|c| c.challenge_ttl = 6).await;
    let phone = enroll(&h, "ines").await;
    let chrome = launch("fr-FR,fr").await;
    let c = chrome.client();
    c.goto(&h.url("/login")).await.expect("page");
    wait_state(c, "pending", Duration::from_secs(10)).await;
    let first = challenge_id(c).await;
    let (_, png) = shot(&chrome, "40-first-qr").await;
    let first_payload = decode_login_qr(&png);
    mark_page(c).await;
    wait_js(
        c,
        &format!("return document.getElementById('login').dataset.challenge !== '{first}';"),
        Duration::from_secs(10),
        "a renewed QR",
    )
    .await;
    assert_eq!(page_state(c).await, "pending");
    assert_eq!(
        js(c, "return window.__tigrMarker;").await,
        "set-before-approval",
        "renewed in place"
    );
    let (screenshot, png) = shot(&chrome, "41-renewed-qr").await;
    let second_payload = decode_login_qr(&png);
    assert_ne!(first_payload, second_payload, "a new QR is on the screen");
    let second = challenge_id(c).await;
    assert!(second_payload.contains(&second));
    // Renewing by itself is no news for a screen reader: nothing is announced.
    let said = announced(c).await;
    assert!(
        said.is_empty(),
        "an automatic renewal is not announced: {said:?}"
    );

    // The renewed QR works.
    let run = phone
        .run_async(
            phone_binary(),
            &["approve", &screenshot.to_string_lossy()],
            Some(PIN),
        )
        .await;
    assert!(run.ok, "{run:?}");
    wait_for_path(c, "/session", Duration::from_secs(10)).await;

    // Expiry: with the offline form open, the QR is not renewed (the password is bound to
    // it); when it runs out the page says so and offers a new one.
    c.delete_all_cookies().await.expect("cookies");
    c.goto(&h.url("/login?mode=offline")).await.expect("page");
    wait_state(c, "expired", Duration::from_secs(15)).await;
    let body = body_text(c).await;
    assert!(body.contains("QR code expiré"), "{body}");
    shot(&chrome, "42-expired").await;
    c.find(Locator::Css("[data-for='expired'] .renew-button"))
        .await
        .expect("new QR button")
        .click()
        .await
        .expect("click");
    wait_state(c, "pending", Duration::from_secs(5)).await;
    assert!(
        js(c, "return !document.getElementById('qr-area').hidden;").await == Value::Bool(true),
        "back to the QR"
    );
    chrome.close().await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_ends_the_session_on_the_server() {
    let _one = BROWSER.lock().await;
    let h = AsyncHarness::start().await;
    let phone = enroll(&h, "jules").await;
    let chrome = launch("fr-FR,fr").await;
    let c = chrome.client();
    c.goto(&h.url("/login")).await.expect("page");
    wait_state(c, "pending", Duration::from_secs(10)).await;
    let (screenshot, _) = shot(&chrome, "50-login").await;
    let run = phone
        .run_async(
            phone_binary(),
            &["approve", &screenshot.to_string_lossy()],
            Some(PIN),
        )
        .await;
    assert!(run.ok, "{run:?}");
    wait_for_path(c, "/session", Duration::from_secs(10)).await;
    let cookie = c
        .get_all_cookies()
        .await
        .expect("cookies")
        .into_iter()
        .find(|k| k.name() == "tigr_session")
        .expect("session cookie");
    assert_eq!(cookie.http_only(), Some(true));
    let old = format!("tigr_session={}", cookie.value());
    let (status, _) = raw_http(h.addr(), "GET", "/session", &[("cookie", &old)], "").await;
    assert_eq!(status, 200, "the cookie opens the session before logout");

    // The obvious button (keyboard-reachable), in the page and in the header.
    let buttons = c
        .find_all(Locator::Css("form[action='/logout'] button"))
        .await
        .expect("logout buttons");
    assert_eq!(buttons.len(), 2);
    buttons[1].click().await.expect("logout");
    wait_for_path(c, "/login", Duration::from_secs(10)).await;
    wait_state(c, "pending", Duration::from_secs(10)).await;
    assert!(body_text(c).await.contains("Vous êtes déconnecté"));
    shot(&chrome, "51-logged-out").await;

    let (status, reply) = raw_http(h.addr(), "GET", "/session", &[("cookie", &old)], "").await;
    assert_eq!(status, 303, "the old cookie no longer works: {reply}");
    assert!(reply.contains("location: /login?return="), "{reply}");
    chrome.close().await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn english_and_the_language_switch() {
    let _one = BROWSER.lock().await;
    let h = AsyncHarness::start().await;
    let chrome = launch("en-US,en").await;
    let c = chrome.client();
    c.goto(&h.url("/login")).await.expect("page");
    wait_state(c, "pending", Duration::from_secs(10)).await;
    let body = body_text(c).await;
    assert!(
        body.contains("Scan the QR code with the Tigr app before the time runs out"),
        "{body}"
    );
    assert_eq!(
        js_string(c, "return document.documentElement.lang;").await,
        "en"
    );
    shot(&chrome, "60-english").await;

    // Keyboard: the first Tab reaches the skip link, and the focus is visible.
    c.find(Locator::Css("body"))
        .await
        .expect("body")
        .send_keys(&Key::Tab.to_string())
        .await
        .expect("tab");
    assert_eq!(
        js_string(c, "return document.activeElement.className;").await,
        "skip-link"
    );
    let outline = js_string(
        c,
        "return getComputedStyle(document.activeElement).outlineStyle;",
    )
    .await;
    assert_eq!(outline, "solid", "visible focus");

    c.find(Locator::LinkText("Français"))
        .await
        .expect("switch")
        .click()
        .await
        .expect("click");
    wait_js(
        c,
        "return document.documentElement.lang === 'fr';",
        Duration::from_secs(10),
        "French page",
    )
    .await;
    wait_state(c, "pending", Duration::from_secs(10)).await;
    assert!(body_text(c).await.contains("Scannez le QR code"));
    // Remembered: a plain visit stays French despite the English browser.
    c.goto(&h.url("/login")).await.expect("page");
    wait_state(c, "pending", Duration::from_secs(10)).await;
    assert_eq!(
        js_string(c, "return document.documentElement.lang;").await,
        "fr"
    );
    chrome.close().await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_shown_and_the_page_recovers() {
    let _one = BROWSER.lock().await;
    let mut h = AsyncHarness::start().await;
    let phone = enroll(&h, "kim").await;
    let chrome = launch("fr-FR,fr").await;
    let c = chrome.client();
    c.goto(&h.url("/login")).await.expect("page");
    wait_state(c, "pending", Duration::from_secs(10)).await;
    let (screenshot, _) = shot(&chrome, "70-before-outage").await;
    mark_page(c).await;

    h.stop().await;
    wait_state(c, "unreachable", Duration::from_secs(15)).await;
    assert!(body_text(c).await.contains("Serveur injoignable"));
    shot(&chrome, "71-unreachable").await;

    h.resume().await;
    wait_state(c, "pending", Duration::from_secs(15)).await;
    // The way back is announced too.
    wait_js(
        c,
        "return (window.__tigrAnnounced || []).some((t) => t.includes('Connexion au serveur rétablie'));",
        Duration::from_secs(5),
        "the way back announced",
    )
    .await;
    let run = phone
        .run_async(
            phone_binary(),
            &["approve", &screenshot.to_string_lossy()],
            Some(PIN),
        )
        .await;
    assert!(run.ok, "the same QR still works after the restart: {run:?}");
    wait_for_path(c, "/session", Duration::from_secs(15)).await;
    assert!(body_text(c).await.contains("kim"));
    chrome.close().await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_live_connections_from_one_address_are_explained_then_retried() {
    let _one = BROWSER.lock().await;
    // One live channel per address, held by another client of 127.0.0.1 for 4 s.
    let h = AsyncHarness::start_with(|c| c.max_live_per_client = Some(1)).await;
    let (status, created) = raw_http(
        h.addr(),
        "POST",
        "/api/v1/login/challenges",
        &[("content-type", "application/json")],
        "{}",
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let body = &created[created.find('{').expect("JSON body")..];
    let created: Value = serde_json::from_str(body).expect("JSON");
    let (id, token) = (
        created["challenge_id"].as_str().expect("id").to_owned(),
        created["browser_token"].as_str().expect("token").to_owned(),
    );
    let addr = h.addr();
    let holder = tokio::spawn(async move {
        raw_http(
            addr,
            "GET",
            &format!("/api/v1/login/challenges/{id}/status?wait=4"),
            &[("x-tigr-browser-token", &token)],
            "",
        )
        .await
    });
    tokio::time::timeout(Duration::from_secs(10), async {
        while !raw_http(addr, "GET", "/metrics", &[], "")
            .await
            .1
            .contains("\ntigr_live_channels 1\n")
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the other client's long poll waits");
    let chrome = launch("fr-FR,fr").await;
    let c = chrome.client();
    c.goto(&h.url("/login")).await.expect("page");
    // The page's event stream and long poll are refused: it says why and waits.
    wait_state(c, "busy", Duration::from_secs(15)).await;
    let body = body_text(c).await;
    assert!(
        body.contains("Trop de connexions depuis votre adresse"),
        "{body}"
    );
    assert!(
        body.contains("Trop de connexions en attente depuis votre adresse"),
        "the server's reason: {body}"
    );
    shot(&chrome, "80-busy").await;
    // The other channel ends: the page tries again by itself and shows its QR live again.
    let (status, reply) = holder.await.expect("holder");
    assert_eq!(status, 200, "{reply}");
    wait_state(c, "pending", Duration::from_secs(30)).await;
    chrome.close().await;
    h.shutdown().await;
}
