//! Starting and stopping the server: master key, database, listener, background tasks.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::admin::AdminService;
use crate::card_trust::{CardTrustStore, refresh_loop};
use crate::config::{Config, MasterKeySource};
use crate::domain::offline_pause::MAX_OFFLINE_RECORDS;
use crate::http::connections::{self, ConnectionLimits};
use crate::http::live::LiveChannels;
use crate::http::pages::PagesState;
use crate::http::{self, AppInner, AppState};
use crate::hub::NotificationHub;
use crate::login::{LoginParts, LoginService, SessionSettings};
use crate::mail::Mailer;
use crate::metrics::{ConnectionCounters, LateReplies, Metrics};
use crate::oidc::{OidcParts, OidcService};
use crate::otp::{OtpParts, OtpService};
use crate::relay;
use crate::sealing::{KeyFileOutcome, MasterKey, SecretSealer, load_or_create_key_file};
use crate::shutdown::stopping;
use crate::storage::{Engine, OpenOutcome, PauseChannel, Store};

/// How long decided or expired challenges are kept before the purge deletes them.
const CHALLENGE_RETENTION_SECONDS: i64 = 3600;
/// How often the purge runs.
const PURGE_INTERVAL: Duration = Duration::from_secs(60);

/// A server serving in a background task.
#[derive(Debug)]
pub struct RunningServer {
    /// The address actually bound.
    pub addr: SocketAddr,
    /// The public origin phones see (bound into signatures and QR codes).
    pub public_url: String,
    /// The address of the card TLS listener, when one is configured.
    pub card_addr: Option<SocketAddr>,
    /// The configuration, its listen address the bound one (so that its public URL is
    /// known even for port 0).
    config: Config,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl RunningServer {
    /// Raises the open-file limit, opens and migrates the database, loads the master key
    /// (or generates it for a database that has none), binds the listener and serves in a
    /// background task.
    pub async fn start(mut config: Config) -> anyhow::Result<Self> {
        config.check_metrics_exposure()?;
        let descriptors = raise_descriptor_limit();
        let limits = connection_limits(&config, descriptors);
        let mailer = config
            .otp
            .smtp
            .as_ref()
            .map(Mailer::new)
            .transpose()
            .context("cannot prepare the SMTP relay")?;

        // The database first: a key file is generated only for a database that has none
        // (not for one that cannot be opened or whose key file went missing).
        let (store, outcome) = Store::open(&config.database_url)
            .await
            .with_context(|| format!("cannot open the database {}", config.database_shown()))?;
        match outcome {
            OpenOutcome::Created => {
                tracing::info!(database = %config.database_shown(), "created a new database")
            }
            OpenOutcome::Existing => {
                tracing::info!(database = %config.database_shown(), "database opened")
            }
        }
        let key = load_master_key(&config, &store).await?;
        let sealer = Arc::new(SecretSealer::new(&key));
        drop(key);
        check_master_key(&store, &sealer, &config).await?;
        for loose in store.loose_permissions() {
            tracing::warn!(
                path = %loose.path.display(),
                mode = %format!("{:o}", loose.mode),
                "{} is accessible to other users (mode {:o}): the database holds the pages' \
                 CSRF key, open challenges and personal data; restrict it with chmod {:o}",
                loose.path.display(),
                loose.mode,
                loose.wanted
            );
        }

        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let addr = listener.local_addr()?;
        config.listen = addr;
        let cards = if config.card.enabled() {
            Some(Arc::new(CardTrustStore::load(&config.card).await?))
        } else {
            None
        };
        let card_listener = match (&cards, config.card.listen) {
            (Some(cards), Some(listen)) => {
                let tls = http::card_listener::tls_config(&config.card, &cards.current())?;
                let listener = TcpListener::bind(listen)
                    .await
                    .with_context(|| format!("cannot listen on {listen} (TIGR_CARD_LISTEN)"))?;
                config.card.listen = Some(listener.local_addr()?);
                Some((listener, tls))
            }
            (None, Some(_)) => anyhow::bail!(
                "TIGR_CARD_LISTEN is set but no card root is configured (TIGR_CARD_ROOTS)"
            ),
            _ => None,
        };
        let origin = config.public_origin()?;
        let public_url = origin.to_string();

        let mut fresh = [0u8; 32];
        config.random.fill(&mut fresh);
        let csrf_key = store
            .web_csrf_key(&fresh)
            .await
            .context("cannot prepare the web pages")?;
        let pages = PagesState::new(&config, &origin, &csrf_key);
        let (shutdown, shutdown_rx) = watch::channel(false);
        let hub = NotificationHub::new();
        if store.engine() == Engine::Postgres {
            // Other instances may share the database: their waiters hear of our changes and
            // ours of theirs.
            let mut id = [0u8; 8];
            config.random.fill(&mut id);
            let instance = id.iter().map(|b| format!("{b:02x}")).collect();
            relay::start(
                store.clone(),
                &config.database_url,
                &hub,
                instance,
                shutdown_rx.clone(),
            )
            .await
            .context("cannot listen to the other instances")?;
        }
        let connection_counters = Arc::new(ConnectionCounters::default());
        let late_offline_replies = Arc::new(LateReplies::default());
        let metrics = config.metrics.then(|| {
            Arc::new(Metrics::new(
                Arc::clone(store.audit_counters()),
                Arc::clone(&hub),
                Arc::clone(&connection_counters),
                Arc::clone(&late_offline_replies),
                config.clock.now_unix(),
                config.metrics_token.as_deref(),
            ))
        });
        let sessions = SessionSettings {
            idle: config.session_idle,
            max: config.session_max,
            admin_idle: config.admin_session_idle,
            admin_max: config.admin_session_max,
        };
        let oidc = OidcService::start(OidcParts {
            store: store.clone(),
            sealer: Arc::clone(&sealer),
            origin: origin.clone(),
            access_token_ttl: config.oidc_access_token_ttl,
            id_token_ttl: config.oidc_id_token_ttl,
            clock: Arc::clone(&config.clock),
            random: Arc::clone(&config.random),
            hub: Arc::clone(&hub),
            shutdown: shutdown_rx.clone(),
        })
        .await
        .map_err(|_| anyhow::anyhow!("cannot start the OpenID Connect provider"))?;
        let login = LoginService::new(LoginParts {
            store: store.clone(),
            sealer: Arc::clone(&sealer),
            origin: origin.clone(),
            service_name: config.service_name.clone(),
            challenge_ttl: config.challenge_ttl,
            lockout: config.lockout_policy(),
            offline_lockout: config.offline_policy(),
            time_zone: config.time_zone.clone(),
            sessions,
            clock: Arc::clone(&config.clock),
            random: Arc::clone(&config.random),
            hub: Arc::clone(&hub),
            shutdown: shutdown_rx.clone(),
            cards: cards.clone(),
            offline_reply_time: config.offline_reply_time,
            late_offline_replies,
        })
        .context("cannot start the offline-code pacing thread")?;
        let otp = OtpService::new(OtpParts {
            store: store.clone(),
            login: login.clone(),
            sealer: Arc::clone(&sealer),
            mailer,
            settings: config.otp.clone(),
            service_name: config.service_name.clone(),
            time_zone: config.time_zone.clone(),
            random: Arc::clone(&config.random),
        });
        let admin = AdminService::new(store.clone(), &config)
            .with_live_updates(Arc::clone(&hub), shutdown_rx.clone());
        let logouts = tokio::spawn(oidc.clone().deliver_logouts());
        let state = AppState::new(AppInner {
            login,
            otp,
            admin,
            oidc,
            origin,
            service_name: config.service_name.clone(),
            trust_proxy: config.trust_proxy,
            clock: Arc::clone(&config.clock),
            random: Arc::clone(&config.random),
            limiter: crate::ratelimit::RateLimiter::new(
                config.rate_limits,
                Arc::clone(&config.clock),
            ),
            live: LiveChannels::new(config.max_live_per_client),
            body_timeout: config.body_timeout,
            connection_counters: Arc::clone(&connection_counters),
            pages,
            metrics,
        });
        let card_task = card_listener.map(|(listener, tls)| {
            let card_app = http::card_router(state.clone());
            tokio::spawn(http::card_listener::serve(
                listener,
                tls,
                card_app,
                shutdown_rx.clone(),
            ))
        });
        let crl_task = cards.clone().map(|cards| {
            tokio::spawn(refresh_loop(
                cards,
                Duration::from_secs(config.card.crl_refresh.unsigned_abs()),
                shutdown_rx.clone(),
            ))
        });
        let app = http::router(state);
        let purge = tokio::spawn(purge_loop(
            store.clone(),
            Arc::clone(&config.clock),
            sessions.idle,
            shutdown_rx.clone(),
        ));
        let task = tokio::spawn(async move {
            connections::serve(listener, app, limits, connection_counters, shutdown_rx).await;
            let _ = purge.await;
            for task in [card_task, crl_task].into_iter().flatten() {
                let _ = task.await;
            }
            let _ = logouts.await;
            store.close().await;
            tracing::info!("server stopped");
        });
        tracing::info!(
            listen = %addr,
            public_url = %public_url,
            "Tigr server listening on http://{addr} (public URL {public_url})"
        );
        if let Some(card_addr) = config.card.listen.filter(|_| config.card.enabled()) {
            tracing::info!(listen = %card_addr, "card login: TLS listener on https://{card_addr}");
        }
        if !config.card.proxies.is_empty() {
            tracing::info!(
                proxies = ?config.card.proxies,
                header = %config.card.proxy_header,
                "card login: certificates forwarded by the configured reverse proxies"
            );
        }
        tracing::info!(
            max_connections = limits.max_connections,
            header_timeout_s = limits.header_timeout.as_secs_f64(),
            body_timeout_s = config.body_timeout.as_secs_f64(),
            idle_timeout_s = limits.idle_timeout.as_secs_f64(),
            max_live_per_client = config.max_live_per_client,
            "at most {} connections at once (open-file limit {descriptors})",
            limits.max_connections
        );
        match (config.metrics, config.metrics_token.is_some()) {
            (false, _) => tracing::info!("metrics disabled"),
            (true, false) => tracing::info!("Prometheus metrics at /metrics (no token)"),
            (true, true) => tracing::info!("Prometheus metrics at /metrics (bearer token)"),
        }
        Ok(Self {
            addr,
            card_addr: config.card.listen.filter(|_| config.card.enabled()),
            public_url,
            config,
            shutdown,
            task,
        })
    }

    /// The configuration the server runs with: its listen address is the bound one, so its
    /// public URL is resolved (e.g. for [`crate::create_enrollment`]).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Stops accepting connections, lets requests in flight finish (long polls return at
    /// once), closes the database and waits for all of it.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        if let Err(error) = self.task.await {
            tracing::error!(%error, "server task failed");
        }
    }
}

