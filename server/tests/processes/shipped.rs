//! The files of the reference deployment (deploy/), read by the suites that run them: the
//! nginx site inside a throwaway nginx on loopback, with only its ports, certificate paths
//! and upstream changed.

use std::path::{Path, PathBuf};

use crate::nginx::Nginx;

/// A loopback port nobody listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// The path of `path` under deploy/.
pub fn shipped(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy")
        .join(path)
}

/// `text` with `from` replaced by `to`; `from` must be there (the test follows the file).
pub fn replaced(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} is no longer in the file");
    text.replace(from, to)
}

/// deploy/nginx/tigr.conf inside a throwaway nginx on loopback, TLS on `port`: the same
/// site, with its ports and certificate paths changed, and its upstream as `upstream` makes
/// it from the site's text.
pub fn shipped_site(port: u16, upstream: impl FnOnce(&str) -> String) -> Nginx {
    let http_port = free_port();
    Nginx::configure(port, |path| {
        let site = std::fs::read_to_string(shipped("nginx/tigr.conf")).expect("site file");
        let site = upstream(&site);
        let site = replaced(
            &site,
            "listen 80;",
            &format!("listen 127.0.0.1:{http_port};"),
        );
        let site = replaced(&site, "listen [::]:80;", "");
        let site = replaced(
            &site,
            "listen 443 ssl http2;",
            &format!("listen 127.0.0.1:{port} ssl http2;"),
        );
        let site = replaced(&site, "listen [::]:443 ssl http2;", "");
        let site = replaced(
            &site,
            "/etc/letsencrypt/live/auth.example.fr/fullchain.pem",
            &path("tls.pem"),
        );
        let site = replaced(
            &site,
            "/etc/letsencrypt/live/auth.example.fr/privkey.pem",
            &path("tls.key"),
        );
        let site = replaced(&site, "/var/www/acme", &path("acme"));
        std::fs::write(path("tigr.conf"), site).expect("write");
        format!("include {};", path("tigr.conf"))
    })
}
