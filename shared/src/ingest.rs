//! Stripe ingest: `POST /stripe/webhooks/{accountId}` (`stripe-ingest.md`).

use http::StatusCode;

use crate::app::App;
use crate::error::ApiError;
use crate::http::{self as h, Request, Response};
use crate::ids::AccountId;

/// The entry point for `POST /stripe/webhooks/{accountId}`.
pub async fn handle(app: &App, request: Request) -> Response {
    h::finish(serve(app, request).await)
}

async fn serve(app: &App, request: Request) -> Result<Response, ApiError> {
    let account_id = request
        .uri()
        .path()
        .strip_prefix("/stripe/webhooks/")
        .and_then(|id| AccountId::parse(id.trim_end_matches('/')))
        .ok_or_else(|| ApiError::not_found("account"))?;
    let account = app
        .store
        .get_account(&account_id)
        .await?
        .ok_or_else(|| ApiError::not_found("account"))?;
    if account.stripe.signing_secrets.is_empty() {
        return Err(ApiError::Conflict {
            code: "stripe_not_configured",
            message: "This account has no Stripe signing secret yet.".into(),
        });
    }
    Ok(h::json(
        StatusCode::NOT_IMPLEMENTED,
        &serde_json::json!({"status": "not_implemented"}),
    ))
}
