//! The SDK as an app meets it: every exported function and every error mapping, against a real
//! tigr-server started in-process on loopback (real HTTP, real SQLite file).
//!
//! Phones reach the server through a small TCP relay whose port is the server's public URL, so
//! that a test can cut the phone's network (offline mode) while the browser side, which talks
//! to the server directly, stays online.

use std::io::ErrorKind;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use tigr_core::client::{ClientError, ServerClient, UreqTransport};
use tigr_core::clock::{Clock, FixedClock, SystemClock};
use tigr_core::payload::Origin;
use tigr_core::wire::{ChallengeState, CreatedChallenge, OfflineAnswer};
use tigr_mobile::{
    Account, Authenticator, InvalidCodeReason, InvalidInvitationReason, InvalidOtpReason,
    InvalidPinReason, KeyProtector, KeyProtectorError, LoginRequest, OtpAlgorithm, OtpKind,
    OtpValidity, ScanResult, ScannedCode, TigrError, decode_frame, error_message, minutes_until,
    parse_code, sdk_version,
};
use tigr_server::{Config, RunningServer, create_enrollment};

const PIN: &str = "2580";

/// Relays TCP connections from a public port to the server until [`Relay::cut`].
struct Relay {
    open: Arc<AtomicBool>,
    streams: Arc<Mutex<Vec<TcpStream>>>,
}

impl Relay {
    fn start(listener: TcpListener, target: SocketAddr) -> Self {
        let open = Arc::new(AtomicBool::new(true));
        let streams = Arc::new(Mutex::new(Vec::new()));
        listener.set_nonblocking(true).expect("nonblocking");
        let (flag, list) = (open.clone(), streams.clone());
        thread::spawn(move || {
            while flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((phone, _)) => {
                        phone.set_nonblocking(false).expect("blocking");
                        let Ok(server) = TcpStream::connect(target) else {
                            continue;
                        };
                        let mut list = list.lock().expect("lock");
                        for (from, to) in [(&phone, &server), (&server, &phone)] {
                            let (mut from, mut to) = (
                                from.try_clone().expect("clone"),
                                to.try_clone().expect("clone"),
                            );
                            thread::spawn(move || {
                                let _ = std::io::copy(&mut from, &mut to);
                                let _ = to.shutdown(Shutdown::Write);
                            });
                        }
                        list.extend([phone, server]);
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        thread::sleep(Duration::from_millis(2));
                    }
                    Err(_) => break,
                }
            }
            // Dropping the listener here closes the port: connections are refused.
        });
        Self { open, streams }
    }

    /// The phone loses its network: the port is closed and live connections are cut.
    fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for stream in self.streams.lock().expect("lock").drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// A server, its relay, a browser, and phones.
struct Harness {
    rt: tokio::runtime::Runtime,
    server: Option<RunningServer>,
    dir: tempfile::TempDir,
    relay: Relay,
    public_origin: String,
    direct: Origin,
    transport: UreqTransport,
    phones: AtomicUsize,
}

impl Harness {
    fn start() -> Self {
        Self::with(|_| {})
    }

    fn with(adjust: impl FnOnce(&mut Config)) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("tempdir");
        let public = TcpListener::bind("127.0.0.1:0").expect("bind relay");
        let public_origin = format!("http://{}", public.local_addr().expect("addr"));
        let mut config = Config::for_tests(dir.path());
        config.public_url = Some(Origin::parse(&public_origin).expect("origin"));
        config.service_name = "Tigr tests".into();
        adjust(&mut config);
        let server = rt
            .block_on(RunningServer::start(config))
            .expect("server starts");
        let direct = Origin::parse(&format!("http://{}", server.addr)).expect("origin");
        let relay = Relay::start(public, server.addr);
        Self {
            rt,
            server: Some(server),
            dir,
            relay,
            public_origin,
            direct,
            transport: UreqTransport::new(),
            phones: AtomicUsize::new(0),
        }
    }

    fn server(&self) -> &RunningServer {
        self.server.as_ref().expect("running")
    }

    /// `tigr-server enroll <account>`: the payload of the invitation QR.
    fn invitation(&self, account: &str) -> String {
        self.rt
            .block_on(create_enrollment(self.server().config(), account, None))
            .expect("enrollment")
            .qr_payload
    }

    fn phone_dir(&self) -> String {
        let n = self.phones.fetch_add(1, Ordering::SeqCst);
        self.dir
            .path()
            .join(format!("phone-{n}"))
            .to_string_lossy()
            .into_owned()
    }

    /// A new phone with the software key store.
    fn phone(&self) -> Arc<Authenticator> {
        Authenticator::new(self.phone_dir(), None, "fr".into()).expect("authenticator")
    }

    /// `phone` enrolled for `account` through the scan → offer → enroll screens.
    fn enroll(&self, phone: &Authenticator, account: &str) -> Account {
        let payload = self.invitation(account);
        let ScanResult::Invitation { offer } = phone.scan(payload).expect("scan") else {
            panic!("not an invitation offer")
        };
        assert_eq!(offer.tigr_id, account);
        assert_eq!(offer.service_name, "Tigr tests");
        phone
            .enroll(offer.payload, PIN.into(), PIN.into(), "Test phone".into())
            .expect("enroll")
    }

    fn browser(&self) -> ServerClient<'_> {
        ServerClient::new(&self.transport, &self.direct, "fr")
    }

    fn challenge(&self) -> CreatedChallenge {
        self.browser().create_challenge().expect("challenge")
    }

    fn state(&self, c: &CreatedChallenge) -> (ChallengeState, Option<String>) {
        let status = self
            .browser()
            .challenge_status(&c.challenge_id, &c.browser_token, 0)
            .expect("status");
        (status.state, status.account)
    }

    /// Waits (5 s at most) for the challenge to reach `want`: the scan is recorded behind
    /// the reply to the phone's context, so it may land just after that reply.
    fn wait_for_state(&self, c: &CreatedChallenge, want: ChallengeState) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let (state, _) = self.state(c);
            if state == want {
                return;
            }
            assert!(Instant::now() < deadline, "still {state:?}, not {want:?}");
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.rt.block_on(server.shutdown());
        }
    }
}

