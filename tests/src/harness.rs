//! A real server on loopback with a temporary SQLite file, virtual phones that run the real
//! `tigr-phone` binary, and a scripted browser that speaks the JSON API.

use std::path::{Path, PathBuf};
use std::process::Output;

use tigr_core::client::{ClientError, ServerClient, UreqTransport};
use tigr_core::payload::{LoginQr, Origin, QrPayload};
use tigr_core::wire::{ChallengeStatus, CreatedChallenge, OfflineAnswer, Outcome};
use tigr_server::admin::{AdminService, AuditFilter, AuditRecord, PageRequest};
use tigr_server::{Config, RunningServer};

/// PBKDF2 iterations used by test phones (the real count only slows the suite down; the
/// masking logic is identical).
pub const TEST_KDF_ITERATIONS: u32 = 1_000;

/// A server started on 127.0.0.1:0 over files in a temporary folder.
pub struct Harness {
    /// The folder holding the database, the master key, phones and images.
    pub dir: tempfile::TempDir,
    /// The running server's configuration (its listen address the bound one; reused to
    /// restart on the same files and port).
    pub config: Config,
    runtime: tokio::runtime::Runtime,
    server: Option<RunningServer>,
}

impl std::fmt::Debug for Harness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness")
            .field("dir", &self.dir.path())
            .finish_non_exhaustive()
    }
}

impl Harness {
    /// Starts a server with the test configuration, adjusted by `tweak`.
    pub fn start_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut config = Config::for_tests(dir.path());
        tweak(&mut config);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let server = runtime
            .block_on(RunningServer::start(config))
            .expect("server starts");
        Self {
            dir,
            // The running server's: its listen address is the bound one.
            config: server.config().clone(),
            runtime,
            server: Some(server),
        }
    }

    /// Starts a server with the default test configuration.
    pub fn start() -> Self {
        Self::start_with(|_| {})
    }

    /// The server's origin, as phones see it.
    pub fn origin(&self) -> Origin {
        let url = &self.server.as_ref().expect("server running").public_url;
        Origin::parse(url.trim_end_matches('/')).expect("server origin")
    }

    /// Stops the server and starts it again on the same files (and the same port).
    pub fn restart(&mut self) {
        let server = self.server.take().expect("server running");
        let addr = server.addr;
        self.runtime.block_on(server.shutdown());
        let mut config = self.config.clone();
        config.listen = addr;
        let server = self
            .runtime
            .block_on(RunningServer::start(config))
            .expect("server restarts");
        self.server = Some(server);
    }

    /// A fresh single-use enrollment payload for `account`, as `tigr-server enroll` makes it.
    pub fn enrollment(&self, account: &str) -> String {
        self.runtime
            .block_on(tigr_server::create_enrollment(&self.config, account, None))
            .expect("enrollment code")
            .qr_payload
    }

    /// A scripted browser on this server.
    pub fn browser(&self) -> Browser {
        Browser {
            origin: self.origin(),
            transport: UreqTransport::new(),
        }
    }

    /// A virtual phone whose vault lives in `<dir>/<name>`.
    pub fn phone(&self, name: &str) -> Phone {
        Phone {
            home: self.dir.path().join(name),
        }
    }

    /// Path of a file inside the harness folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The server's base URL for browsers, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> String {
        self.origin().to_string()
    }

    /// The audit trail about `account`, oldest first, as an administrator reads it.
    pub fn audit_of(&self, account: &str) -> Vec<AuditRecord> {
        self.runtime.block_on(async {
            let admin = AdminService::open(&self.config)
                .await
                .expect("administration");
            let filter = AuditFilter {
                account: Some(account.to_owned()),
                ..AuditFilter::default()
            };
            let mut rows = admin
                .audit(&filter, PageRequest::new(1, 200))
                .await
                .expect("audit trail")
                .items;
            admin.close().await;
            rows.reverse();
            rows
        })
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

/// The web page's side of a login, over the JSON API.
pub struct Browser {
    origin: Origin,
    transport: UreqTransport,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("origin", &self.origin)
            .finish()
    }
}

