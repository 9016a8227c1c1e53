//! The card PKI as configured (docs/cps.md): roots and intermediates read once at start,
//! CRLs from files and URLs read at start and refreshed on a schedule.
//!
//! A refresh that fails for one source (file unreadable, URL unreachable, CRL that does not
//! parse) keeps that source's last good CRL and logs a warning: the CRL then ages, and once
//! past its `nextUpdate` the stale-CRL policy decides ([`StaleCrlPolicy`]). Logins read
//! the current trust set without waiting for a refresh.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer};
use tokio::sync::watch;

use crate::config::CardSettings;
use crate::domain::card::{CardTrust, StaleCrlPolicy};
use crate::shutdown::stopping;

/// Largest CRL fetched from a URL (the health sector's CRLs run to a few MiB).
const MAX_CRL_BYTES: u64 = 64 * 1024 * 1024;

/// How long one CRL download may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// Where one CRL comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CrlSource {
    File(PathBuf),
    Url(String),
}

impl std::fmt::Display for CrlSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Url(url) => f.write_str(url),
        }
    }
}

/// The card PKI of a running server.
#[derive(Debug)]
pub struct CardTrustStore {
    current: RwLock<Arc<CardTrust>>,
    sources: Vec<CrlSource>,
    /// The last good CRLs of each source (DER; a file may hold several).
    last_good: Mutex<Vec<Vec<Vec<u8>>>>,
    policy: StaleCrlPolicy,
}

impl CardTrustStore {
    /// Reads the roots and intermediates (an unusable file stops the start, naming it) and
    /// the CRLs (an unusable one is logged and left out).
    pub async fn load(settings: &CardSettings) -> anyhow::Result<Self> {
        let roots = read_certificates(&settings.roots)?;
        let intermediates = read_certificates(&settings.intermediates)?;
        anyhow::ensure!(!roots.is_empty(), "card login needs at least one root");
        let sources: Vec<CrlSource> = settings
            .crl_files
            .iter()
            .cloned()
            .map(CrlSource::File)
            .chain(settings.crl_urls.iter().cloned().map(CrlSource::Url))
            .collect();
        let trust = CardTrust::new(&roots, &intermediates, &[])
            .map_err(|e| anyhow::anyhow!("card certificates: {e}"))?;
        let store = Self {
            current: RwLock::new(Arc::new(trust)),
            last_good: Mutex::new(vec![Vec::new(); sources.len()]),
            sources,
            policy: settings.stale_crl,
        };
        store.refresh().await;
        Ok(store)
    }

    /// The trust set to check a login against now.
    pub fn current(&self) -> Arc<CardTrust> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// What to do when no usable CRL tells a certificate's status.
    pub fn policy(&self) -> StaleCrlPolicy {
        self.policy
    }

    /// Reads every CRL source again; a source that fails keeps its last good CRLs.
    pub async fn refresh(&self) {
        let mut fetched = Vec::with_capacity(self.sources.len());
        for source in &self.sources {
            fetched.push(read_crls(source).await);
        }
        let crls: Vec<Vec<u8>> = {
            let mut last_good = self.last_good.lock().unwrap_or_else(|e| e.into_inner());
            for ((source, result), kept) in
                self.sources.iter().zip(fetched).zip(last_good.iter_mut())
            {
                match result {
                    Ok(crls) => *kept = crls,
                    Err(error) => tracing::warn!(
                        source = %source,
                        %error,
                        kept = kept.len(),
                        "cannot refresh a card CRL; its last good version is kept"
                    ),
                }
            }
            last_good.iter().flatten().cloned().collect()
        };
        let current = self.current();
        match current.with_crls(&crls) {
            Ok(fresh) => {
                let (roots, intermediates, lists) = fresh.counts();
                tracing::info!(roots, intermediates, crls = lists, "card trust set loaded");
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(fresh);
            }
            Err(error) => tracing::warn!(%error, "card CRLs refused; the previous ones are kept"),
        }
    }
}

/// Refreshes the CRLs every `every` until shutdown.
pub async fn refresh_loop(
    store: Arc<CardTrustStore>,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval.tick().await;
    loop {
        tokio::select! {
            _ = interval.tick() => store.refresh().await,
            () = stopping(&mut shutdown) => return,
        }
    }
}

