//! The delivery queue's consumer: see `loop_shared::dispatch`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    loop_shared::lambda::run_dispatch().await
}
