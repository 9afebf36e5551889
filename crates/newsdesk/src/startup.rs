//! `Application`: build the server (and optionally its worker) from a config, report its port, run until stopped.
//! Tests build it on port 0; `newsdesk serve` builds it on the configured address.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use newsdesk_store::Store;
use newsdesk_web::AppState;
use newsdesk_worker::Worker;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Config;

pub struct Application {
    listener: TcpListener,
    state: AppState,
    store: Store,
    run_worker: bool,
    jobs: newsdesk_worker::JobContext,
}

impl Application {
    /// Binds the listener and opens the (already initialised) database.
    pub async fn build(config: &Config, run_worker: bool) -> anyhow::Result<Application> {
        let addr = config.listen_addr()?;
        newsdesk_web::client_ip::TrustedProxies::parse(&config.server.trusted_proxies).map_err(anyhow::Error::msg)?;
        let listener = TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
        let bound = listener.local_addr()?;
        let site = config.site_settings(Some(bound))?;
        let store = config.open_store().await?;
        if store.set_site_language(&site.language).await? {
            tracing::info!(language = %site.language, "the site's language changed: its posts were re-indexed for search");
        }
        newsdesk_services::documents::convert_existing(&store).await?;
        let jobs = config.job_context(&site.url)?;
        let state = AppState::new(store.clone(), site, config.data_dir.clone(), config.web_options())?;
        if let Some(e) = state.templates.locale_error() {
            tracing::error!(error = %e, "a translation catalogue of the theme cannot be read; the built-in ones are used");
        }
        state.refresh_version().await;
        Ok(Application { listener, state, store, run_worker, jobs })
    }

    pub fn port(&self) -> u16 {
        self.address().port()
    }

    pub fn address(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then stops accepting, finishes in-flight requests and the job in
    /// progress, and closes the database pool.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let worker = self
            .run_worker
            .then(|| tokio::spawn(Worker::new(self.store.clone(), self.jobs.clone()).run(stop_rx.clone())));
        // PostgreSQL pushes changes (LISTEN/NOTIFY); the polls are then only a safety net. SQLite polls.
        let pushed = self.store.backend == newsdesk_store::Backend::Postgres;
        let listener = self.state.spawn_notice_listener();
        let (version_every, feed_every) = if pushed {
            (Duration::from_secs(10), Duration::from_secs(10))
        } else {
            (Duration::from_secs(1), Duration::from_millis(500))
        };
        let watcher = self.state.spawn_version_watch(version_every);
        let feed_watcher = self.state.spawn_feed_watch(feed_every);
        let closing = self.state.closing.clone();
        let app = newsdesk_web::router(self.state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        tracing::info!(address = %self.address(), site.url = %self.state.site.url, "serving");
        let mut rx = stop_rx.clone();
        let signal = async move {
            shutdown.await;
            tracing::info!("shutting down: finishing in-flight requests and jobs");
            // Live streams end now; otherwise their open connections would hold the shutdown.
            let _ = closing.send(true);
            let _ = stop_tx.send(true);
        };
        axum::serve(self.listener, app).with_graceful_shutdown(signal).await.context("server error")?;
        let _ = rx.wait_for(|v| *v).await;
        watcher.abort();
        feed_watcher.abort();
        listener.abort();
        if let Some(w) = worker {
            let _ = w.await;
        }
        self.store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Completes on Ctrl-C or SIGTERM. The SIGTERM handler is installed when this is called, not when the future is
/// first polled: a process manager may stop the server the moment it answers, before `run_until_stopped` runs.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let term = async {
            match term.as_mut() {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {},
            _ = term => {},
        }
    }
}
