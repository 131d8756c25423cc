//! The Lambda glue: each function's `main` is one call into here.

use std::future::Future;
use std::sync::Arc;

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use bytes::Bytes;
use lambda_http::{Body, Request as LambdaRequest, Response as LambdaResponse};
use lambda_runtime::{service_fn, Error, LambdaEvent};

use crate::app::App;
use crate::dispatch::{self, QueueMessage};
use crate::http::{Request, Response};
use crate::schedule;

/// Logs as one line per event, level from `RUST_LOG` (default `info`).
pub fn init_tracing() {
    crate::logging::init(false);
}

async fn app() -> Result<Arc<App>, Error> {
    init_tracing();
    Ok(App::from_env().await?)
}

/// Runs an HTTP function (API Gateway) whose logic is `handler`.
pub async fn run_http<F, Fut>(handler: F) -> Result<(), Error>
where
    F: Fn(Arc<App>, Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send,
{
    let app = app().await?;
    let handler = &handler;
    lambda_http::run(service_fn(move |request: LambdaRequest| {
        let app = app.clone();
        async move { Ok::<_, Error>(to_lambda(handler(app, from_lambda(request)).await)) }
    }))
    .await
}

fn from_lambda(request: LambdaRequest) -> Request {
    let (parts, body) = request.into_parts();
    // lambda_http has already base64-decoded `isBase64Encoded` bodies into `Binary`.
    let body = match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => Bytes::from(text),
        Body::Binary(bytes) => Bytes::from(bytes),
        _ => Bytes::new(),
    };
    http::Request::from_parts(parts, body)
}

fn to_lambda(response: Response) -> LambdaResponse<Body> {
    let (parts, body) = response.into_parts();
    let body = match String::from_utf8(body.to_vec()) {
        Ok(text) => Body::Text(text),
        Err(bytes) => Body::Binary(bytes.into_bytes()),
    };
    LambdaResponse::from_parts(parts, body)
}

/// Runs the dispatch function on the delivery queue's event-source mapping.
pub async fn run_dispatch() -> Result<(), Error> {
    let app = app().await?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let app = app.clone();
        async move {
            let messages = event
                .payload
                .records
                .into_iter()
                .map(|r| QueueMessage {
                    message_id: r.message_id.unwrap_or_default(),
                    body: r.body.unwrap_or_default(),
                })
                .collect();
            let failed = dispatch::handle_batch(&app, messages).await;
            let mut response = SqsBatchResponse::default();
            response.batch_item_failures = failed
                .into_iter()
                .map(|id| {
                    let mut failure = BatchItemFailure::default();
                    failure.item_identifier = id;
                    failure
                })
                .collect();
            Ok::<_, Error>(response)
        }
    }))
    .await
}

/// Runs the scheduler on its EventBridge schedule.
pub async fn run_schedule() -> Result<(), Error> {
    let app = app().await?;
    lambda_runtime::run(service_fn(move |_: LambdaEvent<EventBridgeEvent>| {
        let app = app.clone();
        async move { Ok::<_, Error>(schedule::run(&app).await?) }
    }))
    .await
}