/// Raises the soft limit of open files to the hard one (every connection is a descriptor,
/// and the usual soft limit, 1,024, is far below what a server needs) and returns the limit
/// in force.
fn raise_descriptor_limit() -> u64 {
    let before = rlimit::getrlimit(rlimit::Resource::NOFILE)
        .map(|(soft, _)| soft)
        .ok();
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => {
            match before {
                Some(before) if before < limit => {
                    tracing::info!(limit, "open-file limit raised from {before} to {limit}")
                }
                _ => tracing::info!(limit, "open-file limit {limit}"),
            }
            limit
        }
        Err(error) => {
            let limit = before.unwrap_or(1024);
            tracing::warn!(%error, limit, "cannot raise the open-file limit; it stays at {limit}");
            limit
        }
    }
}

/// The connection loop's limits: the configured or sized cap (warned about when the
/// open-file limit cannot hold it) and the timeouts.
fn connection_limits(config: &Config, descriptors: u64) -> ConnectionLimits {
    let max_connections = config.connection_cap(descriptors);
    let room = descriptors.saturating_sub(Config::RESERVED_DESCRIPTORS);
    if u64::try_from(max_connections).unwrap_or(u64::MAX) > room {
        tracing::warn!(
            max_connections,
            descriptors,
            "max_connections ({max_connections}) is above what the open-file limit \
             ({descriptors}) leaves for connections ({room}): raise the limit (LimitNOFILE= \
             in systemd, ulimit -n) or lower max_connections, else accepting connections \
             will fail when descriptors run out"
        );
    }
    ConnectionLimits {
        max_connections,
        header_timeout: config.header_timeout,
        idle_timeout: config.idle_timeout,
    }
}