/// The certificates of `files`, each PEM (one or more) or DER.
pub fn read_certificates(files: &[PathBuf]) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let mut certificates = Vec::new();
    for path in files {
        let bytes = std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let found = pem_or_der(&bytes, |b| {
            CertificateDer::pem_slice_iter(b)
                .map(|c| c.map(|c| c.to_vec()))
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        anyhow::ensure!(!found.is_empty(), "{}: no certificate", path.display());
        certificates.extend(found.into_iter().map(CertificateDer::from));
    }
    Ok(certificates)
}

/// The items of a PEM file (by `from_pem`), or the whole file as one DER item.
fn pem_or_der<E: std::fmt::Display>(
    bytes: &[u8],
    from_pem: impl FnOnce(&[u8]) -> Result<Vec<Vec<u8>>, E>,
) -> Result<Vec<Vec<u8>>, String> {
    if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
        from_pem(bytes).map_err(|e| format!("bad PEM: {e}"))
    } else if bytes.first() == Some(&0x30) {
        Ok(vec![bytes.to_vec()])
    } else {
        Err("neither PEM nor DER".to_owned())
    }
}

fn parse_crls(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let crls = pem_or_der(bytes, |b| {
        CertificateRevocationListDer::pem_slice_iter(b)
            .map(|c| c.map(|c| c.to_vec()))
            .collect::<Result<Vec<_>, _>>()
    })?;
    // Refuse what would not parse now rather than lose the last good version later.
    CardTrust::new(&[], &[], &crls).map_err(|e| e.to_string())?;
    Ok(crls)
}

async fn read_crls(source: &CrlSource) -> Result<Vec<Vec<u8>>, String> {
    let bytes = match source {
        CrlSource::File(path) => read_file(path).await?,
        CrlSource::Url(url) => fetch(url).await?,
    };
    parse_crls(&bytes)
}

async fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    tokio::fs::read(path).await.map_err(|e| e.to_string())
}

