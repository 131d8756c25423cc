//! `ANY /v1/{proxy+}` but the email routes, the hosted pages and the customer's payment routes
//! behind API Gateway (`loop_edge::edge::ROUTES`): `loop_edge::api`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    loop_edge::lambda::run_checkout().await
}
