//! The delivery queue's consumer: see `loop_capabilities::dispatch`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    loop_edge::lambda::run_dispatch().await
}
