//! An independent OpenID Connect client against a real Tigr server: Python's Authlib (with
//! joserfc), pinned in `tests/oidc-client/requirements.txt` and installed into
//! `<target>/oidc-client-venv` by `scripts/install-deps.sh`. The script
//! (`tests/oidc-client/authlib_client.py`) is the relying party and its user agent; this test
//! starts the server, registers the client, approves the login with the real `tigr-phone`
//! binary when the script shows the QR payload, and checks what the library accepted and
//! refused.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tigr_tests::harness::{AsyncHarness, ClientSpec, register_oidc_client, set_account_details};
use tokio::io::{AsyncBufReadExt as _, BufReader};

const PIN: &str = "2580";

fn phone_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_tigr-phone"))
}

/// The virtual environment's Python: `TIGR_OIDC_PYTHON`, else
/// `<target>/oidc-client-venv/bin/python` (`CARGO_TARGET_DIR` when set).
fn python() -> PathBuf {
    if let Some(path) = std::env::var_os("TIGR_OIDC_PYTHON") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("oidc-client-venv/bin/python")
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("oidc-client/authlib_client.py")
}

/// Everything left on a pipe, as text (empty when it cannot be read).
async fn read_all(pipe: &mut (impl tokio::io::AsyncRead + Unpin)) -> String {
    use tokio::io::AsyncReadExt as _;
    let mut text = String::new();
    let _ = pipe.read_to_string(&mut text).await;
    text
}