async fn load_master_key(config: &Config, store: &Store) -> anyhow::Result<MasterKey> {
    match &config.master_key {
        MasterKeySource::Inline(key) => {
            tracing::info!("master key taken from the configuration (TIGR_MASTER_KEY)");
            Ok(key.clone())
        }
        MasterKeySource::File(path) if !path.exists() && store.key_check().await?.is_some() => {
            anyhow::bail!(
                "no master key file at {}, but the database {} holds secrets sealed with a \
                 master key: restore that key file (or set TIGR_MASTER_KEY); a new key would \
                 lock them out",
                path.display(),
                config.database_shown()
            )
        }
        MasterKeySource::File(path) => {
            let (key, outcome) = load_or_create_key_file(path, config.random.as_ref())?;
            match outcome {
                KeyFileOutcome::Loaded => {
                    tracing::info!(path = %path.display(), "master key loaded")
                }
                KeyFileOutcome::Generated => tracing::warn!(
                    path = %path.display(),
                    "generated a new master key in {} (mode 0600). It encrypts the offline \
                     secrets of enrolled phones: back it up now and keep it apart from the \
                     database backups; without it, offline codes can no longer be checked",
                    path.display()
                ),
            }
            Ok(key)
        }
    }
}

/// Refuses to start with a master key other than the one that sealed this database's
/// secrets (otherwise every offline code would fail, and count toward lockouts).
async fn check_master_key(
    store: &Store,
    sealer: &SecretSealer,
    config: &Config,
) -> anyhow::Result<()> {
    let mut tx = store.begin_write().await?;
    match tx.key_check().await? {
        Some(check) if sealer.verify_key_check(&check) => Ok(()),
        Some(_) => anyhow::bail!(
            "the master key does not match the database {}: its offline secrets were \
             encrypted with another key. Restore the right key file (or TIGR_MASTER_KEY) \
             instead of starting with a new one",
            config.database_shown()
        ),
        None => {
            tx.init_key_check(&sealer.key_check(config.random.as_ref()))
                .await?;
            tx.commit().await?;
            Ok(())
        }
    }
}

