//! End-to-end: the real `tigr-phone` binary as an authenticator app (`tigr-phone otp ...`), its
//! codes checked against `oathtool` (OATH Toolkit, installed by scripts/install-deps.sh) run
//! as a separate process. No server: OTP accounts never talk to one.

use std::path::{Path, PathBuf};

use tigr_tests::harness::{Phone, PhoneRun};
use tigr_tests::oathtool::oathtool;

fn phone_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_tigr-phone"))
}

/// A virtual phone in a folder of its own.
struct OtpPhone {
    phone: Phone,
    dir: tempfile::TempDir,
}

impl OtpPhone {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let phone = Phone {
            home: dir.path().join("phone"),
        };
        Self { phone, dir }
    }

    /// `tigr-phone otp <args>`.
    fn otp(&self, args: &[&str]) -> PhoneRun {
        let args: Vec<&str> = ["otp"].iter().chain(args).copied().collect();
        self.phone.run(phone_binary(), &args, None)
    }

    /// `tigr-phone otp <args>`, which must succeed.
    fn ok(&self, args: &[&str]) -> PhoneRun {
        let run = self.otp(args);
        assert!(run.ok, "otp {args:?}: {run:?}");
        run
    }

    /// The code `tigr-phone otp code` printed, and its "Valable encore" / "Compteur" number.
    fn code(&self, args: &[&str]) -> (String, u64) {
        let run = self.ok(&[&["code"], args].concat());
        let field = |name: &str| {
            run.stdout
                .lines()
                .find_map(|l| l.trim().strip_prefix(name))
                .map(|v| v.trim().trim_end_matches(" s").to_owned())
                .unwrap_or_else(|| panic!("no {name} line: {run:?}"))
        };
        let number = ["Valable encore :", "Compteur :"]
            .iter()
            .find_map(|name| run.stdout.contains(name).then(|| field(name)))
            .unwrap_or_else(|| panic!("no validity: {run:?}"));
        (field("Code :"), number.parse().expect("a number"))
    }

    /// The id `tigr-phone otp list` shows for `label`.
    fn id(&self, label: &str) -> String {
        let run = self.ok(&["list"]);
        run.stdout
            .lines()
            .find_map(|l| {
                let mut words = l.split("  ");
                let id = words.next()?;
                (words.next()? == label).then(|| id.to_owned())
            })
            .unwrap_or_else(|| panic!("{label} not listed: {run:?}"))
    }

    /// Writes `text` as a QR code PNG, as a screen shows it.
    fn qr_png(&self, name: &str, text: &str) -> PathBuf {
        let image = qrcode::QrCode::new(text.as_bytes())
            .expect("fits in a QR code")
            .render::<image::Luma<u8>>()
            .module_dimensions(4, 4)
            .build();
        let path = self.dir.path().join(name);
        image.save(&path).expect("PNG written");
        path
    }
}

/// A TOTP account: its URI parameters and how oathtool names them.
struct TotpCase {
    label: &'static str,
    uri: &'static str,
    secret: &'static str,
    mode: &'static str,
    digits: &'static str,
    period: u64,
}

const TOTP_CASES: [TotpCase; 3] = [
    TotpCase {
        label: "ESEA:c.leroy",
        uri: "otpauth://totp/ESEA:c.leroy?secret=JBSWY3DPEHPK3PXP&issuer=ESEA",
        secret: "JBSWY3DPEHPK3PXP",
        mode: "--totp=SHA1",
        digits: "6",
        period: 30,
    },
    TotpCase {
        label: "Hôpital Nord:claire.leroy@chu.fr",
        uri: "otpauth://totp/H%C3%B4pital%20Nord%3Aclaire.leroy%40chu.fr?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA%3D%3D%3D%3D&issuer=H%C3%B4pital%20Nord&algorithm=SHA256&digits=8&period=60",
        secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA",
        mode: "--totp=SHA256",
        digits: "8",
        period: 60,
    },
    TotpCase {
        label: "dr.martin",
        uri: "otpauth://totp/dr.martin?secret=gezdgnbvgy3tqojqgezdgnbvgy3tqojqgezdgnbvgy3tqojqgezdgnbvgy3tqojqgezdgnbvgy3tqojqgezdgnbvgy3tqojqgezdgna&algorithm=SHA512&digits=7",
        secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA",
        mode: "--totp=SHA512",
        digits: "7",
        period: 30,
    },
];

