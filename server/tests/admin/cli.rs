//! The `tigr-server admin ...` binary, run as operators do, on database files of temporary
//! folders (some shared with a running server).
//!
//! The command line runs as a blocking child process: tests that also run a server in this
//! process use a multi-thread runtime, so that the server's tasks go on (and finish what
//! they hold of the database) while the test thread waits for the command.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::browser::Tab;
use crate::common::{Phone, TestServer};
use crate::oathtool::{hotp, totp_at};
use crate::support::{cli, cli_fails, cli_ok, database_url, tigr_server_in};

const FR: &str = "fr_FR.UTF-8";
const EN: &str = "en_US.UTF-8";

/// Audit rows (event, actor, account) of the database in `dir`.
async fn audit_rows(dir: &Path) -> Vec<(String, String, Option<String>)> {
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&database_url(dir))
        .await
        .expect("database");
    let rows = sqlx::query_as("SELECT event, actor, account_id FROM audit ORDER BY id")
        .fetch_all(&db)
        .await
        .expect("audit");
    db.close().await;
    rows
}

/// The QR payload and invitation id printed by `enroll` / `bootstrap`.
fn printed_invitation(stdout: &str) -> (String, String) {
    let payload = stdout
        .lines()
        .find_map(|l| {
            l.strip_prefix("Contenu du QR code : ")
                .or_else(|| l.strip_prefix("QR code content: "))
        })
        .expect("payload line")
        .to_owned();
    let id = stdout
        .lines()
        .find_map(|l| {
            l.strip_prefix("Invitation : ")
                .or_else(|| l.strip_prefix("Invitation: "))
        })
        .and_then(|rest| rest.split_whitespace().next())
        .expect("invitation line")
        .to_owned();
    (payload, id)
}

