//! Health for load balancers and orchestrators: `/healthz` says the process answers (it touches nothing else, so a
//! database restart does not make an orchestrator restart every node), `/readyz` that this node can serve — the
//! database answers and the media storage is there — else 503 naming what is not.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

pub async fn healthz(State(state): State<AppState>) -> Response {
    (StatusCode::OK, Json(serde_json::json!({ "status": "ok", "content_version": state.version() }))).into_response()
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    let database = match tokio::time::timeout(std::time::Duration::from_secs(2), state.store.ping()).await {
        Ok(Ok(())) => "ok",
        Ok(Err(e)) => {
            tracing::error!(error = %e, "readiness: database unavailable");
            "unavailable"
        }
        Err(_) => {
            tracing::error!("readiness: the database did not answer within 2 s");
            "unavailable"
        }
    };
    let storage = match tokio::time::timeout(std::time::Duration::from_secs(2), state.media.check()).await {
        Ok(Ok(())) => "ok",
        Ok(Err(e)) => {
            tracing::error!(error = %e, "readiness: media storage unavailable");
            "unavailable"
        }
        Err(_) => {
            tracing::error!(place = state.media.place(), "readiness: media storage did not answer within 2 s");
            "unavailable"
        }
    };
    let ready = database == "ok" && storage == "ok";
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = serde_json::json!({ "status": if ready { "ok" } else { "error" }, "database": database,
        "storage": storage, "content_version": state.version() });
    (status, Json(body)).into_response()
}