/// The claim `name` of a JSON object, as text.
fn text<'a>(object: &'a Value, name: &str) -> &'a str {
    object[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} missing in {object}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authlib_logs_in_validates_the_id_token_and_gets_no_refresh_token() {
    let python = python();
    assert!(
        python.exists(),
        "{} is missing: run scripts/install-deps.sh (it installs the pinned Authlib of \
         tests/oidc-client/requirements.txt into a virtual environment)",
        python.display()
    );
    let h = AsyncHarness::start().await;
    let issuer = h.base_url();
    let phone = h.phone("alice");
    let payload = h.enrollment("alice").await;
    let run = phone
        .run_async(phone_binary(), &["enroll", &payload], Some(PIN))
        .await;
    assert!(run.ok, "enroll: {run:?}");
    set_account_details(
        &h.config,
        "alice",
        "Alice Martin",
        "alice.martin@chu.example",
    )
    .await
    .expect("name and e-mail");
    let redirect_uri = "http://127.0.0.1:9/authlib/callback".to_owned();
    let client = register_oidc_client(
        &h.config,
        &ClientSpec {
            name: "Messagerie sécurisée".to_owned(),
            redirect_uris: vec![redirect_uri.clone()],
            ..ClientSpec::default()
        },
    )
    .await
    .expect("client registered");

    let mut child = tokio::process::Command::new(&python)
        .arg(script())
        // `--name=value`: a generated secret or id may begin with `-`, which argparse would
        // take for an option in `--name value`.
        .arg(format!("--issuer={issuer}"))
        .arg(format!("--client-id={}", client.client_id))
        .arg(format!("--client-secret={}", client.client_secret))
        .arg(format!("--redirect-uri={redirect_uri}"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the Python client starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut stderr_pipe = child.stderr.take().expect("stderr");
    let mut next_event = async || {
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("the client answers in time")
            .expect("stdout readable");
        let Some(line) = line else {
            // The client stopped early: what it wrote on stderr says why.
            let stderr = read_all(&mut stderr_pipe).await;
            panic!("the client's output ended before the next line; its stderr:\n{stderr}");
        };
        let event: Value = serde_json::from_str(&line).expect("a JSON line");
        assert_ne!(event["event"], "error", "the client failed: {event}");
        event
    };

    // The client's browser is on the login page for this service: the phone approves.
    let qr = next_event().await;
    assert_eq!(qr["event"], "qr", "{qr}");
    let login_page_headings = qr["headings"].to_string();
    let run = phone
        .run_async(
            phone_binary(),
            &["approve", text(&qr, "payload")],
            Some(PIN),
        )
        .await;
    assert!(run.ok, "approve: {run:?}");
    let phone_output = run.stdout;

    let result = next_event().await;
    let status = child.wait().await.expect("the client exits");
    let stderr = read_all(&mut stderr_pipe).await;
    assert!(status.success(), "{status}: {stderr}");
    assert_eq!(result["event"], "result", "{result}");

    // Discovery.
    let discovery = &result["discovery"];
    assert_eq!(discovery["issuer"], issuer.as_str());
    for (name, path) in [
        ("authorization_endpoint", "/oidc/authorize"),
        ("token_endpoint", "/oidc/token"),
        ("userinfo_endpoint", "/oidc/userinfo"),
        ("jwks_uri", "/oidc/jwks"),
        ("end_session_endpoint", "/oidc/logout"),
    ] {
        assert_eq!(discovery[name], format!("{issuer}{path}"), "{name}");
    }
    assert_eq!(
        discovery["response_types_supported"],
        serde_json::json!(["code"])
    );
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        serde_json::json!(["ES256"])
    );
    assert!(
        discovery["code_challenge_methods_supported"]
            .as_array()
            .is_some_and(|m| m.contains(&Value::from("S256"))),
        "{discovery}"
    );
    assert_eq!(
        discovery["authorization_response_iss_parameter_supported"],
        true
    );
    assert_eq!(discovery["backchannel_logout_supported"], true);
    assert!(
        !discovery["grant_types_supported"]
            .as_array()
            .is_some_and(|g| g.contains(&Value::from("refresh_token"))),
        "no refresh grant by default: {discovery}"
    );

    // The request Authlib made, and the response it accepted.
    let request = &result["authorization_request"];
    assert_eq!(request["response_type"], "code");
    assert_eq!(request["code_challenge_method"], "S256");
    assert_eq!(request["has_code_challenge"], true);
    let response = &result["authorization_response"];
    assert_eq!(response["has_code"], true);
    assert_eq!(response["state_matches"], true);
    assert_eq!(response["iss"], issuer.as_str());
    let token = &result["token_response"];
    assert!(
        text(token, "token_type").eq_ignore_ascii_case("bearer"),
        "{token}"
    );
    assert_eq!(token["expires_in"], 300, "access tokens live 5 minutes");
    assert_eq!(token["has_access_token"], true);
    assert_eq!(token["has_id_token"], true);
    assert_eq!(token["has_refresh_token"], false, "{token}");

    // The ID token Authlib validated: signed ES256 by a key of the JWKS, for this client.
    let header = &result["id_token_header"];
    assert_eq!(header["alg"], "ES256");
    assert!(
        result["jwks_kids"]
            .as_array()
            .is_some_and(|kids| kids.contains(&header["kid"])),
        "{result}"
    );
    let claims = &result["id_token"];
    assert_eq!(claims["iss"], issuer.as_str());
    assert_eq!(claims["aud"], client.client_id.as_str());
    assert!(!text(claims, "sub").is_empty());
    assert_eq!(claims["preferred_username"], "alice");
    assert_eq!(claims["name"], "Alice Martin");
    assert_eq!(claims["email"], "alice.martin@chu.example");
    assert!(claims["nonce"].is_string());
    let (iat, exp) = (
        claims["iat"].as_i64().expect("iat"),
        claims["exp"].as_i64().expect("exp"),
    );
    assert!(exp > iat, "{claims}");
    assert!(claims["auth_time"].as_i64().is_some_and(|t| t <= iat + 1));
    assert_eq!(claims["amr"], serde_json::json!(["swk", "pin", "mfa"]));
    assert_eq!(claims["acr"], "tigr:phone-pin");
    assert_eq!(claims["azp"], client.client_id.as_str());

    // The checks refuse what they must with these tokens.
    let refused = &result["refused"];
    for case in [
        "altered_payload",
        "other_audience",
        "other_nonce",
        "expired",
    ] {
        assert!(refused[case].is_string(), "{case} was accepted: {refused}");
    }

    // Userinfo with the access token: the same user.
    let userinfo = &result["userinfo"];
    assert_eq!(userinfo["sub"], claims["sub"]);
    assert_eq!(userinfo["preferred_username"], "alice");
    assert_eq!(userinfo["name"], "Alice Martin");
    assert_eq!(userinfo["email"], "alice.martin@chu.example");

    // Refresh: refused by the token endpoint.
    let refresh = &result["refresh"];
    assert_eq!(refresh["status"], 400, "{refresh}");
    assert!(
        [
            "unsupported_grant_type",
            "invalid_grant",
            "unauthorized_client"
        ]
        .contains(&text(refresh, "error")),
        "{refresh}"
    );

    // The login page and the phone named the service.
    assert!(
        login_page_headings.contains("Connexion à Messagerie sécurisée"),
        "{login_page_headings}"
    );
    assert!(
        phone_output.contains("Messagerie sécurisée"),
        "{phone_output}"
    );
    h.shutdown().await;
}
