//! nginx from Debian on loopback, for the suites that put Tigr behind it (card login through
//! a proxy, the shipped reference site): a throwaway prefix folder with a TLS certificate
//! for 127.0.0.1, the main configuration around the suite's `http {}` content, nginx in the
//! foreground, stopped when dropped.

use std::process::{Child, Command};
use std::time::Duration;

use tigr_server::test_pki::tls_server_certificate;

/// A configured (and, once [`Nginx::start`]ed, running) nginx.
pub struct Nginx {
    child: Option<Child>,
    dir: tempfile::TempDir,
    /// The TLS port on 127.0.0.1.
    pub port: u16,
    /// The certificate nginx serves (to trust in clients).
    pub cert_pem: String,
}

impl Nginx {
    /// Writes `tls.pem`, `tls.key` and `nginx.conf`, whose `http {}` block holds what
    /// `http` returns; `http` is given the path of a file in the prefix folder.
    pub fn configure(port: u16, http: impl FnOnce(&dyn Fn(&str) -> String) -> String) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = |name: &str| dir.path().join(name).display().to_string();
        let (cert_pem, key_pem, _) = tls_server_certificate();
        std::fs::write(path("tls.pem"), &cert_pem).expect("write");
        std::fs::write(path("tls.key"), &key_pem).expect("write");
        let main = format!(
            "daemon off;\nmaster_process off;\npid {pid};\nerror_log {log} warn;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {tmp};\n  proxy_temp_path {tmp};\n\
               fastcgi_temp_path {tmp};\n  uwsgi_temp_path {tmp};\n  scgi_temp_path {tmp};\n\
               {http}\n}}\n",
            pid = path("nginx.pid"),
            log = path("error.log"),
            tmp = dir.path().display(),
            http = http(&path),
        );
        std::fs::write(path("nginx.conf"), main).expect("write");
        Self {
            child: None,
            dir,
            port,
            cert_pem,
        }
    }

    /// The path of `name` in the prefix folder.
    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn command(&self) -> Command {
        let binary = if std::path::Path::new("/usr/sbin/nginx").exists() {
            "/usr/sbin/nginx"
        } else {
            "nginx"
        };
        let mut command = Command::new(binary);
        command.args([
            "-p",
            &self.path(""),
            "-e",
            &self.path("error.log"),
            "-c",
            &self.path("nginx.conf"),
        ]);
        command
    }

    /// `nginx -t`: (success, its report).
    #[allow(dead_code)]
    pub fn test(&self) -> (bool, String) {
        let output = self
            .command()
            .arg("-t")
            .output()
            .expect("nginx from Debian (scripts/install-deps.sh installs it)");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    /// Starts nginx and waits until it listens.
    pub async fn start(&mut self) {
        self.child = Some(
            self.command()
                .spawn()
                .expect("nginx from Debian (scripts/install-deps.sh installs it)"),
        );
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("nginx does not listen on {}", self.port);
    }

    /// `https://127.0.0.1:<port>`.
    pub fn origin(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
