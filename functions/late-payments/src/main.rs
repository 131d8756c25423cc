//! The every-minute schedule: see `loop_capabilities::schedule`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    loop_edge::lambda::run_schedule().await
}
