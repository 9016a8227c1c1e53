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
        let (dir, owner) = owned_tempdir();
        let data = dir.path().join("data");
        run_as_owner(
            Command::new(bin.join("initdb"))
                .args([
                    "--auth=trust",
                    "--username=tigr",
                    "--encoding=UTF8",
                    "--locale=C",
                ])
                .arg("--no-sync")
                .arg("-D")
                .arg(&data),
            owner,
            "initdb",
        );
        Self::run(dir, &[]).await
    }

    /// A streaming standby of this cluster, as docs/deployment.md sets one up
    /// (`pg_basebackup -R`: a copy of the cluster that follows its WAL), known to the primary
    /// by the replication name `name`; returns once it accepts (read-only) connections.
    #[allow(dead_code)]
    pub async fn standby(&self, name: &str) -> Self {
        let (dir, owner) = owned_tempdir();
        run_as_owner(
            Command::new(bin_dir().join("pg_basebackup"))
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &self.port.to_string(),
                    "-U",
                    "tigr",
                ])
                // A fast checkpoint: the default spreads it over minutes.
                .args(["-R", "-X", "stream", "--checkpoint=fast", "--no-sync", "-D"])
                .arg(dir.path().join("data")),
            owner,
            "pg_basebackup",
        );
        Self::run(dir, &["-c", &format!("cluster_name={name}")]).await
    }

    /// Makes every commit wait until the standby `name` has it (`synchronous_standby_names`),
    /// once that standby streams.
    #[allow(dead_code)]
    pub async fn replicate_synchronously_to(&self, name: &str) {
        let mut conn = PgConnection::connect(&self.admin_url())
            .await
            .expect("connect");
        sqlx::query(&format!(
            "ALTER SYSTEM SET synchronous_standby_names = '{name}'"
        ))
        .execute(&mut conn)
        .await
        .expect("synchronous_standby_names");
        sqlx::query("SELECT pg_reload_conf()")
            .execute(&mut conn)
            .await
            .expect("reload");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let state: Option<String> = sqlx::query_scalar(
                "SELECT sync_state FROM pg_stat_replication WHERE application_name = $1",
            )
            .bind(name)
            .fetch_optional(&mut conn)
            .await
            .expect("pg_stat_replication");
            if state.as_deref() == Some("sync") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{name} is not a synchronous standby ({state:?})\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        conn.close().await.expect("close");
    }

    /// Kills the cluster's server with SIGKILL: a machine lost, nothing flushed or closed.
    #[allow(dead_code)]
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops (`false`) or resumes (`true`) this standby's receipt of the primary's WAL: its
    /// WAL receiver process, frozen with SIGSTOP or resumed with SIGCONT.
    #[allow(dead_code)]
    pub async fn receive_wal(&self, on: bool) {
        let pid: i32 = self
            .admin_value("SELECT pid FROM pg_stat_wal_receiver")
            .await;
        let signal = if on { "-CONT" } else { "-STOP" };
        let status = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill {signal} {pid}");
    }

    /// Promotes this standby to a primary (`pg_promote`, as `pg_ctl promote` does); returns
    /// once it accepts writes.
    #[allow(dead_code)]
    pub async fn promote(&self) {
        let promoted: bool = self.admin_value("SELECT pg_promote(true, 30)").await;
        assert!(promoted, "the standby was not promoted\n{}", self.log());
    }

    /// The value (one row, one column) of `sql` on the cluster's `postgres` database.
    async fn admin_value<T>(&self, sql: &str) -> T
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
    {
        let mut conn = PgConnection::connect(&self.admin_url())
            .await
            .expect("connect");
        let value = sqlx::query_scalar(sql)
            .fetch_one(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        conn.close().await.expect("close");
        value
    }

    /// The URL of `url`'s database (a database of another cluster) on this cluster.
    #[allow(dead_code)]
    pub fn same_database(&self, url: &str) -> String {
        let mut url = url::Url::parse(url).expect("a database URL");
        url.set_port(Some(self.port)).expect("a port");
        url.to_string()
    }

    /// Starts `postgres` on the cluster of `dir` (its `data` folder), with TLS, on a free
    /// port, with the `extra` settings; returns once it accepts connections.
    async fn run(dir: tempfile::TempDir, extra: &[&str]) -> Self {
        let owner = owner();
        let data = dir.path().join("data");
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
        let child = as_owner(&mut Command::new(bin_dir().join("postgres")), owner)
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
            .arg("-k")
            .arg(dir.path())
            .current_dir(dir.path())
            // Durability is not what these suites test (a killed server loses nothing the
            // kernel holds; a machine's power loss is not simulated).
            .args(["-c", "fsync=off", "-c", "max_connections=200"])
            .args(["-c", "ssl=on", "-c", "ssl_cert_file=../server.crt"])
            .args(["-c", "ssl_key_file=../server.key"])
            .args(extra)
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
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
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

/// A temporary folder owned by the user PostgreSQL runs as, and that user (`None`: this one).
fn owned_tempdir() -> (tempfile::TempDir, Option<(u32, u32)>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let owner = owner();
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown");
    }
    (dir, owner)
}

/// Runs `command` (a PostgreSQL program named `what`) as `owner` and waits for its success.
fn run_as_owner(command: &mut Command, owner: Option<(u32, u32)>, what: &str) {
    let output = as_owner(command, owner)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `command`, run as `owner` when given.
fn as_owner(command: &mut Command, owner: Option<(u32, u32)>) -> &mut Command {
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
