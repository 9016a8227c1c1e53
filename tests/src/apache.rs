//! Apache httpd with mod_auth_openidc (Debian's `apache2` and `libapache2-mod-auth-openidc`)
//! as a real OpenID Connect relying party: one instance on loopback, started in the
//! foreground over a temporary folder, with one virtual host per demo e-health service.
//!
//! Each service is `tests/apache/service.conf` (the configuration `docs/oidc.md` gives to
//! service owners) with its values set by `Define`, and serves `tests/apache/site/`: a page
//! under `/protected/` that shows the claims mod_auth_openidc passes, and a logged-out page.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// Apache's binary, `APACHE2` when set.
fn binary() -> PathBuf {
    std::env::var_os("APACHE2").map_or_else(|| PathBuf::from("/usr/sbin/apache2"), PathBuf::from)
}

/// Where Debian puts Apache's modules, `APACHE_MODULES` when set.
fn modules_dir() -> PathBuf {
    std::env::var_os("APACHE_MODULES")
        .map_or_else(|| PathBuf::from("/usr/lib/apache2/modules"), PathBuf::from)
}

/// The modules the services need (the MPM, authentication, SSI for the claims page).
const MODULES: [(&str, &str); 9] = [
    ("mpm_event_module", "mod_mpm_event.so"),
    ("authn_core_module", "mod_authn_core.so"),
    ("authz_core_module", "mod_authz_core.so"),
    ("authz_user_module", "mod_authz_user.so"),
    ("mime_module", "mod_mime.so"),
    ("dir_module", "mod_dir.so"),
    ("env_module", "mod_env.so"),
    ("include_module", "mod_include.so"),
    ("auth_openidc_module", "mod_auth_openidc.so"),
];

/// The folder of the committed configuration and pages.
fn sources() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("apache")
}

/// Checks that Apache and mod_auth_openidc are installed; the error says how to install them.
pub fn check_installed() -> anyhow::Result<()> {
    let apache = binary();
    let module = modules_dir().join("mod_auth_openidc.so");
    if !apache.exists() || !module.exists() {
        bail!(
            "Apache httpd with mod_auth_openidc is missing ({} or {}): run scripts/install-deps.sh \
             (Debian packages apache2 libapache2-mod-auth-openidc)",
            apache.display(),
            module.display()
        );
    }
    Ok(())
}

/// A free port on 127.0.0.1 (free when asked; Apache binds it moments later).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// One demo service: its own virtual host, port, client registration and session cookie.
#[derive(Debug, Clone)]
pub struct Service {
    /// Short name, used for its folder and its session cookie (`[a-z]+`).
    pub name: String,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The client id Tigr gave it.
    pub client_id: String,
    /// The client secret Tigr gave it.
    pub client_secret: String,
}

