//! The Lambda glue: each function's `main` is one call into here.

use std::sync::Arc;

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use bytes::Bytes;
use lambda_http::{Body, Request as LambdaRequest, Response as LambdaResponse};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use tracing::field::Empty;
use tracing::Instrument;

use crate::edge::HttpFunction;
use loop_adapters::app::App;
use loop_capabilities::dispatch::{self, QueueMessage};
use loop_capabilities::schedule;
use loop_ground::http::{Request, Response};

/// Logs as Lambda's logging controls ask (`AWS_LAMBDA_LOG_FORMAT`, `AWS_LAMBDA_LOG_LEVEL`), and
/// turns on metrics (CloudWatch Embedded Metric Format on standard output), named after the
/// function.
pub fn init_tracing() {
    loop_ground::logging::init_as(loop_ground::logging::LogFormat::from_env(), false);
    loop_ground::metrics::enable(&std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "loop".to_owned()));
}

async fn app() -> Result<Arc<App>, Error> {
    init_tracing();
    Ok(App::from_env().await?)
}

/// `functions/stripe-ingest`: the Stripe webhook route of the route table (`edge`).
pub async fn run_stripe_ingest() -> Result<(), Error> {
    run_http(HttpFunction::StripeIngest, |app, request| async move {
        loop_capabilities::ingest::handle(&app, request).await
    })
    .await
}

/// `functions/checkout`: the merchant API but its email routes, and the customer's pages and
/// payment routes.
pub async fn run_checkout() -> Result<(), Error> {
    run_http(HttpFunction::Checkout, |app, request| async move { crate::api::handle_checkout(&app, request).await })
        .await
}

/// `functions/email`: the contacts, email and workflow routes of the merchant API, and the
/// unsubscribe page.
pub async fn run_email() -> Result<(), Error> {
    run_http(HttpFunction::Email, |app, request| async move { crate::api::handle_email(&app, request).await }).await
}

/// `functions/dashboard`: the merchant dashboard's pages.
pub async fn run_dashboard() -> Result<(), Error> {
    run_http(HttpFunction::Dashboard, |app, request| async move { crate::dashboard::handle(&app, request).await }).await
}

/// Runs an HTTP function (API Gateway) with its handler: API Gateway has already matched the
/// route, so every request goes to it. Each function's binary names its own handler, so it
/// links only the code that handler reaches.
async fn run_http<F, Fut>(function: HttpFunction, handler: F) -> Result<(), Error>
where
    F: Fn(Arc<App>, Request) -> Fut + Copy + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response> + Send + 'static,
{
    debug_assert!(HttpFunction::ALL.contains(&function));
    let app = app().await?;
    lambda_http::run(service_fn(move |request: LambdaRequest| {
        let app = app.clone();
        // Inside the runtime's own span (`requestId`, `xrayTraceId`), every line logged for this
        // request names its route, and its account once the request names it (its API key, the
        // Stripe webhook's path).
        let span = tracing::info_span!(
            "request",
            method = %request.method(),
            path = request.uri().path(),
            account = Empty,
            stripe_event = Empty,
        );
        async move { Ok::<_, Error>(to_lambda(handler(app, from_lambda(request)).await)) }.instrument(span)
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
                    sent_at_millis: r.attributes.get("SentTimestamp").and_then(|t| t.parse().ok()),
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
