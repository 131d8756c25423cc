//! The HTTP side of the local runner: API Gateway's routes, from the one route table
//! (`loop_edge::edge`), plus the runner's own `/health`.

use std::convert::Infallible;
use std::sync::Arc;

use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use loop_adapters::App;
use loop_edge::edge;
use loop_ground::error::ApiError;
use loop_ground::http::{self as h, Response, MAX_BODY_BYTES};
use tokio::net::TcpListener;
use tokio::sync::watch;

pub async fn serve(listener: TcpListener, app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::warn!(error = %err, "accept failed");
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        let app = app.clone();
        let mut connection_shutdown = shutdown.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let app = app.clone();
                async move { Ok::<_, Infallible>(respond(&app, request).await.map(Full::new)) }
            });
            let connection = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = connection_shutdown.changed() => connection.as_mut().graceful_shutdown(),
            }
        });
    }
}

async fn respond(app: &App, request: http::Request<Incoming>) -> Response {
    let (parts, body) = request.into_parts();
    // API Gateway refuses large bodies itself; here the runner stops reading past the limit.
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return h::with_request_id(h::error(&ApiError::PayloadTooLarge)),
    };
    let request = http::Request::from_parts(parts, body);
    // `/health` is the runner's alone: API Gateway has no such route.
    if request.method() == Method::GET && request.uri().path().trim_start_matches('/') == "health" {
        return h::with_request_id(health(app).await);
    }
    edge::handle(app, request).await
}

async fn health(app: &App) -> Response {
    match app.health().await {
        Ok(()) => h::json(StatusCode::OK, &serde_json::json!({"status": "ok"})),
        Err(err) => {
            tracing::warn!(error = %err, "health check failed");
            h::json(StatusCode::SERVICE_UNAVAILABLE, &serde_json::json!({"status": "unavailable"}))
        }
    }
}
