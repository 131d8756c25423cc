//! `ANY /dashboard` and `ANY /dashboard/{proxy+}` behind API Gateway (`loop_edge::edge::ROUTES`):
//! the merchant dashboard, `loop_edge::dashboard`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    loop_edge::lambda::run_dashboard().await
}
