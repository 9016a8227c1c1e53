//! End-to-end: a real server on loopback with a temporary SQLite file, the real `tigr-phone`
//! binary as the phone, and the JSON API as the browser.

use std::path::Path;

use tigr_core::client::ClientError;
use tigr_core::wire::{ChallengeState, ErrorCode};
use tigr_tests::harness::{Harness, PhoneRun, login_qr};

const PIN: &str = "2580";
const WRONG_PIN: &str = "1379";

fn phone_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_tigr-phone"))
}

/// Writes `payload` as a QR PNG, the way a screen or a printed invitation shows it.
fn qr_png(harness: &Harness, name: &str, payload: &str) -> String {
    let code = qrcode::QrCode::new(payload.as_bytes()).expect("payload fits in a QR");
    let image = code
        .render::<image::Luma<u8>>()
        .module_dimensions(4, 4)
        .build();
    let path = harness.path(name);
    image.save(&path).expect("PNG written");
    path.to_string_lossy().into_owned()
}

/// The one-time password that `tigr-phone offline` printed.
fn printed_password(run: &PhoneRun) -> String {
    run.stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("Mot de passe :"))
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| panic!("no password line: {run:?}"))
}

fn enroll(harness: &Harness, phone_name: &str, account: &str) -> tigr_tests::harness::Phone {
    let phone = harness.phone(phone_name);
    let payload = harness.enrollment(account);
    let run = phone.run(phone_binary(), &["enroll", &payload], Some(PIN));
    assert!(run.ok, "enroll failed: {run:?}");
    assert!(
        run.stdout
            .contains(&format!("Téléphone enrôlé pour {account}")),
        "{run:?}"
    );
    phone
}

#[test]
fn enroll_from_an_image_then_log_in_online() {
    let harness = Harness::start();
    let phone = harness.phone("phone");
    let enrollment = qr_png(&harness, "enroll.png", &harness.enrollment("alice"));
    let run = phone.run(phone_binary(), &["enroll", &enrollment], Some(PIN));
    assert!(run.ok, "{run:?}");
    assert!(run.stdout.contains("Compte : alice"), "{run:?}");

    let browser = harness.browser();
    let challenge = browser.new_challenge();
    assert_eq!(browser.status(&challenge, 0).state, ChallengeState::Pending);
    let login = qr_png(&harness, "login.png", &challenge.qr_payload);
    let run = phone.run(phone_binary(), &["approve", &login], Some(PIN));
    assert!(run.ok, "{run:?}");
    assert!(
        run.stdout.contains("Service :"),
        "context shown before the PIN: {run:?}"
    );
    assert!(run.stdout.contains("Navigateur :"), "{run:?}");
    assert!(
        run.stdout.contains("Connexion approuvée pour alice"),
        "{run:?}"
    );

    let status = browser.status(&challenge, 5);
    assert_eq!(status.state, ChallengeState::Approved);
    assert_eq!(status.account.as_deref(), Some("alice"));
}

#[test]
fn five_wrong_pins_block_and_the_right_pin_is_then_refused() {
    let harness = Harness::start();
    let phone = enroll(&harness, "phone", "bob");
    let browser = harness.browser();
    let challenge = browser.new_challenge();
    for left in (1..=4).rev() {
        let run = phone.run(
            phone_binary(),
            &["approve", &challenge.qr_payload],
            Some(WRONG_PIN),
        );
        assert!(!run.ok, "{run:?}");
        assert!(
            run.stderr
                .contains(&format!("tentatives restantes : {left}")),
            "attempts left {left}: {run:?}"
        );
    }
    let run = phone.run(
        phone_binary(),
        &["approve", &challenge.qr_payload],
        Some(WRONG_PIN),
    );
    assert!(!run.ok);
    assert!(run.stderr.to_lowercase().contains("bloqué"), "{run:?}");
    // A temporary block by default: the phone says when to try again.
    assert!(run.stderr.contains("Réessayez dans 15 min"), "{run:?}");

    // A new challenge does not reset the counter, and the right PIN is refused while blocked.
    let fresh = browser.new_challenge();
    let run = phone.run(phone_binary(), &["approve", &fresh.qr_payload], Some(PIN));
    assert!(!run.ok, "{run:?}");
    assert!(run.stderr.to_lowercase().contains("bloqué"), "{run:?}");
    // The browser showing that QR learns the login ended on the (temporary) block.
    let status = browser.status(&fresh, 0);
    assert_eq!(status.state, ChallengeState::Blocked, "{status:?}");
    assert!(status.blocked_until.is_some(), "{status:?}");
    assert_eq!(status.account, None, "{status:?}");
}

