//! `ANY /v1/{proxy+}` and `GET /checkout/{sessionId}` behind API Gateway: see `loop_shared::api`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    loop_shared::lambda::run_http(|app, request| async move { loop_shared::api::handle(&app, request).await }).await
}
