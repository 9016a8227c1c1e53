//! TOTP and HOTP tokens over real HTTP: hardware tokens imported from CSV and PSKC files,
//! assigned, used through the OTP form and revoked; an authenticator app enrolled from an
//! invitation link. The codes a token or an app would show are computed by `oathtool` (OATH
//! Toolkit, installed by scripts/install-deps.sh), run as a separate process, on the
//! server's own (fixed, advanced by hand) clock.

use std::sync::Arc;

use tigr_core::clock::FixedClock;
use tigr_server::admin::{AdminError, AdminService};
use tigr_server::domain::otp_token::{app_params, otpauth_uri};

use crate::browser::{Tab, attr, unescape};
use crate::common::TestServer;
use crate::oathtool::{self, totp_at as totp};
use crate::otp::{PASSWORD, account_with_password, events, form_error, log_in, operator, otp_form};

/// 2027-01-15T08:00:15Z: 15 s into time step 60_000_000 of 30 s.
const START: i64 = 1_800_000_015;
/// "12345678901234567890" (RFC 4226 Appendix D) in base32 and hex.
const SECRET_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const SECRET_HEX: &str = "3132333435363738393031323334353637383930";

/// The 6-digit HOTP code of the RFC secret for `counter`.
fn hotp(counter: u64) -> String {
    oathtool::hotp(SECRET_HEX, counter)
}

/// The code a TOTP token of the RFC secret (SHA1, 6 digits, 30 s) shows at server time `now`
/// when its own clock runs `ahead` seconds in front of the server's (behind if negative):
/// `oathtool -N` at the token's time.
fn shown(now: i64, ahead: i64) -> String {
    totp(SECRET_B32, now + ahead)
}

/// The drift stored for the token `serial`, in steps.
async fn drift(s: &TestServer, serial: &str) -> i64 {
    sqlx::query_scalar("SELECT drift FROM otp_tokens WHERE serial = $1")
        .bind(serial)
        .fetch_one(&s.db().await)
        .await
        .expect("token row")
}

/// A server on a fixed clock at [`START`], with room for the failures the tests make.
async fn server() -> (TestServer, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::at(START));
    let s = {
        let clock = Arc::clone(&clock);
        TestServer::start_with(move |c| {
            c.clock = clock;
            c.otp.lockout_threshold = 20;
        })
        .await
    };
    (s, clock)
}

async fn admin(s: &TestServer) -> AdminService {
    AdminService::open(s.config()).await.expect("admin")
}

/// Logs in through the OTP form in a fresh browser: the reply's status and the web
/// session's method when one opened.
async fn otp_login(s: &TestServer, id: &str, code: &str) -> (u16, String) {
    let mut tab = Tab::new(s);
    let csrf = otp_form(&mut tab).await;
    let sessions = || async {
        sqlx::query_as::<_, (Vec<u8>, String)>("SELECT id_hash, method FROM web_sessions")
            .fetch_all(&s.db().await)
            .await
            .expect("session rows")
    };
    let before = sessions().await;
    let reply = log_in(&mut tab, &csrf, id, PASSWORD, code).await;
    if reply.status != 303 {
        return (reply.status, form_error(&reply));
    }
    let opened: Vec<_> = sessions()
        .await
        .into_iter()
        .filter(|session| !before.contains(session))
        .collect();
    let [(_, method)] = opened.as_slice() else {
        panic!("one new session: {opened:?}");
    };
    (reply.status, method.clone())
}

/// Alice with a password and the imported hardware token TK-0001 of [`csv_file`].
async fn alice_with_token(s: &TestServer) -> AdminService {
    account_with_password(s, "alice").await;
    let admin = admin(s).await;
    admin
        .import_tokens(&operator(), &csv_file())
        .await
        .expect("import");
    admin
        .assign_token(&operator(), "alice", "TK-0001")
        .await
        .expect("assign");
    admin
}

fn csv_file() -> String {
    format!(
        "serial,secret,type,digits,period_or_counter,algorithm\n\
         TK-0001,{SECRET_B32},totp,6,30,SHA1\n\
         TK-0002,{SECRET_B32},hotp,6,0\n\
         TK-0003,{SECRET_B32},totp,8,60,SHA256\n"
    )
}