#[test]
fn a_success_resets_the_failure_counter() {
    let harness = Harness::start();
    let phone = enroll(&harness, "phone", "carol");
    let browser = harness.browser();
    for _ in 0..2 {
        let challenge = browser.new_challenge();
        for _ in 0..4 {
            let run = phone.run(
                phone_binary(),
                &["approve", &challenge.qr_payload],
                Some(WRONG_PIN),
            );
            assert!(!run.ok);
        }
        let run = phone.run(
            phone_binary(),
            &["approve", &challenge.qr_payload],
            Some(PIN),
        );
        assert!(run.ok, "4 failures then success must pass: {run:?}");
    }
}

#[test]
fn replay_of_an_approved_challenge_is_refused() {
    let harness = Harness::start();
    let phone = enroll(&harness, "phone", "dave");
    let challenge = harness.browser().new_challenge();
    assert!(
        phone
            .run(
                phone_binary(),
                &["approve", &challenge.qr_payload],
                Some(PIN)
            )
            .ok
    );
    let replay = phone.run(
        phone_binary(),
        &["approve", &challenge.qr_payload],
        Some(PIN),
    );
    assert!(!replay.ok, "{replay:?}");
    assert!(replay.stderr.contains("déjà"), "{replay:?}");
}

#[test]
fn an_expired_challenge_is_refused() {
    let harness = Harness::start_with(|config| config.challenge_ttl = 1);
    let phone = enroll(&harness, "phone", "erin");
    let browser = harness.browser();
    let challenge = browser.new_challenge();
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    let run = phone.run(
        phone_binary(),
        &["approve", &challenge.qr_payload],
        Some(PIN),
    );
    assert!(!run.ok, "{run:?}");
    assert!(run.stderr.contains("expiré"), "{run:?}");
    assert_eq!(browser.status(&challenge, 0).state, ChallengeState::Expired);
}

#[test]
fn offline_code_logs_in_and_is_bound_to_its_qr() {
    let harness = Harness::start();
    let phone = enroll(&harness, "phone", "fanny");
    let browser = harness.browser();
    let challenge = browser.new_challenge();
    let run = phone.run(
        phone_binary(),
        &["offline", &challenge.qr_payload],
        Some(PIN),
    );
    assert!(run.ok, "{run:?}");
    let otp = printed_password(&run);
    assert_eq!(otp.len(), 8, "{run:?}");
    assert!(run.stdout.contains("Identifiant Tigr : fanny"));

    // The code of this QR does not open another challenge.
    let other = browser.new_challenge();
    match browser.submit_offline(&other, "fanny", &otp) {
        Err(ClientError::Server {
            code: ErrorCode::InvalidResponse,
            attempts_left: Some(4),
            ..
        }) => {}
        other => panic!("code reused on another QR: {other:?}"),
    }
    let outcome = browser
        .submit_offline(&challenge, "fanny", &otp)
        .expect("offline login");
    assert_eq!(outcome.account, "fanny");
    assert_eq!(
        browser.status(&challenge, 0).state,
        ChallengeState::Approved
    );
    // Single use.
    assert!(matches!(
        browser.submit_offline(&challenge, "fanny", &otp),
        Err(ClientError::Server {
            code: ErrorCode::ChallengeUsed,
            ..
        })
    ));
}

#[test]
fn offline_code_with_a_wrong_pin_counts_as_a_failure() {
    let harness = Harness::start();
    let phone = enroll(&harness, "phone", "gael");
    let browser = harness.browser();
    let challenge = browser.new_challenge();
    let run = phone.run(
        phone_binary(),
        &["offline", &challenge.qr_payload],
        Some(WRONG_PIN),
    );
    assert!(
        run.ok,
        "a wrong PIN still yields a code (no oracle on the phone): {run:?}"
    );
    let otp = printed_password(&run);
    match browser.submit_offline(&challenge, "gael", &otp) {
        Err(ClientError::Server {
            code: ErrorCode::InvalidResponse,
            attempts_left: Some(4),
            ..
        }) => {}
        other => panic!("wrong-PIN code accepted or miscounted: {other:?}"),
    }
}

