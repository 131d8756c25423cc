//! `POST /stripe/webhooks/{accountId}` behind API Gateway: see `loop_shared::ingest`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    loop_shared::lambda::run_http(|app, request| async move { loop_shared::ingest::handle(&app, request).await }).await
}
