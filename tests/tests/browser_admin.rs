//! The admin pages in a real browser (headless Chromium through chromedriver), a real server
//! on loopback and the real `tigr-phone` binary, which reads every QR code (login and
//! enrollment) from a screenshot of the page, as a phone's camera reads a screen.
//!
//! The administrator is set up as on a real server: `AdminService::bootstrap` (what
//! `tigr-server admin bootstrap` runs) prints a setup QR that the administrator's phone
//! enrolls, then the administrator signs in on the normal login page with that phone.
//!
//! **"Without reload"**, as checked here: the invitation page gets a marker on `window` before
//! the second phone enrolls; when the page shows the enrolled phone, the marker is still there
//! and the test issued no navigation in between.
//!
//! Screenshots of every state are saved in `target/browser-artifacts/browser_admin/`.

use std::path::Path;
use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::Value;
use tigr_core::client::{ServerClient, UreqTransport};
use tigr_server::admin::{Actor, AdminService, ClientRegistration};
use tigr_tests::accessibility::assert_wcag_clean;
use tigr_tests::harness::{AsyncHarness, Phone};
use tigr_tests::web_flows::{
    active_id, body_text, click, decode_qr, js, js_string, launch, shot, text, type_into,
    wait_for_path, wait_js, wait_login_state,
};
use tigr_tests::webdriver::HeadlessChrome;

const SUITE: &str = "browser_admin";
const PIN: &str = "2580";
const OTHER_PIN: &str = "4826";
const WRONG_PIN: &str = "1379";

/// One browser at a time: the machine has two cores.
static BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn phone_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_tigr-phone"))
}

/// Sets up the first administrator as `tigr-server admin bootstrap root` does, and enrolls
/// the administrator's phone with the setup QR.
async fn bootstrap_admin(h: &AsyncHarness) -> Phone {
    let service = AdminService::open(&h.config).await.expect("service");
    let setup = service
        .bootstrap(&Actor::cli("ops"), "root", Some("Équipe SI"), false)
        .await
        .expect("bootstrap");
    service.close().await;
    let phone = h.phone("admin-phone");
    let run = phone
        .run_async(
            phone_binary(),
            &[
                "enroll",
                &setup.qr_payload,
                "--device-name",
                "iPhone de l'équipe SI",
            ],
            Some(PIN),
        )
        .await;
    assert!(run.ok, "the administrator's phone enrolls: {run:?}");
    phone
}

/// Signs in: the browser asks for `/admin`, lands on the login page, the phone approves the
/// QR read from a screenshot, and the page goes on to `/admin` by itself.
async fn sign_in(chrome: &HeadlessChrome, h: &AsyncHarness, phone: &Phone) {
    let c = chrome.client();
    c.goto(&h.url("/admin")).await.expect("admin page");
    wait_for_path(c, "/login", Duration::from_secs(10)).await;
    wait_login_state(c, "pending", Duration::from_secs(10)).await;
    let url = c.current_url().await.expect("url");
    assert_eq!(url.query(), Some("return=%2Fadmin"), "{url}");
    let (screenshot, _) = shot(chrome, SUITE, "01-login-to-admin").await;
    let run = phone
        .run_async(
            phone_binary(),
            &["approve", &screenshot.to_string_lossy()],
            Some(PIN),
        )
        .await;
    assert!(run.ok, "the administrator approves: {run:?}");
    wait_for_path(c, "/admin", Duration::from_secs(10)).await;
}

/// A login QR payload of a new challenge (a login page elsewhere), for the phones.
async fn login_payload(h: &AsyncHarness) -> String {
    let origin = h.origin();
    tokio::task::spawn_blocking(move || {
        let transport = UreqTransport::new();
        ServerClient::new(&transport, &origin, "fr")
            .create_challenge()
            .expect("challenge")
            .qr_payload
    })
    .await
    .expect("challenge thread")
}

