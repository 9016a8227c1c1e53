//! The login page's OTP mode in a real browser (headless Chromium through chromedriver), a
//! real server on loopback, a real SMTP server process (aiosmtpd, tests/src/smtp.rs) whose
//! mailbox the test reads as the clinician reads her mail, and the real `tigr-phone` binary
//! for the QR login beside it.
//!
//! Also the axe-core audit (WCAG 2.1 A/AA, tests/src/accessibility.rs) of every state of the
//! login method pages, in French and in English.
//!
//! Screenshots in `target/browser-artifacts/browser_otp/`.

use std::path::Path;
use std::time::Duration;

use fantoccini::Client;
use serde_json::Value;
use tigr_server::Config;
use tigr_server::admin::Actor;
use tigr_server::test_pki::TestPki;
use tigr_tests::accessibility::{assert_wcag_clean, wcag_violations};
use tigr_tests::harness::{AsyncHarness, Phone};
use tigr_tests::oathtool::totp_now;
use tigr_tests::smtp::{SmtpServer, account_invited_to_a_password, relay};
use tigr_tests::web_flows::{
    active_id, body_text, click, enrolled_phone, js, js_string, launch, shot, submit_and_wait,
    text, type_into, wait_for_element, wait_for_path, wait_js, wait_login_state,
};
use tigr_tests::webdriver::HeadlessChrome;

const SUITE: &str = "browser_otp";
const PIN: &str = "2580";
const WRONG_PIN: &str = "1379";
const PASSWORD: &str = "tranquille chevreuil du matin";

/// One browser at a time: the machine has two cores.
static BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn phone_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_tigr-phone"))
}

/// What each test starts from: an SMTP server process, a server mailing its codes through
/// it (adjusted by `tweak`) and a browser preferring `language`.
struct Scene {
    smtp: SmtpServer,
    h: AsyncHarness,
    chrome: HeadlessChrome,
}

async fn scene(language: &str, tweak: impl FnOnce(&mut Config)) -> Scene {
    let smtp = SmtpServer::start().await;
    let port = smtp.port;
    let h = AsyncHarness::start_with(|c| {
        c.otp.smtp = Some(relay(port));
        tweak(c);
    })
    .await;
    let chrome = launch(language).await;
    Scene { smtp, h, chrome }
}

/// Creates `id` (e-mail `<id>@hopital.test`), and its owner chooses [`PASSWORD`] in the
/// browser through the invitation link an administrator gives her.
async fn account_with_password(chrome: &HeadlessChrome, h: &AsyncHarness, id: &str) {
    let invitation = account_invited_to_a_password(&h.config, &Actor::cli("tester"), id).await;
    let c = chrome.client();
    c.goto(&invitation.link).await.expect("invitation page");
    type_into(c, "password-new", PASSWORD).await;
    type_into(c, "password-confirm", PASSWORD).await;
    click(c, "#password-submit").await;
    wait_for_element(c, "#password-done", Duration::from_secs(20)).await;
}

/// Types the Tigr ID and the password and asks for a code by e-mail; waits for the page
/// that says it was sent.
async fn ask_for_code(c: &Client, id: &str) {
    type_into(c, "otp-tigr-id", id).await;
    type_into(c, "otp-password", PASSWORD).await;
    click(c, "#otp-send").await;
    wait_for_element(c, "#otp-notice", Duration::from_secs(20)).await;
}

/// Submits the OTP form with the password and `code` (the Tigr ID stays filled in).
async fn submit_code(c: &Client, code: &str) {
    type_into(c, "otp-password", PASSWORD).await;
    type_into(c, "otp-code", code).await;
    submit_and_wait(c, "#otp-submit").await;
}

/// Waits until the OTP form shows a refusal containing `expected`; its text.
async fn wait_otp_error(c: &Client, expected: &str) -> String {
    wait_js(
        c,
        &format!(
            "const e = document.getElementById('otp-error');
             return !!e && e.textContent.includes({});",
            Value::from(expected)
        ),
        Duration::from_secs(20),
        expected,
    )
    .await;
    text(c, "#otp-error").await
}