#[test]
fn totp_codes_match_oathtool_from_text_and_from_an_image() {
    let phone = OtpPhone::new();
    for (n, case) in TOTP_CASES.iter().enumerate() {
        // The first one is scanned from an image, the others pasted as text.
        let argument = if n == 0 {
            phone
                .qr_png("esea.png", case.uri)
                .to_string_lossy()
                .into_owned()
        } else {
            case.uri.to_owned()
        };
        let run = phone.ok(&["add", &argument]);
        assert!(
            run.stdout
                .contains(&format!("Compte OTP ajouté : {}", case.label)),
            "{run:?}"
        );
    }
    for case in &TOTP_CASES {
        let period = case.period.to_string();
        for at in [
            59u64,
            1_111_111_109,
            1_234_567_890,
            2_000_000_000,
            20_000_000_000,
        ] {
            let (code, seconds_left) = phone.code(&[case.label, "--at", &at.to_string()]);
            let now = format!("@{at}");
            let expected = oathtool(&[
                case.mode,
                "-b",
                "-d",
                case.digits,
                "-s",
                &period,
                "-N",
                &now,
                case.secret,
            ]);
            assert_eq!(code, expected, "{} at {at}", case.label);
            assert_eq!(seconds_left, case.period - at % case.period);
        }
    }
    // With the real clock: the code is the one of the step the phone ran in.
    let case = &TOTP_CASES[0];
    let before = unix_now();
    let (code, _) = phone.code(&["c.leroy"]);
    let after = unix_now();
    let possible: Vec<String> = (before / 30..=after / 30)
        .map(|step| {
            let now = format!("@{}", step * 30);
            oathtool(&[case.mode, "-b", "-N", &now, case.secret])
        })
        .collect();
    assert!(possible.contains(&code), "{code} not in {possible:?}");
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

#[test]
fn hotp_counters_move_only_when_a_code_is_asked_for() {
    let phone = OtpPhone::new();
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    phone.ok(&[
        "add",
        &format!("otpauth://hotp/Banque:jeton?secret={secret}&issuer=Banque&counter=5"),
    ]);
    for _ in 0..3 {
        let run = phone.ok(&["list"]);
        assert!(run.stdout.contains("HOTP, compteur 5"), "{run:?}");
    }
    for counter in 5..9u64 {
        let (code, shown) = phone.code(&["jeton"]);
        assert_eq!(shown, counter);
        assert_eq!(code, oathtool(&["-b", "-c", &counter.to_string(), secret]));
    }
    let run = phone.ok(&["list"]);
    assert!(run.stdout.contains("HOTP, compteur 9"), "{run:?}");
}

#[test]
fn labels_name_accounts_and_ambiguity_is_explained() {
    let phone = OtpPhone::new();
    phone.ok(&[
        "add",
        "otpauth://totp/ESEA:c.leroy?secret=JBSWY3DPEHPK3PXP&issuer=ESEA",
    ]);
    // The account name alone works while it is unique.
    let (alone, _) = phone.code(&["c.leroy", "--at", "1000000000"]);
    assert_eq!(alone, "949556");
    phone.ok(&[
        "add",
        "otpauth://hotp/Banque:c.leroy?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=0",
    ]);
    let (esea, banque) = (phone.id("ESEA:c.leroy"), phone.id("Banque:c.leroy"));
    let run = phone.otp(&["code", "c.leroy"]);
    assert!(!run.ok, "{run:?}");
    for candidate in [
        format!("ESEA:c.leroy [{esea}]"),
        format!("Banque:c.leroy [{banque}]"),
    ] {
        assert!(run.stderr.contains(&candidate), "{candidate}: {run:?}");
    }
    assert!(run.stderr.contains("Plusieurs comptes OTP"), "{run:?}");
    // The ambiguous call advanced no HOTP counter.
    assert_eq!(phone.code(&["Banque:c.leroy"]), ("755224".into(), 0));
    assert_eq!(phone.code(&[&esea, "--at", "1000000000"]).0, "949556");
    // Rename, then remove: the other account is then alone with its name.
    let run = phone.ok(&["rename", "Banque:c.leroy", "Banque Populaire:claire"]);
    assert!(run.stdout.contains("Banque Populaire:claire"), "{run:?}");
    assert_eq!(phone.code(&["claire"]), ("287082".into(), 1));
    let run = phone.otp(&["rename", "claire", "a:b:c"]);
    assert!(!run.ok && run.stderr.contains("« : »"), "{run:?}");
    phone.ok(&["remove", "Banque Populaire:claire"]);
    let run = phone.otp(&["code", "claire"]);
    assert!(
        !run.ok && run.stderr.contains("Aucun compte OTP « claire »"),
        "{run:?}"
    );
    assert_eq!(phone.code(&["c.leroy", "--at", "1000000000"]).0, "949556");
    // English too.
    let run = phone.phone.run(
        phone_binary(),
        &["--lang", "en", "otp", "code", "nobody"],
        None,
    );
    assert!(
        !run.ok && run.stderr.contains("No OTP account \"nobody\""),
        "{run:?}"
    );
}

#[test]
fn google_authenticator_exports_import_every_account() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../core/tests/data/vectors/otpauth-migration.json"
    );
    let vectors: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("vectors")).expect("JSON");
    let export = &vectors["exports"][1];
    let phone = OtpPhone::new();
    let image = phone.qr_png("export.png", export["uri"].as_str().expect("uri"));
    let run = phone.ok(&["add", &image.to_string_lossy()]);
    assert!(run.stdout.contains("code 2 sur 3"), "{run:?}");
    for account in export["accounts"].as_array().expect("accounts") {
        let label = format!(
            "{}:{}",
            account["issuer"].as_str().expect("issuer"),
            account["account"].as_str().expect("account")
        );
        assert!(run.stdout.contains(&label), "{label}: {run:?}");
        let secret = account["secret_base32"].as_str().expect("secret");
        let digits = account["digits"].as_u64().expect("digits").to_string();
        let check = &account["check"];
        let (code, _) = match check["time"].as_u64() {
            Some(at) => phone.code(&[&label, "--at", &at.to_string()]),
            None => phone.code(&[&label]),
        };
        let expected = match account["type"].as_str().expect("type") {
            "totp" => oathtool(&[
                &format!("--totp={}", account["algorithm"].as_str().expect("alg")),
                "-b",
                "-d",
                &digits,
                "-N",
                &format!("@{}", check["time"].as_u64().expect("time")),
                secret,
            ]),
            _ => oathtool(&[
                "-b",
                "-d",
                &digits,
                "-c",
                &check["counter"].to_string(),
                secret,
            ]),
        };
        assert_eq!(code, expected, "{label}");
        assert_eq!(code, check["otp"].as_str().expect("otp"), "{label}");
    }
    // The same export again adds nothing.
    phone.ok(&["add", export["uri"].as_str().expect("uri")]);
    assert_eq!(phone.ok(&["list"]).stdout.lines().count(), 3);
}

