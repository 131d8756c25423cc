//! `POST /stripe/webhooks/{accountId}` behind API Gateway: its handler is the one
//! `loop_shared::edge` gives this binary (`loop_shared::ingest`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    loop_shared::lambda::run_http(env!("CARGO_BIN_NAME")).await
}