impl Service {
    /// A service named `name` on a free port, to be registered with Tigr before
    /// [`Apache::start`] (the registration needs its URIs).
    pub fn new(name: &str) -> anyhow::Result<Self> {
        Ok(Self {
            name: name.to_owned(),
            port: free_port()?,
            client_id: String::new(),
            client_secret: String::new(),
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `base_url` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// The redirect URI to register (mod_auth_openidc's `OIDCRedirectURI`).
    pub fn redirect_uri(&self) -> String {
        self.url("/protected/redirect_uri")
    }

    /// The back-channel logout URI to register.
    pub fn backchannel_logout_uri(&self) -> String {
        format!("{}?logout=backchannel", self.redirect_uri())
    }

    /// The post-logout redirect URI to register: the service's logged-out page.
    pub fn post_logout_redirect_uri(&self) -> String {
        self.url("/logged-out.html")
    }

    /// The page that shows the claims (needs a login).
    pub fn protected_page(&self) -> String {
        self.url("/protected/")
    }

    fn definitions(&self, issuer: &str, root: &Path) -> String {
        let passphrase = {
            let mut bytes = [0u8; 24];
            ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
                .expect("system randomness");
            tigr_core::wire::b64_encode(&bytes)
        };
        let values = [
            ("SERVICE_HOST", "127.0.0.1".to_owned()),
            ("SERVICE_PORT", self.port.to_string()),
            ("SERVICE_URL", self.base_url()),
            ("SERVICE_ROOT", root.display().to_string()),
            ("TIGR_ISSUER", issuer.to_owned()),
            ("SERVICE_CLIENT_ID", self.client_id.clone()),
            ("SERVICE_CLIENT_SECRET", self.client_secret.clone()),
            ("SERVICE_PASSPHRASE", passphrase),
            ("SERVICE_COOKIE", format!("{}_session", self.name)),
        ];
        values
            .iter()
            .map(|(name, value)| format!("Define {name} \"{value}\"\n"))
            .collect()
    }
}

/// A running Apache httpd; stopped (and its workers with it) when dropped.
pub struct Apache {
    child: Option<Child>,
    dir: tempfile::TempDir,
}

impl std::fmt::Debug for Apache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Apache")
            .field("dir", &self.dir.path())
            .finish_non_exhaustive()
    }
}

/// True when this process runs as root (CI does): Apache then needs a `User` to serve as.
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Lets Apache's workers, which run as `www-data` when started by root, read the pages.
fn open_to_workers(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = if path.is_dir() { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    if path.is_dir() {
        for entry in std::fs::read_dir(path)? {
            open_to_workers(&entry?.path())?;
        }
    }
    Ok(())
}

impl Apache {
    /// Starts Apache with one virtual host per service, every service a client of the
    /// provider `issuer`; returns once every port answers.
    pub fn start(issuer: &str, services: &[Service]) -> anyhow::Result<Self> {
        check_installed()?;
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        let mut conf = format!(
            "# Generated by tigr-tests for one test run.\n\
             ServerRoot \"{root}\"\n\
             PidFile \"{root}/httpd.pid\"\n\
             DefaultRuntimeDir \"{root}\"\n\
             ErrorLog \"{root}/error.log\"\n\
             LogLevel warn auth_openidc:info\n\
             ServerName 127.0.0.1\n\
             TypesConfig /etc/mime.types\n\
             AddType text/html .shtml\n\
             AddOutputFilter INCLUDES .shtml\n\
             AddDefaultCharset utf-8\n\
             StartServers 1\n\
             ServerLimit 2\n\
             ThreadsPerChild 8\n\
             MaxRequestWorkers 16\n",
            root = root.display()
        );
        for (name, file) in MODULES {
            conf.push_str(&format!(
                "LoadModule {name} \"{}\"\n",
                modules_dir().join(file).display()
            ));
        }
        if running_as_root() {
            // Apache refuses to serve as root; its workers serve as www-data.
            conf.push_str("User www-data\nGroup www-data\n");
        }
        let template = sources().join("service.conf");
        for service in services {
            let site = root.join(&service.name);
            copy_dir(&sources().join("site"), &site)?;
            conf.push_str(&service.definitions(issuer, &site));
            conf.push_str(&format!("Include \"{}\"\n", template.display()));
        }
        open_to_workers(root)?;
        let conf_path = root.join("httpd.conf");
        std::fs::write(&conf_path, conf)?;

        let child = Command::new(binary())
            .arg("-f")
            .arg(&conf_path)
            .arg("-DFOREGROUND")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {}", binary().display()))?;
        let mut this = Self {
            child: Some(child),
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        for service in services {
            while std::net::TcpStream::connect(("127.0.0.1", service.port)).is_err() {
                if let Some(status) = this.child.as_mut().and_then(|c| c.try_wait().ok()?) {
                    let mut stderr = String::new();
                    if let Some(mut pipe) = this.child.as_mut().and_then(|c| c.stderr.take()) {
                        use std::io::Read as _;
                        let _ = pipe.read_to_string(&mut stderr);
                    }
                    bail!("apache2 exited ({status}): {stderr}\n{}", this.error_log());
                }
                if Instant::now() > deadline {
                    bail!(
                        "apache2 does not listen on {}: {}",
                        service.port,
                        this.error_log()
                    );
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(this)
    }

    /// What Apache logged so far (mod_auth_openidc's errors among it).
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    /// Stops Apache (SIGTERM to the parent, which stops its workers) and waits for it.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(pid) = i32::try_from(child.id()) {
            // Apache's graceful "stop": the parent ends its workers before exiting.
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Apache {
    fn drop(&mut self) {
        self.stop();
    }
}
