//! The OTP mode over real HTTP and a real SMTP server: passwords chosen through invitation
//! links, codes mailed through an SMTP server process on loopback (aiosmtpd, installed by
//! scripts/install-deps.sh) and read back from its mailbox, the OTP form's login, its own
//! lockout channel, send limits, an SMTP outage.

use std::time::Duration;

use tigr_server::Config;
use tigr_server::admin::{Actor, AdminService};

use crate::browser::{Reply, Tab, attr};
use crate::common::TestServer;
use crate::oidc_support as oidc;
use crate::smtp::{SmtpServer, account_invited_to_a_password, free_port, relay};

/// A server mailing through `port`, adjusted by `adjust`.
async fn server(port: u16, adjust: impl FnOnce(&mut Config)) -> TestServer {
    TestServer::start_with(|c| {
        c.otp.smtp = Some(relay(port));
        adjust(c);
    })
    .await
}

pub(crate) fn operator() -> Actor {
    Actor::cli("tester")
}

pub(crate) const PASSWORD: &str = "tranquille chevreuil du matin";

/// Creates `id` with an e-mail address and lets its owner choose [`PASSWORD`] through an
/// invitation link, as a browser does.
pub(crate) async fn account_with_password(s: &TestServer, id: &str) {
    let invitation = account_invited_to_a_password(s.config(), &operator(), id).await;
    assert!(!invitation.reset);
    let path = invitation
        .link
        .strip_prefix(s.origin())
        .expect("link on this server")
        .to_owned();
    let mut tab = Tab::new(s);
    let page = tab.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = attr(&page.body, "name=\"csrf\" value");
    let origin = tab.origin();
    let done = tab
        .submit(
            &path,
            &[
                ("csrf", &csrf),
                ("password", PASSWORD),
                ("confirmation", PASSWORD),
            ],
            Some(&origin),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("id=\"password-done\""), "{}", done.body);
}

/// The OTP page's CSRF token (and its cookies in `tab`).
pub(crate) async fn otp_form(tab: &mut Tab) -> String {
    let page = tab.get("/login/otp").await;
    assert_eq!(page.status, 200, "{}", page.body);
    attr(&page.body, "name=\"csrf\" value")
}

async fn send_code(tab: &mut Tab, csrf: &str, id: &str, password: &str) -> Reply {
    let origin = tab.origin();
    tab.submit(
        "/login/otp",
        &[
            ("csrf", csrf),
            ("action", "send"),
            ("tigr_id", id),
            ("password", password),
        ],
        Some(&origin),
    )
    .await
}

pub(crate) async fn log_in(
    tab: &mut Tab,
    csrf: &str,
    id: &str,
    password: &str,
    otp: &str,
) -> Reply {
    let origin = tab.origin();
    tab.submit(
        "/login/otp",
        &[
            ("csrf", csrf),
            ("action", "login"),
            ("tigr_id", id),
            ("password", password),
            ("otp", otp),
        ],
        Some(&origin),
    )
    .await
}

/// The refusal message shown in the form.
pub(crate) fn form_error(reply: &Reply) -> String {
    let start = reply
        .body
        .find("id=\"otp-error\" role=\"alert\">")
        .expect("error paragraph")
        + "id=\"otp-error\" role=\"alert\">".len();
    let end = start + reply.body[start..].find("</p>").expect("end");
    crate::browser::unescape(&reply.body[start..end])
}

pub(crate) async fn events(s: &TestServer) -> Vec<(String, Option<String>, Option<String>)> {
    sqlx::query_as("SELECT event, account_id, detail FROM audit ORDER BY id")
        .fetch_all(&s.db().await)
        .await
        .expect("audit")
}

