//! `POST /v1/dashboard-links`: a one-time sign-in link to the caller's dashboard, for a merchant
//! who hands out or embeds the portal.

use http::StatusCode;
use serde_json::{json, Value};

use super::body::{json_object, reject_unknown, wrong_type};
use loop_adapters::app::App;
use loop_capabilities::accounts::Caller;
use loop_capabilities::dashboard::{self, DEFAULT_LINK_TTL_SECONDS, MAX_LINK_TTL_SECONDS};
use loop_ground::clock::rfc3339_from_unix;
use loop_ground::error::ApiError;
use loop_ground::http::{self as h, Request, Response};

/// The URL a link's token opens: the dashboard's link page.
pub fn link_url(base: &str, token: &str) -> String {
    format!("{base}/dashboard/link/{token}")
}

pub async fn create(app: &App, caller: &Caller, request: &Request) -> Result<Response, ApiError> {
    let body = json_object(request)?;
    reject_unknown(&body, &["ttlSeconds"], "")?;
    let ttl = match body.get("ttlSeconds") {
        None | Some(Value::Null) => DEFAULT_LINK_TTL_SECONDS,
        Some(value) => value
            .as_i64()
            .filter(|n| (30..=MAX_LINK_TTL_SECONDS).contains(n))
            .ok_or_else(|| wrong_type("ttlSeconds", "an integer from 30 to 86400"))?,
    };
    let link =
        dashboard::create_link(&app.store, app.clock.as_ref(), &caller.account.id, caller.test_mode, ttl).await?;
    let base = h::public_base_url(app.config.public_base_url.as_deref(), request);
    Ok(h::json(
        StatusCode::CREATED,
        &json!({"url": link_url(&base, &link.token), "expiresAt": rfc3339_from_unix(link.expires_at)}),
    ))
}
