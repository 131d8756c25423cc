//! `ANY /v1/{proxy+}` and `GET /checkout/{sessionId}` behind API Gateway: its handler is the one
//! `loop_shared::edge` gives this binary (`loop_shared::api`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    loop_shared::lambda::run_http(env!("CARGO_BIN_NAME")).await
}
