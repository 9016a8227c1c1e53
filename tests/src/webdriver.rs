//! Headless Chromium (Debian's `/usr/bin/chromium` through `/usr/bin/chromedriver`) for the
//! browser suites. No browser is ever downloaded.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use fantoccini::{Client, ClientBuilder};

/// A running chromedriver and one browser session on it.
pub struct HeadlessChrome {
    driver: Child,
    client: Option<Client>,
    _profile: tempfile::TempDir,
}

impl std::fmt::Debug for HeadlessChrome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HeadlessChrome")
    }
}

/// Where browser suites save their screenshots: `<target>/browser-artifacts/<suite>`
/// (`CARGO_TARGET_DIR` when set, else the workspace's `target/`).
pub fn artifacts_dir(suite: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("browser-artifacts").join(suite)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// What a browser session needs beyond the defaults (e.g. a card: its NSS database and the
/// preference that picks its certificate).
#[derive(Debug, Default)]
pub struct LaunchOptions {
    /// More Chromium arguments.
    pub args: Vec<String>,
    /// Preferences of the profile, besides the language (a JSON object).
    pub prefs: serde_json::Map<String, serde_json::Value>,
    /// `HOME` of the browser: where Chromium finds its NSS database (`.pki/nssdb`).
    pub home: Option<PathBuf>,
}

impl HeadlessChrome {
    /// Starts chromedriver and a headless Chromium whose preferred language is `language`
    /// (e.g. `fr-FR,fr` or `en-US,en`).
    pub async fn launch(language: &str) -> anyhow::Result<Self> {
        Self::launch_with(language, LaunchOptions::default()).await
    }

    /// [`HeadlessChrome::launch`] with `options`.
    pub async fn launch_with(language: &str, options: LaunchOptions) -> anyhow::Result<Self> {
        let chromedriver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        if !Path::new(&chromium).exists() {
            bail!(
                "{chromium} is missing: run scripts/install-deps.sh (Debian packages chromium chromium-driver)"
            );
        }
        let port = free_port()?;
        let mut command = Command::new(&chromedriver);
        if let Some(home) = &options.home {
            command.env("HOME", home);
        }
        let driver = command
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {chromedriver}"))?;
        let profile = tempfile::tempdir()?;
        let mut this = Self {
            driver,
            client: None,
            _profile: profile,
        };
        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--window-size=1100,900".to_owned(),
            format!("--lang={}", language.split(',').next().unwrap_or("fr")),
            format!("--user-data-dir={}", this._profile.path().display()),
        ];
        args.extend(options.args);
        let mut prefs = options.prefs;
        prefs.insert("intl.accept_languages".to_owned(), language.into());
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({
                "binary": chromium,
                "args": args,
                "prefs": prefs,
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(e) if Instant::now() > deadline => {
                    bail!("chromedriver did not start a session: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        this.client = Some(client);
        Ok(this)
    }

    /// The WebDriver session.
    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("session is open until close()")
    }

    /// Takes a PNG screenshot and, when `artifacts` is set, saves it there as `<name>.png`.
    pub async fn screenshot(
        &self,
        artifacts: Option<&Path>,
        name: &str,
    ) -> anyhow::Result<Vec<u8>> {
        let png = self.client().screenshot().await?;
        if let Some(dir) = artifacts {
            std::fs::create_dir_all(dir)?;
            std::fs::write(dir.join(format!("{name}.png")), &png)?;
        }
        Ok(png)
    }

    /// Ends the session and stops chromedriver.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for HeadlessChrome {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