#[tokio::test]
async fn a_password_and_a_mailed_code_open_the_same_session_as_a_qr_login() {
    let smtp = SmtpServer::start().await;
    let s = server(smtp.port, |_| {}).await;
    account_with_password(&s, "alice").await;

    let mut tab = Tab::new(&s);
    let csrf = otp_form(&mut tab).await;
    assert_eq!(
        tab.cookies.get("tigr_method").map(String::as_str),
        Some("otp")
    );
    let sent = send_code(&mut tab, &csrf, " Alice ", PASSWORD).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.contains("un OTP a été envoyé"), "{}", sent.body);

    let mail = smtp.message(1).await;
    assert_eq!(mail.header("to"), "alice@hopital.test");
    assert!(mail.header("from").contains("no-reply@tigr.test"));
    assert!(mail.header("subject").contains("OTP"), "{}", mail.headers);
    // "valable jusqu'à 16:04:04 (UTC+02:00) le 26/07/2018", five minutes after sending.
    let until = mail
        .body
        .split("valable jusqu'à ")
        .nth(1)
        .expect("validity end in the mail");
    let shape: String = until
        .chars()
        .take(34)
        .map(|c| if c.is_ascii_digit() { 'd' } else { c })
        .collect();
    assert!(
        shape == "dd:dd:dd (UTC+dd:dd) le dd/dd/dddd",
        "validity end like the guide's: {until:?}"
    );
    let code = mail.code();

    let stored: Vec<u8> = sqlx::query_scalar("SELECT code_mac FROM email_codes")
        .fetch_one(&s.db().await)
        .await
        .expect("one code");
    assert_eq!(stored.len(), 32);
    assert_ne!(
        stored,
        tigr_server::sealing::sha256(code.as_bytes()).to_vec()
    );

    let done = log_in(&mut tab, &csrf, "alice", PASSWORD, &code).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.header("location"), "/session");
    let session = tab.get("/session").await;
    assert_eq!(session.status, 200);
    assert!(
        session
            .body
            .contains("identifiant, mot de passe et OTP par courriel")
    );
    let method: String = sqlx::query_scalar("SELECT method FROM web_sessions")
        .fetch_one(&s.db().await)
        .await
        .expect("session row");
    assert_eq!(method, "otp_email");
    let proof = tigr_server::domain::oidc::Authentication::from_method(&method).expect("known");
    assert_eq!(proof.amr(), ["pwd", "otp", "mfa"]);

    // The code works once.
    let mut other = Tab::new(&s);
    let csrf = otp_form(&mut other).await;
    let replay = log_in(&mut other, &csrf, "alice", PASSWORD, &code).await;
    assert_eq!(replay.status, 401);
    assert_eq!(
        form_error(&replay),
        "Identifiant, mot de passe ou OTP incorrect. Il reste 4 essais avant la suspension \
         de la connexion par OTP."
    );
    let names: Vec<String> = events(&s).await.into_iter().map(|e| e.0).collect();
    for expected in [
        "password_invitation_created",
        "password_set",
        "email_code_sent",
        "web_login",
        "otp_failed",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
}

#[tokio::test]
async fn failures_count_down_then_pause_the_otp_form_and_never_the_qr_login() {
    let smtp = SmtpServer::start().await;
    let s = server(smtp.port, |c| c.otp.email_code_interval = 0).await;
    account_with_password(&s, "bob").await;
    let phone = s.enroll("bob").await;

    let mut tab = Tab::new(&s);
    let csrf = otp_form(&mut tab).await;
    assert_eq!(
        send_code(&mut tab, &csrf, "bob", PASSWORD).await.status,
        200
    );
    let code = smtp.message(1).await.code();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (1..=4).rev() {
        let reply = log_in(&mut tab, &csrf, "bob", PASSWORD, wrong).await;
        assert_eq!(reply.status, 401);
        assert!(
            form_error(&reply).contains(&format!("Il reste {left} essai")),
            "{}",
            form_error(&reply)
        );
    }
    let paused = log_in(&mut tab, &csrf, "bob", "not the password", &code).await;
    assert_eq!(paused.status, 423);
    assert!(form_error(&paused).contains("suspendue pour cet identifiant"));
    // Even the right password and code are refused now, and sending is paused too.
    let right = log_in(&mut tab, &csrf, "bob", PASSWORD, &code).await;
    assert_eq!(right.status, 423);
    assert_eq!(
        send_code(&mut tab, &csrf, "bob", PASSWORD).await.status,
        423
    );

    // The phone's QR login is untouched.
    let mut qr = Tab::new(&s);
    let session = qr.log_in(&s, &phone).await;
    assert!(session.body.contains("bob"));
    assert_eq!(
        s.failures("bob").await,
        0,
        "the phone channel counted nothing"
    );

    // An administrator's unblock lifts the pause.
    let admin = AdminService::open(s.config()).await.expect("admin");
    admin.unblock(&operator(), "bob").await.expect("unblock");
    let right = log_in(&mut tab, &csrf, "bob", PASSWORD, &code).await;
    assert_eq!(right.status, 303, "{}", right.body);
    let names: Vec<String> = events(&s).await.into_iter().map(|e| e.0).collect();
    assert!(names.contains(&"otp_paused".to_owned()));
    assert!(names.contains(&"refused_otp_paused".to_owned()));
}