fn login(phone: &Authenticator, payload: &str) -> LoginRequest {
    match phone.scan(payload.into()).expect("scan") {
        ScanResult::Login { request } => request,
        other => panic!("not a login: {other:?}"),
    }
}

#[test]
fn parse_code_and_version_need_no_network() {
    assert!(!sdk_version().is_empty());
    let text = "https://auth.example.fr/t/1/L/KRSXG5CJIRJUKQ2SIVKC2MJRGE/MFRGGZDFMZTWQ2LKNNWG23TPOA/1795000120";
    let ScannedCode::Login { code } = parse_code(format!("  {text}\n")).expect("valid") else {
        panic!("login expected")
    };
    assert_eq!(code.payload, text);
    assert_eq!(code.server_origin, "https://auth.example.fr");
    assert_eq!(code.server_host, "auth.example.fr");
    assert_eq!(code.challenge_id, "KRSXG5CJIRJUKQ2SIVKC2MJRGE");
    assert_eq!(code.expires_at, 1_795_000_120);

    let ScannedCode::Invitation { code } =
        parse_code("tigr://auth.example.fr:8443/t/1/E/GEZDGNBVGY3TQOJQGEZDGNBVGY".into())
            .expect("valid")
    else {
        panic!("invitation expected")
    };
    assert_eq!(
        code.payload,
        "https://auth.example.fr:8443/t/1/E/GEZDGNBVGY3TQOJQGEZDGNBVGY"
    );
    assert_eq!(code.server_host, "auth.example.fr:8443");

    assert!(matches!(
        parse_code("hello".into()),
        Err(TigrError::InvalidCode {
            reason: InvalidCodeReason::NotTigr,
            ..
        })
    ));
    assert!(matches!(
        parse_code("http://auth.example.fr/t/1/E/GEZDGNBVGY3TQOJQGEZDGNBVGY".into()),
        Err(TigrError::InvalidCode {
            reason: InvalidCodeReason::NotTigr,
            ..
        })
    ));
    let newer = parse_code("https://auth.example.fr/t/2/L/x".into()).expect_err("newer");
    assert!(matches!(
        newer,
        TigrError::InvalidCode {
            reason: InvalidCodeReason::UnsupportedVersion,
            ..
        }
    ));
    assert!(error_message(newer, "en".into(), SystemClock.now_unix()).contains("newer version"));
}

/// A 640x480 camera frame (Y plane, rows padded to `stride`) showing the QR code of `text`.
fn camera_frame(text: &str) -> (Vec<u8>, u32, u32, u32) {
    let code =
        qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).expect("encodable");
    let modules = code.width();
    let colors = code.to_colors();
    let (width, height, stride, scale, quiet) = (640usize, 480usize, 704usize, 5usize, 4usize);
    let mut luma = vec![0xb4u8; stride * height];
    let size = (modules + 2 * quiet) * scale;
    let (left, top) = ((width - size) / 2, (height - size) / 2);
    for y in 0..size {
        for x in 0..size {
            let (mx, my) = (
                (x / scale) as isize - quiet as isize,
                (y / scale) as isize - quiet as isize,
            );
            let dark = (0..modules as isize).contains(&mx)
                && (0..modules as isize).contains(&my)
                && colors[my as usize * modules + mx as usize] == qrcode::Color::Dark;
            luma[(top + y) * stride + left + x] = if dark { 0x20 } else { 0xe6 };
        }
    }
    (luma, width as u32, height as u32, stride as u32)
}

