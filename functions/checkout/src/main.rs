//! `ANY /v1/{proxy+}` and `GET /checkout/{sessionId}` behind API Gateway: its handler is the one
//! `loop_edge::edge` gives this binary (`loop_edge::api`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    loop_edge::lambda::run_http(env!("CARGO_BIN_NAME")).await
}