#[tokio::test]
async fn unknown_ids_and_wrong_passwords_get_the_same_replies_and_no_mail() {
    let smtp = SmtpServer::start().await;
    let s = server(smtp.port, |_| {}).await;
    account_with_password(&s, "carol").await;
    let mut tab = Tab::new(&s);
    let csrf = otp_form(&mut tab).await;

    let wrong_password = send_code(&mut tab, &csrf, "carol", "not her password").await;
    let unknown = send_code(&mut tab, &csrf, "nobody", PASSWORD).await;
    assert_eq!(wrong_password.status, 200);
    assert_eq!(unknown.status, 200);
    // The same page but for the Tigr ID typed and the time (the next second, maybe).
    let same = |r: &Reply, id: &str| {
        r.body
            .replace(&format!("value=\"{id}\""), "value=\"\"")
            .replace(|c: char| c.is_ascii_digit(), "0")
    };
    assert_eq!(same(&wrong_password, "carol"), same(&unknown, "nobody"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        smtp.messages().is_empty(),
        "no mail without the right password"
    );

    let known = log_in(&mut tab, &csrf, "carol", PASSWORD, "123456").await;
    let nobody = log_in(&mut tab, &csrf, "nobody", PASSWORD, "123456").await;
    assert_eq!(known.status, 401);
    assert_eq!(nobody.status, 401);
    assert_eq!(
        form_error(&known),
        form_error(&nobody),
        "the same count for every Tigr ID (each had one failed send)"
    );
}

#[tokio::test]
async fn a_new_code_voids_the_previous_one_and_sends_are_limited_per_account() {
    let smtp = SmtpServer::start().await;
    let s = server(smtp.port, |c| {
        c.otp.email_code_interval = 0;
        c.otp.email_codes_per_account = 2;
    })
    .await;
    account_with_password(&s, "dave").await;
    let mut tab = Tab::new(&s);
    let csrf = otp_form(&mut tab).await;
    assert_eq!(
        send_code(&mut tab, &csrf, "dave", PASSWORD).await.status,
        200
    );
    let first = smtp.message(1).await.code();
    assert_eq!(
        send_code(&mut tab, &csrf, "dave", PASSWORD).await.status,
        200
    );
    let second = smtp.message(2).await.code();
    let limited = send_code(&mut tab, &csrf, "dave", PASSWORD).await;
    assert_eq!(limited.status, 429);
    assert!(
        form_error(&limited).contains("Trop d'OTP envoyés"),
        "{}",
        form_error(&limited)
    );
    assert_eq!(smtp.messages().len(), 2);
    if first != second {
        let old = log_in(&mut tab, &csrf, "dave", PASSWORD, &first).await;
        assert_eq!(old.status, 401, "the previous code is void");
    }
    let new = log_in(&mut tab, &csrf, "dave", PASSWORD, &second).await;
    assert_eq!(new.status, 303, "{}", new.body);
}

#[tokio::test]
async fn an_smtp_outage_is_told_and_no_code_is_recorded() {
    let port = free_port();
    let s = server(port, |_| {}).await;
    account_with_password(&s, "erin").await;
    let mut tab = Tab::new(&s);
    tab.lang = Some("en");
    let csrf = otp_form(&mut tab).await;
    let down = send_code(&mut tab, &csrf, "erin", PASSWORD).await;
    assert_eq!(down.status, 503);
    assert_eq!(
        form_error(&down),
        "OTPs cannot be sent by e-mail right now. Try again later, or sign in with the QR code."
    );
    let codes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM email_codes")
        .fetch_one(&s.db().await)
        .await
        .expect("count");
    assert_eq!(codes, 0);
    assert!(!events(&s).await.iter().any(|e| e.0 == "email_code_sent"));
}

#[tokio::test]
async fn the_mail_speaks_english_to_an_english_page() {
    let smtp = SmtpServer::start().await;
    let s = server(smtp.port, |_| {}).await;
    account_with_password(&s, "frank").await;
    let mut tab = Tab::new(&s);
    tab.lang = Some("en");
    let csrf = otp_form(&mut tab).await;
    let sent = send_code(&mut tab, &csrf, "frank", PASSWORD).await;
    assert!(sent.body.contains("an OTP was sent"), "{}", sent.body);
    let mail = smtp.message(1).await;
    assert!(mail.body.contains("It is valid until "), "{}", mail.body);
    assert!(mail.body.contains(" (UTC+"), "{}", mail.body);
    assert_eq!(mail.code().len(), 6);
}

#[tokio::test]
async fn passwords_follow_the_rules_and_an_invitation_works_once() {
    let s = TestServer::start().await;
    account_with_password(&s, "gina").await;
    let admin = AdminService::open(s.config()).await.expect("admin");
    let reset = admin
        .invite_password(&operator(), "gina")
        .await
        .expect("reset");
    assert!(reset.reset);
    let path = reset
        .link
        .strip_prefix(s.origin())
        .expect("local")
        .to_owned();
    let mut tab = Tab::new(&s);
    let page = tab.get(&path).await;
    let csrf = attr(&page.body, "name=\"csrf\" value");
    let origin = tab.origin();
    for (password, confirmation, expected) in [
        ("court", "court", "au moins 8 caractères"),
        ("azertyuiop", "azertyuiop", "trop courant"),
        ("Motdepasse2024!", "Motdepasse2024!", "trop courant"),
        (
            "gina est là ce matin",
            "gina est là ce matin",
            "ni votre identifiant",
        ),
        ("tranquille chevreuil", "tranquille chevreui", "différentes"),
    ] {
        let reply = tab
            .submit(
                &path,
                &[
                    ("csrf", &csrf),
                    ("password", password),
                    ("confirmation", confirmation),
                ],
                Some(&origin),
            )
            .await;
        assert_eq!(reply.status, 400, "{password}");
        assert!(reply.body.contains(expected), "{password}: {}", reply.body);
    }
    let new_password = "une phrase de passe toute neuve";
    let fields = [
        ("csrf", csrf.as_str()),
        ("password", new_password),
        ("confirmation", new_password),
    ];
    assert_eq!(tab.submit(&path, &fields, Some(&origin)).await.status, 200);
    let again = tab.submit(&path, &fields, Some(&origin)).await;
    assert_eq!(again.status, 410, "single use");
    assert_eq!(tab.get(&path).await.status, 410);
    // Without the same-origin post and token, nothing happens.
    let forged = tab
        .submit(
            &path,
            &[("password", new_password)],
            Some("https://evil.test"),
        )
        .await;
    assert_eq!(forged.status, 403);
    let phc: String = sqlx::query_scalar("SELECT phc FROM passwords WHERE account_id = 'gina'")
        .fetch_one(&s.db().await)
        .await
        .expect("hash");
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    assert!(!phc.contains(new_password));
    let sets: Vec<Option<String>> = events(&s)
        .await
        .into_iter()
        .filter(|e| e.0 == "password_set")
        .map(|e| e.2)
        .collect();
    assert_eq!(
        sets,
        [
            Some("via=invitation".to_owned()),
            Some("via=invitation".to_owned())
        ]
    );
}

#[tokio::test]
async fn a_logged_in_person_changes_the_password_with_the_current_one() {
    let smtp = SmtpServer::start().await;
    let s = server(smtp.port, |_| {}).await;
    account_with_password(&s, "hugo").await;
    let mut tab = Tab::new(&s);
    let csrf = otp_form(&mut tab).await;
    send_code(&mut tab, &csrf, "hugo", PASSWORD).await;
    let code = smtp.message(1).await.code();
    assert_eq!(
        log_in(&mut tab, &csrf, "hugo", PASSWORD, &code)
            .await
            .status,
        303
    );
    let session = tab.get("/session").await;
    assert!(session.body.contains("id=\"change-password\""));
    let page = tab.get("/session/password").await;
    assert_eq!(page.status, 200);
    let csrf = attr(&page.body, "name=\"csrf\" value");
    let origin = tab.origin();
    let new_password = "encore une autre phrase";
    let wrong = tab
        .submit(
            "/session/password",
            &[
                ("csrf", &csrf),
                ("current", "pas le bon"),
                ("password", new_password),
                ("confirmation", new_password),
            ],
            Some(&origin),
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("Le mot de passe actuel est incorrect."));
    let done = tab
        .submit(
            "/session/password",
            &[
                ("csrf", &csrf),
                ("current", PASSWORD),
                ("password", new_password),
                ("confirmation", new_password),
            ],
            Some(&origin),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Votre mot de passe est changé."));
    assert!(
        events(&s)
            .await
            .iter()
            .any(|e| e.0 == "password_set" && e.2.as_deref() == Some("via=change"))
    );
}

#[tokio::test]
async fn the_method_choice_is_remembered_per_browser() {
    let s = TestServer::start().await;
    let mut tab = Tab::new(&s);
    let qr = tab.get("/login").await;
    assert_eq!(qr.status, 200);
    // The method choice: the QR code current, its link overriding a remembered choice.
    assert!(
        qr.body.contains(
            "data-method=\"qr\" aria-current=\"page\"><span class=\"method-icon method-icon-qr\" aria-hidden=\"true\"></span>Code QR"
        ),
        "QR by default: {}",
        qr.body
    );
    assert!(
        qr.body.contains("href=\"&#x2f;login?method=qr\""),
        "{}",
        qr.body
    );
    assert!(qr.body.contains("data-method=\"otp\""), "{}", qr.body);
    assert_eq!(tab.get("/login/otp").await.status, 200);
    let back = tab.get("/login?return=%2Fsession").await;
    assert_eq!(back.status, 303, "OTP was chosen last");
    assert_eq!(back.header("location"), "/login/otp?return=%2Fsession");
    let chosen = tab.get("/login?method=qr").await;
    assert_eq!(chosen.status, 200);
    assert_eq!(
        tab.cookies.get("tigr_method").map(String::as_str),
        Some("qr")
    );
    assert_eq!(tab.get("/login").await.status, 200);
}

/// A service of the OpenID Connect provider sends its user to Tigr; the user picks the OTP
/// form (it keeps the authorization request and names the service), logs in with the
/// password and the mailed code, and the service gets an ID token saying so in `amr` and
/// `acr`.
#[tokio::test]
async fn an_openid_connect_service_gets_a_password_and_mailed_code_login() {
    let smtp = SmtpServer::start().await;
    let s = server(smtp.port, |_| {}).await;
    account_with_password(&s, "alice").await;
    let rp = oidc::register(&s, |_| {}).await;

    let mut tab = Tab::new(&s);
    let reply = tab.get(&oidc::authorize_path(&rp, &[])).await;
    let login = oidc::location(&reply);
    let request = oidc::query_of(&login)["authorize"].clone();
    let page = tab.get(&format!("/login/otp?authorize={request}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Dossier patient"),
        "the service is named"
    );
    assert_eq!(attr(&page.body, "name=\"authorize\" value"), request);
    let csrf = attr(&page.body, "name=\"csrf\" value");
    let origin = tab.origin();
    let fields = |action: &'static str, otp: String| {
        vec![
            ("csrf", csrf.clone()),
            ("action", action.to_owned()),
            ("tigr_id", "alice".to_owned()),
            ("password", PASSWORD.to_owned()),
            ("otp", otp),
            ("authorize", request.clone()),
        ]
    };
    let send = fields("send", String::new());
    let send: Vec<(&str, &str)> = send.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let sent = tab.submit("/login/otp", &send, Some(&origin)).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let code = smtp.message(1).await.code();
    let login = fields("login", code);
    let login: Vec<(&str, &str)> = login.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = tab.submit("/login/otp", &login, Some(&origin)).await;
    let resume = oidc::location(&done);
    assert!(resume.starts_with("/oidc/authorize/resume?"), "{resume}");
    let back = tab.get(&resume).await;
    let code = oidc::code_of(&s, &rp, &oidc::location(&back));

    let token = oidc::redeem(&s, &rp, &code).await;
    assert_eq!(token.status, 200, "{}", token.body);
    let id_token = token.json()["id_token"]
        .as_str()
        .expect("id token")
        .to_owned();
    let (_, claims) = oidc::verify_jws(&id_token, &oidc::jwks(&s).await);
    assert_eq!(claims["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
    assert_eq!(claims["acr"], "tigr:password-email-otp");
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
}
