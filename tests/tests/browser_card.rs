//! Card login in a real browser (docs/cps.md): headless Chromium whose NSS database holds a
//! test card's certificate and key (as a card middleware exposes a card), with the profile
//! setting that the AutoSelectCertificateForUrls policy writes (select the card issued by
//! the test PKI's intermediate on the card origin), goes from the login page through the
//! method choice to the session page. Tigr's own TLS listener asks for the certificate.
//!
//! Screenshots in `target/browser-artifacts/browser_card/`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use fantoccini::Locator;
use serde_json::json;
use tigr_server::admin::{Actor, AdminService, AuditFilter, CardKey, NewAccount, Role};
use tigr_server::test_pki::{CardSpec, TestPki};
use tigr_server::{Config, RunningServer};
use tigr_tests::web_flows::{body_text, shot, wait_for_path};
use tigr_tests::webdriver::{HeadlessChrome, LaunchOptions};

const SUITE: &str = "browser_card";

fn run(program: &str, args: &[&str]) {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e} (Debian packages openssl, libnss3-tools)"));
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// An NSS database in `home/.pki/nssdb` (where Chromium on Linux looks) holding `identity`
/// (certificate and key, PEM).
fn nss_database_with(home: &Path, identity_pem: &str) {
    let db = home.join(".pki/nssdb");
    std::fs::create_dir_all(&db).expect("nssdb folder");
    let db_arg = format!("sql:{}", db.display());
    run("certutil", &["-N", "-d", &db_arg, "--empty-password"]);
    let pem = home.join("card.pem");
    let p12 = home.join("card.p12");
    std::fs::write(&pem, identity_pem).expect("write");
    let (pem, p12) = (pem.display().to_string(), p12.display().to_string());
    run(
        "openssl",
        &[
            "pkcs12",
            "-export",
            "-in",
            &pem,
            "-out",
            &p12,
            "-name",
            "Carte CPS de test",
            "-passout",
            "pass:",
        ],
    );
    run("pk12util", &["-i", &p12, "-d", &db_arg, "-W", ""]);
}

#[tokio::test]
async fn chromium_logs_in_with_a_card_through_the_method_choice() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64;
    let pki = TestPki::new(now);
    let card = pki.card(&CardSpec::professional("810001234567", "Jeanne", "Martin"));
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config::for_tests(dir.path());
    pki.configure(&mut config, dir.path(), &[]);
    let server = RunningServer::start(config).await.expect("server");
    let admin = AdminService::open(server.config()).await.expect("admin");
    let tester = Actor::cli("tester");
    admin
        .create_account(
            &tester,
            NewAccount {
                id: "jeanne".into(),
                display_name: "Jeanne Martin".into(),
                email: None,
                role: Role::User,
            },
        )
        .await
        .expect("account");
    admin
        .bind_card(
            &tester,
            "jeanne",
            &CardKey::NationalId("810001234567".into()),
        )
        .await
        .expect("bound");

    let home = tempfile::tempdir().expect("home");
    nss_database_with(home.path(), &card.identity_pem());
    let card_origin = format!(
        "https://127.0.0.1:{}",
        server.card_addr.expect("card listener").port()
    );
    let mut prefs = serde_json::Map::new();
    prefs.insert(
        "profile".into(),
        json!({ "content_settings": { "exceptions": { "auto_select_certificate": {
            format!("{card_origin},*"): { "setting": { "filters": [
                { "ISSUER": { "CN": "TEST AC IGC-SANTE FORT PERSONNES" } }
            ] } }
        } } } }),
    );
    let chrome = HeadlessChrome::launch_with(
        "fr-FR,fr",
        LaunchOptions {
            // The card listener's self-signed TLS certificate.
            args: vec!["--ignore-certificate-errors".into()],
            prefs,
            home: Some(home.path().to_path_buf()),
        },
    )
    .await
    .expect("headless Chromium starts (Debian packages chromium and chromium-driver)");
    let c = chrome.client();
    c.goto(&format!("{}/login", server.public_url))
        .await
        .expect("login page");
    shot(&chrome, SUITE, "1-login-methods").await;
    c.find(Locator::Css("a.login-method[data-method='cps']"))
        .await
        .expect("CPS method")
        .click()
        .await
        .expect("click");
    wait_for_path(c, "/login/cps", Duration::from_secs(10)).await;
    shot(&chrome, SUITE, "2-card-page").await;
    c.find(Locator::Id("card-continue"))
        .await
        .expect("continue")
        .click()
        .await
        .expect("click");
    wait_for_path(c, "/session", Duration::from_secs(20)).await;
    shot(&chrome, SUITE, "3-session").await;
    let text = body_text(c).await;
    assert!(text.contains("Jeanne Martin"), "{text}");
    assert!(text.contains("par carte CPS"), "{text}");
    let logins = admin
        .audit_latest(
            &AuditFilter {
                event: Some("card_login".into()),
                ..AuditFilter::default()
            },
            10,
        )
        .await
        .expect("audit");
    assert_eq!(logins.len(), 1);
    assert!(
        logins[0]
            .detail
            .as_deref()
            .unwrap_or("")
            .starts_with("path=tls by=national_id id=810001234567"),
        "{logins:?}"
    );
    chrome.close().await;
    server.shutdown().await;
}
