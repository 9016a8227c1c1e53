//! PostgreSQL from Debian on loopback, for the suites that run against it: a throwaway cluster
//! (`initdb` in a temporary folder, `postgres` in the foreground on a free port of
//! 127.0.0.1, trust authentication for the user `tigr`), one fresh database per call of
//! [`Postgres::database`], stopped and deleted when dropped. No system service is needed.
//!
//! PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user
//! that Debian's package creates, and its processes run as that user.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use sqlx::Connection as _;
use sqlx::postgres::PgConnection;

/// A running throwaway cluster.
pub struct Postgres {
    child: Child,
    /// The cluster's folder (data, socket, log).
    dir: tempfile::TempDir,
    port: u16,
}

/// Databases created so far by this process (their names).
static DATABASES: AtomicU32 = AtomicU32::new(0);

impl Postgres {
    /// Creates the cluster and starts it; returns once it accepts connections.
    pub async fn start() -> Self {
        let bin = bin_dir();
        let dir = tempfile::tempdir().expect("tempdir");
        let owner = owner();
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown");
        }
        let data = dir.path().join("data");
        let status = as_owner(Command::new(bin.join("initdb")), owner)
            .args([
                "--auth=trust",
                "--username=tigr",
                "--encoding=UTF8",
                "--locale=C",
            ])
            .arg("--no-sync")
            .current_dir(dir.path())
            .arg("-D")
            .arg(&data)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .expect("initdb");
        assert!(
            status.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        // TLS on (clients may still connect without it): a certificate for 127.0.0.1 that
        // `tls_root()` names for clients that verify it.
        let (cert_pem, key_pem, _) = tigr_server::test_pki::tls_server_certificate();
        for (name, text) in [("server.crt", &cert_pem), ("server.key", &key_pem)] {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write");
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
                .expect("chmod");
            if let Some((uid, gid)) = owner {
                std::os::unix::fs::chown(&path, Some(uid), Some(gid)).expect("chown");
            }
        }
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("postgres.log")).expect("log");
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(dir.path().join("postgres.log"), Some(uid), Some(gid))
                .expect("chown");
        }
        let child = as_owner(Command::new(bin.join("postgres")), owner)
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
            .arg("-k")
            .arg(dir.path())
            .current_dir(dir.path())
            // Durability is not what these suites test; a crash test would turn it back on.
            .args(["-c", "fsync=off", "-c", "max_connections=200"])
            .args(["-c", "ssl=on", "-c", "ssl_cert_file=../server.crt"])
            .args(["-c", "ssl_key_file=../server.key"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("postgres");
        let cluster = Self { child, dir, port };
        cluster.wait_ready().await;
        cluster
    }

    /// The URL of the cluster's `postgres` database (for administration).
    pub fn admin_url(&self) -> String {
        format!("postgres://tigr@127.0.0.1:{}/postgres", self.port)
    }

    /// A new, empty database; returns its URL.
    pub async fn database(&self) -> String {
        let name = format!(
            "tigr_{}_{}",
            std::process::id(),
            DATABASES.fetch_add(1, Ordering::Relaxed)
        );
        let mut conn = PgConnection::connect(&self.admin_url())
            .await
            .expect("connect");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create database");
        conn.close().await.expect("close");
        format!("postgres://tigr@127.0.0.1:{}/{name}", self.port)
    }

    /// The certificate the cluster's TLS presents (self-signed, for 127.0.0.1): the root
    /// of trust of `sslmode=verify-full`.
    #[allow(dead_code)]
    pub fn tls_root(&self) -> std::path::PathBuf {
        self.dir.path().join("server.crt")
    }

    /// The server's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default()
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match PgConnection::connect(&self.admin_url()).await {
                Ok(conn) => {
                    conn.close().await.expect("close");
                    return;
                }
                Err(error) if Instant::now() > deadline => {
                    panic!("PostgreSQL did not start: {error}\n{}", self.log())
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // SIGINT: PostgreSQL's fast shutdown (its backends end with it).
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The folder of Debian's PostgreSQL programs (`/usr/lib/postgresql/<version>/bin`, the
/// newest version installed).
fn bin_dir() -> PathBuf {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .unwrap_or_else(|e| panic!("PostgreSQL is not installed ({}: {e})", root.display()))
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("postgres").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .expect("no PostgreSQL server in /usr/lib/postgresql")
}

/// The uid and gid of the `postgres` user when running as root (PostgreSQL refuses root).
fn owner() -> Option<(u32, u32)> {
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag]).output().ok()?;
        String::from_utf8(out.stdout).ok()?.trim().parse().ok()
    };
    if id("-u")? != 0 {
        return None;
    }
    let of_postgres = |flag: &str| -> u32 {
        let out = Command::new("id")
            .args([flag, "postgres"])
            .output()
            .expect("id");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("running as root, the postgres user is needed (Debian's package creates it)")
    };
    Some((of_postgres("-u"), of_postgres("-g")))
}

/// `command`, run as `owner` when given.
fn as_owner(mut command: Command, owner: Option<(u32, u32)>) -> Command {
    if let Some((uid, gid)) = owner {
        command.gid(gid).uid(uid);
    }
    command
}

/// A free TCP port on 127.0.0.1 (released before PostgreSQL binds it).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}