/// A code other than `code`, of the same length.
fn wrong_code(code: &str) -> String {
    code.chars()
        .map(|d| char::from(b'0' + (d as u8 - b'0' + 1) % 10))
        .collect()
}

/// The accessibility of the OTP form as it stands: every field labelled; with a refusal,
/// the refusal focused, announced (`role=alert`) and tied to every field (`aria-invalid`,
/// `aria-describedby`).
async fn assert_form_accessible(c: &Client, refused: bool) {
    let fields = js(
        c,
        "return Array.from(document.querySelectorAll('#otp-form input:not([type=hidden])'))
           .map((i) => ({ id: i.id, labels: Array.from(i.labels).map((l) => l.textContent.trim()),
                          invalid: i.getAttribute('aria-invalid'),
                          described: (i.getAttribute('aria-describedby') || '').split(' ')
                            .filter(Boolean)
                            .map((id) => document.getElementById(id) ? id : '(missing ' + id + ')') }));",
    )
    .await;
    let fields = fields.as_array().expect("fields");
    let ids: Vec<&str> = fields.iter().filter_map(|f| f["id"].as_str()).collect();
    assert_eq!(
        ids,
        ["otp-tigr-id", "otp-password", "otp-code"],
        "{fields:?}"
    );
    for field in fields {
        let labels = field["labels"].as_array().expect("labels");
        assert_eq!(labels.len(), 1, "one label: {field}");
        assert!(
            !labels[0].as_str().unwrap_or("").is_empty(),
            "a label with text: {field}"
        );
        let described: Vec<&str> = field["described"]
            .as_array()
            .expect("ids")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            !described.iter().any(|d| d.starts_with("(missing")),
            "{field}"
        );
        if refused {
            assert_eq!(field["invalid"], "true", "{field}");
            assert!(described.contains(&"otp-error"), "{field}");
        } else {
            assert_eq!(field["invalid"], Value::Null, "{field}");
            assert!(!described.contains(&"otp-error"), "{field}");
        }
    }
    assert_eq!(
        js_string(
            c,
            "return document.getElementById('otp-error').getAttribute('role');"
        )
        .await,
        "alert"
    );
    if refused {
        assert_eq!(
            active_id(c).await,
            "otp-error",
            "the refusal takes the focus"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_method_choice_goes_to_the_otp_form_and_back_and_is_remembered() {
    let _one = BROWSER.lock().await;
    let Scene {
        smtp: _smtp,
        h,
        chrome,
    } = scene("fr-FR,fr", |_| {}).await;
    let c = chrome.client();

    // QR by default; its entry is the current one.
    c.goto(&h.url("/login")).await.expect("login page");
    wait_login_state(c, "pending", Duration::from_secs(10)).await;
    assert_eq!(
        js_string(
            c,
            "return document.querySelector('a.login-method[aria-current=page]').dataset.method;"
        )
        .await,
        "qr"
    );
    let nav = text(c, "nav.login-methods").await;
    assert!(nav.contains("Code QR"), "{nav}");
    assert!(
        nav.contains("OTP (identifiant, mot de passe et code)"),
        "{nav}"
    );
    shot(&chrome, SUITE, "01-methods-qr").await;

    click(c, "a.login-method[data-method='otp']").await;
    wait_for_path(c, "/login/otp", Duration::from_secs(10)).await;
    assert_eq!(c.title().await.expect("title"), "Connexion par OTP · Tigr");
    let body = body_text(c).await;
    assert!(body.contains("Envoyer OTP par courriel"), "{body}");
    assert_eq!(
        js_string(
            c,
            "return document.querySelector('a.login-method[aria-current=page]').dataset.method;"
        )
        .await,
        "otp"
    );
    shot(&chrome, SUITE, "02-methods-otp").await;

    // Remembered: a plain visit of /login goes to the OTP form.
    c.goto(&h.url("/login")).await.expect("login page");
    wait_for_path(c, "/login/otp", Duration::from_secs(10)).await;
    let remembered = c
        .get_named_cookie("tigr_method")
        .await
        .expect("the choice is kept in a cookie");
    assert_eq!(remembered.value(), "otp");

    // Back to the QR, which is then remembered in turn.
    click(c, "a.login-method[data-method='qr']").await;
    wait_for_path(c, "/login", Duration::from_secs(10)).await;
    wait_login_state(c, "pending", Duration::from_secs(10)).await;
    c.goto(&h.url("/login")).await.expect("login page");
    wait_login_state(c, "pending", Duration::from_secs(10)).await;
    assert_eq!(c.current_url().await.expect("url").path(), "/login");
    chrome.close().await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_read_from_the_mailbox_opens_the_session() {
    let _one = BROWSER.lock().await;
    let Scene { smtp, h, chrome } = scene("fr-FR,fr", |_| {}).await;
    let c = chrome.client();
    account_with_password(&chrome, &h, "alice").await;

    c.goto(&h.url("/login/otp")).await.expect("OTP page");
    assert_form_accessible(c, false).await;
    ask_for_code(c, "alice").await;
    let notice = text(c, "#otp-notice").await;
    assert!(notice.contains("un OTP a été envoyé"), "{notice}");
    assert!(
        notice.contains("(UTC+"),
        "the validity end with its offset: {notice}"
    );
    assert_eq!(
        js_string(
            c,
            "return document.getElementById('otp-notice').getAttribute('role');"
        )
        .await,
        "status",
        "the notice is announced"
    );
    assert_eq!(
        active_id(c).await,
        "otp-code",
        "the focus waits in the OTP field"
    );
    shot(&chrome, SUITE, "10-code-sent").await;

    let mail = smtp.message(1).await;
    assert_eq!(mail.header("to"), "alice@hopital.test");
    assert!(mail.body.contains("valable jusqu'à"), "{}", mail.body);
    let code = mail.code();
    submit_code(c, &code).await;
    wait_for_path(c, "/session", Duration::from_secs(20)).await;
    let session = body_text(c).await;
    assert!(session.contains("Dr alice"), "{session}");
    assert!(
        session.contains("identifiant, mot de passe et OTP par courriel"),
        "{session}"
    );
    shot(&chrome, SUITE, "11-session").await;
    chrome.close().await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_totp_token_code_typed_in_the_browser_opens_the_session() {
    // "12345678901234567890" (RFC 6238's SHA1 secret) in base32.
    const SECRET_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let _one = BROWSER.lock().await;
    let Scene {
        smtp: _smtp,
        h,
        chrome,
    } = scene("fr-FR,fr", |_| {}).await;
    let c = chrome.client();
    account_with_password(&chrome, &h, "alice").await;
    let admin = tigr_server::admin::AdminService::open(&h.config)
        .await
        .expect("admin");
    let operator = Actor::cli("tester");
    admin
        .import_tokens(
            &operator,
            &format!("serial,secret,type,digits,period_or_counter\nTK-7,{SECRET_B32},totp,6,30\n"),
        )
        .await
        .expect("token file");
    admin
        .assign_token(&operator, "alice", "TK-7")
        .await
        .expect("assigned");

    c.goto(&h.url("/login/otp")).await.expect("OTP page");
    type_into(c, "otp-tigr-id", "alice").await;
    submit_code(c, &totp_now(SECRET_B32)).await;
    wait_for_path(c, "/session", Duration::from_secs(20)).await;
    let session = body_text(c).await;
    assert!(session.contains("Dr alice"), "{session}");
    assert!(
        session.contains("identifiant, mot de passe et OTP d'un jeton"),
        "{session}"
    );
    shot(&chrome, SUITE, "12-token-session").await;
    chrome.close().await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_codes_count_down_then_pause_the_otp_form_and_the_qr_still_logs_in() {
    let _one = BROWSER.lock().await;
    let Scene { smtp, h, chrome } = scene("fr-FR,fr", |c| c.otp.lockout_threshold = 2).await;
    let c = chrome.client();
    account_with_password(&chrome, &h, "bruno").await;
    let phone = enrolled_phone(&h, phone_binary(), "bruno", PIN).await;

    c.goto(&h.url("/login/otp")).await.expect("OTP page");
    ask_for_code(c, "bruno").await;
    let code = smtp.message(1).await.code();
    submit_code(c, &wrong_code(&code)).await;
    let error = wait_otp_error(c, "Il reste 1 essai").await;
    assert!(
        error.starts_with("Identifiant, mot de passe ou OTP incorrect."),
        "{error}"
    );
    assert_form_accessible(c, true).await;
    assert_eq!(
        js_string(c, "return document.getElementById('otp-tigr-id').value;").await,
        "bruno",
        "the Tigr ID stays typed"
    );
    shot(&chrome, SUITE, "20-wrong-code").await;

    // The second failure pauses the OTP form for this Tigr ID, even for the right code.
    submit_code(c, &wrong_code(&code)).await;
    let paused = wait_otp_error(c, "suspendue pour cet identifiant").await;
    assert!(paused.contains("(dans 15 min)"), "{paused}");
    assert!(
        paused.contains("La connexion par QR code reste possible"),
        "{paused}"
    );
    submit_code(c, &code).await;
    wait_otp_error(c, "suspendue pour cet identifiant").await;
    assert_form_accessible(c, true).await;
    shot(&chrome, SUITE, "21-paused").await;

    // The QR login of the same account works: the phone approves, the page logs in.
    click(c, "a.login-method[data-method='qr']").await;
    wait_for_path(c, "/login", Duration::from_secs(10)).await;
    wait_login_state(c, "pending", Duration::from_secs(10)).await;
    let (screenshot, _) = shot(&chrome, SUITE, "22-qr-after-pause").await;
    let run = phone
        .run_async(
            phone_binary(),
            &["approve", &screenshot.to_string_lossy()],
            Some(PIN),
        )
        .await;
    assert!(run.ok, "the phone's login is not paused: {run:?}");
    wait_for_path(c, "/session", Duration::from_secs(15)).await;
    let session = body_text(c).await;
    assert!(session.contains("Dr bruno"), "{session}");
    assert!(
        session.contains("QR code approuvé sur le téléphone"),
        "{session}"
    );
    chrome.close().await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_otp_form_speaks_english() {
    let _one = BROWSER.lock().await;
    let Scene { smtp, h, chrome } = scene("en-US,en", |_| {}).await;
    let c = chrome.client();
    account_with_password(&chrome, &h, "chloe").await;

    c.goto(&h.url("/login/otp")).await.expect("OTP page");
    assert_eq!(
        c.title().await.expect("title"),
        "Sign in with an OTP · Tigr"
    );
    assert_eq!(
        js_string(c, "return document.documentElement.lang;").await,
        "en"
    );
    let body = body_text(c).await;
    assert!(body.contains("Send OTP by e-mail"), "{body}");
    assert!(body.contains("Tigr ID, password and OTP"), "{body}");

    // An empty form: the refusal says what is missing, focused and announced.
    click(c, "#otp-submit").await;
    let missing = wait_otp_error(c, "Type the Tigr ID, the password and the OTP.").await;
    assert!(!missing.is_empty());
    assert_form_accessible(c, true).await;
    shot(&chrome, SUITE, "30-english-missing").await;

    ask_for_code(c, "chloe").await;
    assert!(text(c, "#otp-notice").await.contains("an OTP was sent"));
    let mail = smtp.message(1).await;
    assert!(mail.body.contains("It is valid until "), "{}", mail.body);
    let code = mail.code();
    submit_code(c, &wrong_code(&code)).await;
    let error = wait_otp_error(c, "Wrong Tigr ID, password or OTP. 4 attempts left").await;
    assert!(
        error.contains("before sign-in with an OTP is paused"),
        "{error}"
    );
    shot(&chrome, SUITE, "31-english-wrong-code").await;
    submit_code(c, &code).await;
    wait_for_path(c, "/session", Duration::from_secs(20)).await;
    let session = body_text(c).await;
    assert!(session.contains("Signed in as"), "{session}");
    assert!(session.contains("Dr chloe"), "{session}");

    // `?lang=en` turns a French browser's page to English too.
    let french = launch("fr-FR,fr").await;
    let f = french.client();
    f.goto(&h.url("/login/otp?lang=en")).await.expect("page");
    assert_eq!(
        f.title().await.expect("title"),
        "Sign in with an OTP · Tigr"
    );
    french.close().await;
    chrome.close().await;
    h.shutdown().await;
}

/// Freezes the page in its state: its timers (countdown, renewal, the move to the session
/// page) are cleared, so that the audit sees the state it was started in.
async fn freeze(c: &Client) {
    js(
        c,
        "let last = setTimeout(() => {}, 0);
         while (last > 0) { clearTimeout(last); clearInterval(last); last -= 1; }
         return true;",
    )
    .await;
}

/// Saves a screenshot of the page (the phone reads its QR from it); its path.
async fn qr_screenshot(chrome: &HeadlessChrome, name: &str) -> String {
    let (path, _) = shot(chrome, SUITE, name).await;
    path.to_string_lossy().into_owned()
}

/// The phone fetches the login context of the QR in the screenshot: the page says
/// "scanned".
async fn scan(h: &AsyncHarness, payload: &str) {
    let qr = tigr_tests::harness::login_qr(payload);
    let origin = h.origin();
    tokio::task::spawn_blocking(move || {
        let transport = tigr_core::client::UreqTransport::new();
        tigr_core::client::ServerClient::new(&transport, &origin, "fr")
            .login_context(&qr.challenge_id, &qr.nonce)
            .expect("context")
    })
    .await
    .expect("context thread");
}

/// Audits one state: the page's language is `lang`, and axe-core finds nothing.
async fn audit(chrome: &HeadlessChrome, lang: &str, state: &str) {
    let c = chrome.client();
    assert_eq!(
        js_string(c, "return document.documentElement.lang;").await,
        lang,
        "{state}"
    );
    shot(chrome, SUITE, &format!("a11y-{lang}-{state}")).await;
    assert_wcag_clean(c, &format!("{state} ({lang})")).await;
}

/// Every state of the login method pages in `language`, each audited with axe-core.
async fn audit_every_state(language: &str, lang: &str) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64;
    let pki = TestPki::new(now);
    let pki_dir = tempfile::tempdir().expect("tempdir");
    let Scene {
        smtp,
        mut h,
        chrome,
    } = scene(language, |c| {
        c.otp.lockout_threshold = 2;
        // One wrong PIN blocks the phone (until an administrator unblocks).
        c.lockout_threshold = 1;
        c.lockout_duration = 0;
        pki.configure(c, pki_dir.path(), &[]);
    })
    .await;
    let c = chrome.client();
    account_with_password(&chrome, &h, "dora").await;
    let phone: Phone = enrolled_phone(&h, phone_binary(), "dora", PIN).await;

    // QR page: pending, scanned, approved.
    c.goto(&h.url("/login")).await.expect("page");
    wait_login_state(c, "pending", Duration::from_secs(10)).await;
    audit(&chrome, lang, "qr-pending").await;
    let (screenshot, png) = shot(&chrome, SUITE, &format!("a11y-{lang}-qr")).await;
    scan(&h, &tigr_tests::web_flows::decode_login_qr(&png)).await;
    wait_login_state(c, "scanned", Duration::from_secs(10)).await;
    audit(&chrome, lang, "qr-scanned").await;
    let run = phone
        .run_async(
            phone_binary(),
            &["approve", &screenshot.to_string_lossy()],
            Some(PIN),
        )
        .await;
    assert!(run.ok, "{run:?}");
    wait_js(
        c,
        "const t = document.getElementById('approved-text');
         return document.getElementById('login').dataset.state === 'approved'
           && t.textContent.includes('dora');",
        Duration::from_secs(10),
        "approved and signed in",
    )
    .await;
    freeze(c).await;
    audit(&chrome, lang, "qr-approved").await;

    // Denied.
    c.delete_all_cookies().await.expect("cookies");
    c.goto(&h.url("/login")).await.expect("page");
    wait_login_state(c, "pending", Duration::from_secs(10)).await;
    let screenshot = qr_screenshot(&chrome, &format!("a11y-{lang}-before-denial")).await;
    let run = phone
        .run_async(phone_binary(), &["deny", &screenshot], None)
        .await;
    assert!(run.ok, "{run:?}");
    wait_login_state(c, "denied", Duration::from_secs(10)).await;
    audit(&chrome, lang, "qr-denied").await;

    // Unreachable, then back.
    click(c, "[data-for='denied'] .renew-button").await;
    wait_login_state(c, "pending", Duration::from_secs(10)).await;
    h.stop().await;
    wait_login_state(c, "unreachable", Duration::from_secs(20)).await;
    audit(&chrome, lang, "qr-unreachable").await;
    h.resume().await;
    wait_login_state(c, "pending", Duration::from_secs(20)).await;

    // The offline form with a refusal.
    c.goto(&h.url("/login?mode=offline")).await.expect("page");
    wait_login_state(c, "pending", Duration::from_secs(10)).await;
    type_into(c, "tigr-id", "dora").await;
    type_into(c, "otp", "12345678").await;
    click(c, "#offline-submit").await;
    wait_js(
        c,
        "return document.getElementById('offline-error').textContent.trim() !== '';",
        Duration::from_secs(10),
        "the offline refusal",
    )
    .await;
    audit(&chrome, lang, "qr-offline-error").await;

    // Blocked, live: a wrong PIN on the phone.
    c.goto(&h.url("/login")).await.expect("page");
    wait_login_state(c, "pending", Duration::from_secs(10)).await;
    let screenshot = qr_screenshot(&chrome, &format!("a11y-{lang}-before-wrong-pin")).await;
    let run = phone
        .run_async(phone_binary(), &["approve", &screenshot], Some(WRONG_PIN))
        .await;
    assert!(!run.ok, "{run:?}");
    wait_login_state(c, "blocked", Duration::from_secs(10)).await;
    audit(&chrome, lang, "qr-blocked").await;

    // OTP page: empty, code sent, refused, paused.
    c.goto(&h.url("/login/otp")).await.expect("page");
    audit(&chrome, lang, "otp-empty").await;
    ask_for_code(c, "dora").await;
    audit(&chrome, lang, "otp-code-sent").await;
    let code = smtp.message(1).await.code();
    submit_code(c, &wrong_code(&code)).await;
    wait_otp_error(
        c,
        if lang == "fr" {
            "Il reste 1 essai"
        } else {
            "1 attempt left"
        },
    )
    .await;
    audit(&chrome, lang, "otp-refused").await;
    submit_code(c, &wrong_code(&code)).await;
    wait_otp_error(
        c,
        if lang == "fr" {
            "suspendue"
        } else {
            "paused for this Tigr ID"
        },
    )
    .await;
    audit(&chrome, lang, "otp-paused").await;

    // CPS card page.
    c.goto(&h.url("/login/cps")).await.expect("page");
    assert_eq!(
        js_string(
            c,
            "return document.querySelector('a.login-method[aria-current=page]').dataset.method;"
        )
        .await,
        "cps"
    );
    audit(&chrome, lang, "cps").await;
    h.shutdown().await;

    // Expired (a short lifetime; the offline form stops the renewals).
    let short = AsyncHarness::start_with(|c| c.challenge_ttl = 4).await;
    c.delete_all_cookies().await.expect("cookies");
    c.goto(&short.url("/login?mode=offline"))
        .await
        .expect("page");
    wait_login_state(c, "expired", Duration::from_secs(20)).await;
    audit(&chrome, lang, "qr-expired").await;
    chrome.close().await;
    short.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_state_of_the_login_method_pages_passes_axe_core_in_french() {
    let _one = BROWSER.lock().await;
    audit_every_state("fr-FR,fr", "fr").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_state_of_the_login_method_pages_passes_axe_core_in_english() {
    let _one = BROWSER.lock().await;
    audit_every_state("en-US,en", "en").await;
}

/// Submits the password invitation form with two different passwords; waits for the
/// refusal.
async fn choose_mismatched_passwords(c: &Client) {
    type_into(c, "password-new", PASSWORD).await;
    type_into(c, "password-confirm", "un autre mot de passe long").await;
    submit_and_wait(c, "#password-submit").await;
    wait_refusal(c, "password-error").await;
}

/// Waits until the element `id` (a form's refusal) has text.
async fn wait_refusal(c: &Client, id: &str) {
    wait_js(
        c,
        &format!(
            "const e = document.getElementById('{id}');
             return !!e && e.textContent.trim().length > 0;"
        ),
        Duration::from_secs(20),
        id,
    )
    .await;
}

/// Every state of the pages opened from an administrator's links, in both languages, each
/// audited with axe-core: choosing a password (empty, refused, done) and enrolling an
/// authenticator app (QR and code field, refused code, done; the code comes from oathtool
/// with the secret the page shows).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_and_token_invitation_pages_pass_axe_core() {
    let _one = BROWSER.lock().await;
    let Scene {
        smtp: _smtp,
        h,
        chrome,
    } = scene("fr-FR,fr", |_| {}).await;
    let c = chrome.client();
    let operator = Actor::cli("tester");
    let password = account_invited_to_a_password(&h.config, &operator, "alice").await;
    let admin = tigr_server::admin::AdminService::open(&h.config)
        .await
        .expect("admin");
    let token = admin
        .invite_token(&operator, "alice")
        .await
        .expect("token invitation");
    admin.close().await;

    for lang in ["en", "fr"] {
        c.goto(&format!("{}?lang={lang}", password.link))
            .await
            .expect("password page");
        audit(&chrome, lang, "password-invitation").await;
        choose_mismatched_passwords(c).await;
        audit(&chrome, lang, "password-refused").await;

        c.goto(&format!("{}?lang={lang}", token.link))
            .await
            .expect("token page");
        audit(&chrome, lang, "token-invitation").await;
        type_into(c, "token-code", "000000").await;
        submit_and_wait(c, "#token-submit").await;
        wait_refusal(c, "token-error").await;
        audit(&chrome, lang, "token-refused").await;
    }

    c.goto(&password.link).await.expect("password page");
    type_into(c, "password-new", PASSWORD).await;
    type_into(c, "password-confirm", PASSWORD).await;
    click(c, "#password-submit").await;
    wait_for_element(c, "#password-done", Duration::from_secs(20)).await;
    audit(&chrome, "fr", "password-done").await;

    c.goto(&token.link).await.expect("token page");
    let secret: String = text(c, "#token-secret")
        .await
        .chars()
        .filter(|ch| !ch.is_whitespace())
        .collect();
    type_into(c, "token-code", &totp_now(&secret)).await;
    click(c, "#token-submit").await;
    wait_js(
        c,
        "return !document.getElementById('token-form');",
        Duration::from_secs(20),
        "the enrollment's end",
    )
    .await;
    let done = body_text(c).await;
    assert!(done.contains("est activée"), "{done}");
    assert!(
        !done.contains(&secret),
        "the secret is not shown again: {done}"
    );
    audit(&chrome, "fr", "token-done").await;
    chrome.close().await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_finds_what_it_looks_for() {
    let _one = BROWSER.lock().await;
    let Scene {
        smtp: _smtp,
        h,
        chrome,
    } = scene("fr-FR,fr", |_| {}).await;
    let c = chrome.client();
    c.goto(&h.url("/login/otp")).await.expect("OTP page");
    assert!(wcag_violations(c).await.is_empty());
    // The page broken on purpose: a field loses its label, a text its contrast.
    js(
        c,
        "document.querySelector('label[for=otp-password]').remove();
         document.getElementById('otp-code-hint').style.color = '#ddd';
         return true;",
    )
    .await;
    let violations = wcag_violations(c).await;
    let ids: Vec<&str> = violations.iter().filter_map(|v| v["id"].as_str()).collect();
    assert!(ids.contains(&"label"), "{ids:?}");
    assert!(ids.contains(&"color-contrast"), "{ids:?}");
    chrome.close().await;
    h.shutdown().await;
}