#[tokio::test]
async fn a_totp_token_logs_in_through_the_otp_form_once_per_code_within_its_window() {
    let (s, clock) = server().await;
    account_with_password(&s, "alice").await;
    let admin = admin(&s).await;
    let serials = admin
        .import_tokens(&operator(), &csv_file())
        .await
        .expect("import");
    assert_eq!(serials, ["TK-0001", "TK-0002", "TK-0003"]);
    // Sealed at rest: the secret is nowhere in the row.
    let sealed: Vec<u8> =
        sqlx::query_scalar("SELECT secret_sealed FROM otp_tokens WHERE serial = 'TK-0001'")
            .fetch_one(&s.db().await)
            .await
            .expect("row");
    assert!(!sealed.windows(20).any(|w| w == b"12345678901234567890"));

    // Not assigned yet: its code does not log anyone in.
    let (status, _) = otp_login(&s, "alice", &totp(SECRET_B32, START)).await;
    assert_eq!(status, 401);
    admin
        .assign_token(&operator(), "alice", "TK-0001")
        .await
        .expect("assign");

    let now = START;
    let (status, method) = otp_login(&s, "alice", &totp(SECRET_B32, now)).await;
    assert_eq!((status, method.as_str()), (303, "otp_token"));
    let proof = tigr_server::domain::oidc::Authentication::from_method(&method).expect("known");
    assert_eq!(proof.amr(), ["pwd", "otp", "mfa"]);
    assert_eq!(proof.acr(), "tigr:password-token-otp");

    // The same code again: the generic refusal, counted.
    let (status, message) = otp_login(&s, "alice", &totp(SECRET_B32, now)).await;
    assert_eq!(status, 401);
    assert!(
        message.starts_with("Identifiant, mot de passe ou OTP incorrect. Il reste 19 essais"),
        "{message}"
    );
    // Two steps ahead: outside the ±1 window. One step ahead: the window's edge.
    assert_eq!(
        otp_login(&s, "alice", &totp(SECRET_B32, now + 60)).await.0,
        401
    );
    assert_eq!(
        otp_login(&s, "alice", &totp(SECRET_B32, now + 30)).await.0,
        303
    );
    // That code taught the token's drift: its clock runs a step ahead. Four steps on, the
    // window lies around its clock: the step before (now's, the window's other edge) works,
    // the one two steps back (and never used) does not.
    clock.advance(120);
    let now = START + 120;
    assert_eq!(
        otp_login(&s, "alice", &totp(SECRET_B32, now - 30)).await.0,
        401
    );
    assert_eq!(otp_login(&s, "alice", &totp(SECRET_B32, now)).await.0, 303);
    // An earlier step than the last one used never works again, even inside the window.
    clock.advance(-30);
    assert_eq!(
        otp_login(&s, "alice", &totp(SECRET_B32, now - 30)).await.0,
        401
    );
    clock.advance(30);

    // Revoked: its next code is refused; the revocation is audited with the import and the
    // assignment.
    admin
        .revoke_token(&operator(), "TK-0001")
        .await
        .expect("revoke");
    assert_eq!(
        otp_login(&s, "alice", &totp(SECRET_B32, now + 30)).await.0,
        401
    );
    let rows = events(&s).await;
    for (event, account, detail) in [
        ("tokens_imported", None, Some("format=csv count=3")),
        ("token_assigned", Some("alice"), Some("serial=TK-0001")),
        ("token_revoked", Some("alice"), Some("serial=TK-0001")),
    ] {
        assert!(
            rows.iter()
                .any(|(e, a, d)| e == event && a.as_deref() == account && d.as_deref() == detail),
            "{event} in {rows:?}"
        );
    }
    let logins = rows.iter().filter(|(e, _, _)| e == "web_login").count();
    assert_eq!(logins, 3);
}

