//! The every-minute schedule: see `loop_shared::schedule`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    loop_shared::lambda::run_schedule().await
}
