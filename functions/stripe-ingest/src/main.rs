//! `POST /stripe/webhooks/{accountId}` behind API Gateway: its handler is the one
//! `loop_edge::edge` gives this binary (`loop_capabilities::ingest`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    loop_edge::lambda::run_http(env!("CARGO_BIN_NAME")).await
}