/// Deletes long-expired challenges, ended web sessions, forgotten offline and OTP-form
/// records (and the oldest beyond [`MAX_OFFLINE_RECORDS`]), expired e-mail codes and old
/// sends, and expired OpenID Connect rows (codes, tokens, waiting requests, retired keys)
/// once a minute, so the tables stay small.
async fn purge_loop(
    store: Store,
    clock: Arc<dyn tigr_core::clock::Clock>,
    session_idle: i64,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut interval = tokio::time::interval(PURGE_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {
                let before = clock.now_unix() - CHALLENGE_RETENTION_SECONDS;
                match store.purge_challenges(before).await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(purged = n, "old challenges deleted"),
                    Err(error) => tracing::warn!(%error, "challenge purge failed"),
                }
                let now = clock.now_unix();
                match store.purge_web_sessions(now, now - session_idle).await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(purged = n, "ended web sessions deleted"),
                    Err(error) => tracing::warn!(%error, "web session purge failed"),
                }
                match store.purge_offline_records(now, MAX_OFFLINE_RECORDS).await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(purged = n, "old offline records deleted"),
                    Err(error) => tracing::warn!(%error, "offline record purge failed"),
                }
                match store
                    .purge_records(PauseChannel::Otp, now, MAX_OFFLINE_RECORDS)
                    .await
                {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(purged = n, "old OTP-form records deleted"),
                    Err(error) => tracing::warn!(%error, "OTP-form record purge failed"),
                }
                match store.purge_email_codes(now).await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(purged = n, "old e-mail codes and sends deleted"),
                    Err(error) => tracing::warn!(%error, "e-mail code purge failed"),
                }
                match store.purge_oidc(now).await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(purged = n, "expired OpenID Connect rows deleted"),
                    Err(error) => tracing::warn!(%error, "OpenID Connect purge failed"),
                }
            }
            () = stopping(&mut shutdown) => return,
        }
    }
}