#[tokio::test]
async fn an_hotp_token_from_a_pskc_file_follows_its_counter_and_is_resynchronised() {
    let (s, _clock) = server().await;
    account_with_password(&s, "bob").await;
    let admin = admin(&s).await;
    let pskc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
        <KeyContainer Version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:keyprov:pskc\">\n\
        <KeyPackage>\n\
        <DeviceInfo><Manufacturer>Manufacturer</Manufacturer><SerialNo>987654321</SerialNo></DeviceInfo>\n\
        <Key Id=\"12345678\" Algorithm=\"urn:ietf:params:xml:ns:keyprov:pskc:hotp\">\n\
        <AlgorithmParameters><ResponseFormat Length=\"6\" Encoding=\"DECIMAL\"/></AlgorithmParameters>\n\
        <Data><Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret>\n\
        <Counter><PlainValue>0</PlainValue></Counter></Data>\n\
        </Key></KeyPackage>\n\
        </KeyContainer>\n";
    admin.import_tokens(&operator(), pskc).await.expect("PSKC");
    admin
        .assign_token(&operator(), "bob", "987654321")
        .await
        .expect("assign");
    assert_eq!(hotp(0), "755224", "oathtool agrees with RFC 4226");

    assert_eq!(otp_login(&s, "bob", &hotp(0)).await.0, 303);
    assert_eq!(otp_login(&s, "bob", &hotp(0)).await.0, 401, "replay");
    // Presses never typed: within the look-ahead (10) the counter catches up.
    assert_eq!(
        otp_login(&s, "bob", &hotp(6)).await,
        (303, "otp_token".into())
    );
    assert_eq!(
        otp_login(&s, "bob", &hotp(3)).await.0,
        401,
        "behind the counter"
    );
    assert_eq!(
        otp_login(&s, "bob", &hotp(30)).await.0,
        401,
        "beyond the look-ahead"
    );

    // Resynchronisation: two codes that do not follow each other are refused, two that do
    // move the counter past them.
    let refused = admin
        .resync_token(&operator(), "987654321", &hotp(30), &hotp(32))
        .await
        .expect_err("not consecutive");
    assert!(
        matches!(refused, AdminError::ResyncFailed(_)),
        "{refused:?}"
    );
    let resynced = admin
        .resync_token(&operator(), "987654321", &hotp(30), &hotp(31))
        .await
        .expect("resync");
    assert_eq!(resynced.state.counter, 32);
    assert_eq!(
        otp_login(&s, "bob", &hotp(31)).await.0,
        401,
        "used by the resync"
    );
    assert_eq!(otp_login(&s, "bob", &hotp(32)).await.0, 303);
    let rows = events(&s).await;
    assert!(rows.iter().any(|(e, a, d)| e == "token_resynced"
        && a.as_deref() == Some("bob")
        && d.as_deref() == Some("serial=987654321 counter=32")));
}

#[tokio::test]
async fn bad_token_files_are_refused_whole_with_their_line_numbers() {
    let (s, _clock) = server().await;
    let admin = admin(&s).await;
    let count = || async {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM otp_tokens")
            .fetch_one(&s.db().await)
            .await
            .expect("count");
        n
    };
    let bad_csv = format!(
        "serial,secret,type,digits,period_or_counter\n\
         TK-1,{SECRET_B32},totp,6,30\n\
         TK-2,{SECRET_B32},totp,7,30\n\
         TK-3,not-base32!,hotp,6,0\n\
         TK-4,{SECRET_B32},totp,6,30\n"
    );
    let error = admin
        .import_tokens(&operator(), &bad_csv)
        .await
        .expect_err("refused");
    let AdminError::TokenFile(problems) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(problems.iter().map(|p| p.line).collect::<Vec<_>>(), [3, 4]);
    let message = error.message(tigr_server::i18n::Lang::Fr);
    assert!(message.contains("aucun jeton importé"), "{message}");
    assert!(
        message.contains("ligne 3 : serial \"TK-2\": digits must be 6 or 8"),
        "{message}"
    );
    assert!(message.contains("ligne 4 :"), "{message}");
    assert!(!message.contains(SECRET_B32));
    assert_eq!(
        count().await,
        0,
        "nothing imported, not even the good lines"
    );

    let encrypted = "<KeyContainer Version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:keyprov:pskc\">\n\
        <EncryptionKey><KeyName>Pre-shared-key</KeyName></EncryptionKey>\n\
        </KeyContainer>\n";
    let error = admin
        .import_tokens(&operator(), encrypted)
        .await
        .expect_err("encrypted");
    assert!(
        error
            .message(tigr_server::i18n::Lang::En)
            .contains("line 2: encrypted PSKC is not supported"),
        "{error}"
    );

    // A serial already imported refuses the whole second file.
    admin
        .import_tokens(&operator(), &csv_file())
        .await
        .expect("first file");
    let again = format!(
        "serial,secret,type,digits,period_or_counter\n\
         TK-9,{SECRET_B32},totp,6,30\n\
         TK-0002,{SECRET_B32},hotp,6,0\n"
    );
    let error = admin
        .import_tokens(&operator(), &again)
        .await
        .expect_err("duplicate");
    let AdminError::TokenFile(problems) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].line, 3);
    assert!(problems[0].problem.contains("already imported"));
    assert_eq!(count().await, 3);
}

