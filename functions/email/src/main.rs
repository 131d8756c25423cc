//! The contacts, email and workflow routes of `/v1`, `PATCH /v1/account` and the unsubscribe page
//! behind API Gateway (`loop_edge::edge::ROUTES`): the only HTTP function that links SES, MIME
//! and templates.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    loop_edge::lambda::run_email().await
}
