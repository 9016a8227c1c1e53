//! Card login over real TLS on loopback (docs/cps.md): a test PKI shaped like IGC-Santé's,
//! Tigr's own TLS listener asking for client certificates, a rustls client presenting card
//! certificates, and the certificate forwarded by a reverse proxy.

use std::sync::Arc;

use tigr_server::admin::{Actor, AdminService, CardKey, NewAccount, Role};
use tigr_server::test_pki::{CardSpec, TestCard, TestPki};
use tigr_server::{Config, RunningServer};

// The relying party's side of OpenID Connect, shared with the OpenID Connect suite.
#[allow(dead_code)]
#[path = "oidc/relying_party.rs"]
mod relying_party;

#[path = "processes/nginx.rs"]
mod nginx;
use nginx::Nginx;

/// The test PKI, the TLS server certificate and a server using both.
struct CardServer {
    server: RunningServer,
    pki: Arc<TestPki>,
    server_cert: reqwest::Certificate,
    _dir: tempfile::TempDir,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64
}

impl CardServer {
    /// A server with card login: TLS listener, the PKI's CRLs (listing `revoked`), and
    /// `adjust` applied last.
    async fn start(
        pki: Arc<TestPki>,
        revoked: &[&TestCard],
        adjust: impl FnOnce(&mut Config),
    ) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config::for_tests(dir.path());
        let cert_pem = pki.configure(&mut config, dir.path(), revoked);
        adjust(&mut config);
        let server = RunningServer::start(config).await.expect("server starts");
        Self {
            server,
            pki,
            server_cert: reqwest::Certificate::from_pem(cert_pem.as_bytes()).expect("cert"),
            _dir: dir,
        }
    }

    async fn admin(&self) -> AdminService {
        AdminService::open(self.server.config())
            .await
            .expect("admin")
    }

    fn public(&self, path: &str) -> String {
        format!("{}{path}", self.server.public_url)
    }

    /// A browser of the public origin (plain HTTP on loopback), no redirects followed.
    fn browser() -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// The same browser on the card origin, presenting `card` (or no certificate).
    fn card_client(&self, card: Option<&TestCard>) -> reqwest::Client {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(self.server_cert.clone())
            .redirect(reqwest::redirect::Policy::none());
        if let Some(card) = card {
            builder = builder.identity(
                reqwest::Identity::from_pem(card.identity_pem().as_bytes()).expect("identity"),
            );
        }
        builder.build().expect("client")
    }

    /// The card's step: `card` (or none) presented on the card origin at `href`, with the
    /// browser's `cookie` (a browser sends it: same host, other port).
    async fn card_step(
        &self,
        card: Option<&TestCard>,
        href: &str,
        cookie: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self.card_client(card).get(href);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.expect("card step")
    }

    /// Starts a card login on the public origin: (login cookie, card URL).
    async fn start_login(&self) -> (String, String) {
        let card_addr = self.server.card_addr.expect("card listener");
        self.start_login_via(&format!("https://127.0.0.1:{}", card_addr.port()))
            .await
    }

    /// Starts a card login whose card step is on `card_origin`.
    async fn start_login_via(&self, card_origin: &str) -> (String, String) {
        let response = Self::browser()
            .get(self.public("/login/cps?return=/session"))
            .send()
            .await
            .expect("login page");
        assert_eq!(response.status(), 200);
        let cookie = set_cookie(&response, "tigr_login").expect("login cookie");
        let html = response.text().await.expect("html");
        assert!(html.contains("data-method=\"cps\""), "method choice shown");
        let href = html
            .split("id=\"card-continue\" href=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(unescape)
            .expect("card link");
        assert!(
            href.starts_with(&format!("{card_origin}/login/cps/certificate?")),
            "{href}"
        );
        (cookie, href)
    }

    /// The whole login with `card`: Ok(account logged in), or Err((status, page)).
    async fn login(&self, card: Option<&TestCard>) -> Result<String, (u16, String)> {
        let (cookie, href) = self.start_login().await;
        let response = self.card_step(card, &href, Some(&cookie)).await;
        if response.status() != 303 {
            let status = response.status().as_u16();
            return Err((status, response.text().await.expect("page")));
        }
        let next = location(&response);
        assert!(
            next.starts_with(&self.public("/login/cps/complete?challenge=")),
            "{next}"
        );
        let done = Self::browser()
            .get(&next)
            .header("cookie", &cookie)
            .send()
            .await
            .expect("complete");
        assert_eq!(done.status(), 303);
        assert_eq!(location(&done), "/session");
        let session = set_cookie(&done, "tigr_session").expect("session cookie");
        let page = Self::browser()
            .get(self.public("/session"))
            .header("cookie", &session)
            .send()
            .await
            .expect("session page");
        assert_eq!(page.status(), 200);
        Ok(page.text().await.expect("html"))
    }

    /// The audit rows of `event`, as `detail` texts, oldest first.
    async fn audit(&self, event: &str) -> Vec<String> {
        let rows = self
            .admin()
            .await
            .audit_latest(
                &tigr_server::admin::AuditFilter {
                    event: Some(event.to_owned()),
                    ..Default::default()
                },
                100,
            )
            .await
            .expect("audit");
        rows.into_iter()
            .map(|r| r.detail.unwrap_or_default())
            .collect()
    }
}

fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")) && !v.starts_with(&format!("{name}=;")))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// A browser's GET of the public origin with its `cookie`.
async fn browse(url: impl reqwest::IntoUrl, cookie: &str) -> reqwest::Response {
    CardServer::browser()
        .get(url)
        .header("cookie", cookie)
        .send()
        .await
        .expect("request")
}

/// An attribute value as the page escaped it, unescaped.
fn unescape(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_owned()
}

fn reason(page: &str) -> &str {
    page.split("data-reason=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("")
}

async fn create(admin: &AdminService, id: &str, name: &str) {
    admin
        .create_account(
            &Actor::cli("tester"),
            NewAccount {
                id: id.to_owned(),
                display_name: name.to_owned(),
                email: None,
                role: Role::User,
            },
        )
        .await
        .expect("account");
}

async fn bind(admin: &AdminService, id: &str, key: CardKey) {
    admin
        .bind_card(&Actor::cli("tester"), id, &key)
        .await
        .expect("bound");
}

#[tokio::test]
async fn a_bound_card_logs_in_over_tls_and_every_bad_card_is_refused_with_its_reason() {
    let pki = Arc::new(TestPki::new(now()));
    let good = pki.card(&CardSpec::professional("810001234567", "Jeanne", "Martin"));
    let revoked = pki.card(&CardSpec::professional("810001234568", "Paul", "Durand"));
    let s = CardServer::start(Arc::clone(&pki), &[&revoked], |_| {}).await;
    let admin = s.admin().await;
    create(&admin, "jeanne", "Jeanne Martin").await;
    bind(&admin, "jeanne", CardKey::NationalId("810001234567".into())).await;
    create(&admin, "paul", "Paul Durand").await;
    bind(&admin, "paul", CardKey::NationalId("810001234568".into())).await;

    let page = s.login(Some(&good)).await.expect("logged in");
    assert!(
        page.contains("Jeanne Martin"),
        "session page names the account"
    );
    let logins = s.audit("card_login").await;
    assert_eq!(logins.len(), 1, "{logins:?}");
    assert!(
        logins[0].contains("path=tls by=national_id id=810001234567 kind=rpps"),
        "{}",
        logins[0]
    );
    assert!(logins[0].contains("revocation=checked"), "{}", logins[0]);
    let web = s.audit("web_login").await;
    assert_eq!(web, vec!["method=cps".to_owned()]);

    let expired = s.pki.card(&CardSpec {
        not_after: now() - 60,
        ..CardSpec::professional("810001234567", "Jeanne", "Martin")
    });
    let wrong_usage = s.pki.card(&CardSpec {
        server_auth_only: true,
        ..CardSpec::professional("810001234567", "Jeanne", "Martin")
    });
    let other_pki = TestPki::another(now());
    let foreign = other_pki.card(&CardSpec::professional("810001234567", "Jeanne", "Martin"));
    for (card, expected) in [
        (&expired, "expired"),
        (&revoked, "revoked"),
        (&wrong_usage, "wrong_usage"),
        (&foreign, "unknown_ca"),
    ] {
        let (status, page) = s.login(Some(card)).await.expect_err("refused");
        assert_eq!((status, reason(&page)), (403, expected), "{page}");
        assert!(page.contains("Ce refus a été enregistré"), "{page}");
    }
    let (status, page) = s.login(None).await.expect_err("no card");
    assert_eq!((status, reason(&page)), (403, "no_certificate"));
    let refusals = s.audit("card_refused").await;
    for expected in [
        "expired",
        "revoked",
        "wrong_usage",
        "unknown_ca",
        "no_certificate",
    ] {
        assert!(
            refusals
                .iter()
                .any(|d| d.starts_with(&format!("reason={expected} path=tls"))),
            "{expected}: {refusals:?}"
        );
    }
    assert_eq!(
        s.audit("card_login").await.len(),
        1,
        "no refusal logged anyone in"
    );
    s.server.shutdown().await;
}

#[tokio::test]
async fn unknown_cards_are_told_what_to_ask_and_bindings_follow_the_administrator() {
    let pki = Arc::new(TestPki::new(now()));
    let s = CardServer::start(Arc::clone(&pki), &[], |_| {}).await;
    let admin = s.admin().await;
    let unbound = pki.card(&CardSpec::professional("810007654321", "Luc", "Petit"));
    let (status, page) = s.login(Some(&unbound)).await.expect_err("unbound");
    assert_eq!((status, reason(&page)), (403, "unbound"));
    assert!(page.contains("810007654321"), "identifier shown: {page}");
    assert!(page.contains("RPPS"), "{page}");
    assert!(page.contains("Demandez à votre administrateur"), "{page}");

    let anonymous = pki.card(&CardSpec::without_identifier("Carte de secours 12"));
    let fingerprint = tigr_server::domain::card::fingerprint(&anonymous.der());
    let (status, page) = s.login(Some(&anonymous)).await.expect_err("unbound");
    assert_eq!((status, reason(&page)), (403, "unbound"));
    assert!(page.contains(&fingerprint), "fingerprint shown: {page}");
    let refusals = s.audit("card_refused").await;
    assert!(
        refusals
            .iter()
            .any(|d| d.contains("reason=unbound")
                && d.contains(&format!("fingerprint={fingerprint}"))),
        "{refusals:?}"
    );

    create(&admin, "secours", "Poste de secours").await;
    bind(
        &admin,
        "secours",
        CardKey::Fingerprint(fingerprint.to_uppercase()),
    )
    .await;
    let page = s
        .login(Some(&anonymous))
        .await
        .expect("fingerprint binding logs in");
    assert!(page.contains("Poste de secours"));
    let err = admin
        .bind_card(
            &Actor::cli("tester"),
            "secours",
            &CardKey::Fingerprint(fingerprint.clone()),
        )
        .await
        .expect_err("bound twice");
    assert!(err.to_string().contains("already bound"), "{err}");

    create(&admin, "luc", "Luc Petit").await;
    bind(&admin, "luc", CardKey::NationalId("810007654321".into())).await;
    admin
        .disable_account(&Actor::cli("tester"), "luc", Some("left"))
        .await
        .expect("disabled");
    let (status, page) = s.login(Some(&unbound)).await.expect_err("disabled");
    assert_eq!((status, reason(&page)), (403, "account_disabled"));
    admin
        .enable_account(&Actor::cli("tester"), "luc")
        .await
        .expect("enabled");
    s.login(Some(&unbound)).await.expect("enabled again");
    admin
        .unbind_card(
            &Actor::cli("tester"),
            "luc",
            &CardKey::NationalId("810007654321".into()),
        )
        .await
        .expect("unbound");
    let (_, page) = s.login(Some(&unbound)).await.expect_err("binding removed");
    assert_eq!(reason(&page), "unbound");
    let bound = s.audit("card_bound").await;
    assert_eq!(bound.len(), 2, "{bound:?}");
    assert_eq!(
        s.audit("card_unbound").await,
        vec!["national_id=810007654321".to_owned()]
    );
    s.server.shutdown().await;
}

#[tokio::test]
async fn a_session_opens_only_for_the_browser_that_started_the_login_and_only_after_a_card() {
    let pki = Arc::new(TestPki::new(now()));
    let card = pki.card(&CardSpec::professional("810001234567", "Jeanne", "Martin"));
    let s = CardServer::start(Arc::clone(&pki), &[], |_| {}).await;
    let admin = s.admin().await;
    create(&admin, "jeanne", "Jeanne Martin").await;
    bind(&admin, "jeanne", CardKey::NationalId("810001234567".into())).await;

    // Completion without a card's approval: refused.
    let (cookie, href) = s.start_login().await;
    let challenge = href
        .split("challenge=")
        .nth(1)
        .and_then(|r| r.split('&').next())
        .expect("id");
    let early = browse(
        s.public(&format!("/login/cps/complete?challenge={challenge}")),
        &cookie,
    )
    .await;
    assert_eq!(early.status(), 409);

    // Another browser's login cookie on the card origin: refused, nothing approved.
    let (other_cookie, _) = s.start_login().await;
    let response = s.card_step(Some(&card), &href, Some(&other_cookie)).await;
    assert_eq!(response.status(), 403);
    assert_eq!(
        reason(&response.text().await.expect("page")),
        "no_login_started"
    );

    // The right browser: approved; another browser cannot complete it; it completes once.
    let response = s.card_step(Some(&card), &href, Some(&cookie)).await;
    assert_eq!(response.status(), 303);
    let next = location(&response);
    let stolen = browse(&next, &other_cookie).await;
    assert_eq!(stolen.status(), 403);
    let done = browse(&next, &cookie).await;
    assert_eq!(done.status(), 303);
    let again = browse(&next, &cookie).await;
    assert_eq!(again.status(), 409, "one approval opens one session");
    // A used challenge cannot be approved by a card again.
    let replay = s.card_step(Some(&card), &href, None).await;
    assert_eq!(
        reason(&replay.text().await.expect("page")),
        "no_login_started"
    );
    s.server.shutdown().await;
}

#[tokio::test]
async fn a_forwarded_certificate_counts_only_from_a_configured_proxy() {
    let pki = Arc::new(TestPki::new(now()));
    let card = pki.card(&CardSpec::professional("810001234567", "Jeanne", "Martin"));
    let escaped: String =
        percent_encoding::utf8_percent_encode(card.pem(), percent_encoding::NON_ALPHANUMERIC)
            .collect();
    // Behind a proxy on ::1 only: a header from 127.0.0.1 is refused and audited.
    let s = CardServer::start(Arc::clone(&pki), &[], |c| {
        c.card.proxies = vec!["::1".parse().expect("address")];
    })
    .await;
    let admin = s.admin().await;
    create(&admin, "jeanne", "Jeanne Martin").await;
    bind(&admin, "jeanne", CardKey::NationalId("810001234567".into())).await;
    let (cookie, href) = s.start_login().await;
    let query = href.split_once('?').map(|(_, q)| q).expect("query");
    let response = CardServer::browser()
        .get(s.public(&format!("/login/cps/certificate?{query}")))
        .header("cookie", &cookie)
        .header("x-ssl-client-cert", &escaped)
        .send()
        .await
        .expect("forged header");
    assert_eq!(response.status(), 403);
    assert_eq!(
        reason(&response.text().await.expect("page")),
        "untrusted_proxy"
    );
    // The same header sent to the TLS listener is refused as well.
    let response = s
        .card_client(None)
        .get(&href)
        .header("x-ssl-client-cert", &escaped)
        .send()
        .await
        .expect("forged header");
    assert_eq!(
        reason(&response.text().await.expect("page")),
        "untrusted_proxy"
    );
    let refusals = s.audit("card_refused").await;
    assert!(
        refusals
            .iter()
            .any(|d| d.starts_with("reason=untrusted_proxy path=proxy"))
    );
    assert!(
        refusals
            .iter()
            .any(|d| d.starts_with("reason=untrusted_proxy path=tls"))
    );
    assert!(s.audit("card_login").await.is_empty());
    s.server.shutdown().await;

    // Behind a proxy on 127.0.0.1 (nginx's $ssl_client_escaped_cert): logged in.
    let s = CardServer::start(Arc::clone(&pki), &[], |c| {
        c.card.proxies = vec!["127.0.0.1".parse().expect("address")];
        c.card.listen = None;
    })
    .await;
    let admin = s.admin().await;
    create(&admin, "jeanne", "Jeanne Martin").await;
    bind(&admin, "jeanne", CardKey::NationalId("810001234567".into())).await;
    let response = CardServer::browser()
        .get(s.public("/login/cps"))
        .send()
        .await
        .expect("login page");
    let cookie = set_cookie(&response, "tigr_login").expect("cookie");
    let html = response.text().await.expect("html");
    let href = html
        .split("id=\"card-continue\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(unescape)
        .expect("link");
    assert!(
        href.starts_with(&s.public("/login/cps/certificate?")),
        "{href}"
    );
    let response = CardServer::browser()
        .get(&href)
        .header("cookie", &cookie)
        .header("x-ssl-client-cert", &escaped)
        .send()
        .await
        .expect("proxied");
    assert_eq!(response.status(), 303);
    let done = browse(location(&response), &cookie).await;
    assert_eq!(done.status(), 303);
    let logins = s.audit("card_login").await;
    assert!(
        logins[0].starts_with("path=proxy by=national_id id=810001234567"),
        "{logins:?}"
    );
    s.server.shutdown().await;
}

/// nginx terminating TLS for the card origin and forwarding the certificate to Tigr
/// (`$ssl_client_escaped_cert`), as docs/cps.md configures it.
async fn card_proxy(upstream: std::net::SocketAddr, port: u16) -> Nginx {
    let mut nginx = Nginx::configure(port, |path| {
        format!(
            "server {{\n    listen 127.0.0.1:{port} ssl;\n    ssl_certificate {cert};\n\
               ssl_certificate_key {key};\n    ssl_verify_client optional_no_ca;\n\
               location = /login/cps/certificate {{\n      proxy_pass http://{upstream};\n\
                 proxy_set_header X-SSL-Client-Cert $ssl_client_escaped_cert;\n\
                 proxy_set_header X-Forwarded-For $remote_addr;\n      proxy_set_header Host $host;\n\
                 proxy_redirect off;\n\
               }}\n    location / {{ return 404; }}\n  }}",
            cert = path("tls.pem"),
            key = path("tls.key"),
        )
    });
    nginx.start().await;
    nginx
}

#[tokio::test]
async fn behind_a_real_nginx_the_forwarded_card_logs_in_and_bad_cards_are_refused() {
    let pki = Arc::new(TestPki::new(now()));
    let good = pki.card(&CardSpec::professional("810001234567", "Jeanne", "Martin"));
    let revoked = pki.card(&CardSpec::professional("810001234568", "Paul", "Durand"));
    // Tigr behind nginx only: no listener of its own; its card URL is nginx's.
    let nginx_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut s = CardServer::start(Arc::clone(&pki), &[&revoked], |c| {
        c.card.listen = None;
        c.card.proxies = vec!["127.0.0.1".parse().expect("address")];
        c.card.url = Some(
            tigr_core::payload::Origin::parse(&format!("https://127.0.0.1:{nginx_port}"))
                .expect("origin"),
        );
    })
    .await;
    let nginx = card_proxy(s.server.addr, nginx_port).await;
    s.server_cert = reqwest::Certificate::from_pem(nginx.cert_pem.as_bytes()).expect("cert");
    let card_origin = nginx.origin();
    let admin = s.admin().await;
    create(&admin, "jeanne", "Jeanne Martin").await;
    bind(&admin, "jeanne", CardKey::NationalId("810001234567".into())).await;
    create(&admin, "paul", "Paul Durand").await;
    bind(&admin, "paul", CardKey::NationalId("810001234568".into())).await;

    for (card, expected) in [
        (Some(&good), ""),
        (Some(&revoked), "revoked"),
        (None, "no_certificate"),
    ] {
        let (cookie, href) = s.start_login_via(&card_origin).await;
        let response = s.card_step(card, &href, Some(&cookie)).await;
        if expected.is_empty() {
            assert_eq!(response.status(), 303);
            let done = browse(location(&response), &cookie).await;
            assert_eq!(done.status(), 303);
            assert!(set_cookie(&done, "tigr_session").is_some());
        } else {
            assert_eq!(response.status(), 403);
            assert_eq!(reason(&response.text().await.expect("page")), expected);
        }
    }
    let logins = s.audit("card_login").await;
    assert_eq!(logins.len(), 1, "{logins:?}");
    assert!(
        logins[0].starts_with("path=proxy by=national_id id=810001234567"),
        "{logins:?}"
    );
    let refusals = s.audit("card_refused").await;
    assert!(
        refusals
            .iter()
            .any(|d| d.starts_with("reason=revoked path=proxy")),
        "{refusals:?}"
    );
    assert!(
        refusals
            .iter()
            .any(|d| d.starts_with("reason=no_certificate path=proxy")),
        "{refusals:?}"
    );
    drop(nginx);
    s.server.shutdown().await;
}

/// A service of the OpenID Connect provider sends its user to Tigr; the user picks the card
/// on the login page (the method choice keeps the kept request), and the service gets an ID
/// token whose `amr` and `acr` say a smart card and its PIN were used.
#[tokio::test]
async fn a_card_login_answers_an_openid_connect_service_with_smart_card_amr() {
    use tigr_server::admin::ClientRegistration;

    let pki = Arc::new(TestPki::new(now()));
    let s = CardServer::start(Arc::clone(&pki), &[], |_| {}).await;
    let admin = s.admin().await;
    create(&admin, "jeanne", "Jeanne Durand").await;
    bind(&admin, "jeanne", CardKey::NationalId("810001234567".into())).await;
    let registered = admin
        .register_client(
            &Actor::cli("tester"),
            &ClientRegistration {
                name: "Dossier patient".into(),
                redirect_uris: vec!["https://rp.example/cb".into()],
                ..ClientRegistration::default()
            },
        )
        .await
        .expect("client");
    let rp = relying_party::Rp {
        id: registered.client.id,
        secret: registered.secret,
        redirect_uri: "https://rp.example/cb".into(),
    };
    let authorize = relying_party::authorize_path(&rp, &[]);
    let reply = CardServer::browser()
        .get(s.public(&authorize))
        .send()
        .await
        .expect("authorize");
    let oidc_cookie = set_cookie(&reply, "tigr_oidc").expect("kept request cookie");
    let login = location(&reply);
    let request = relying_party::query_of(&login)["authorize"].clone();

    // The QR page's method choice carries the kept request to the card page.
    let qr_page = browse(s.public(&login), &oidc_cookie).await;
    let html = unescape(&qr_page.text().await.expect("html"));
    assert!(
        html.contains(&format!("/login/cps?authorize={request}")),
        "the card method keeps the request"
    );
    let card_page = browse(
        s.public(&format!("/login/cps?authorize={request}")),
        &oidc_cookie,
    )
    .await;
    assert_eq!(card_page.status(), 200);
    let login_cookie = set_cookie(&card_page, "tigr_login").expect("login cookie");
    let html = card_page.text().await.expect("html");
    let href = html
        .split("id=\"card-continue\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(unescape)
        .expect("card link");
    let card = pki.card(&CardSpec::professional("810001234567", "Jeanne", "Durand"));
    let step = s.card_step(Some(&card), &href, Some(&login_cookie)).await;
    assert_eq!(step.status(), 303);
    let cookies = format!("{login_cookie}; {oidc_cookie}");
    let done = browse(location(&step), &cookies).await;
    assert_eq!(done.status(), 303);
    let resume = location(&done);
    assert!(resume.starts_with("/oidc/authorize/resume?"), "{resume}");
    let session = set_cookie(&done, "tigr_session").expect("session");
    let back = browse(s.public(&resume), &format!("{session}; {oidc_cookie}")).await;
    let redirect = location(&back);
    assert!(redirect.starts_with("https://rp.example/cb?"), "{redirect}");
    let code = relying_party::query_of(&redirect)["code"].clone();

    let token = CardServer::browser()
        .post(s.public("/oidc/token"))
        .basic_auth(&rp.id, rp.secret.as_deref())
        .form(&relying_party::code_grant(&rp, &code))
        .send()
        .await
        .expect("token");
    assert_eq!(token.status(), 200);
    let body: serde_json::Value = token.json().await.expect("json");
    let id_token = body["id_token"].as_str().expect("id token");
    let jwks: serde_json::Value = CardServer::browser()
        .get(s.public("/oidc/jwks"))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("jwks json");
    let (_, claims) = relying_party::verify_jws(id_token, &jwks);
    assert_eq!(
        claims["amr"],
        serde_json::json!(["sc", "hwk", "pin", "mfa"])
    );
    assert_eq!(claims["acr"], "tigr:cps-card");
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    s.server.shutdown().await;
}