#[tokio::test]
async fn an_account_holds_one_token_and_a_taken_token_is_not_given_twice() {
    let (s, _clock) = server().await;
    account_with_password(&s, "alice").await;
    account_with_password(&s, "bob").await;
    let admin = admin(&s).await;
    admin
        .import_tokens(&operator(), &csv_file())
        .await
        .expect("import");
    admin
        .assign_token(&operator(), "alice", "TK-0001")
        .await
        .expect("assign");
    assert!(matches!(
        admin.assign_token(&operator(), "alice", "TK-0002").await,
        Err(AdminError::AccountHasToken { .. })
    ));
    assert!(matches!(
        admin.assign_token(&operator(), "bob", "TK-0001").await,
        Err(AdminError::TokenTaken { .. })
    ));
    // Taken back, it may go to bob; revoked, to nobody.
    assert_eq!(
        admin
            .unassign_token(&operator(), "TK-0001")
            .await
            .expect("unassign"),
        "alice"
    );
    admin
        .assign_token(&operator(), "bob", "TK-0001")
        .await
        .expect("to bob");
    admin
        .revoke_token(&operator(), "TK-0002")
        .await
        .expect("revoke");
    assert!(matches!(
        admin.assign_token(&operator(), "alice", "TK-0002").await,
        Err(AdminError::TokenRevoked(_))
    ));
    let bobs = admin.tokens("bob").await.expect("list");
    assert_eq!(bobs.len(), 1);
    assert_eq!(bobs[0].serial, "TK-0001");
    let waiting: Vec<String> = admin
        .unassigned_tokens()
        .await
        .expect("unassigned")
        .into_iter()
        .map(|t| t.serial)
        .collect();
    assert_eq!(waiting, ["TK-0003"]);
}