#[test]
fn deny_is_recorded_and_ends_the_challenge() {
    let harness = Harness::start();
    let phone = enroll(&harness, "phone", "hugo");
    let browser = harness.browser();
    let challenge = browser.new_challenge();
    let run = phone.run(phone_binary(), &["deny", &challenge.qr_payload], None);
    assert!(run.ok, "{run:?}");
    assert!(run.stdout.contains("ce n'était pas moi"), "{run:?}");
    assert_eq!(browser.status(&challenge, 0).state, ChallengeState::Denied);
    // The denial is in the audit trail: by the phone, about this login, signed with the
    // identity key.
    let denied: Vec<_> = harness
        .audit_of("hugo")
        .into_iter()
        .filter(|row| row.challenge_id.as_deref() == Some(challenge.challenge_id.as_str()))
        .collect();
    assert_eq!(denied.len(), 1, "{denied:?}");
    assert_eq!(
        (
            denied[0].event.as_str(),
            denied[0].actor.as_str(),
            denied[0].detail.as_deref()
        ),
        ("denied", "phone", Some("via=deny_signature"))
    );
    assert!(denied[0].device_id.is_some(), "{denied:?}");
    let late = phone.run(
        phone_binary(),
        &["approve", &challenge.qr_payload],
        Some(PIN),
    );
    assert!(!late.ok, "a denied challenge cannot be approved: {late:?}");
}

#[test]
fn another_client_knowing_the_id_learns_nothing() {
    let harness = Harness::start();
    let browser = harness.browser();
    let challenge = browser.new_challenge();
    for token in ["", "AAAAAAAAAAAAAAAAAAAAAAAAAA"] {
        match browser.status_with_token(&challenge.challenge_id, token) {
            Err(ClientError::Server {
                code: ErrorCode::BrowserMismatch,
                ..
            }) => {}
            other => panic!("status leaked to a foreign client: {other:?}"),
        }
    }
}

#[test]
fn re_enrollment_revokes_the_old_phone() {
    let harness = Harness::start();
    let old_phone = enroll(&harness, "old", "ines");
    let new_phone = enroll(&harness, "new", "ines");
    let browser = harness.browser();
    let challenge = browser.new_challenge();
    let run = old_phone.run(
        phone_binary(),
        &["approve", &challenge.qr_payload],
        Some(PIN),
    );
    assert!(!run.ok, "the replaced phone must be refused: {run:?}");
    assert!(
        run.stderr.contains("révoqué") || run.stderr.contains("remplacé"),
        "{run:?}"
    );
    let run = new_phone.run(
        phone_binary(),
        &["approve", &challenge.qr_payload],
        Some(PIN),
    );
    assert!(run.ok, "{run:?}");
}

#[test]
fn an_enrollment_code_is_single_use() {
    let harness = Harness::start();
    let payload = harness.enrollment("jules");
    let first = harness
        .phone("a")
        .run(phone_binary(), &["enroll", &payload], Some(PIN));
    assert!(first.ok, "{first:?}");
    let second = harness
        .phone("b")
        .run(phone_binary(), &["enroll", &payload], Some(PIN));
    assert!(!second.ok, "{second:?}");
    assert!(second.stderr.contains("déjà"), "{second:?}");
}

#[test]
fn bad_codes_get_clear_errors_and_change_nothing() {
    let harness = Harness::start();
    let phone = harness.phone("phone");
    let run = phone.run(
        phone_binary(),
        &["enroll", "https://example.com/hello"],
        Some(PIN),
    );
    assert!(!run.ok);
    assert!(run.stderr.contains("n'est pas un code Tigr"), "{run:?}");
    let run = phone.run(
        phone_binary(),
        &["enroll", &harness.enrollment("kim")],
        Some("12"),
    );
    assert!(!run.ok);
    assert!(run.stderr.contains("4 à 12 chiffres"), "{run:?}");
    let run = phone.run(phone_binary(), &["accounts"], None);
    assert!(
        run.stdout.contains("Aucun compte"),
        "nothing was enrolled: {run:?}"
    );
}

#[test]
fn a_restart_keeps_accounts_phones_and_offline_secrets() {
    let mut harness = Harness::start();
    let phone = enroll(&harness, "phone", "lea");
    harness.restart();
    let browser = harness.browser();
    let challenge = browser.new_challenge();
    let run = phone.run(
        phone_binary(),
        &["approve", &challenge.qr_payload],
        Some(PIN),
    );
    assert!(run.ok, "{run:?}");
    let offline = browser.new_challenge();
    let run = phone.run(phone_binary(), &["offline", &offline.qr_payload], Some(PIN));
    let otp = printed_password(&run);
    browser
        .submit_offline(&offline, "lea", &otp)
        .expect("the master key survived the restart");
    assert_eq!(
        login_qr(&offline.qr_payload).challenge_id,
        offline.challenge_id
    );
}