#[test]
fn decode_frame_reads_a_login_qr() {
    let h = Harness::start();
    let challenge = h.challenge();
    let (luma, w, ht, stride) = camera_frame(&challenge.qr_payload);
    assert_eq!(
        decode_frame(luma, w, ht, stride).expect("decodes"),
        vec![challenge.qr_payload.clone()]
    );
    assert_eq!(
        decode_frame(vec![0x7f; 704 * 480], 640, 480, 704).expect("empty frame"),
        Vec::<String>::new()
    );
    assert!(matches!(
        decode_frame(vec![0; 100], 640, 480, 704),
        Err(TigrError::InvalidCode {
            reason: InvalidCodeReason::NotTigr,
            ..
        })
    ));
}

#[test]
fn enroll_scan_and_approve_log_the_browser_in() {
    let h = Harness::start();
    let dir = h.phone_dir();
    let phone = Authenticator::new(dir.clone(), None, "fr".into()).expect("phone");
    assert_eq!(phone.accounts().expect("accounts"), vec![]);
    let account = h.enroll(&phone, "alice");
    assert_eq!(account.server_origin, h.public_origin);
    assert_eq!(account.tigr_id, "alice");
    assert_eq!(account.service_name, "Tigr tests");
    assert!(!account.device_id.is_empty());
    assert!((account.enrolled_at - SystemClock.now_unix()).abs() < 60);
    assert_eq!(phone.accounts().expect("accounts"), vec![account.clone()]);

    let challenge = h.challenge();
    let request = login(&phone, &challenge.qr_payload);
    let context = request.context.clone().expect("online context");
    assert_eq!(context.service_name, "Tigr tests");
    assert_eq!(context.server_host, account.server_host);
    assert_eq!(context.browser_ip, "127.0.0.1");
    assert!(context.expires_at > context.requested_at);
    assert_eq!(request.offline_reason, None);
    assert_eq!(request.accounts, vec![account.clone()]);
    assert_eq!(request.code.challenge_id, challenge.challenge_id);
    h.wait_for_state(&challenge, ChallengeState::Scanned);

    phone
        .approve(request.code.payload.clone(), None, PIN.into())
        .expect("approve");
    assert_eq!(
        h.state(&challenge),
        (ChallengeState::Approved, Some("alice".into()))
    );
    assert_eq!(
        phone.approve(request.code.payload, None, PIN.into()),
        Err(TigrError::AlreadyUsed)
    );

    // The vault survives a restart of the app.
    let again = Authenticator::new(dir, None, "fr".into()).expect("reopen");
    assert_eq!(again.accounts().expect("accounts"), vec![account]);
}

#[test]
fn wrong_pins_count_down_then_block_even_the_right_pin() {
    let h = Harness::start();
    let phone = h.phone();
    h.enroll(&phone, "bob");
    let challenge = h.challenge();
    let payload = login(&phone, &challenge.qr_payload).code.payload;
    let mut left = Vec::new();
    for _ in 0..4 {
        match phone.approve(payload.clone(), None, "99999".into()) {
            Err(TigrError::WrongPin { attempts_left }) => left.push(attempts_left),
            other => panic!("expected WrongPin, got {other:?}"),
        }
    }
    assert_eq!(left, vec![4, 3, 2, 1]);
    // The default block is temporary (15 min): the error says until when, the app counts the
    // minutes with its own clock.
    let wrong = phone
        .approve(payload.clone(), None, "99999".into())
        .expect_err("blocked");
    let now = SystemClock.now_unix();
    let TigrError::AccountBlocked {
        blocked_until: Some(until),
    } = wrong
    else {
        panic!("expected a temporary block, got {wrong:?}")
    };
    assert!((until - (now + 900)).abs() <= 5, "{until} vs {now}");
    assert_eq!(minutes_until(until, now), 15);
    assert_eq!(
        error_message(wrong.clone(), "fr".into(), now),
        "Votre compte est bloqué pour 15 min après trop d'essais incorrects. Réessayez ensuite, ou contactez votre administrateur."
    );
    assert!(error_message(wrong.clone(), "en".into(), now).contains("blocked for 15 min"));
    assert!(error_message(wrong.clone(), "en".into(), now + 600).contains("blocked for 5 min"));
    let blocked = wrong;
    assert_eq!(
        phone.approve(payload, None, PIN.into()),
        Err(blocked.clone())
    );
    let next = login(&phone, &h.challenge().qr_payload).code.payload;
    assert_eq!(phone.approve(next, None, PIN.into()), Err(blocked));
    // The blocking answer ended the login: the page showing the QR says so.
    assert_eq!(h.state(&challenge).0, ChallengeState::Blocked);
}