/// Downloads one CRL: a success status, within [`FETCH_TIMEOUT`], at most [`MAX_CRL_BYTES`].
async fn fetch(url: &str) -> Result<Vec<u8>, String> {
    let client = reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let mut response = client
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| e.without_url().to_string())?;
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if (bytes.len() + chunk.len()) as u64 > MAX_CRL_BYTES {
            return Err(format!("larger than {MAX_CRL_BYTES} bytes"));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::card::{CardIdentity, CardRefusal, NationalId, fingerprint};
    use crate::test_pki::{CardSpec, TestPki};
    use tigr_core::clock::Clock as _;

    const NOW: i64 = 1_800_000_000;

    fn trust(pki: &TestPki) -> CardTrust {
        CardTrust::new(
            &[pki.root_der()],
            &[pki.intermediate_der()],
            &pki.crls(NOW, &[]),
        )
        .expect("trust")
    }

    #[test]
    fn the_identifier_is_read_from_serial_number_then_common_name() {
        let pki = TestPki::new(NOW);
        let card = pki.card(&CardSpec::professional("810001234567", "Jeanne", "Martin"));
        let identity = CardIdentity::of(&card.der()).expect("identity");
        assert_eq!(
            identity.national_id.as_ref().map(NationalId::as_str),
            Some("810001234567")
        );
        assert_eq!(identity.name, "Jeanne Martin");
        assert_eq!(identity.fingerprint, fingerprint(&card.der()));
        let cn_only = pki.card(&CardSpec {
            serial_number: None,
            common_name: "810009876543/CPS".to_owned(),
            ..CardSpec::professional("810009876543", "Paul", "Durand")
        });
        let identity = CardIdentity::of(&cn_only.der()).expect("identity");
        assert_eq!(
            identity.national_id.map(|i| i.as_str().to_owned()),
            Some("810009876543".to_owned())
        );
        let anonymous = pki.card(&CardSpec::without_identifier("Carte de test"));
        let identity = CardIdentity::of(&anonymous.der()).expect("identity");
        assert_eq!(identity.national_id, None);
        assert_eq!(identity.name, "Carte de test");
        assert_eq!(
            CardIdentity::of(&CertificateDer::from(vec![0x30, 0x03, 1, 2, 3])),
            Err(CardRefusal::Malformed)
        );
    }

    #[test]
    fn every_check_of_the_chain_refuses_with_its_reason() {
        let pki = TestPki::new(NOW);
        let trust = trust(&pki);
        let good = pki.card(&CardSpec::professional("810001234567", "A", "B"));
        let verify =
            |chain: &[CertificateDer<'_>]| trust.verify(chain, NOW, StaleCrlPolicy::Refuse);
        assert_eq!(verify(&[good.der()]), Ok(true));
        assert_eq!(verify(&[good.der(), pki.intermediate_der()]), Ok(true));
        assert_eq!(verify(&[]), Err(CardRefusal::NoCertificate));
        let expired = pki.card(&CardSpec {
            not_after: NOW - 10,
            ..CardSpec::professional("810001234568", "A", "B")
        });
        assert_eq!(verify(&[expired.der()]), Err(CardRefusal::Expired));
        let early = pki.card(&CardSpec {
            not_before: NOW + 3600,
            ..CardSpec::professional("810001234569", "A", "B")
        });
        assert_eq!(verify(&[early.der()]), Err(CardRefusal::NotYetValid));
        let server_only = pki.card(&CardSpec {
            server_auth_only: true,
            ..CardSpec::professional("810001234570", "A", "B")
        });
        assert_eq!(verify(&[server_only.der()]), Err(CardRefusal::WrongUsage));
        let no_signature = pki.card(&CardSpec {
            key_encipherment_only: true,
            ..CardSpec::professional("810001234571", "A", "B")
        });
        assert_eq!(verify(&[no_signature.der()]), Err(CardRefusal::WrongUsage));
        let other = TestPki::another(NOW);
        let foreign = other.card(&CardSpec::professional("810001234567", "A", "B"));
        assert_eq!(verify(&[foreign.der()]), Err(CardRefusal::UnknownCa));
        assert_eq!(
            verify(&[foreign.der(), other.intermediate_der()]),
            Err(CardRefusal::UnknownCa)
        );
        // A CA that takes a configured CA's name is not that CA: its signature fails.
        let impostor = TestPki::new(NOW);
        let forged = impostor.card(&CardSpec::professional("810001234567", "A", "B"));
        assert_eq!(verify(&[forged.der()]), Err(CardRefusal::Invalid));
    }

    #[test]
    fn revocation_and_the_stale_crl_policy() {
        let pki = TestPki::new(NOW);
        let card = pki.card(&CardSpec::professional("810001234567", "A", "B"));
        let revoked_trust = CardTrust::new(
            &[pki.root_der()],
            &[pki.intermediate_der()],
            &pki.crls(NOW, &[&card]),
        )
        .expect("trust");
        for policy in [StaleCrlPolicy::Refuse, StaleCrlPolicy::Accept] {
            assert_eq!(
                revoked_trust.verify(&[card.der()], NOW, policy),
                Err(CardRefusal::Revoked)
            );
        }
        // CRLs published at NOW with a next update a day later: stale two days later.
        let later = NOW + 2 * 86_400;
        let fresh_card = pki.card(&CardSpec {
            not_after: later + 86_400,
            ..CardSpec::professional("810001234572", "A", "B")
        });
        let trust = trust(&pki);
        assert_eq!(
            trust.verify(&[fresh_card.der()], later, StaleCrlPolicy::Refuse),
            Err(CardRefusal::RevocationUnknown)
        );
        assert_eq!(
            trust.verify(&[fresh_card.der()], later, StaleCrlPolicy::Accept),
            Ok(false)
        );
        // Without any CRL, nothing can be told.
        let no_crl =
            CardTrust::new(&[pki.root_der()], &[pki.intermediate_der()], &[]).expect("trust");
        assert_eq!(
            no_crl.verify(&[card.der()], NOW, StaleCrlPolicy::Refuse),
            Err(CardRefusal::RevocationUnknown)
        );
        assert_eq!(
            no_crl.verify(&[card.der()], NOW, StaleCrlPolicy::Accept),
            Ok(false)
        );
        // A refreshed trust set sees the new CRL.
        let refreshed = no_crl.with_crls(&pki.crls(NOW, &[&card])).expect("crls");
        assert_eq!(
            refreshed.verify(&[card.der()], NOW, StaleCrlPolicy::Accept),
            Err(CardRefusal::Revoked)
        );
        assert_eq!(refreshed.counts(), (1, 1, 2));
        assert_eq!(refreshed.ca_subjects().len(), 2);
    }

    #[test]
    fn bad_configuration_is_named() {
        let err =
            CardTrust::new(&[CertificateDer::from(vec![1, 2, 3])], &[], &[]).expect_err("bad root");
        assert!(err.to_string().starts_with("root certificate #1"), "{err}");
        let pki = TestPki::new(NOW);
        let err = CardTrust::new(&[pki.root_der()], &[], &[vec![0x30, 0x00]]).expect_err("bad crl");
        assert!(err.to_string().starts_with("CRL #1"), "{err}");
    }

    /// Serves `body` (or 404 when `None`) at any path of 127.0.0.1, one response per
    /// connection.
    async fn crl_server(body: Arc<Mutex<Option<Vec<u8>>>>) -> std::net::SocketAddr {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let current = body.lock().expect("lock").clone();
                let response = match current {
                    Some(crl) => [
                        format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/pkix-crl\r\n\
                             content-length: {}\r\nconnection: close\r\n\r\n",
                            crl.len()
                        )
                        .into_bytes(),
                        crl,
                    ]
                    .concat(),
                    None => b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\
                              connection: close\r\n\r\n"
                        .to_vec(),
                };
                let _ = stream.write_all(&response).await;
            }
        });
        addr
    }

    #[tokio::test]
    async fn crl_urls_are_fetched_and_an_unreachable_one_keeps_the_last_good() {
        let now = tigr_core::clock::SystemClock.now_unix();
        let pki = TestPki::new(now);
        let card = pki.card(&CardSpec::professional("810001234567", "A", "B"));
        let crls = pki.crls(now, &[&card]);
        let served = Arc::new(Mutex::new(Some(crls[1].clone())));
        let addr = crl_server(Arc::clone(&served)).await;
        let dir = tempfile::tempdir().expect("dir");
        let write = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).expect("write");
            path
        };
        let settings = CardSettings {
            roots: vec![write("root.pem", pki.root_pem().as_bytes())],
            intermediates: vec![write("ac.pem", pki.intermediate_pem().as_bytes())],
            crl_files: vec![write("root.crl", &crls[0])],
            crl_urls: vec![format!("http://{addr}/ac.crl")],
            ..CardSettings::default()
        };
        let store = CardTrustStore::load(&settings).await.expect("load");
        assert_eq!(store.current().counts(), (1, 1, 2), "file and URL");
        let verify = || store.current().verify(&[card.der()], now, store.policy());
        assert_eq!(verify(), Err(CardRefusal::Revoked));
        *served.lock().expect("lock") = None;
        store.refresh().await;
        assert_eq!(verify(), Err(CardRefusal::Revoked), "last good CRL kept");
        *served.lock().expect("lock") = Some(pki.crls(now, &[])[1].clone());
        store.refresh().await;
        assert_eq!(verify(), Ok(true), "the new CRL no longer lists the card");
    }

    #[tokio::test]
    async fn crl_files_are_read_again_and_a_broken_one_keeps_the_last_good() {
        let now = tigr_core::clock::SystemClock.now_unix();
        let pki = TestPki::new(now);
        let card = pki.card(&CardSpec::professional("810001234567", "A", "B"));
        let dir = tempfile::tempdir().expect("dir");
        let root = dir.path().join("root.pem");
        let intermediate = dir.path().join("intermediate.der");
        let root_crl = dir.path().join("root.crl");
        let crl = dir.path().join("personnes.crl");
        std::fs::write(&root, pki.root_pem()).expect("write");
        std::fs::write(&intermediate, pki.intermediate_der()).expect("write");
        let crls = pki.crls(now, &[]);
        std::fs::write(&root_crl, &crls[0]).expect("write");
        std::fs::write(&crl, &crls[1]).expect("write");
        let settings = CardSettings {
            roots: vec![root],
            intermediates: vec![intermediate],
            crl_files: vec![root_crl, crl.clone()],
            ..CardSettings::default()
        };
        let store = CardTrustStore::load(&settings).await.expect("load");
        assert_eq!(store.current().counts(), (1, 1, 2));
        assert_eq!(
            store.current().verify(&[card.der()], now, store.policy()),
            Ok(true)
        );
        std::fs::write(&crl, &pki.crls(now, &[&card])[1]).expect("write");
        store.refresh().await;
        assert_eq!(
            store.current().verify(&[card.der()], now, store.policy()),
            Err(crate::domain::card::CardRefusal::Revoked)
        );
        std::fs::write(&crl, b"garbage").expect("write");
        store.refresh().await;
        assert_eq!(
            store.current().verify(&[card.der()], now, store.policy()),
            Err(crate::domain::card::CardRefusal::Revoked),
            "the last good CRL is kept"
        );
        let missing = CardSettings {
            roots: vec![dir.path().join("nope.pem")],
            ..CardSettings::default()
        };
        let err = CardTrustStore::load(&missing)
            .await
            .expect_err("missing root");
        assert!(err.to_string().contains("nope.pem"), "{err}");
    }
}