#[tokio::test]
async fn an_authenticator_app_enrolls_from_an_invitation_with_a_first_valid_code() {
    let (s, clock) = server().await;
    let admin = alice_with_token(&s).await;
    let invitation = admin
        .invite_token(&operator(), "alice")
        .await
        .expect("invite");
    assert_eq!(invitation.replaces.as_deref(), Some("TK-0001"));
    let path = invitation
        .link
        .strip_prefix(s.origin())
        .expect("link on this server")
        .to_owned();

    let mut tab = Tab::new(&s);
    let page = tab.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.header("cache-control"), "no-store");
    let start = page
        .body
        .find("id=\"token-secret\">")
        .expect("secret shown")
        + 18;
    let end = start + page.body[start..].find("</code>").expect("end");
    let secret_text = unescape(&page.body[start..end]);
    let secret_b32: String = secret_text.split_whitespace().collect();
    assert_eq!(secret_b32.len(), 32, "160 bits");
    // The QR code is the server's own rendering of the standard otpauth:// link.
    let secret = tigr_server::domain::token_import::decode_base32(&secret_b32).expect("b32");
    let uri = otpauth_uri("Tigr", "alice", &secret, &app_params(1));
    assert!(
        uri.starts_with("otpauth://totp/Tigr:alice?secret="),
        "{uri}"
    );
    assert!(
        uri.ends_with("&issuer=Tigr&algorithm=SHA1&digits=6&period=30"),
        "{uri}"
    );
    let svg = tigr_server::qr_image::inline_svg(&uri).expect("svg");
    assert!(page.body.contains(&svg), "the page shows the QR of {uri}");

    // A wrong first code: the page again, nothing enrolled.
    let csrf = attr(&page.body, "name=\"csrf\" value");
    let origin = tab.origin();
    let good = totp(&secret_b32, START);
    let wrong = if good == "000000" { "111111" } else { "000000" };
    let refused = tab
        .submit(&path, &[("csrf", &csrf), ("otp", wrong)], Some(&origin))
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("Ce code ne correspond pas"));
    let done = tab
        .submit(&path, &[("csrf", &csrf), ("otp", &good)], Some(&origin))
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        unescape(&done.body).contains("application d'authentification est activée"),
        "{}",
        done.body
    );
    // The link worked once; the hardware token it replaced is revoked.
    assert_eq!(tab.get(&path).await.status, 410);
    let tokens = admin.tokens("alice").await.expect("tokens");
    assert_eq!(tokens.len(), 2);
    assert!(tokens[0].serial.starts_with("app-") && tokens[0].is_active());
    assert_eq!(tokens[1].serial, "TK-0001");
    assert!(!tokens[1].is_active());
    assert_eq!(
        otp_login(&s, "alice", &totp(SECRET_B32, START + 30))
            .await
            .0,
        401
    );

    // The enrollment code's step is used; the next one logs in.
    assert_eq!(otp_login(&s, "alice", &good).await.0, 401);
    clock.advance(30);
    assert_eq!(
        otp_login(&s, "alice", &totp(&secret_b32, START + 30)).await,
        (303, "otp_token".into())
    );
    let rows = events(&s).await;
    assert!(rows.iter().any(|(e, a, d)| {
        e == "token_enrolled"
            && a.as_deref() == Some("alice")
            && d.as_deref()
                .is_some_and(|d| d.ends_with("replaced=TK-0001"))
    }));
    // Counted in the server's metrics (the enrollment is the server's own audit row).
    let metrics = s
        .http
        .get(s.url("/metrics"))
        .send()
        .await
        .expect("scrape")
        .text()
        .await
        .expect("metrics");
    assert!(
        metrics.contains("tigr_audit_events_total{event=\"token_enrolled\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_token_code_used_by_two_logins_at_once_opens_one_session() {
    let (s, _clock) = server().await;
    alice_with_token(&s).await;
    let code = totp(SECRET_B32, START);
    let (first, second) =
        tokio::join!(otp_login(&s, "alice", &code), otp_login(&s, "alice", &code));
    let mut statuses = [first.0, second.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 401]);
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM web_sessions")
        .fetch_one(&s.db().await)
        .await
        .expect("count");
    assert_eq!(sessions, 1);
}

