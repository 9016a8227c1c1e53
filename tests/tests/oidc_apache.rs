//! A real relying party in front of a real browser: Apache httpd with mod_auth_openidc
//! (Debian's packages) protects two demo e-health services on loopback, each a client of a
//! real Tigr server; headless Chromium opens them and the real `tigr-phone` binary approves
//! the login from a screenshot of Tigr's login page.
//!
//! Covered: the authorization code flow with PKCE as mod_auth_openidc runs it (discovery,
//! JWKS, ID token and userinfo validated by the module), the claims the service sees, single
//! sign-on into the second service without a new QR, RP-initiated logout at the first service
//! ending the Tigr session, and back-channel logout ending the second service's session.
//!
//! Apache missing is a failure, not a skip: `scripts/install-deps.sh` installs it.
//! Screenshots are saved in `target/browser-artifacts/oidc_apache/`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use tigr_tests::apache::{Apache, Service, check_installed};
use tigr_tests::harness::{
    AsyncHarness, ClientSpec, Phone, audit_details, register_oidc_client, set_account_details,
};
use tigr_tests::web_flows::{body_text, decode_login_qr, launch, text, wait_login_state};
use tigr_tests::webdriver::HeadlessChrome;

const PIN: &str = "2580";
const SUITE: &str = "oidc_apache";

fn phone_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_tigr-phone"))
}

async fn shot(chrome: &HeadlessChrome, name: &str) -> (PathBuf, Vec<u8>) {
    tigr_tests::web_flows::shot(chrome, SUITE, name).await
}