/// A clinician's account made from the command line's service, and its phone enrolled
/// with [`OTHER_PIN`] under the name `device`.
async fn clinician_with_phone(h: &AsyncHarness, id: &str, name: &str, device: &str) -> Phone {
    let service = AdminService::open(&h.config).await.expect("service");
    let invitation = service
        .enroll(&Actor::cli("ops"), id, Some(name), None)
        .await
        .expect("invitation");
    service.close().await;
    let phone = h.phone(&format!("{id}-phone"));
    let run = phone
        .run_async(
            phone_binary(),
            &["enroll", &invitation.qr_payload, "--device-name", device],
            Some(OTHER_PIN),
        )
        .await;
    assert!(run.ok, "{run:?}");
    phone
}

/// Five wrong PINs from `phone`: its account is blocked.
async fn block_with_wrong_pins(h: &AsyncHarness, phone: &Phone) {
    for attempt in 1..=5 {
        let payload = login_payload(h).await;
        let run = phone
            .run_async(phone_binary(), &["approve", &payload], Some(WRONG_PIN))
            .await;
        assert!(!run.ok, "attempt {attempt}: {run:?}");
        if attempt == 5 {
            assert!(run.stderr.to_lowercase().contains("bloqué"), "{run:?}");
        }
    }
}

/// On an account's enrollment page, a new invitation: waits for the page of its QR sheet.
async fn new_invitation(c: &Client) {
    click(c, "#enroll-submit").await;
    wait_js(
        c,
        "const l = document.getElementById('enroll-live');
         return !!l && l.dataset.status === 'pending';",
        Duration::from_secs(10),
        "the invitation page",
    )
    .await;
}

