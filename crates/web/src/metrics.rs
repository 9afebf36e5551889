//! Prometheus metrics at `GET /metrics` (text format 0.0.4), for operators of one node or a fleet: requests by
//! route, method and status with latency histograms, the page cache's hits and misses, open live streams, the
//! database pool, the job queue's depth and age, and newsletter sending. Off unless `[server] metrics_token` is
//! set; the scraper sends it as `Authorization: Bearer …`.
//!
//! Counting costs a request a read lock and a few atomic additions: the series of a route, method and status is
//! made once, on its first request. Figures that live in the database (jobs, sending) are read when scraped.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// One route, method and status: a latency histogram (whose count is the request count).
struct Series {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Series {
    fn new() -> Series {
        Series {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }

    fn observe(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }
}

/// A route's series, by method and status.
type RouteSeries = HashMap<(&'static str, u16), Arc<Series>>;

/// One series with its labels: route, method, status.
type Row<'a> = ((&'a str, &'static str, u16), &'a Arc<Series>);

/// The counters this node keeps in memory.
#[derive(Default)]
pub struct Metrics {
    /// By route, then by method and status.
    requests: RwLock<HashMap<String, RouteSeries>>,
    /// Open `/news-feed/events` streams.
    pub sse_connections: AtomicI64,
}

/// A method as a static label (others are counted as `OTHER`).
fn method_label(m: &axum::http::Method) -> &'static str {
    match *m {
        axum::http::Method::GET => "GET",
        axum::http::Method::HEAD => "HEAD",
        axum::http::Method::POST => "POST",
        axum::http::Method::PUT => "PUT",
        axum::http::Method::PATCH => "PATCH",
        axum::http::Method::DELETE => "DELETE",
        axum::http::Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

impl Metrics {
    /// Counts a request to `route` (the router's pattern, so `/{slug}/` rather than each story).
    pub fn observe(&self, route: &str, method: &axum::http::Method, status: StatusCode, elapsed: Duration) {
        let key_method = method_label(method);
        let status = status.as_u16();
        let found = self.requests.read().ok().and_then(|m| m.get(route)?.get(&(key_method, status)).cloned());
        let series = match found {
            Some(s) => s,
            None => {
                let Ok(mut map) = self.requests.write() else { return };
                let of_route = map.entry(route.to_owned()).or_default();
                of_route.entry((key_method, status)).or_insert_with(|| Arc::new(Series::new())).clone()
            }
        };
        series.observe(elapsed);
    }

    fn write_requests(&self, out: &mut String) {
        let Ok(map) = self.requests.read() else { return };
        let mut rows: Vec<Row<'_>> = map
            .iter()
            .flat_map(|(route, inner)| inner.iter().map(move |((m, s), v)| ((route.as_str(), *m, *s), v)))
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        help(out, "newsdesk_http_requests_total", "counter", "Requests answered, by route, method and status.");
        for ((route, method, status), s) in &rows {
            let labels = format!("route=\"{}\",method=\"{method}\",status=\"{status}\"", escape(route));
            let _ = writeln!(out, "newsdesk_http_requests_total{{{labels}}} {}", s.count.load(Ordering::Relaxed));
        }
        help(
            out,
            "newsdesk_http_request_duration_seconds",
            "histogram",
            "Time to answer, from the request to the response's head, by route, method and status.",
        );
        for ((route, method, status), s) in &rows {
            let labels = format!("route=\"{}\",method=\"{method}\",status=\"{status}\"", escape(route));
            let mut cumulative = 0;
            for (i, bound) in BUCKETS.iter().enumerate() {
                cumulative += s.buckets[i].load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "newsdesk_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let count = s.count.load(Ordering::Relaxed);
            let _ = writeln!(out, "newsdesk_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}");
            let sum = s.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(out, "newsdesk_http_request_duration_seconds_sum{{{labels}}} {sum}");
            let _ = writeln!(out, "newsdesk_http_request_duration_seconds_count{{{labels}}} {count}");
        }
    }
}

/// A label value as the text format wants it.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn help(out: &mut String, name: &str, kind: &str, text: &str) {
    let _ = writeln!(out, "# HELP {name} {text}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn gauge(out: &mut String, name: &str, text: &str, value: impl std::fmt::Display) {
    help(out, name, "gauge", text);
    let _ = writeln!(out, "{name} {value}");
}

/// Whether the request carries the configured token (compared in constant time).
fn authorised(state: &AppState, headers: &HeaderMap) -> bool {
    let want = state.options.metrics_token.as_bytes();
    let got = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .trim()
        .as_bytes();
    !want.is_empty() && want.len() == got.len() && want.iter().zip(got).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[tracing::instrument(skip_all, name = "metrics.scrape")]
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if state.options.metrics_token.is_empty() {
        return (StatusCode::NOT_FOUND, "Metrics are off: set [server] metrics_token.\n").into_response();
    }
    if !authorised(&state, &headers) {
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "A metrics token is needed.\n")
            .into_response();
    }
    let mut out = String::with_capacity(16 * 1024);
    state.metrics.write_requests(&mut out);

    let c = state.cache.stats();
    help(
        &mut out,
        "newsdesk_page_cache_lookups_total",
        "counter",
        "Page cache lookups for anonymous readers, by result.",
    );
    for (result, n) in [("hit", c.hits), ("stale", c.stale), ("miss", c.misses)] {
        let _ = writeln!(out, "newsdesk_page_cache_lookups_total{{result=\"{result}\"}} {n}");
    }
    gauge(&mut out, "newsdesk_page_cache_entries", "Pages in the cache.", c.entries);
    gauge(&mut out, "newsdesk_page_cache_bytes", "Bytes of the cached pages (identity and gzip).", c.bytes);
    gauge(
        &mut out,
        "newsdesk_sse_connections",
        "Open live News Feed streams.",
        state.metrics.sse_connections.load(Ordering::Relaxed),
    );
    let (size, idle) = state.store.pool_use();
    gauge(&mut out, "newsdesk_db_pool_connections", "Database connections open in this node's pool.", size);
    gauge(&mut out, "newsdesk_db_pool_idle", "Of those, idle.", idle);
    gauge(&mut out, "newsdesk_db_pool_max", "The pool's largest size.", state.store.pool_max());
    gauge(&mut out, "newsdesk_content_version", "The content version this node serves.", state.version());

    match state.store.job_queue(newsdesk_store::now()).await {
        Ok(queue) => {
            help(&mut out, "newsdesk_jobs_due", "gauge", "Jobs waiting to run now, by kind (the queue's depth).");
            for q in &queue {
                let _ = writeln!(out, "newsdesk_jobs_due{{kind=\"{}\"}} {}", escape(&q.kind), q.due);
            }
            help(&mut out, "newsdesk_jobs_running", "gauge", "Jobs a worker holds now, by kind.");
            for q in &queue {
                let _ = writeln!(out, "newsdesk_jobs_running{{kind=\"{}\"}} {}", escape(&q.kind), q.running);
            }
            help(&mut out, "newsdesk_jobs_oldest_due_seconds", "gauge", "How long the oldest due job has waited.");
            for q in &queue {
                let _ =
                    writeln!(out, "newsdesk_jobs_oldest_due_seconds{{kind=\"{}\"}} {}", escape(&q.kind), q.oldest_wait);
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: the job queue cannot be read"),
    }
    match state.store.sending_progress().await {
        Ok(sending) => {
            gauge(&mut out, "newsdesk_newsletter_issues_sending", "Newsletter issues being sent.", sending.len());
            let rate: f64 = sending.iter().map(|p| p.rate).sum();
            let left: i64 = sending.iter().map(|p| p.queued + p.sending).sum();
            gauge(&mut out, "newsdesk_newsletter_send_rate", "Messages sent per second over the last minute.", rate);
            gauge(&mut out, "newsdesk_newsletter_remaining", "Messages of the issues being sent still to go.", left);
        }
        Err(e) => tracing::warn!(error = %e, "metrics: sending progress cannot be read"),
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], out)
        .into_response()
}
