//! Administration of the provider: `tigr-server oidc ...` run as operators do, and the admin
//! pages under `/admin/oidc` (administrators only, CSRF, secrets shown once, audited).

use std::process::{Command, Output};

use serde_json::Value;
use tigr_server::admin::{Actor, NewAccount, Role};

use crate::browser::{Reply, Tab, attr, unescape};
use crate::common::TestServer;
use crate::support::*;

/// Runs `tigr-server <args>` on the server's database and key, in `lang`. It blocks its
/// thread: tests calling it run on a multi-thread runtime, so that the in-process server
/// goes on (and releases the database) while the command waits.
fn cli(s: &TestServer, lang: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tigr-server"))
        .args(args)
        .current_dir(s.dir.path())
        .env_clear()
        .env("TIGR_DATABASE_URL", &s.config().database_url)
        .env("TIGR_MASTER_KEY_FILE", s.dir.path().join("master.key"))
        .env("TIGR_PUBLIC_URL", s.origin())
        .env("TIGR_LOG", "warn")
        .env("USER", "operator")
        .env("LANG", lang)
        .output()
        .expect("tigr-server runs")
}

fn ok(output: &Output) -> String {
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

fn fails(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_register_list_show_renew_and_remove_clients_from_the_command_line() {
    let s = TestServer::start().await;
    let phone = person(&s, "alice").await;
    let out = ok(&cli(
        &s,
        "fr_FR.UTF-8",
        &[
            "oidc",
            "client",
            "add",
            "--name",
            "Service e-santé",
            "--redirect-uri",
            "https://rp.example/cb",
            "--post-logout-redirect-uri",
            "https://rp.example/bye",
            "--subject",
            "public",
            "--format",
            "json",
        ],
    ));
    let added: Value = serde_json::from_str(&out).expect("json");
    let rp = Rp {
        id: added["client_id"].as_str().expect("id").to_owned(),
        secret: added["client_secret"].as_str().map(str::to_owned),
        redirect_uri: "https://rp.example/cb".into(),
    };
    assert_eq!(rp.secret.as_deref().map(str::len), Some(43), "256 bits");
    let text = ok(&cli(
        &s,
        "fr_FR.UTF-8",
        &[
            "oidc",
            "client",
            "add",
            "--name",
            "Agenda",
            "--public",
            "--redirect-uri",
            "fr.chu.agenda:/cb",
        ],
    ));
    assert!(text.contains("Service « Agenda » enregistré."), "{text}");
    assert!(
        !text.contains("client_secret"),
        "a public client has no secret"
    );
    let list = ok(&cli(&s, "en_US.UTF-8", &["oidc", "client", "list"]));
    assert!(list.contains(&format!(
        "{}  Service e-santé  (confidential, client_secret_basic)",
        rp.id
    )));
    let show = ok(&cli(&s, "en_US.UTF-8", &["oidc", "client", "show", &rp.id]));
    assert!(
        show.contains("Redirect URIs: https://rp.example/cb"),
        "{show}"
    );
    assert!(show.contains("Subject (sub): public"));
    assert!(
        !show.contains(rp.secret.as_deref().expect("s")),
        "never shown again"
    );
    // Refusals: nothing registered.
    let err = fails(&cli(
        &s,
        "en_US.UTF-8",
        &[
            "oidc",
            "client",
            "add",
            "--name",
            "X",
            "--redirect-uri",
            "http://rp.example/cb",
        ],
    ));
    assert!(err.contains("https required"), "{err}");
    let err = fails(&cli(&s, "en_US.UTF-8", &["oidc", "client", "show", "NOPE"]));
    assert!(err.contains("No service \"NOPE\""), "{err}");

    // The secret works, then a new one replaces it.
    let mut tab = Tab::new(&s);
    let code = code_of(
        &s,
        &rp,
        &authorize_with_login(&s, &mut tab, &rp, &phone, &[]).await,
    );
    let renewed = ok(&cli(
        &s,
        "en_US.UTF-8",
        &[
            "oidc",
            "client",
            "rotate-secret",
            &rp.id,
            "--format",
            "json",
        ],
    ));
    let renewed: Value = serde_json::from_str(&renewed).expect("json");
    assert_eq!(
        redeem(&s, &rp, &code).await.status,
        401,
        "old secret refused"
    );
    let rp = Rp {
        secret: renewed["client_secret"].as_str().map(str::to_owned),
        ..rp
    };
    assert_eq!(redeem(&s, &rp, &code).await.status, 200);
    let out = ok(&cli(
        &s,
        "en_US.UTF-8",
        &["oidc", "client", "remove", &rp.id],
    ));
    assert!(out.contains("removed"));
    let reply = tab.get(&authorize_path(&rp, &[])).await;
    assert_eq!(reply.status, 400, "unknown client now");
    let events: Vec<String> = {
        let db = s.db().await;
        let rows = sqlx::query_scalar(
            "SELECT event FROM audit WHERE actor = 'cli:operator' AND event LIKE 'oidc_%' ORDER BY id",
        )
        .fetch_all(&db)
        .await
        .expect("audit");
        db.close().await;
        rows
    };
    assert_eq!(
        events,
        [
            "oidc_client_registered",
            "oidc_client_registered",
            "oidc_secret_rotated",
            "oidc_client_removed"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_key_signs_new_tokens_and_the_old_one_stays_published() {
    let s = TestServer::start().await;
    let phone = person(&s, "alice").await;
    let rp = register(&s, |_| {}).await;
    let before = jwks(&s).await;
    let old_kid = before["keys"][0]["kid"].as_str().expect("kid").to_owned();
    let out = ok(&cli(&s, "en_US.UTF-8", &["oidc", "rotate-key"]));
    assert!(out.starts_with("New signing key: "), "{out}");
    let after = jwks(&s).await;
    let kids: Vec<&str> = after["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid"))
        .collect();
    assert_eq!(kids.len(), 2, "new and previous");
    assert_eq!(kids[1], old_kid);
    // The running server signs with the new key within a second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let mut tab = Tab::new(&s);
    let code = code_of(
        &s,
        &rp,
        &authorize_with_login(&s, &mut tab, &rp, &phone, &[]).await,
    );
    let tokens = redeem(&s, &rp, &code).await.json();
    let (header, _) = verify_jws(tokens["id_token"].as_str().expect("id"), &after);
    assert_eq!(header["kid"], kids[0]);
    // The rotation is audited with the previous key; the key of the first start is not
    // (nobody acted, like the master key).
    let rows = audit_rows(&s, "oidc_key_rotated").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].1, "cli:operator");
    assert_eq!(
        rows[0].2.as_deref(),
        Some(format!("kid={} previous={old_kid}", kids[0]).as_str())
    );
}

/// An administrator logged in to the pages, and the server.
async fn administrator() -> (TestServer, Tab) {
    let s = TestServer::start().await;
    admin(&s)
        .await
        .create_account(
            &Actor::cli("tester"),
            NewAccount {
                id: "root".into(),
                display_name: "Équipe SI".into(),
                email: None,
                role: Role::Admin,
            },
        )
        .await
        .expect("admin");
    let phone = s.enroll("root").await;
    let mut tab = Tab::new(&s);
    tab.log_in(&s, &phone).await;
    (s, tab)
}

/// What the token endpoint says of `secret` for `client_id` (client_secret_post) with a code
/// that does not exist: `invalid_grant` once the client is authenticated, `invalid_client`
/// otherwise.
async fn secret_check(s: &TestServer, client_id: &str, secret: &str) -> String {
    let reply = token_request(
        s,
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", "no-such-code"),
            ("redirect_uri", "https://dpi.example/cb"),
            ("client_id", client_id),
            ("client_secret", secret),
        ],
    )
    .await;
    reply.json()["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The text of the element `id` (`<... id="id">text<`), unescaped.
fn text_of(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("{id} in the page"))
        + marker.len();
    let end = start + html[start..].find('<').expect("end of the text");
    unescape(&html[start..end])
}

/// A form of the admin pages posted as the page posts it (same-site `Origin`).
async fn post(tab: &mut Tab, path: &str, fields: &[(&str, &str)]) -> Reply {
    let origin = tab.origin();
    tab.submit(path, fields, Some(&origin)).await
}

#[tokio::test]
async fn administrators_manage_clients_in_the_pages_with_the_secret_shown_once() {
    let (s, mut tab) = administrator().await;
    let page = tab.get("/admin/oidc").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Aucun service enregistré."));
    let csrf = attr(&page.body, "name=\"csrf\" value");
    let form = tab.get("/admin/oidc/new").await;
    assert_eq!(form.status, 200);
    assert!(
        form.body.contains("value=\"openid profile email\""),
        "default scopes"
    );

    // A refusal keeps the form and what was typed.
    let refused = post(
        &mut tab,
        "/admin/oidc",
        &[
            ("csrf", &csrf),
            ("name", "DPI"),
            ("redirect_uris", "http://dpi.example/cb"),
            ("kind", "confidential"),
        ],
    )
    .await;
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("https requis"), "{}", refused.body);
    assert!(unescape(&refused.body).contains(">http://dpi.example/cb</textarea>"));
    // Without the CSRF token, or from another site: refused, nothing registered.
    let forged = post(
        &mut tab,
        "/admin/oidc",
        &[("name", "DPI"), ("redirect_uris", "https://dpi.example/cb")],
    )
    .await;
    assert_eq!(forged.status, 403);
    let cross_site = tab
        .submit(
            "/admin/oidc",
            &[
                ("csrf", &csrf),
                ("name", "DPI"),
                ("redirect_uris", "https://dpi.example/cb"),
            ],
            Some("https://evil.example"),
        )
        .await;
    assert_eq!(cross_site.status, 403);
    assert_eq!(count(&s, "SELECT COUNT(*) FROM oidc_clients").await, 0);

    let created = post(
        &mut tab,
        "/admin/oidc",
        &[
            ("csrf", &csrf),
            ("name", "Dossier <patient>"),
            (
                "redirect_uris",
                "https://dpi.example/cb\nhttps://dpi.example/cb2",
            ),
            ("kind", "confidential"),
            ("auth_method", "client_secret_post"),
            ("scopes", "openid profile"),
            ("subject_type", "pairwise"),
        ],
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert!(created.body.contains("Dossier &lt;patient&gt;"), "escaped");
    let id = text_of(&created.body, "client-id");
    let secret = text_of(&created.body, "client-secret");
    assert_eq!(secret.len(), 43, "256 bits");
    assert_eq!(
        secret_check(&s, &id, &secret).await,
        "invalid_grant",
        "the secret shown works"
    );
    // Only the secret's SHA-256 is kept.
    let stored: Vec<u8> = {
        let db = s.db().await;
        let hash = sqlx::query_scalar("SELECT secret_hash FROM oidc_clients WHERE id = $1")
            .bind(&id)
            .fetch_one(&db)
            .await
            .expect("row");
        db.close().await;
        hash
    };
    assert_eq!(
        stored,
        ring::digest::digest(&ring::digest::SHA256, secret.as_bytes()).as_ref()
    );
    let registered = admin(&s).await.oidc_client(&id).await.expect("client");
    assert_eq!(
        registered.redirect_uris,
        ["https://dpi.example/cb", "https://dpi.example/cb2"]
    );
    assert_eq!(registered.scopes, ["openid", "profile"]);
    let list = tab.get("/admin/oidc").await;
    assert!(list.body.contains(&format!("<code>{id}</code>")), "listed");
    assert!(!list.body.contains(&secret));
    let detail = tab.get(&format!("/admin/oidc/{id}")).await;
    assert_eq!(detail.status, 200);
    assert!(!detail.body.contains(&secret), "shown once");
    assert!(!detail.body.contains("client-secret"), "shown once");
    assert!(
        unescape(&detail.body).contains("https://dpi.example/cb2"),
        "in the edit form"
    );
    assert_eq!(tab.get("/admin/oidc/NOPE").await.status, 404);

    let edited = post(
        &mut tab,
        &format!("/admin/oidc/{id}/edit"),
        &[
            ("csrf", &csrf),
            ("name", "Dossier patient informatisé"),
            ("redirect_uris", "https://dpi.example/cb"),
            ("scopes", "openid profile email"),
            ("subject_type", "public"),
        ],
    )
    .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert!(edited.body.contains("Modifications enregistrées."));
    let client = admin(&s).await.oidc_client(&id).await.expect("client");
    assert_eq!(client.name, "Dossier patient informatisé");
    assert_eq!(client.redirect_uris, ["https://dpi.example/cb"]);
    assert_eq!(client.scopes, ["openid", "profile", "email"]);
    assert_eq!(client.subject_type.as_str(), "public");
    assert_eq!(client.auth_method.as_str(), "client_secret_post", "kept");
    // A refused change keeps the registration as it was.
    let bad_edit = post(
        &mut tab,
        &format!("/admin/oidc/{id}/edit"),
        &[
            ("csrf", &csrf),
            ("name", "DPI"),
            ("redirect_uris", ""),
            ("scopes", "openid"),
        ],
    )
    .await;
    assert_eq!(bad_edit.status, 400);
    assert_eq!(
        admin(&s).await.oidc_client(&id).await.expect("client"),
        client
    );

    let rotated = post(
        &mut tab,
        &format!("/admin/oidc/{id}/rotate-secret"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(rotated.status, 200);
    let new_secret = text_of(&rotated.body, "client-secret");
    assert_ne!(new_secret, secret);
    assert_eq!(
        secret_check(&s, &id, &secret).await,
        "invalid_client",
        "old secret refused"
    );
    assert_eq!(
        secret_check(&s, &id, &new_secret).await,
        "invalid_grant",
        "new secret works"
    );

    let key = post(&mut tab, "/admin/oidc/rotate-key", &[("csrf", &csrf)]).await;
    assert_eq!(key.status, 200);
    assert!(key.body.contains("Nouvelle clé de signature"));
    assert_eq!(jwks(&s).await["keys"].as_array().map(Vec::len), Some(2));

    let removed = post(
        &mut tab,
        &format!("/admin/oidc/{id}/remove"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(location(&removed), "/admin/oidc?done=removed");
    assert_eq!(count(&s, "SELECT COUNT(*) FROM oidc_clients").await, 0);
    assert_eq!(
        secret_check(&s, &id, &new_secret).await,
        "invalid_client",
        "gone"
    );
    let actors = audit_rows(&s, "oidc_client_registered").await;
    assert_eq!(actors.len(), 1);
    assert_eq!(actors[0].1, "web:root");
    for event in [
        "oidc_client_updated",
        "oidc_secret_rotated",
        "oidc_client_removed",
    ] {
        let rows = audit_rows(&s, event).await;
        assert_eq!(rows.len(), 1, "{event}");
        assert_eq!(rows[0].1, "web:root", "{event}");
    }
    let key_rows = audit_rows(&s, "oidc_key_rotated").await;
    assert_eq!(key_rows.len(), 1);
    assert_eq!(key_rows[0].1, "web:root");
    let english = tab.get("/admin/oidc?lang=en").await;
    assert!(english.body.contains("Services that log in with Tigr"));
    assert!(english.body.contains("No service registered."));
}

#[tokio::test]
async fn only_administrators_see_and_change_the_client_pages() {
    let s = TestServer::start().await;
    let phone = person(&s, "alice").await;
    let rp = register(&s, |_| {}).await;
    let mut anonymous = Tab::new(&s);
    assert!(location(&anonymous.get("/admin/oidc").await).starts_with("/login?return="));
    let mut user = Tab::new(&s);
    user.log_in(&s, &phone).await;
    assert_eq!(user.get("/admin/oidc").await.status, 403);
    assert_eq!(user.get("/admin/oidc/new").await.status, 403);
    assert_eq!(
        user.get(&format!("/admin/oidc/{}", rp.id)).await.status,
        403
    );
    // A person's own session and CSRF token do not make them an administrator.
    let csrf = attr(&user.get("/session").await.body, "name=\"csrf\" value");
    let origin = user.origin();
    for path in [
        "/admin/oidc".to_owned(),
        format!("/admin/oidc/{}/remove", rp.id),
        format!("/admin/oidc/{}/rotate-secret", rp.id),
        "/admin/oidc/rotate-key".to_owned(),
    ] {
        let reply = user
            .submit(
                &path,
                &[
                    ("csrf", &csrf),
                    ("name", "X"),
                    ("redirect_uris", "https://x.example/cb"),
                ],
                Some(&origin),
            )
            .await;
        assert_eq!(reply.status, 403, "{path}");
    }
    assert_eq!(count(&s, "SELECT COUNT(*) FROM oidc_clients").await, 1);
    assert_eq!(jwks(&s).await["keys"].as_array().map(Vec::len), Some(1));
    assert_eq!(audit_rows(&s, "oidc_secret_rotated").await.len(), 0);
}
