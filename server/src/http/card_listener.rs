//! Tigr's own TLS listener for card login (docs/cps.md, first deployment form): rustls
//! asks this listener's clients, and only them, for a client certificate, naming the
//! configured card CAs so that browsers offer only cards of that PKI.
//!
//! The handshake proves that the browser holds the certificate's private key (the card,
//! unlocked by its PIN): rustls checks its signature over the handshake with the ring
//! provider's algorithms. It does not refuse a certificate for its chain, dates, usage or
//! revocation: the login does ([`crate::domain::card::CardTrust::verify`], with the CRLs
//! refreshed while the server runs), so that a refused card gets a page that says why and
//! an audit row, where a refused handshake would only give the browser's own error screen
//! and leave no trace of the reason.
//!
//! Each request of a connection carries [`PeerCertificates`] (what the handshake saw) and
//! the peer address as `ConnectInfo`, like the main listener's.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::TokioIo;
use rustls::DistinguishedName;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, ServerConfig, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::card_trust::read_certificates;
use crate::config::CardSettings;
use crate::domain::card::CardTrust;
use crate::shutdown::stopping;

/// A handshake that has not finished by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// The certificates a browser presented in this connection's handshake, card first (empty
/// when it presented none).
#[derive(Debug, Clone, Default)]
pub struct PeerCertificates(pub Arc<Vec<CertificateDer<'static>>>);

/// Asks for a certificate of the card PKI, optionally, and checks the handshake signature
/// made with its key (see the module docs for where the chain is checked).
#[derive(Debug)]
struct CardRequest {
    subjects: Vec<DistinguishedName>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for CardRequest {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        // Without a card the browser still gets the page that says what to do.
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.subjects
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The listener's TLS configuration: its certificate and key from `settings`, client
/// certificates requested from the CAs of `trust`.
pub fn tls_config(settings: &CardSettings, trust: &CardTrust) -> anyhow::Result<Arc<ServerConfig>> {
    let (Some(cert_path), Some(key_path)) = (&settings.tls_cert, &settings.tls_key) else {
        anyhow::bail!(
            "TIGR_CARD_LISTEN needs the listener's certificate and key (TIGR_CARD_TLS_CERT, \
             TIGR_CARD_TLS_KEY)"
        );
    };
    let chain = read_certificates(std::slice::from_ref(cert_path))?;
    let key = PrivateKeyDer::from_pem_file(key_path)
        .map_err(|e| anyhow::anyhow!("cannot read the key {}: {e}", key_path.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let request = CardRequest {
        subjects: trust
            .ca_subjects()
            .into_iter()
            .map(DistinguishedName::from)
            .collect(),
        algorithms: provider.signature_verification_algorithms,
    };
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS versions")?
        .with_client_cert_verifier(Arc::new(request))
        .with_single_cert(chain, key)
        .context("the card listener's certificate and key do not match")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Accepts TLS connections on `listener` and serves `app` on each until shutdown; requests
/// in flight finish.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<ServerConfig>,
    app: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let acceptor = TlsAcceptor::from(tls);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "card listener: accept failed");
                    continue;
                }
            },
            () = stopping(&mut shutdown) => break,
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => serve_connection(stream, peer, app, shutdown).await,
                Ok(Err(error)) => tracing::debug!(%error, "card listener: handshake failed"),
                Err(_) => tracing::debug!("card listener: handshake timed out"),
            }
        });
        while connections.try_join_next().is_some() {}
    }
    while connections.join_next().await.is_some() {}
}

async fn serve_connection(
    stream: tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
    peer: SocketAddr,
    app: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let certificates = PeerCertificates(Arc::new(
        stream
            .get_ref()
            .1
            .peer_certificates()
            .map(|chain| chain.iter().map(|c| c.clone().into_owned()).collect())
            .unwrap_or_default(),
    ));
    let service =
        hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request.extensions_mut().insert(certificates.clone());
            let mut app = app.clone();
            async move { tower::Service::call(&mut app, request).await }
        });
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        served = connection.as_mut() => {
            if let Err(error) = served {
                tracing::debug!(%error, "card listener: connection ended with an error");
            }
        }
        () = stopping(&mut shutdown) => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}