/// Waits until the browser's address starts with `prefix`; panics with the page's text.
async fn wait_for_url(c: &Client, prefix: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let url = c.current_url().await.expect("url");
        if url.as_str().starts_with(prefix) {
            return;
        }
        if Instant::now() > deadline {
            let body = body_text(c).await;
            panic!("timed out waiting for {prefix}: at {url}\n{body}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Registers a demo service as a confidential client with all its URIs.
async fn register(h: &AsyncHarness, service: &mut Service, name: &str) {
    let client = register_oidc_client(
        &h.config,
        &ClientSpec {
            name: name.to_owned(),
            redirect_uris: vec![service.redirect_uri()],
            post_logout_redirect_uris: vec![service.post_logout_redirect_uri()],
            backchannel_logout_uri: Some(service.backchannel_logout_uri()),
        },
    )
    .await
    .expect("client registered");
    service.client_id = client.client_id;
    service.client_secret = client.client_secret;
}

async fn enroll(h: &AsyncHarness, account: &str) -> Phone {
    let phone = h.phone(account);
    let payload = h.enrollment(account).await;
    let run = phone
        .run_async(phone_binary(), &["enroll", &payload], Some(PIN))
        .await;
    assert!(run.ok, "enroll failed: {run:?}");
    phone
}

/// The claims table of the demo page: `(sub, preferred_username, remote user, sid)`.
async fn claims_shown(c: &Client) -> [String; 4] {
    [
        text(c, "#sub").await,
        text(c, "#preferred_username").await,
        text(c, "#remote_user").await,
        text(c, "#sid").await,
    ]
}

#[test]
fn the_documented_configuration_is_the_one_tested() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let conf = std::fs::read_to_string(root.join("apache/service.conf")).expect("service.conf");
    let docs = std::fs::read_to_string(root.join("../docs/oidc.md")).expect("docs/oidc.md");
    assert!(
        docs.contains(&format!("```apache\n{conf}```")),
        "docs/oidc.md must show tests/apache/service.conf exactly, in an ```apache block"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mod_auth_openidc_logs_in_with_tigr_then_single_sign_on_and_logout() {
    check_installed().expect("Apache httpd with mod_auth_openidc");
    let h = AsyncHarness::start().await;
    let issuer = h.base_url();
    let phone = enroll(&h, "alice").await;
    set_account_details(
        &h.config,
        "alice",
        "Élodie Martin",
        "elodie.martin@chu.example",
    )
    .await
    .expect("name and e-mail");
    let mut dossier = Service::new("dossier").expect("port");
    let mut agenda = Service::new("agenda").expect("port");
    register(&h, &mut dossier, "Dossier patient").await;
    register(&h, &mut agenda, "Agenda de soins").await;
    let services = [dossier.clone(), agenda.clone()];
    let apache = tokio::task::spawn_blocking({
        let issuer = issuer.clone();
        move || Apache::start(&issuer, &services)
    })
    .await
    .expect("thread")
    .expect("Apache starts");

    let chrome = launch("fr-FR,fr").await;
    let c = chrome.client();

    // The service sends the browser to Tigr's login page, which names the service.
    c.goto(&dossier.protected_page()).await.expect("service");
    wait_for_url(c, &format!("{issuer}/login"), Duration::from_secs(15)).await;
    wait_login_state(c, "pending", Duration::from_secs(10)).await;
    let body = body_text(c).await;
    assert!(body.contains("Connexion à Dossier patient"), "{body}");
    let (screenshot, png) = shot(&chrome, "01-tigr-login-for-the-service").await;
    decode_login_qr(&png);

    // The phone reads the QR from the screenshot; the page goes back to the service by itself.
    let run = phone
        .run_async(
            phone_binary(),
            &["approve", &screenshot.to_string_lossy()],
            Some(PIN),
        )
        .await;
    assert!(run.ok, "{run:?}");
    assert!(run.stdout.contains("Dossier patient"), "{run:?}");
    wait_for_url(c, &dossier.protected_page(), Duration::from_secs(15)).await;
    let page = body_text(c).await;
    assert!(
        page.contains("vous êtes connecté par Tigr"),
        "{page}\n{}",
        apache.error_log()
    );
    let [sub, username, remote_user, sid] = claims_shown(c).await;
    assert!(!sub.is_empty(), "{page}");
    assert_eq!(username, "alice");
    assert_eq!(remote_user, "alice");
    assert_eq!(text(c, "#name").await, "Élodie Martin");
    assert_eq!(text(c, "#email").await, "elodie.martin@chu.example");
    assert!(page.contains("Bonjour Élodie Martin"), "{page}");
    assert_eq!(text(c, "#iss").await, issuer);
    assert_eq!(text(c, "#aud").await, dossier.client_id);
    // QR code scanned by an enrolled phone whose key is unlocked by the PIN (RFC 8176).
    assert_eq!(text(c, "#amr").await, "swk,pin,mfa");
    assert_eq!(text(c, "#acr").await, "tigr:phone-pin");
    assert!(!text(c, "#auth_time").await.is_empty(), "{page}");
    shot(&chrome, "02-dossier-shows-the-claims").await;

    // Single sign-on: the second service logs in within the Tigr session, without a QR.
    c.goto(&agenda.protected_page()).await.expect("agenda");
    wait_for_url(c, &agenda.protected_page(), Duration::from_secs(15)).await;
    let [_, agenda_username, _, agenda_sid] = claims_shown(c).await;
    assert_eq!(agenda_username, "alice");
    assert_eq!(text(c, "#aud").await, agenda.client_id);
    assert!(
        !sid.is_empty() && agenda_sid == sid,
        "one Tigr session: {sid} {agenda_sid}"
    );
    shot(&chrome, "03-agenda-by-single-sign-on").await;

    // Logout at the first service: its session, then Tigr's (RP-initiated logout), then back
    // to its logged-out page.
    c.goto(&dossier.protected_page()).await.expect("dossier");
    wait_for_url(c, &dossier.protected_page(), Duration::from_secs(15)).await;
    c.find(Locator::Id("logout"))
        .await
        .expect("logout link")
        .click()
        .await
        .expect("click");
    wait_for_url(
        c,
        &dossier.post_logout_redirect_uri(),
        Duration::from_secs(15),
    )
    .await;
    assert!(
        body_text(c)
            .await
            .contains("Vous êtes déconnecté du service e-santé")
    );
    shot(&chrome, "04-dossier-logged-out").await;

    // The Tigr session is over.
    c.goto(&format!("{issuer}/session")).await.expect("session");
    wait_for_url(c, &format!("{issuer}/login"), Duration::from_secs(10)).await;

    // Back-channel logout ended the second service's session: it sends the browser to Tigr
    // for a new login instead of showing the claims.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        c.goto(&agenda.protected_page()).await.expect("agenda");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let url = c.current_url().await.expect("url");
        if url.as_str().starts_with(&format!("{issuer}/login")) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the second service still has its session after the logout: {url}\n{}",
            apache.error_log()
        );
    }
    wait_login_state(c, "pending", Duration::from_secs(10)).await;
    assert!(body_text(c).await.contains("Connexion à Agenda de soins"));
    shot(&chrome, "05-agenda-asks-for-a-new-login").await;
    // Tigr delivered the logout token to the second service, which accepted it.
    let delivered = audit_details(&h.config, "oidc_logout_delivered")
        .await
        .expect("audit trail");
    assert!(
        delivered
            .iter()
            .any(|d| d.contains(&format!("client={} ", agenda.client_id))
                && d.contains(&format!("sid={sid} "))
                && d.contains("status=200")),
        "{delivered:?}"
    );
    let log = apache.error_log();
    assert!(
        !log.contains("auth_openidc:error"),
        "mod_auth_openidc reported errors:\n{log}"
    );
    chrome.close().await;
    drop(apache);
    h.shutdown().await;
}