/// Scrolls the element `css` into the middle of the window (before a screenshot).
async fn scroll_to(c: &Client, css: &str) {
    js(
        c,
        &format!(
            "document.querySelector(\"{css}\").scrollIntoView({{ block: 'center' }}); return true;"
        ),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_creates_an_account_and_sees_its_phone_enroll_live() {
    let _one = BROWSER.lock().await;
    let h = AsyncHarness::start().await;
    let admin_phone = bootstrap_admin(&h).await;
    let chrome = launch("fr-FR,fr").await;
    let c = chrome.client();
    sign_in(&chrome, &h, &admin_phone).await;

    // The dashboard.
    assert_eq!(
        c.title().await.expect("title"),
        "Administration · Tigr",
        "French by default"
    );
    let body = body_text(c).await;
    assert!(body.contains("Tableau de bord"), "{body}");
    assert!(body.contains("Connecté en tant que Équipe SI"), "{body}");
    assert!(body.contains("fermée après 10 min sans activité"), "{body}");
    assert_eq!(text(c, "#count-all").await, "1");
    shot(&chrome, SUITE, "02-dashboard").await;

    // Create an account; a wrong Tigr ID first: the message, the field marked and focused.
    c.find(Locator::LinkText("Créer un compte"))
        .await
        .expect("menu entry")
        .click()
        .await
        .expect("click");
    wait_for_path(c, "/admin/new-account", Duration::from_secs(10)).await;
    assert_eq!(
        active_id(c).await,
        "account-id",
        "the first field has the focus"
    );
    type_into(c, "account-id", "Claire Leroy").await;
    type_into(c, "display-name", "Dr Claire Leroy").await;
    type_into(c, "email", "claire.leroy@chu-bordeaux.fr").await;
    click(c, "#account-submit").await;
    wait_js(
        c,
        "return !!document.getElementById('page-error');",
        Duration::from_secs(10),
        "the error message",
    )
    .await;
    let error = text(c, "#page-error").await;
    assert!(error.contains("Identifiant Tigr invalide"), "{error}");
    assert_eq!(
        active_id(c).await,
        "account-id",
        "focus on the field at fault"
    );
    let invalid = c
        .find(Locator::Id("account-id"))
        .await
        .expect("field")
        .attr("aria-invalid")
        .await
        .expect("attr");
    assert_eq!(invalid.as_deref(), Some("true"));
    assert_eq!(
        js_string(c, "return document.getElementById('display-name').value;").await,
        "Dr Claire Leroy",
        "what was typed is kept"
    );
    shot(&chrome, SUITE, "03-create-refused").await;
    type_into(c, "account-id", "c.leroy").await;
    click(c, "#account-submit").await;
    wait_for_path(c, "/admin/accounts/c.leroy", Duration::from_secs(10)).await;
    let body = body_text(c).await;
    assert!(body.contains("Compte créé."), "{body}");
    assert!(
        body.contains("Aucun téléphone enrôlé : ce compte ne peut pas se connecter."),
        "{body}"
    );
    shot(&chrome, SUITE, "04-account-created").await;

    // "Enroll a smartphone": the invitation page with its QR and live status.
    click(c, "#enroll-link").await;
    wait_for_path(c, "/admin/accounts/c.leroy/enroll", Duration::from_secs(10)).await;
    assert!(body_text(c).await.contains("15 min (par défaut)"));
    new_invitation(c).await;
    let status = text(c, "#enroll-status").await;
    assert!(status.contains("En attente du téléphone"), "{status}");
    assert_eq!(
        js_string(
            c,
            "return document.getElementById('enroll-status').getAttribute('aria-live');"
        )
        .await,
        "polite"
    );
    let sheet = text(c, "#invitation-sheet").await;
    assert!(
        sheet.contains("Activer l'application Tigr sur votre smartphone"),
        "{sheet}"
    );
    assert!(sheet.contains("Choisissez un code PIN"), "{sheet}");
    assert!(
        c.find(Locator::Id("print-button"))
            .await
            .expect("print")
            .is_displayed()
            .await
            .expect("shown"),
        "the print button is shown with JavaScript"
    );
    js(
        c,
        "window.__tigrMarker = 'set-before-enrollment';
         window.__tigrEnrollment = null;
         document.addEventListener('tigr:enrollment', (e) => { window.__tigrEnrollment = e.detail; });
         return true;",
    )
    .await;
    let (screenshot, png) = shot(&chrome, SUITE, "05-invitation-qr").await;
    let payload = decode_qr(&png, "/t/1/E/");
    assert!(
        payload.starts_with(&format!("{}/t/1/E/", h.base_url())),
        "{payload}"
    );

    // A second phone scans the QR from the screenshot; the page shows it by itself.
    let claire = h.phone("claire-phone");
    let run = claire
        .run_async(
            phone_binary(),
            &[
                "enroll",
                &screenshot.to_string_lossy(),
                "--device-name",
                "Pixel 8 de Claire",
            ],
            Some(OTHER_PIN),
        )
        .await;
    assert!(run.ok, "the clinician's phone enrolls: {run:?}");
    assert!(run.stdout.contains("Dr Claire Leroy"), "{run:?}");
    wait_js(
        c,
        "return document.getElementById('enroll-live').dataset.status === 'completed';",
        Duration::from_secs(10),
        "the live enrollment",
    )
    .await;
    assert_eq!(
        js(c, "return window.__tigrMarker || null;").await,
        Value::String("set-before-enrollment".into()),
        "the page was not reloaded"
    );
    let detail = js(c, "return window.__tigrEnrollment;").await;
    assert_eq!(detail["status"], "completed", "{detail}");
    assert_eq!(text(c, "#device-name").await, "Pixel 8 de Claire");
    let status = text(c, "#enroll-status").await;
    assert!(
        status.contains("Téléphone « Pixel 8 de Claire » enrôlé à"),
        "{status}"
    );
    assert!(
        !c.find(Locator::Id("invitation-sheet"))
            .await
            .expect("sheet")
            .is_displayed()
            .await
            .expect("displayed"),
        "the used QR is no longer shown"
    );
    shot(&chrome, SUITE, "06-enrolled-live").await;

    // The account page shows the phone.
    click(c, "#device-account-link").await;
    wait_for_path(c, "/admin/accounts/c.leroy", Duration::from_secs(10)).await;
    assert_eq!(text(c, "#phone-name").await, "Pixel 8 de Claire");
    assert_eq!(text(c, "#phone-status").await, "Actif");
    assert_eq!(text(c, "#account-state").await, "Actif");
    shot(&chrome, SUITE, "07-account-with-phone").await;

    // The audit trail of the account: every action by web:root.
    c.goto(&h.url("/admin/audit?account=c.leroy"))
        .await
        .expect("audit");
    let trail = text(c, "table").await;
    for expected in [
        "account_created",
        "enrollment_created",
        "enrolled",
        "web:root",
    ] {
        assert!(trail.contains(expected), "{expected} in {trail}");
    }
    scroll_to(c, "#audit-results-heading").await;
    shot(&chrome, SUITE, "08-audit").await;

    // English through the switch.
    c.find(Locator::LinkText("English"))
        .await
        .expect("switch")
        .click()
        .await
        .expect("click");
    wait_js(
        c,
        "return document.documentElement.lang === 'en';",
        Duration::from_secs(10),
        "English page",
    )
    .await;
    assert!(body_text(c).await.contains("Audit trail"));
    scroll_to(c, "#audit-results-heading").await;
    shot(&chrome, SUITE, "09-audit-english").await;
    chrome.close().await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_unblocks_then_revokes_a_phone() {
    let _one = BROWSER.lock().await;
    let h = AsyncHarness::start().await;
    let admin_phone = bootstrap_admin(&h).await;
    // The clinician's account and phone, made from the command line's service; five wrong
    // PINs block the account.
    let david = clinician_with_phone(&h, "d.moreau", "Dr David Moreau", "Galaxy S23").await;
    block_with_wrong_pins(&h, &david).await;

    let chrome = launch("fr-FR,fr").await;
    let c = chrome.client();
    sign_in(&chrome, &h, &admin_phone).await;
    assert_eq!(text(c, "#count-blocked").await, "1");
    let blocked_panel = text(c, "#blocked-heading + table").await;
    assert!(blocked_panel.contains("d.moreau"), "{blocked_panel}");
    shot(&chrome, SUITE, "10-dashboard-blocked").await;

    // The blocked accounts, then the account: why and since when.
    c.find(Locator::LinkText("Comptes bloqués"))
        .await
        .expect("menu")
        .click()
        .await
        .expect("click");
    wait_for_path(c, "/admin/blocked", Duration::from_secs(10)).await;
    let table = text(c, "#blocked-table").await;
    assert!(table.contains("d.moreau"), "{table}");
    assert!(table.contains("trop d'échecs consécutifs"), "{table}");
    shot(&chrome, SUITE, "11-blocked-list").await;
    click(c, "#blocked-table a").await;
    wait_for_path(c, "/admin/accounts/d.moreau", Duration::from_secs(10)).await;
    let state = text(c, "#account-state").await;
    assert!(state.starts_with("Bloqué jusqu'à"), "{state}");
    let lock = text(c, "#lock-section").await;
    assert!(lock.contains("Bloqué depuis "), "{lock}");
    assert!(lock.contains("trop d'échecs consécutifs"), "{lock}");
    assert_eq!(
        js_string(
            c,
            "return document.getElementById('lock-section').dataset.lock;"
        )
        .await,
        "temporary"
    );
    scroll_to(c, "#lock-section").await;
    shot(&chrome, SUITE, "12-account-blocked").await;

    // Unblock: the right PIN works again.
    click(c, "#unblock-button").await;
    wait_js(
        c,
        "const f = document.getElementById('page-flash');
         return !!f && f.textContent.includes('Compte débloqué');",
        Duration::from_secs(10),
        "unblocked",
    )
    .await;
    assert!(text(c, "#lock-text").await.contains("Non bloqué"));
    scroll_to(c, "#lock-section").await;
    shot(&chrome, SUITE, "13-unblocked").await;
    let payload = login_payload(&h).await;
    let run = david
        .run_async(phone_binary(), &["approve", &payload], Some(OTHER_PIN))
        .await;
    assert!(run.ok, "the right PIN works after the unblock: {run:?}");

    // Revoke the phone (keyboard: the disclosure opens with Enter), with a reason.
    let summary = c
        .find(Locator::Css("#revoke-details summary"))
        .await
        .expect("summary");
    summary
        .send_keys(&fantoccini::key::Key::Enter.to_string())
        .await
        .expect("open with Enter");
    wait_js(
        c,
        "return document.getElementById('revoke-details').open;",
        Duration::from_secs(5),
        "the revocation form",
    )
    .await;
    type_into(c, "revoke-reason", "téléphone perdu le 12/03").await;
    scroll_to(c, "#revoke-details").await;
    shot(&chrome, SUITE, "14-revoke-form").await;
    click(c, "#revoke-button").await;
    wait_js(
        c,
        "const f = document.getElementById('page-flash');
         return !!f && f.textContent.includes('Téléphone révoqué');",
        Duration::from_secs(10),
        "revoked",
    )
    .await;
    let phone_section = text(c, "#phone-section").await;
    assert!(
        phone_section.contains("Aucun téléphone enrôlé"),
        "{phone_section}"
    );
    assert!(
        phone_section.contains("révoqué par un administrateur"),
        "{phone_section}"
    );
    scroll_to(c, "#phone-section").await;
    shot(&chrome, SUITE, "15-revoked").await;

    // The revoked phone's approval is refused.
    let payload = login_payload(&h).await;
    let run = david
        .run_async(phone_binary(), &["approve", &payload], Some(OTHER_PIN))
        .await;
    assert!(!run.ok, "{run:?}");
    assert!(run.stderr.contains("n'est plus enregistré"), "{run:?}");

    // The trail says who did what, from where.
    c.goto(&h.url("/admin/audit?account=d.moreau&actor=web"))
        .await
        .expect("audit");
    let trail = text(c, "table").await;
    assert!(trail.contains("account_unblocked"), "{trail}");
    assert!(trail.contains("device_revoked"), "{trail}");
    assert!(trail.contains("téléphone perdu le 12/03"), "{trail}");
    assert!(trail.contains("127.0.0.1"), "{trail}");
    scroll_to(c, "#audit-results-heading").await;
    shot(&chrome, SUITE, "16-audit-web-actions").await;
    chrome.close().await;
    h.shutdown().await;
}

/// Whether the page, as shown now, is wider than its viewport (it would scroll sideways).
async fn page_overflow(c: &Client) -> Value {
    js(
        c,
        "const d = document.documentElement;
         return { scroll: d.scrollWidth, viewport: d.clientWidth,
                  wider: Array.from(document.querySelectorAll('body *'))
                    .filter((e) => e.getBoundingClientRect().right > d.clientWidth + 0.5
                                   && !(e.parentElement && e.parentElement.closest('.table-wrap')))
                    .slice(0, 8)
                    .map((e) => `${e.tagName}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().width)}px`) };",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_pages_reflow_on_a_320_px_wide_screen() {
    let _one = BROWSER.lock().await;
    let h = AsyncHarness::start().await;
    let admin_phone = bootstrap_admin(&h).await;
    let emilie = clinician_with_phone(
        &h,
        "e.bernard-lefebvre",
        "Dr Émilie Bernard-Lefebvre",
        "Galaxy S23",
    )
    .await;
    // A blocked account fills the blocked list.
    block_with_wrong_pins(&h, &emilie).await;

    let chrome = launch("fr-FR,fr").await;
    let c = chrome.client();
    sign_in(&chrome, &h, &admin_phone).await;
    // 320 CSS pixels wide (WCAG 1.4.10 Reflow).
    c.set_window_size(320, 800).await.expect("window size");
    let width = js(c, "return document.documentElement.clientWidth;").await;
    assert!(
        width.as_f64().is_some_and(|w| w <= 320.0),
        "a 320 px viewport: {width}"
    );
    for (name, url) in [
        ("audit", "/admin/audit"),
        ("account", "/admin/accounts/e.bernard-lefebvre"),
        ("blocked", "/admin/blocked"),
        ("invitation", "/admin/accounts/e.bernard-lefebvre/enroll"),
    ] {
        c.goto(&h.url(url)).await.expect("page");
        if name == "invitation" {
            new_invitation(c).await;
        }
        let overflow = page_overflow(c).await;
        shot(&chrome, SUITE, &format!("90-320px-{name}")).await;
        assert!(
            overflow["scroll"].as_f64() <= overflow["viewport"].as_f64(),
            "{name} scrolls sideways at 320 px: {overflow}"
        );
        assert_eq!(
            overflow["wider"],
            Value::Array(Vec::new()),
            "{name}: nothing sticks out of the screen (outside the table boxes)"
        );
    }
    // The invitation's QR sheet: the whole QR on the narrow screen.
    scroll_to(c, ".qr-figure").await;
    let (_, png) = shot(&chrome, SUITE, "91-320px-invitation-qr").await;
    assert!(decode_qr(&png, "/t/1/E/").starts_with(&h.base_url()));

    // The audit table is wider than the screen: it scrolls inside its own box, a named
    // region that keyboard users reach (as every table box of the admin pages).
    c.goto(&h.url("/admin/audit")).await.expect("audit");
    let boxes = js(
        c,
        "return Array.from(document.querySelectorAll('.table-wrap')).map((w) => ({
           inside: w.scrollWidth, box: w.clientWidth, tabindex: w.getAttribute('tabindex'),
           name: w.getAttribute('aria-label'), role: w.getAttribute('role') }));",
    )
    .await;
    let boxes = boxes.as_array().expect("table boxes");
    assert_eq!(boxes.len(), 1, "{boxes:?}");
    let wrap = &boxes[0];
    assert!(
        wrap["inside"].as_f64() > wrap["box"].as_f64(),
        "the audit table scrolls inside its box: {wrap}"
    );
    assert_eq!(wrap["tabindex"], "0", "{wrap}");
    assert_eq!(wrap["role"], "region", "{wrap}");
    assert_eq!(wrap["name"], "Journal d'audit", "{wrap}");
    chrome.close().await;
    h.shutdown().await;
}

/// Every admin page, filled as in use (a blocked account with its phone, an unassigned
/// hardware token, an OpenID Connect client, a pending invitation), in French and in
/// English: axe-core finds no WCAG 2.1 A/AA violation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_admin_page_passes_axe_core_in_french_and_english() {
    let _one = BROWSER.lock().await;
    let h = AsyncHarness::start().await;
    let admin_phone = bootstrap_admin(&h).await;
    let emilie = clinician_with_phone(&h, "e.bernard", "Dr Émilie Bernard", "Galaxy S23").await;
    block_with_wrong_pins(&h, &emilie).await;
    let service = AdminService::open(&h.config).await.expect("service");
    let ops = Actor::cli("ops");
    service
        .import_tokens(
            &ops,
            "serial,secret,type,digits,period_or_counter\n\
             TK-1,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,totp,6,30\n",
        )
        .await
        .expect("token file");
    let client = service
        .register_client(
            &ops,
            &ClientRegistration {
                name: "Dossier patient".into(),
                redirect_uris: vec!["https://dpi.example/cb".into()],
                ..ClientRegistration::default()
            },
        )
        .await
        .expect("client")
        .client
        .id;
    service.close().await;

    let chrome = launch("fr-FR,fr").await;
    let c = chrome.client();
    sign_in(&chrome, &h, &admin_phone).await;
    let client_page = format!("/admin/oidc/{client}");
    let pages = [
        ("dashboard", "/admin"),
        ("new-account", "/admin/new-account"),
        ("account", "/admin/accounts/e.bernard"),
        ("blocked", "/admin/blocked"),
        ("audit", "/admin/audit"),
        ("tokens", "/admin/tokens"),
        ("oidc", "/admin/oidc"),
        ("oidc-new", "/admin/oidc/new"),
        ("oidc-client", client_page.as_str()),
        ("invitation", "/admin/accounts/e.bernard/enroll"),
    ];
    for lang in ["fr", "en"] {
        for (name, path) in pages {
            let separator = if path.contains('?') { '&' } else { '?' };
            c.goto(&h.url(&format!("{path}{separator}lang={lang}")))
                .await
                .expect("page");
            if name == "invitation" {
                new_invitation(c).await;
            }
            assert_eq!(
                js_string(c, "return document.documentElement.lang;").await,
                lang,
                "{name}"
            );
            shot(&chrome, SUITE, &format!("a11y-{lang}-{name}")).await;
            assert_wcag_clean(c, &format!("{name} ({lang})")).await;
        }
    }
    chrome.close().await;
    h.shutdown().await;
}