#[test]
fn a_block_only_an_administrator_lifts_says_so() {
    let h = Harness::with(|c| {
        c.lockout_threshold = 2;
        c.lockout_duration = 0;
    });
    let phone = h.phone();
    h.enroll(&phone, "bella");
    let payload = login(&phone, &h.challenge().qr_payload).code.payload;
    assert_eq!(
        phone.approve(payload.clone(), None, "99999".into()),
        Err(TigrError::WrongPin { attempts_left: 1 })
    );
    let wrong = phone
        .approve(payload.clone(), None, "99999".into())
        .expect_err("blocked");
    assert_eq!(
        wrong,
        TigrError::AccountBlocked {
            blocked_until: None
        }
    );
    assert_eq!(
        error_message(wrong, "fr".into(), SystemClock.now_unix()),
        "Votre compte est bloqué après trop d'essais incorrects. Contactez votre administrateur pour le débloquer."
    );
    assert_eq!(
        phone.approve(payload, None, PIN.into()),
        Err(TigrError::AccountBlocked {
            blocked_until: None
        })
    );
}

#[test]
fn offline_code_without_network_is_accepted_by_the_server() {
    let h = Harness::start();
    let dir = h.phone_dir();
    let phone = Authenticator::new(dir.clone(), None, "en".into()).expect("phone");
    let account = h.enroll(&phone, "carol");
    let challenge = h.challenge();

    h.relay.cut();
    // A fresh instance, as after an app restart, with no pooled connection.
    let phone = Authenticator::new(dir, None, "en".into()).expect("phone");
    let request = login(&phone, &challenge.qr_payload);
    assert_eq!(request.context, None);
    assert_eq!(
        request.offline_reason.as_deref(),
        Some("Cannot reach the server. Check your Internet connection.")
    );
    assert_eq!(request.accounts, vec![account]);
    let code = phone
        .offline_code(request.code.payload.clone(), None, PIN.into())
        .expect("offline code");
    assert_eq!(code.tigr_id, "carol");
    assert_eq!(code.otp.len(), 8);
    assert!(code.otp.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(code.expires_at, request.code.expires_at);
    assert!(
        (1..=120).contains(&code.seconds_left),
        "{}",
        code.seconds_left
    );
    assert!(
        !format!("{code:?}").contains(&code.otp),
        "Debug redacts the OTP"
    );
    // The network is still needed for online approval.
    assert!(matches!(
        phone.approve(request.code.payload.clone(), None, PIN.into()),
        Err(TigrError::Network { .. })
    ));

    // The browser is online: the user types the Tigr ID and the code.
    let wrong = phone
        .offline_code(request.code.payload, None, "13579".into())
        .expect("a wrong PIN still gives a code");
    assert_ne!(wrong.otp, code.otp);
    let browser = h.browser();
    let refused = browser.submit_offline(
        &challenge.challenge_id,
        &challenge.browser_token,
        &OfflineAnswer {
            tigr_id: "carol".into(),
            otp: wrong.otp,
        },
    );
    assert!(matches!(
        refused,
        Err(ClientError::Server { status: 401, .. })
    ));
    browser
        .submit_offline(
            &challenge.challenge_id,
            &challenge.browser_token,
            &OfflineAnswer {
                tigr_id: code.tigr_id,
                otp: code.otp,
            },
        )
        .expect("accepted");
    assert_eq!(
        h.state(&challenge),
        (ChallengeState::Approved, Some("carol".into()))
    );
}

#[test]
fn deny_refuses_the_login() {
    let h = Harness::start();
    let phone = h.phone();
    h.enroll(&phone, "dave");
    let challenge = h.challenge();
    let payload = login(&phone, &challenge.qr_payload).code.payload;
    phone.deny(payload.clone(), None).expect("deny");
    assert_eq!(h.state(&challenge).0, ChallengeState::Denied);
    assert_eq!(phone.deny(payload, None), Err(TigrError::AlreadyUsed));
}

#[test]
fn accounts_choice_revocation_and_used_invitation() {
    let h = Harness::start();
    let phone = h.phone();
    let alice = h.enroll(&phone, "alice");
    let bob = h.enroll(&phone, "bob");
    let challenge = h.challenge();
    let request = login(&phone, &challenge.qr_payload);
    assert_eq!(request.accounts.len(), 2);
    match phone.approve(request.code.payload.clone(), None, PIN.into()) {
        Err(TigrError::AccountChoiceNeeded { mut tigr_ids }) => {
            tigr_ids.sort();
            assert_eq!(tigr_ids, vec!["alice", "bob"]);
        }
        other => panic!("expected a choice, got {other:?}"),
    }
    assert_eq!(
        phone.approve(request.code.payload.clone(), Some("zoe".into()), PIN.into()),
        Err(TigrError::NotEnrolled {
            server: alice.server_host.clone()
        })
    );
    phone
        .approve(request.code.payload, Some("bob".into()), PIN.into())
        .expect("approve as bob");
    assert_eq!(
        h.state(&challenge),
        (ChallengeState::Approved, Some("bob".into()))
    );

    // Alice moves to a new phone: this one is revoked for her, not for Bob.
    let new_phone = h.phone();
    h.enroll(&new_phone, "alice");
    let next = login(&phone, &h.challenge().qr_payload).code.payload;
    assert_eq!(
        phone.approve(next.clone(), Some("alice".into()), PIN.into()),
        Err(TigrError::PhoneRevoked)
    );
    assert_eq!(
        phone.deny(next.clone(), Some("alice".into())),
        Err(TigrError::PhoneRevoked)
    );
    phone
        .approve(next, Some("bob".into()), PIN.into())
        .expect("bob still works");

    // An invitation works once.
    let payload = h.invitation("erin");
    new_phone
        .enroll(payload.clone(), PIN.into(), PIN.into(), "x".into())
        .expect("first use");
    let used = TigrError::InvalidInvitation {
        reason: InvalidInvitationReason::Used,
    };
    assert_eq!(phone.scan(payload.clone()), Err(used.clone()));
    assert_eq!(
        phone.enroll(payload, PIN.into(), PIN.into(), "x".into()),
        Err(used)
    );

    phone
        .remove_account(alice.server_origin.clone(), "alice".into())
        .expect("remove");
    phone
        .remove_account(alice.server_origin, "alice".into())
        .expect("removing again is harmless");
    assert_eq!(phone.accounts().expect("accounts"), vec![bob]);
}

#[test]
fn expiry_is_reported() {
    let clock = Arc::new(FixedClock::at(SystemClock.now_unix()));
    let server_clock = clock.clone();
    let h = Harness::with(move |c| c.clock = server_clock);
    let phone = h.phone();
    h.enroll(&phone, "frank");
    let invitation = h.invitation("grace");
    let challenge = h.challenge();
    let payload = login(&phone, &challenge.qr_payload).code.payload;
    clock.advance(3600);
    assert_eq!(
        phone.approve(payload.clone(), None, PIN.into()),
        Err(TigrError::ChallengeExpired)
    );
    assert_eq!(
        phone.scan(payload),
        Err(TigrError::ChallengeExpired),
        "an expired login code is an error, not offline mode"
    );
    assert_eq!(
        phone.scan(invitation),
        Err(TigrError::InvalidInvitation {
            reason: InvalidInvitationReason::Expired
        })
    );
}

#[test]
fn local_checks_come_before_the_network() {
    let h = Harness::start();
    let phone = h.phone();
    // A server address where nothing listens.
    let closed = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let payload = format!("http://127.0.0.1:{port}/t/1/E/GEZDGNBVGY3TQOJQGEZDGNBVGY");
    for (pin, confirmation, reason) in [
        ("1234", "1234", InvalidPinReason::TooSimple),
        ("7777", "7777", InvalidPinReason::TooSimple),
        ("2580", "2581", InvalidPinReason::Mismatch),
        ("25a0", "25a0", InvalidPinReason::Format),
        ("12", "12", InvalidPinReason::Format),
    ] {
        assert_eq!(
            phone.enroll(payload.clone(), pin.into(), confirmation.into(), "x".into()),
            Err(TigrError::InvalidPin { reason })
        );
    }
    assert!(matches!(
        phone.enroll(payload.clone(), PIN.into(), PIN.into(), "x".into()),
        Err(TigrError::Network { .. })
    ));
    assert!(matches!(
        phone.scan(payload.clone()),
        Err(TigrError::Network { .. })
    ));
    // An invitation where a login code is expected, and back.
    assert!(matches!(
        phone.approve(payload, None, PIN.into()),
        Err(TigrError::InvalidCode {
            reason: InvalidCodeReason::NotALoginCode,
            ..
        })
    ));
    let login_payload = h.challenge().qr_payload;
    assert!(matches!(
        phone.enroll(login_payload.clone(), PIN.into(), PIN.into(), "x".into()),
        Err(TigrError::InvalidCode {
            reason: InvalidCodeReason::NotAnInvitation,
            ..
        })
    ));
    // Not enrolled on this server: nothing to approve with, online or offline.
    let host = h.public_origin.trim_start_matches("http://").to_owned();
    assert_eq!(
        phone.scan(login_payload.clone()),
        Err(TigrError::NotEnrolled {
            server: host.clone()
        })
    );
    assert_eq!(
        phone.offline_code(login_payload.clone(), None, PIN.into()),
        Err(TigrError::NotEnrolled {
            server: host.clone()
        })
    );
    // A malformed PIN is refused before the vault is even read.
    assert_eq!(
        phone.approve(login_payload, None, "12a4".into()),
        Err(TigrError::InvalidPin {
            reason: InvalidPinReason::Format
        })
    );
}

/// AES-GCM-less stand-in for a platform key store: XOR with a fixed byte plus a marker.
#[derive(Debug)]
struct XorProtector(u8);

impl KeyProtector for XorProtector {
    fn wrap(&self, plaintext: Vec<u8>) -> Result<Vec<u8>, KeyProtectorError> {
        let mut out = vec![self.0];
        out.extend(plaintext.iter().map(|b| b ^ self.0));
        Ok(out)
    }
    fn unwrap(&self, wrapped: Vec<u8>) -> Result<Vec<u8>, KeyProtectorError> {
        match wrapped.split_first() {
            Some((&k, rest)) if k == self.0 => Ok(rest.iter().map(|b| b ^ self.0).collect()),
            _ => Err(KeyProtectorError::Failed {
                reason: "not wrapped by this key".into(),
            }),
        }
    }
}

#[derive(Debug)]
struct Locked;

impl KeyProtector for Locked {
    fn wrap(&self, _: Vec<u8>) -> Result<Vec<u8>, KeyProtectorError> {
        Err(KeyProtectorError::Failed {
            reason: "device locked".into(),
        })
    }
    fn unwrap(&self, _: Vec<u8>) -> Result<Vec<u8>, KeyProtectorError> {
        Err(uniffi::UnexpectedUniFFICallbackError::new("java.lang.IllegalStateException").into())
    }
}

#[derive(Debug)]
struct Panicking;

impl KeyProtector for Panicking {
    fn wrap(&self, _: Vec<u8>) -> Result<Vec<u8>, KeyProtectorError> {
        panic!("bug in the key protector")
    }
    fn unwrap(&self, _: Vec<u8>) -> Result<Vec<u8>, KeyProtectorError> {
        panic!("bug in the key protector")
    }
}

#[test]
fn failing_key_protectors_give_key_store_errors() {
    let h = Harness::start();
    let dir = h.phone_dir();
    let good: Arc<dyn KeyProtector> = Arc::new(XorProtector(0x5a));
    let phone = Authenticator::new(dir.clone(), Some(good.clone()), "fr".into()).expect("phone");
    let account = h.enroll(&phone, "heidi");
    assert!(
        !std::path::Path::new(&dir).join("keystore.key").exists(),
        "no software key with a protector"
    );

    let protectors: Vec<Arc<dyn KeyProtector>> = vec![
        Arc::new(XorProtector(0x33)),
        Arc::new(Locked),
        Arc::new(Panicking),
    ];
    for protector in protectors {
        let phone = Authenticator::new(dir.clone(), Some(protector), "fr".into()).expect("phone");
        match phone.accounts() {
            Err(e @ TigrError::KeyStore { .. }) => {
                assert!(
                    error_message(e, "fr".into(), SystemClock.now_unix())
                        .contains("stockage sécurisé")
                );
            }
            other => panic!("expected KeyStore, got {other:?}"),
        }
    }
    let locked =
        Authenticator::new(h.phone_dir(), Some(Arc::new(Locked)), "fr".into()).expect("phone");
    assert_eq!(
        locked.enroll(h.invitation("ivan"), PIN.into(), PIN.into(), "x".into()),
        Err(TigrError::KeyStore {
            detail: "device locked".into()
        })
    );

    let phone = Authenticator::new(dir, Some(good), "fr".into()).expect("phone");
    assert_eq!(phone.accounts().expect("still readable"), vec![account]);
}

#[test]
fn damaged_storage_is_reported() {
    let h = Harness::start();
    let dir = h.phone_dir();
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(std::path::Path::new(&dir).join("keystore.key"), b"short").expect("write");
    assert!(matches!(
        Authenticator::new(dir, None, "fr".into()),
        Err(TigrError::Storage { .. })
    ));
}

/// A test vector file of core (`core/tests/data/vectors`).
fn otp_vectors(name: &str) -> serde_json::Value {
    let path = format!(
        "{}/../core/tests/data/vectors/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect("vector file")).expect("JSON")
}

/// A phone of its own, without a server: OTP accounts need none.
fn otp_phone(protector: Option<Arc<dyn KeyProtector>>) -> (tempfile::TempDir, Arc<Authenticator>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("phone").to_string_lossy().into_owned();
    let phone = Authenticator::new(path, protector, "fr".into()).expect("phone");
    (dir, phone)
}

#[test]
fn otp_accounts_are_added_listed_coded_renamed_and_removed() {
    let (dir, phone) = otp_phone(Some(Arc::new(XorProtector(0x21))));
    assert!(phone.otp_accounts().expect("empty").is_empty());
    // RFC 6238's SHA256 seed, 8 digits.
    let uri = "otpauth://totp/ESEA:c.leroy?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA&issuer=ESEA&algorithm=SHA256&digits=8&period=30";
    let ScannedCode::OtpAccounts { preview } = parse_code(uri.into()).expect("an OTP code") else {
        panic!("OTP accounts expected")
    };
    assert_eq!((preview.batch_number, preview.batch_count), (None, None));
    let [shown] = &preview.accounts[..] else {
        panic!("{preview:?}")
    };
    assert_eq!(shown.label, "ESEA:c.leroy");
    assert_eq!(shown.kind, OtpKind::Totp { period_seconds: 30 });
    assert_eq!((shown.algorithm, shown.digits), (OtpAlgorithm::Sha256, 8));
    assert_eq!(shown.label_issuer, None);

    let added = phone.add_otp_accounts(uri.into()).expect("added");
    assert_eq!(phone.otp_accounts().expect("list"), added);
    let totp = &added[0];
    assert_eq!(
        (totp.issuer.as_deref(), totp.account_name.as_str()),
        (Some("ESEA"), "c.leroy")
    );
    // RFC 6238 Appendix B (SHA256, 8 digits, 30 s), at the app's clock given to the SDK.
    for (now, expected, seconds_left) in [
        (59, "46119246", 1),
        (1_111_111_109, "68084774", 1),
        (1_234_567_890, "91819424", 30),
        (2_000_000_000, "90698825", 10),
        (20_000_000_000, "77737706", 10),
    ] {
        let code = phone.otp_code(totp.id.clone(), now).expect("code");
        assert_eq!(code.code, expected, "at {now}");
        assert_eq!(
            code.validity,
            OtpValidity::Time {
                seconds_left,
                period_seconds: 30,
                expires_at: now + i64::from(seconds_left)
            }
        );
        assert!(
            !format!("{code:?}").contains(expected),
            "Debug hides the code"
        );
    }

    // HOTP: RFC 4226 Appendix D, one code per call, the counter shown in the list.
    let hotp = phone
        .add_otp_accounts(
            "otpauth://hotp/Banque:jeton?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=3".into(),
        )
        .expect("added")
        .remove(0);
    assert_eq!(hotp.kind, OtpKind::Hotp { counter: 3 });
    for (counter, expected) in [(3, "969429"), (4, "338314"), (5, "254676")] {
        let code = phone.otp_code(hotp.id.clone(), 0).expect("code");
        assert_eq!(code.code, expected);
        assert_eq!(code.validity, OtpValidity::Counter { counter });
    }
    let listed = phone.otp_accounts().expect("list");
    assert_eq!(listed[1].kind, OtpKind::Hotp { counter: 6 });

    // Rename keeps the codes; bad names are refused with a sentence.
    let renamed = phone
        .rename_otp_account(totp.id.clone(), None, "Claire Leroy".into())
        .expect("renamed");
    assert_eq!(
        (renamed.issuer, renamed.label.as_str()),
        (None, "Claire Leroy")
    );
    let refused = phone
        .rename_otp_account(totp.id.clone(), Some("A:B".into()), "x".into())
        .expect_err("colon");
    assert!(matches!(refused, TigrError::InvalidOtpName { .. }));
    assert!(error_message(refused, "fr".into(), 0).contains("« : »"));

    // A new Authenticator on the same folder sees the same accounts and counters.
    let again = Authenticator::new(
        dir.path().join("phone").to_string_lossy().into_owned(),
        Some(Arc::new(XorProtector(0x21))),
        "en".into(),
    )
    .expect("phone");
    assert_eq!(
        again.otp_code(hotp.id.clone(), 0).expect("code").code,
        "287922"
    );

    phone.remove_otp_account(totp.id.clone()).expect("removed");
    phone
        .remove_otp_account(totp.id.clone())
        .expect("nothing to remove");
    let gone = phone.otp_code(totp.id.clone(), 0).expect_err("removed");
    assert_eq!(gone, TigrError::UnknownOtpAccount);
    assert_eq!(
        error_message(gone, "en".into(), 0),
        "This authenticator account is no longer on this phone."
    );
    assert_eq!(phone.otp_accounts().expect("list").len(), 1);
}

#[test]
fn google_authenticator_exports_are_imported_whole() {
    let v = otp_vectors("otpauth-migration.json");
    for export in v["exports"].as_array().expect("exports") {
        let (_dir, phone) = otp_phone(None);
        let uri = export["uri"].as_str().expect("uri");
        let expected = export["accounts"].as_array().expect("accounts");
        let ScannedCode::OtpAccounts { preview } = parse_code(uri.into()).expect("export") else {
            panic!("OTP accounts expected")
        };
        let batch = export["batch"].as_array();
        assert_eq!(
            preview.batch_number,
            batch.map(|b| b[0].as_u64().expect("n") as u32)
        );
        assert_eq!(
            preview.batch_count,
            batch.map(|b| b[1].as_u64().expect("n") as u32)
        );
        let added = phone.add_otp_accounts(uri.into()).expect("imported");
        assert_eq!(added.len(), expected.len());
        for ((account, shown), e) in added.iter().zip(&preview.accounts).zip(expected) {
            assert_eq!(account.label, shown.label);
            assert_eq!(account.issuer.as_deref(), e["issuer"].as_str());
            assert_eq!(
                account.account_name,
                e["account"].as_str().expect("account")
            );
            // HOTP codes come from the counter: check the exact RFC value.
            if let Some(counter) = e["check"]["counter"].as_u64() {
                assert_eq!(account.kind, OtpKind::Hotp { counter });
                let code = phone.otp_code(account.id.clone(), 0).expect("code");
                assert_eq!(code.code, e["check"]["otp"].as_str().expect("otp"));
            }
        }
        // Importing the same code again adds nothing.
        phone.add_otp_accounts(uri.into()).expect("again");
        assert_eq!(phone.otp_accounts().expect("list").len(), expected.len());
    }
}

#[test]
fn bad_otp_codes_get_their_reason_and_a_sentence() {
    let v = otp_vectors("otpauth.json");
    let (_dir, phone) = otp_phone(None);
    let mut sentences = std::collections::BTreeSet::new();
    for case in v["invalid"].as_array().expect("invalid") {
        let uri = case["uri"].as_str().expect("uri");
        let reason = match case["reason"].as_str().expect("reason") {
            "missing_secret" => InvalidOtpReason::MissingSecret,
            "bad_secret" => InvalidOtpReason::BadSecret,
            "bad_counter" => InvalidOtpReason::BadCounter,
            "unknown_type" => InvalidOtpReason::UnknownType,
            "bad_digits" => InvalidOtpReason::BadDigits,
            "unknown_algorithm" => InvalidOtpReason::UnknownAlgorithm,
            "bad_period" => InvalidOtpReason::BadPeriod,
            "bad_label" => InvalidOtpReason::BadLabel,
            // Not an otpauth URI: for parse_code, a foreign code or an unreadable export.
            "not_otpauth" => continue,
            other => panic!("unknown reason {other}"),
        };
        for error in [
            parse_code(uri.into()).expect_err(uri),
            phone.add_otp_accounts(uri.into()).expect_err(uri),
        ] {
            match &error {
                TigrError::InvalidOtpCode { reason: r, detail } => {
                    assert_eq!(*r, reason, "{uri}");
                    assert!(!detail.contains("JBSWY3DP"), "no secret in {detail}");
                }
                other => panic!("{uri}: {other:?}"),
            }
            sentences.insert(error_message(error.clone(), "fr".into(), 0));
            assert_ne!(
                error_message(error.clone(), "fr".into(), 0),
                error_message(error, "en".into(), 0)
            );
        }
    }
    assert_eq!(sentences.len(), 8, "one sentence per reason: {sentences:?}");
    assert!(
        phone.otp_accounts().expect("list").is_empty(),
        "nothing added"
    );
    // A foreign text is not an OTP code for add_otp_accounts, and not a Tigr code for parse_code.
    assert!(matches!(
        phone.add_otp_accounts("https://example.fr".into()),
        Err(TigrError::InvalidOtpCode {
            reason: InvalidOtpReason::NotOtpauth,
            ..
        })
    ));
    assert!(matches!(
        parse_code("otpauth-migration://offline?data=AAAA".into()),
        Err(TigrError::InvalidOtpCode {
            reason: InvalidOtpReason::BadExport,
            ..
        })
    ));
    assert!(matches!(
        parse_code(format!("otpauth://totp/x?secret={}", "A".repeat(5000))),
        Err(TigrError::InvalidOtpCode {
            reason: InvalidOtpReason::TooLong,
            ..
        })
    ));
}

#[test]
fn otp_secrets_need_the_key_protector() {
    let (dir, phone) = otp_phone(Some(Arc::new(XorProtector(0x44))));
    let id = phone
        .add_otp_accounts("otpauth://totp/ESEA:c.leroy?secret=JBSWY3DPEHPK3PXP".into())
        .expect("added")
        .remove(0)
        .id;
    let folder = dir.path().join("phone");
    let file = std::fs::read(folder.join("tigr-otp.bin")).expect("the OTP accounts file");
    assert!(
        !String::from_utf8_lossy(&file).contains("c.leroy"),
        "wrapped"
    );
    let protectors: Vec<Arc<dyn KeyProtector>> = vec![
        Arc::new(XorProtector(0x45)),
        Arc::new(Locked),
        Arc::new(Panicking),
    ];
    for protector in protectors {
        let other = Authenticator::new(
            folder.to_string_lossy().into_owned(),
            Some(protector),
            "fr".into(),
        )
        .expect("phone");
        assert!(matches!(
            other.otp_accounts(),
            Err(TigrError::KeyStore { .. })
        ));
        assert!(matches!(
            other.otp_code(id.clone(), 0),
            Err(TigrError::KeyStore { .. })
        ));
    }
    assert_eq!(phone.otp_accounts().expect("still readable").len(), 1);
}