#[test]
fn bad_codes_are_refused_with_their_reason_and_change_nothing() {
    let phone = OtpPhone::new();
    for (uri, says) in [
        (
            "otpauth://totp/ESEA:c.leroy?issuer=ESEA",
            "ne contient pas de clé secrète",
        ),
        (
            "otpauth://totp/ESEA:c.leroy?secret=JBSWY3DPEHPK3PX1",
            "clé secrète de ce QR code est illisible",
        ),
        (
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5",
            "seuls SHA1, SHA256 et SHA512",
        ),
        (
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=9",
            "6, 7 ou 8 chiffres",
        ),
        (
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=0",
            "durée de validité",
        ),
        (
            "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP",
            "compteur de ce QR code HOTP",
        ),
        (
            "otpauth://motp/x?secret=JBSWY3DPEHPK3PXP",
            "seuls TOTP et HOTP",
        ),
        (
            "otpauth://totp/a:b:c?secret=JBSWY3DPEHPK3PXP",
            "caractères interdits",
        ),
        (
            "otpauth-migration://offline?data=AAAA",
            "export de Google Authenticator est illisible",
        ),
        (
            "https://example.fr/",
            "n'est pas un compte d'authentification",
        ),
    ] {
        let run = phone.otp(&["add", uri]);
        assert!(!run.ok, "{uri}: {run:?}");
        assert!(run.stderr.contains(says), "{uri}: {run:?}");
        assert!(
            !run.stderr.contains("JBSWY3DP"),
            "the secret is never echoed: {run:?}"
        );
    }
    let image = phone.qr_png("foreign.png", "https://example.fr/hello");
    let run = phone.otp(&["add", &image.to_string_lossy()]);
    assert!(
        !run.ok
            && run
                .stderr
                .contains("n'est pas un compte d'authentification"),
        "{run:?}"
    );
    assert!(phone.ok(&["list"]).stdout.contains("Aucun compte OTP"));
}
