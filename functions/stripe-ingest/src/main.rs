//! `POST /stripe/webhooks/{accountId}` behind API Gateway (`loop_edge::edge::ROUTES`):
//! `loop_capabilities::ingest`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    loop_edge::lambda::run_stripe_ingest().await
}