impl Browser {
    fn client(&self) -> ServerClient<'_> {
        ServerClient::new(&self.transport, &self.origin, "fr")
    }

    /// Asks for a new login challenge (what the login page does).
    pub fn new_challenge(&self) -> CreatedChallenge {
        self.client().create_challenge().expect("challenge created")
    }

    /// The challenge's state, waiting up to `wait` seconds for a decision.
    pub fn status(&self, challenge: &CreatedChallenge, wait: u32) -> ChallengeStatus {
        self.client()
            .challenge_status(&challenge.challenge_id, &challenge.browser_token, wait)
            .expect("status")
    }

    /// The state as seen by a client that knows the id but holds `token`.
    pub fn status_with_token(
        &self,
        challenge_id: &str,
        token: &str,
    ) -> Result<ChallengeStatus, ClientError> {
        self.client().challenge_status(challenge_id, token, 0)
    }

    /// Types an offline Tigr ID and code into the page.
    pub fn submit_offline(
        &self,
        challenge: &CreatedChallenge,
        tigr_id: &str,
        otp: &str,
    ) -> Result<Outcome, ClientError> {
        self.client().submit_offline(
            &challenge.challenge_id,
            &challenge.browser_token,
            &OfflineAnswer {
                tigr_id: tigr_id.to_owned(),
                otp: otp.to_owned(),
            },
        )
    }
}

/// Parses a login payload.
pub fn login_qr(payload: &str) -> LoginQr {
    match QrPayload::parse(payload).expect("valid payload") {
        QrPayload::Login(l) => l,
        other => panic!("not a login payload: {other:?}"),
    }
}

/// A virtual phone driven through the real `tigr-phone` binary.
#[derive(Debug, Clone)]
pub struct Phone {
    /// The phone's data folder.
    pub home: PathBuf,
}