#[tokio::test]
async fn a_hardware_totp_token_whose_clock_drifts_ahead_is_followed_login_after_login() {
    let (s, clock) = server().await;
    let admin = alice_with_token(&s).await;
    // The token's clock runs 25 s ahead on day one: its code is the next step's, inside the
    // ±1 window; the drift (+1 step) is learned.
    let mut now = START;
    let mut ahead = 25;
    assert_eq!(
        otp_login(&s, "alice", &shown(now, ahead)).await,
        (303, "otp_token".into())
    );
    assert_eq!(drift(&s, "TK-0001").await, 1);
    // Then it gains 30 s a week; the clinician logs in once a week. Each code is one step
    // past the drift learned the week before: inside the window around it, though by week
    // three outside the window around the server's own time. Six weeks on the token runs
    // seven steps (3.5 min) ahead, and still logs in.
    for week in 1..=6 {
        clock.advance(7 * 86_400);
        now += 7 * 86_400;
        ahead += 30;
        assert_eq!(
            otp_login(&s, "alice", &shown(now, ahead)).await,
            (303, "otp_token".into()),
            "week {week}"
        );
        assert_eq!(drift(&s, "TK-0001").await, 1 + week, "week {week}");
        // The code just used, and the token's previous one, are refused (replay).
        assert_eq!(
            otp_login(&s, "alice", &shown(now, ahead)).await.0,
            401,
            "week {week}"
        );
        assert_eq!(
            otp_login(&s, "alice", &shown(now, ahead - 30)).await.0,
            401,
            "week {week}"
        );
    }
    // The window now lies around the token's clock: a code of the server's own time, never
    // used, is refused; so is one two steps further than the token.
    clock.advance(60);
    now += 60;
    assert_eq!(otp_login(&s, "alice", &shown(now, 0)).await.0, 401);
    assert_eq!(otp_login(&s, "alice", &shown(now, ahead + 60)).await.0, 401);
    assert_eq!(otp_login(&s, "alice", &shown(now, ahead)).await.0, 303);
    // The administrator sees the drift learned.
    let tokens = admin.tokens("alice").await.expect("tokens");
    assert_eq!(
        tigr_server::admin::token_summary(tigr_server::i18n::Lang::En, &tokens[0]),
        "TOTP SHA1 6 30s ±1, drift +7 (+210 s)"
    );
    assert_eq!(
        tigr_server::admin::token_summary(tigr_server::i18n::Lang::Fr, &tokens[0]),
        "TOTP SHA1 6 30s ±1, dérive +7 (+210 s)"
    );
}

#[tokio::test]
async fn a_totp_token_past_its_window_is_resynchronised_from_two_consecutive_codes() {
    let (s, clock) = server().await;
    let admin = alice_with_token(&s).await;
    // Months without a login: the token now runs five steps (2.5 min) ahead, beyond the
    // window around the drift learned (none): locked out.
    let now = START;
    let ahead = 150;
    assert_eq!(otp_login(&s, "alice", &shown(now, ahead)).await.0, 401);
    // Two codes that do not follow each other, or a token more than 20 minutes off (three
    // hours ahead, found within the day searched): refused, nothing changes.
    let refused = admin
        .resync_token(
            &operator(),
            "TK-0001",
            &shown(now, ahead - 30),
            &shown(now, ahead + 30),
        )
        .await
        .expect_err("not consecutive");
    assert!(
        matches!(refused, AdminError::ResyncFailed(_)),
        "{refused:?}"
    );
    let refused = admin
        .resync_token(
            &operator(),
            "TK-0001",
            &shown(now, 3 * 3600 - 30),
            &shown(now, 3 * 3600),
        )
        .await
        .expect_err("too far");
    assert!(
        matches!(&refused, AdminError::ClockTooFar { minutes: 180, .. }),
        "{refused:?}"
    );
    assert!(
        refused
            .message(tigr_server::i18n::Lang::Fr)
            .contains("décalée de +180 min"),
        "{}",
        refused.message(tigr_server::i18n::Lang::Fr)
    );
    assert_eq!(drift(&s, "TK-0001").await, 0);
    // The code shown, then the next one: the drift becomes the token's.
    let first = shown(now, ahead);
    clock.advance(30);
    let now = now + 30;
    let second = shown(now, ahead);
    let resynced = admin
        .resync_token(&operator(), "TK-0001", &first, &second)
        .await
        .expect("resync");
    assert_eq!(resynced.state.drift, 5);
    assert_eq!(drift(&s, "TK-0001").await, 5);
    // The two codes are spent; the token's next code logs in.
    assert_eq!(otp_login(&s, "alice", &second).await.0, 401);
    clock.advance(30);
    assert_eq!(
        otp_login(&s, "alice", &shown(now + 30, ahead)).await,
        (303, "otp_token".into())
    );
    let rows = events(&s).await;
    assert!(
        rows.iter().any(|(e, a, d)| e == "token_resynced"
            && a.as_deref() == Some("alice")
            && d.as_deref() == Some("serial=TK-0001 drift=5")),
        "{rows:?}"
    );
    let resyncs = rows
        .iter()
        .filter(|(e, _, _)| e == "token_resynced")
        .count();
    assert_eq!(resyncs, 1, "refusals change nothing");
}