/// Runs of spaces (table and field alignment) as one.
fn squash(text: &str) -> String {
    text.lines()
        .map(|l| {
            l.split(' ')
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn code_of_payload(payload: &str) -> String {
    payload.rsplit('/').next().expect("code").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_are_created_listed_shown_edited_disabled_and_enabled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let out = cli_ok(
        d,
        FR,
        &[
            "admin",
            "create",
            "alice",
            "--name",
            "Alice Martin",
            "--email",
            "alice@chu.fr",
        ],
    );
    assert_eq!(
        out.trim(),
        "Compte « alice » créé (rôle user). Pour enrôler son téléphone : tigr-server admin \
         enroll alice"
    );
    let out = cli_ok(
        d,
        EN,
        &[
            "admin",
            "create",
            "b.durand",
            "--name",
            "Bruno Durand",
            "--role",
            "admin",
        ],
    );
    assert!(
        out.starts_with("Account \"b.durand\" created (role admin)"),
        "{out}"
    );

    let out = cli_ok(d, FR, &["admin", "list"]);
    assert!(
        out.starts_with("Comptes 1 à 2 sur 2 (page 1 sur 1)\nIDENTIFIANT"),
        "{out}"
    );
    assert!(
        squash(&out).contains("\nalice Alice Martin user actif aucun"),
        "{out}"
    );
    let out = cli_ok(
        d,
        EN,
        &["admin", "list", "--search", "DURAND", "--per-page", "1"],
    );
    assert!(
        out.contains("TIGR ID") && out.contains("b.durand") && !out.contains("alice"),
        "{out}"
    );
    let out = cli_ok(d, FR, &["admin", "list", "--role", "admin"]);
    assert!(out.contains("b.durand") && !out.contains("alice "), "{out}");
    let out = cli_ok(d, FR, &["admin", "list", "--status", "disabled"]);
    assert_eq!(out.trim(), "Aucun compte (page 1 sur 1).");

    let out = cli_ok(
        d,
        FR,
        &[
            "admin",
            "edit",
            "alice",
            "--name",
            "Dr Alice Martin",
            "--email",
            "",
        ],
    );
    assert_eq!(
        out.trim(),
        "Compte « alice » modifié : nom « Dr Alice Martin », e-mail -, rôle user."
    );
    let out = cli_ok(
        d,
        FR,
        &[
            "admin",
            "disable",
            "alice",
            "--reason",
            "départ en retraite",
        ],
    );
    assert!(out.starts_with("Compte « alice » désactivé"), "{out}");
    let out = squash(&cli_ok(d, FR, &["admin", "show", "alice"]));
    assert!(out.starts_with("Compte « alice »\n"), "{out}");
    assert!(out.contains("\nNom : Dr Alice Martin\n"), "{out}");
    assert!(out.contains("\nÉtat : désactivé\n"), "{out}");
    assert!(out.contains("(départ en retraite)"), "{out}");
    assert!(out.contains("\nTéléphone : aucun téléphone actif"), "{out}");
    let out = squash(&cli_ok(d, EN, &["admin", "show", "alice"]));
    assert!(out.contains("\nState : disabled\n"), "{out}");
    let out = cli_ok(d, FR, &["admin", "list", "--status", "disabled"]);
    assert!(out.contains("alice"), "{out}");
    let out = cli_ok(d, FR, &["admin", "enable", "alice"]);
    assert_eq!(out.trim(), "Compte « alice » réactivé.");

    let rows = audit_rows(d).await;
    let expected = [
        ("account_created", "alice"),
        ("account_created", "b.durand"),
        ("account_updated", "alice"),
        ("account_disabled", "alice"),
        ("account_enabled", "alice"),
    ];
    assert_eq!(rows.len(), expected.len(), "{rows:?}");
    for ((event, actor, account), (want_event, want_account)) in rows.iter().zip(expected) {
        assert_eq!(
            (event.as_str(), actor.as_str(), account.as_deref()),
            (want_event, "cli:operator", Some(want_account))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_fails_with_a_clear_message_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    cli_ok(d, FR, &["admin", "create", "alice", "--name", "Alice"]);
    let before = audit_rows(d).await.len();

    let err = cli_fails(
        d,
        FR,
        &["admin", "create", "alice", "--name", "Autre Alice"],
    );
    assert_eq!(
        err.trim(),
        "tigr-server: Le compte « alice » existe déjà : choisissez un autre identifiant Tigr, \
         ou modifiez le compte existant."
    );
    let err = cli_fails(d, EN, &["admin", "create", "alice", "--name", "Other"]);
    assert!(err.contains("Account \"alice\" already exists"), "{err}");
    let cases: &[(&[&str], &str)] = &[
        (
            &["admin", "create", "Alice", "--name", "A"],
            "Identifiant Tigr invalide « Alice »",
        ),
        (
            &[
                "admin", "create", "bob", "--name", "B", "--email", "bob@chu",
            ],
            "Adresse e-mail invalide",
        ),
        (
            &["admin", "create", "bob", "--name", "B", "--role", "root"],
            "Rôle invalide « root »",
        ),
        (&["admin", "create", "bob", "--name", " "], "Nom invalide"),
        (&["admin", "edit", "alice"], "Rien à modifier"),
        (
            &["admin", "edit", "nobody", "--name", "X"],
            "Compte inconnu : « nobody »",
        ),
        (&["admin", "show", "nobody"], "Compte inconnu"),
        (&["admin", "enable", "alice"], "n'est pas désactivé"),
        (&["admin", "unblock", "alice"], "n'est pas bloqué"),
        (&["admin", "revoke", "alice"], "aucun téléphone actif"),
        (
            &["admin", "enroll", "alice", "--ttl", "5y"],
            "Durée de validité invalide",
        ),
        (
            &["admin", "enroll", "alice", "--ttl", "10s"],
            "Durée de validité invalide",
        ),
        (
            &["admin", "enroll", "alice", "--png", "no/such/folder/a.png"],
            "no/such/folder",
        ),
        (
            &["admin", "list", "--page", "0"],
            "Filtre « page » invalide",
        ),
        (
            &["admin", "list", "--status", "asleep"],
            "Filtre « status » invalide",
        ),
        (
            &["admin", "audit", "--since", "yesterday"],
            "Filtre « since » invalide",
        ),
        (
            &["admin", "audit", "--event", "nothing_happened"],
            "Filtre « event » invalide",
        ),
        (&["admin", "invitation", "NOPE"], "Invitation inconnue"),
        (
            &["admin", "cancel-invitation", "NOPE"],
            "Invitation inconnue",
        ),
    ];
    for (args, message) in cases {
        let err = cli_fails(d, FR, args);
        assert!(err.starts_with("tigr-server: "), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
    // Usage errors are clap's (exit status 2).
    let output = cli(d, FR, &["admin", "create", "carol"]);
    assert_eq!(output.status.code(), Some(2));

    assert_eq!(audit_rows(d).await.len(), before, "nothing audited");
    assert!(
        std::fs::read_dir(d).expect("dir").all(|e| !e
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .ends_with(".png")),
        "no image written"
    );
    let out = cli_ok(d, FR, &["admin", "list"]);
    assert!(out.contains("sur 1 "), "still one account: {out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enroll_and_its_alias_print_the_qr_code_and_write_a_png() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let out = cli_ok(
        d,
        FR,
        &["enroll", "alice", "--display-name", "Alice Martin"],
    );
    assert!(out.starts_with("Enrôlement du compte « alice »\n"), "{out}");
    assert!(
        out.contains("Code à usage unique, valable jusqu'à "),
        "{out}"
    );
    // Local time of the server's zone (Europe/Paris by default), with its offset.
    assert!(
        out.contains(" (UTC+01:00) le ") || out.contains(" (UTC+02:00) le "),
        "{out}"
    );
    assert!(out.contains("(dans 15 min)"), "{out}");
    let (payload, first_id) = printed_invitation(&out);
    assert!(
        payload.starts_with("https://auth.example.fr/t/1/E/"),
        "{payload}"
    );
    assert!(
        out.contains("Image PNG écrite dans : enroll-alice.png"),
        "{out}"
    );
    let png = std::fs::read(d.join("enroll-alice.png")).expect("png written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));

    std::fs::create_dir(d.join("qr")).expect("folder");
    let out = cli_ok(
        d,
        EN,
        &[
            "admin", "enroll", "alice", "--ttl", "2h", "--png", "qr/a.png",
        ],
    );
    assert!(out.starts_with("Enrollment of account \"alice\""), "{out}");
    assert!(
        out.contains("Scan this QR code") && out.contains("(in 120 min)"),
        "{out}"
    );
    assert!(d.join("qr/a.png").is_file());
    let (_, second_id) = printed_invitation(&out);

    let out = cli_ok(d, FR, &["admin", "invitations", "alice"]);
    assert!(
        out.starts_with("2 invitation(s) en attente\nINVITATION"),
        "{out}"
    );
    assert!(out.contains(&first_id) && out.contains(&second_id) && out.contains("cli:operator"));
    let out = cli_ok(d, FR, &["admin", "invitation", &first_id]);
    assert!(
        out.starts_with(&format!(
            "Invitation {first_id} (compte « alice ») : en attente jusqu'à"
        )),
        "{out}"
    );
    let out = cli_ok(d, FR, &["admin", "cancel-invitation", &first_id]);
    assert!(
        out.contains("annulée : son QR code ne fonctionne plus"),
        "{out}"
    );
    let out = cli_ok(d, FR, &["admin", "invitation", &first_id]);
    assert!(out.contains(": annulée à "), "{out}");
    let out = cli_ok(d, EN, &["admin", "cancel-invitation", "--account", "alice"]);
    assert_eq!(
        out.trim(),
        "1 pending invitation(s) cancelled for account \"alice\"."
    );
    let out = cli_ok(d, FR, &["admin", "invitations"]);
    assert_eq!(out.trim(), "Aucune invitation en attente.");

    let events: Vec<String> = audit_rows(d).await.into_iter().map(|r| r.0).collect();
    assert_eq!(
        events,
        [
            "account_created",
            "enrollment_created",
            "enrollment_created",
            "enrollment_cancelled",
            "enrollment_cancelled"
        ]
    );
}

/// Which channel is blocked, until when: offline codes paused for an account's Tigr ID are
/// shown and listed with the blocked accounts, and `unblock` lifts the pause.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_pauses_are_shown_listed_and_lifted() {
    let s = TestServer::start().await;
    let d = s.dir.path().to_owned();
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    for _ in 0..5 {
        s.offline(&c, "alice", "00000000").await;
    }
    let out = squash(&cli_ok(&d, FR, &["admin", "show", "alice"]));
    assert!(
        out.contains("État : saisie hors connexion suspendue jusqu'à "),
        "{out}"
    );
    assert!(
        out.contains("Blocage : non bloqué, 0 échec(s) consécutif(s)"),
        "the phone channel is open: {out}"
    );
    assert!(
        out.contains("Hors connexion : suspendue depuis ")
            && out
                .contains("(suspension n° 1) ; levée immédiate : tigr-server admin unblock alice"),
        "{out}"
    );
    let out = cli_ok(&d, EN, &["admin", "list", "--blocked"]);
    assert!(
        out.contains("alice") && out.contains("offline sign-in paused until"),
        "{out}"
    );
    cli_ok(&d, FR, &["admin", "unblock", "alice"]);
    let out = squash(&cli_ok(&d, FR, &["admin", "show", "alice"]));
    assert!(
        out.contains("Hors connexion : acceptée, 0 échec(s) consécutif(s)"),
        "{out}"
    );
    let (status, body) = s
        .offline(&c, "alice", &phone.offline_code(s.origin(), &c))
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_unblock_and_revoke_act_on_a_running_server() {
    let s = TestServer::start().await;
    let d = s.dir.path().to_owned();
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    for _ in 0..5 {
        s.respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
            .await;
    }
    let out = cli_ok(&d, FR, &["admin", "show", "alice"]);
    assert!(out.contains("bloqué temporairement depuis "), "{out}");
    assert!(out.contains("(trop d'échecs consécutifs)"), "{out}");
    assert!(out.contains("tigr-server admin unblock alice"), "{out}");
    assert!(out.contains("Pixel 8, enrôlé à "), "{out}");
    let out = cli_ok(&d, EN, &["admin", "list", "--blocked"]);
    assert!(
        out.contains("alice") && out.contains("blocked until"),
        "{out}"
    );

    let out = cli_ok(&d, FR, &["admin", "unblock", "alice"]);
    assert_eq!(
        out.trim(),
        "Compte « alice » débloqué (téléphone et saisie hors connexion) ; compteurs d'échecs remis à zéro."
    );
    let c = s.challenge().await;
    let (status, body) = s.respond(&c, &phone.approve(s.origin(), &c)).await;
    assert_eq!(status, 200, "{body}");

    let mut tab = Tab::new(&s);
    tab.log_in(&s, &phone).await;
    let out = cli_ok(&d, FR, &["admin", "revoke", "alice", "--reason", "perdu"]);
    assert!(
        out.starts_with("Téléphone « Pixel 8 » du compte « alice » révoqué"),
        "{out}"
    );
    // The running server sees the web session ended with the phone.
    assert_eq!(tab.get("/session").await.status, 303);
    let c = s.challenge().await;
    let (status, body) = s.respond(&c, &phone.approve(s.origin(), &c)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("device_revoked"))
    );
    let out = squash(&cli_ok(&d, FR, &["admin", "show", "alice"]));
    assert!(out.contains("\nTéléphone : aucun téléphone actif"), "{out}");
    assert!(
        out.contains("Anciens téléphones :\n- Pixel 8, enrôlé à "),
        "{out}"
    );
    assert!(out.contains("révoqué par un administrateur"), "{out}");

    // A new phone through the CLI's invitation.
    let out = cli_ok(&d, FR, &["admin", "enroll", "alice"]);
    let (payload, id) = printed_invitation(&out);
    let new = Phone::new("alice");
    let (status, body) = s
        .post(
            "/enrollments/complete",
            &new.registration(&code_of_payload(&payload)),
            None,
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let out = cli_ok(&d, EN, &["admin", "invitation", &id]);
    assert!(out.contains(": used ") && out.contains("enrolled"), "{out}");
    let rows = audit_rows(&d).await;
    assert!(rows.contains(&(
        "device_revoked".to_owned(),
        "cli:operator".to_owned(),
        Some("alice".to_owned())
    )));
    assert!(rows.contains(&(
        "account_unblocked".to_owned(),
        "cli:operator".to_owned(),
        Some("alice".to_owned())
    )));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_trail_is_listed_exported_and_followed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    cli_ok(
        d,
        FR,
        &["admin", "create", "alice", "--name", "=SOMME(A1:A9)"],
    );
    cli_ok(
        d,
        FR,
        &["admin", "create", "bob", "--name", "Bob, \"le grand\""],
    );
    cli_ok(d, FR, &["admin", "disable", "bob"]);

    let out = cli_ok(d, FR, &["admin", "audit", "--account", "bob"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "Journal d'audit, du plus récent au plus ancien : entrées 1 à 2 sur 2 (page 1 sur 1)"
    );
    assert!(
        lines[1].contains("  account_disabled  cli:operator  bob"),
        "{out}"
    );
    assert!(
        lines[2].contains("  account_created  cli:operator  bob  role=user"),
        "{out}"
    );
    let out = cli_ok(
        d,
        EN,
        &[
            "admin",
            "audit",
            "--event",
            "account_created",
            "--limit",
            "1",
        ],
    );
    assert!(
        out.starts_with("Audit trail, newest first: entries 1 to 1 of 2 (page 1 of 2)"),
        "{out}"
    );
    let out = cli_ok(d, FR, &["admin", "audit", "--actor", "web"]);
    assert_eq!(
        out.trim(),
        "Aucune entrée du journal d'audit ne correspond."
    );
    let out = cli_ok(
        d,
        FR,
        &["admin", "audit", "--since", "1h", "--until", "2099-01-01"],
    );
    assert!(out.contains("sur 3"), "{out}");

    let out = cli_ok(d, FR, &["admin", "audit", "--csv", "audit.csv"]);
    assert_eq!(
        out.trim(),
        "3 entrée(s) du journal d'audit exportée(s) dans audit.csv (CSV)."
    );
    let csv = std::fs::read_to_string(d.join("audit.csv")).expect("csv");
    assert!(
        csv.starts_with("id,time_utc,unix_time,event,actor,account,"),
        "{csv}"
    );
    assert_eq!(csv.matches("\r\n").count(), 4, "{csv}");
    assert!(
        csv.contains("\"role=user display_name=\"\"=SOMME(A1:A9)\"\"\""),
        "{csv}"
    );
    assert!(
        csv.contains("\"role=user display_name=\"\"Bob, \\\"\"le grand\\\"\"\"\"\""),
        "{csv}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(d.join("audit.csv"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the export is private");
    }
    assert!(!d.join(".audit.csv.partial").exists());
    let stdout_csv = cli_ok(
        d,
        FR,
        &["admin", "audit", "--csv", "-", "--account", "alice"],
    );
    assert_eq!(stdout_csv.matches("\r\n").count(), 2, "{stdout_csv}");
    let events: Vec<String> = audit_rows(d).await.into_iter().map(|r| r.0).collect();
    assert_eq!(events.iter().filter(|e| *e == "audit_exported").count(), 2);

    let out = cli_ok(d, FR, &["admin", "audit", "tail", "-n", "2"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].contains("audit_exported") && lines[1].contains("audit_exported"),
        "{out}"
    );

    // --follow prints new rows as they are written, until stopped.
    let mut child = tigr_server_in(d)
        .args([
            "admin",
            "audit",
            "tail",
            "--follow",
            "-n",
            "1",
            "--event",
            "account_created",
        ])
        .env("TIGR_LOG", "warn")
        .env("USER", "operator")
        .env("LANG", FR)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("tail starts");
    let stdout = child.stdout.take().expect("stdout");
    let (lines_tx, lines_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let next_line = |rx: &mpsc::Receiver<String>| rx.recv_timeout(Duration::from_secs(20));
    let first = next_line(&lines_rx).expect("latest row");
    assert!(
        first.contains("account_created") && first.contains(" bob "),
        "{first}"
    );
    let started = Instant::now();
    cli_ok(d, FR, &["admin", "create", "carol", "--name", "Carol"]);
    cli_ok(d, FR, &["admin", "disable", "carol"]);
    cli_ok(d, FR, &["admin", "create", "dave", "--name", "Dave"]);
    let second = next_line(&lines_rx).expect("new row");
    assert!(
        second.contains("account_created") && second.contains(" carol "),
        "{second}"
    );
    let third = next_line(&lines_rx).expect("new row");
    assert!(
        third.contains(" dave "),
        "filtered: no account_disabled row: {third}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    child.kill().expect("stop tail");
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_sets_up_the_first_admin_once_unless_forced() {
    let s = TestServer::start().await;
    let d = s.dir.path().to_owned();
    let out = cli_ok(
        &d,
        FR,
        &["admin", "bootstrap", "root", "--display-name", "Équipe SI"],
    );
    assert!(
        out.starts_with(
            "Accès administrateur « root » : enrôlement du téléphone de l'administrateur"
        ),
        "{out}"
    );
    assert!(out.contains("(dans 15 min)"), "{out}");
    let (payload, _) = printed_invitation(&out);
    let phone = Phone::new("root");
    let (status, body) = s
        .post(
            "/enrollments/complete",
            &phone.registration(&code_of_payload(&payload)),
            None,
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = s
        .post(
            "/enrollments/complete",
            &Phone::new("root").registration(&code_of_payload(&payload)),
            None,
        )
        .await;
    assert_eq!(status, 409, "single use");

    let err = cli_fails(&d, FR, &["admin", "bootstrap", "rescue"]);
    assert!(
        err.contains("Un administrateur avec un téléphone enregistré existe déjà"),
        "{err}"
    );
    assert!(err.contains("--force"), "{err}");
    let err = cli_fails(&d, EN, &["admin", "bootstrap", "rescue"]);
    assert!(
        err.contains("An administrator with an enrolled phone already exists"),
        "{err}"
    );
    let out = cli_ok(&d, EN, &["admin", "bootstrap", "rescue", "--force"]);
    assert!(out.starts_with("Administrator access \"rescue\""), "{out}");
    let out = cli_ok(&d, FR, &["admin", "list", "--role", "admin"]);
    assert!(out.contains("root") && out.contains("rescue"), "{out}");

    let rows = audit_rows(&d).await;
    let bootstraps: Vec<_> = rows.iter().filter(|r| r.0 == "admin_bootstrap").collect();
    assert_eq!(bootstraps.len(), 2);
    assert!(bootstraps.iter().all(|r| r.1 == "cli:operator"));
}

#[tokio::test]
async fn cards_are_bound_listed_and_unbound_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    cli_ok(
        d,
        FR,
        &["admin", "create", "jeanne", "--name", "Jeanne Martin"],
    );
    let out = cli_ok(
        d,
        FR,
        &[
            "admin",
            "card",
            "bind",
            "jeanne",
            "--national-id",
            "810001234567",
        ],
    );
    assert_eq!(
        out.trim(),
        "Carte « 810001234567 » associée au compte « jeanne »."
    );
    // The fingerprint of a certificate file.
    let pki = tigr_server::test_pki::TestPki::new(1_800_000_000);
    let card = pki.card(&tigr_server::test_pki::CardSpec::without_identifier(
        "Carte 12",
    ));
    std::fs::write(d.join("carte.pem"), card.pem()).expect("write");
    let fingerprint = tigr_server::domain::card::fingerprint(&card.der());
    let out = cli_ok(
        d,
        EN,
        &[
            "admin",
            "card",
            "bind",
            "jeanne",
            "--certificate",
            "carte.pem",
        ],
    );
    assert_eq!(
        out.trim(),
        format!("Card \"{fingerprint}\" bound to account \"jeanne\".")
    );
    let out = cli_ok(d, FR, &["admin", "card", "list", "jeanne"]);
    assert!(out.contains("national_id 810001234567"), "{out}");
    assert!(out.contains(&format!("fingerprint {fingerprint}")), "{out}");
    assert!(out.contains("cli:operator"), "{out}");
    // Refusals: malformed, bound elsewhere, two cards at once, not bound.
    let err = cli_fails(
        d,
        FR,
        &["admin", "card", "bind", "jeanne", "--national-id", "8100"],
    );
    assert!(err.contains("n’est ni un identifiant national"), "{err}");
    cli_ok(d, FR, &["admin", "create", "paul", "--name", "Paul Durand"]);
    let err = cli_fails(
        d,
        EN,
        &[
            "admin",
            "card",
            "bind",
            "paul",
            "--national-id",
            "810001234567",
        ],
    );
    assert!(err.contains("already bound to account \"jeanne\""), "{err}");
    let output = cli(
        d,
        FR,
        &[
            "admin",
            "card",
            "bind",
            "paul",
            "--national-id",
            "810001234567",
            "--fingerprint",
            "ab",
        ],
    );
    assert!(!output.status.success(), "one card at a time");
    cli_ok(
        d,
        FR,
        &[
            "admin",
            "card",
            "unbind",
            "jeanne",
            "--national-id",
            "810001234567",
        ],
    );
    let err = cli_fails(
        d,
        FR,
        &[
            "admin",
            "card",
            "unbind",
            "jeanne",
            "--national-id",
            "810001234567",
        ],
    );
    assert!(err.contains("n’est pas associée à ce compte"), "{err}");
    let out = cli_ok(d, FR, &["admin", "card", "list", "paul"]);
    assert_eq!(out.trim(), "Aucune carte associée au compte « paul ».");
    let events: Vec<String> = audit_rows(d)
        .await
        .into_iter()
        .filter(|(event, _, _)| event.starts_with("card_"))
        .map(|(event, actor, account)| format!("{event} {actor} {}", account.unwrap_or_default()))
        .collect();
    assert_eq!(
        events,
        [
            "card_bound cli:operator jeanne",
            "card_bound cli:operator jeanne",
            "card_unbound cli:operator jeanne"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_imported_assigned_listed_and_revoked_from_the_command_line() {
    let s = TestServer::start().await;
    let d = s.dir.path().to_owned();
    cli_ok(
        &d,
        FR,
        &["admin", "create", "alice", "--name", "Dr Alice Martin"],
    );
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let header = "serial,secret,type,digits,period_or_counter,algorithm";
    std::fs::write(
        d.join("bad.csv"),
        format!(
            "{header}\nTK-1,{secret},totp,6,30\nTK-2,{secret},totp,6,45\nTK-3,{secret},hotp,9,0\n"
        ),
    )
    .expect("write");
    let err = cli_fails(&d, FR, &["admin", "token", "import", "bad.csv"]);
    assert!(err.contains("aucun jeton importé (2 problèmes)"), "{err}");
    assert!(
        err.contains("ligne 3 : serial \"TK-2\": the period must be 30 or 60 seconds"),
        "{err}"
    );
    assert!(
        err.contains("ligne 4 : serial \"TK-3\": digits must be 6 or 8"),
        "{err}"
    );
    assert!(!err.contains(secret), "no secret in messages");
    let out = cli_ok(&d, EN, &["admin", "token", "list"]);
    assert!(out.contains("No token waiting to be assigned."), "{out}");

    std::fs::write(
        d.join("good.csv"),
        format!("{header}\nTK-1,{secret},totp,6,30\nTK-2,{secret},hotp,6,0,SHA1\n"),
    )
    .expect("write");
    let out = cli_ok(&d, EN, &["admin", "token", "import", "good.csv"]);
    assert!(
        out.contains("2 tokens imported") && out.contains("TK-2"),
        "{out}"
    );
    let out = cli_ok(&d, FR, &["admin", "token", "assign", "alice", "TK-2"]);
    assert!(
        out.contains("Jeton « TK-2 » attribué au compte « alice »"),
        "{out}"
    );
    let err = cli_fails(&d, FR, &["admin", "token", "assign", "alice", "TK-1"]);
    assert!(err.contains("a déjà le jeton « TK-2 »"), "{err}");
    // Resync from the codes oathtool computes for counters 20 and 21.
    let code = |counter: u64| hotp("3132333435363738393031323334353637383930", counter);
    let out = cli_ok(
        &d,
        EN,
        &["admin", "token", "resync", "TK-2", &code(20), &code(21)],
    );
    assert!(
        out.contains("Token \"TK-2\" resynchronised: HOTP SHA1 6 #22."),
        "{out}"
    );
    // The TOTP token TK-1 (unassigned) whose clock runs five minutes ahead: two codes read
    // in a row at its time (oathtool -N) set its drift to ten steps (nine if a step ends
    // between oathtool and the command).
    let token_time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
        + 300;
    let totp = |at: u64| totp_at(secret, at as i64);
    let (first, second) = (totp(token_time - 30), totp(token_time));
    let out = cli_ok(
        &d,
        FR,
        &["admin", "token", "resync", "TK-1", &first, &second],
    );
    assert!(
        out.contains("Jeton « TK-1 » resynchronisé : TOTP SHA1 6 30s ±1, dérive +10 (+300 s).")
            || out
                .contains("Jeton « TK-1 » resynchronisé : TOTP SHA1 6 30s ±1, dérive +9 (+270 s)."),
        "{out}"
    );
    let err = cli_fails(
        &d,
        EN,
        &["admin", "token", "resync", "TK-1", &first, &second],
    );
    assert!(
        err.contains("these two codes are not two consecutive codes of this token"),
        "spent: {err}"
    );
    let out = cli_ok(&d, EN, &["admin", "token", "list"]);
    assert!(
        out.contains("TOTP SHA1 6 30s ±1, drift +10 (+300 s)")
            || out.contains("TOTP SHA1 6 30s ±1, drift +9 (+270 s)"),
        "{out}"
    );
    let out = cli_ok(&d, EN, &["admin", "token", "list", "alice"]);
    assert!(
        out.contains("TK-2")
            && out.contains("HOTP SHA1 6 #22")
            && out.contains("assigned to alice"),
        "{out}"
    );
    let out = cli_ok(&d, EN, &["admin", "token", "invite", "alice"]);
    assert!(out.contains("https://auth.example.fr/token/"), "{out}");
    assert!(
        out.contains("\"TK-2\" will be revoked once the app is activated"),
        "{out}"
    );
    cli_ok(&d, EN, &["admin", "token", "unassign", "TK-2"]);
    let out = cli_ok(&d, EN, &["admin", "token", "revoke", "TK-2"]);
    assert!(out.contains("Token \"TK-2\" revoked"), "{out}");
    let err = cli_fails(&d, EN, &["admin", "token", "assign", "alice", "TK-2"]);
    assert!(err.contains("Token \"TK-2\" is revoked."), "{err}");
    let out = cli_ok(&d, EN, &["admin", "audit", "--event", "token_resynced"]);
    assert!(
        out.contains("cli:operator") && out.contains("counter=22"),
        "{out}"
    );
    assert!(
        out.contains("serial=TK-1 drift=10") || out.contains("serial=TK-1 drift=9"),
        "{out}"
    );
    for event in [
        "tokens_imported",
        "token_assigned",
        "token_invitation_created",
        "token_unassigned",
        "token_revoked",
    ] {
        let out = cli_ok(&d, EN, &["admin", "audit", "--event", event]);
        assert!(out.contains("cli:operator"), "{event}: {out}");
    }
}