/// What one `tigr-phone` run printed.
#[derive(Debug)]
pub struct PhoneRun {
    /// Exit status was success.
    pub ok: bool,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl PhoneRun {
    fn from(output: Output) -> Self {
        Self {
            ok: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Phone {
    /// Runs `tigr-phone <args>` with this phone's folder; `pin`, if any, is typed on stdin.
    pub fn run(&self, binary: &Path, args: &[&str], pin: Option<&str>) -> PhoneRun {
        use std::io::Write as _;
        let mut child = std::process::Command::new(binary)
            .args(args)
            .arg("--home")
            .arg(&self.home)
            .arg("--kdf-iterations")
            .arg(TEST_KDF_ITERATIONS.to_string())
            .env_remove("TIGR_PHONE_PIN")
            .env("TIGR_LANG", "fr")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("tigr-phone starts");
        if let Some(mut stdin) = child.stdin.take()
            && let Some(pin) = pin
        {
            // Enrollment asks twice; other commands read the first line only.
            let _ = writeln!(stdin, "{pin}\n{pin}");
        }
        PhoneRun::from(child.wait_with_output().expect("tigr-phone runs"))
    }

    /// [`Phone::run`] on a blocking thread, for async tests whose runtime also runs the
    /// server.
    pub async fn run_async(&self, binary: &Path, args: &[&str], pin: Option<&str>) -> PhoneRun {
        let phone = self.clone();
        let binary = binary.to_path_buf();
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        let pin = pin.map(str::to_owned);
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            phone.run(&binary, &args, pin.as_deref())
        })
        .await
        .expect("tigr-phone thread")
    }
}

/// An OpenID Connect client to register (what `tigr-server oidc client add` takes).
#[derive(Debug, Clone, Default)]
pub struct ClientSpec {
    /// The name users see ("Connexion à <name>").
    pub name: String,
    /// Redirect URIs (exact match).
    pub redirect_uris: Vec<String>,
    /// Where RP-initiated logout may send the browser back.
    pub post_logout_redirect_uris: Vec<String>,
    /// Where Tigr POSTs logout tokens.
    pub backchannel_logout_uri: Option<String>,
}

/// A registered confidential client.
#[derive(Debug, Clone)]
pub struct RegisteredClient {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret` (shown once at registration).
    pub client_secret: String,
}

/// Registers a confidential client (`client_secret_basic`, scopes `openid profile email`,
/// pairwise subjects) through the administration, as `tigr-server oidc client add` does.
pub async fn register_oidc_client(
    config: &Config,
    spec: &ClientSpec,
) -> anyhow::Result<RegisteredClient> {
    use tigr_server::admin::{Actor, AdminService, ClientRegistration};
    let service = AdminService::open(config).await?;
    let registered = service
        .register_client(
            &Actor::cli("tigr-tests"),
            &ClientRegistration {
                name: spec.name.clone(),
                redirect_uris: spec.redirect_uris.clone(),
                post_logout_redirect_uris: spec.post_logout_redirect_uris.clone(),
                backchannel_logout_uri: spec.backchannel_logout_uri.clone(),
                ..ClientRegistration::default()
            },
        )
        .await;
    service.close().await;
    let registered = registered?;
    Ok(RegisteredClient {
        client_id: registered.client.id,
        client_secret: registered
            .secret
            .ok_or_else(|| anyhow::anyhow!("a confidential client gets a secret"))?,
    })
}

/// The details of the latest audit rows of `event` (`oidc_logout_delivered`, ...), oldest
/// first, as `tigr-server admin audit --event` lists them.
pub async fn audit_details(config: &Config, event: &str) -> anyhow::Result<Vec<String>> {
    use tigr_server::admin::{AdminService, AuditFilter};
    let service = AdminService::open(config).await?;
    let rows = service
        .audit_latest(
            &AuditFilter {
                event: Some(event.to_owned()),
                ..AuditFilter::default()
            },
            100,
        )
        .await;
    service.close().await;
    Ok(rows?.into_iter().filter_map(|r| r.detail).collect())
}

/// Gives `account` a display name and an e-mail address, as `tigr-server admin account edit`
/// does.
pub async fn set_account_details(
    config: &Config,
    account: &str,
    display_name: &str,
    email: &str,
) -> anyhow::Result<()> {
    use tigr_server::admin::{AccountChanges, Actor, AdminService};
    let service = AdminService::open(config).await?;
    let edited = service
        .edit_account(
            &Actor::cli("tigr-tests"),
            account,
            AccountChanges {
                display_name: Some(display_name.to_owned()),
                email: Some(email.to_owned()),
                role: None,
            },
        )
        .await;
    service.close().await;
    edited?;
    Ok(())
}

/// [`Harness`] for `#[tokio::test]`s: the server runs on the test's own runtime (use the
/// multi-threaded flavour, and [`Phone::run_async`], so that the phone never blocks it).
pub struct AsyncHarness {
    /// The folder holding the database, the master key, phones and images.
    pub dir: tempfile::TempDir,
    /// The running server's configuration (its listen address the bound one; reused to
    /// restart on the same files and port).
    pub config: Config,
    server: Option<RunningServer>,
    addr: std::net::SocketAddr,
}

impl std::fmt::Debug for AsyncHarness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncHarness")
            .field("dir", &self.dir.path())
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl AsyncHarness {
    /// Starts a server with the test configuration, adjusted by `tweak`.
    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut config = Config::for_tests(dir.path());
        tweak(&mut config);
        let server = RunningServer::start(config).await.expect("server starts");
        Self {
            dir,
            // The running server's: its listen address is the bound one.
            config: server.config().clone(),
            addr: server.addr,
            server: Some(server),
        }
    }

    /// Starts a server with the default test configuration.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// The server's base URL, e.g. `http://127.0.0.1:41234` (also its public origin).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `base_url` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// The server's origin, as phones see it.
    pub fn origin(&self) -> Origin {
        Origin::parse(&self.base_url()).expect("server origin")
    }

    /// The bound address.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// A fresh single-use enrollment payload for `account`.
    pub async fn enrollment(&self, account: &str) -> String {
        tigr_server::create_enrollment(&self.config, account, None)
            .await
            .expect("enrollment code")
            .qr_payload
    }

    /// A virtual phone whose vault lives in `<dir>/<name>`.
    pub fn phone(&self, name: &str) -> Phone {
        Phone {
            home: self.dir.path().join(name),
        }
    }

    /// Path of a file inside the harness folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Stops the server (files and port kept for [`AsyncHarness::resume`]).
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }

    /// Starts the server again on the same files and port.
    pub async fn resume(&mut self) {
        assert!(self.server.is_none(), "the server is running");
        let mut config = self.config.clone();
        config.listen = self.addr;
        let server = RunningServer::start(config).await.expect("server restarts");
        self.server = Some(server);
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(mut self) {
        self.stop().await;
    }
}
