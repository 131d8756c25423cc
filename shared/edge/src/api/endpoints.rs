//! `/v1/webhook-endpoints`: where an account's events go, with which secrets.

use base64::Engine;
use http::StatusCode;
use serde_json::{json, Map, Value};

use super::body::{json_object, reject_unknown, wrong_type};
use super::list::{page, ListParams};
use loop_adapters::app::App;
use loop_adapters::outbound_http::guard::{check_url, UrlError};
use loop_capabilities::accounts::Caller;
use loop_ground::clock::unix_seconds;
use loop_ground::domain::endpoint::{Endpoint, EndpointSecret, EndpointSet, EndpointStatus};
use loop_ground::domain::outbound::OUTBOUND_TYPES;
use loop_ground::error::ApiError;
use loop_ground::http::{self as h, Request, Response};
use loop_ground::ids::{new_sortable_id, AccountId};
use loop_ground::secret::Secret;

/// Enough for any real integration; keeps the endpoints record small.
const MAX_ENDPOINTS: usize = 20;
/// A rotated-out secret keeps signing this long.
const ROTATION_OVERLAP_SECONDS: i64 = 24 * 3600;

/// `whsec_` and 24 random bytes in base64, as Standard Webhooks libraries expect.
fn new_secret(now: i64) -> EndpointSecret {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).expect("the OS random number generator is unavailable");
    let secret = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(bytes));
    EndpointSecret { secret: Secret::new(secret), created_at: now, expires_at: None }
}

async fn url_param(app: &App, value: Option<&Value>) -> Result<String, ApiError> {
    let raw = value.and_then(Value::as_str).ok_or_else(|| match value {
        None => ApiError::missing_param("url"),
        Some(_) => wrong_type("url", "a string"),
    })?;
    // Validated as parsed, kept as sent: the merchant reads back the URL they registered, and
    // dispatch parses the same string with the same checks before every attempt.
    check_url(raw, app.config.allow_private_endpoints).await.map(|_| raw.to_owned()).map_err(|err| {
        let message = match err {
            UrlError::NotHttps if !app.config.allow_private_endpoints => "url must use https://".to_owned(),
            other => other.to_string(),
        };
        ApiError::invalid_param("url_invalid", "url", message)
    })
}

pub(super) fn events_param(value: Option<&Value>) -> Result<Vec<String>, ApiError> {
    let list = value.ok_or_else(|| ApiError::missing_param("events"))?;
    let list = list
        .as_array()
        .filter(|l| !l.is_empty() && l.len() <= 50)
        .ok_or_else(|| wrong_type("events", "a non-empty list of event types, or [\"*\"]"))?;
    let mut events = Vec::new();
    for value in list {
        let kind = value.as_str().ok_or_else(|| wrong_type("events", "a list of event type strings"))?;
        if kind != "*" && !OUTBOUND_TYPES.contains(&kind) {
            return Err(ApiError::invalid_param(
                "parameter_invalid",
                "events",
                format!("events names an unknown event type: {kind}."),
            ));
        }
        if !events.iter().any(|e| e == kind) {
            events.push(kind.to_owned());
        }
    }
    Ok(events)
}

pub(super) fn description_param(value: Option<&Value>) -> Result<Option<String>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= 500 => Ok(Some(s.clone())),
        Some(_) => Err(wrong_type("description", "a string of at most 500 characters, or null")),
    }
}

/// Applies `change` to the account's endpoints with optimistic concurrency.
async fn update_set<T>(
    app: &App,
    account: &AccountId,
    change: impl Fn(&mut EndpointSet) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    for _ in 0..5 {
        let mut set = app.store.get_endpoints(account).await?;
        let answer = change(&mut set)?;
        set.version += 1;
        if app.store.save_endpoints(account, &set).await? {
            return Ok(answer);
        }
    }
    Err(ApiError::Unavailable)
}

pub async fn create(app: &App, caller: &Caller, request: &Request) -> Result<Response, ApiError> {
    let body = json_object(request)?;
    reject_unknown(&body, &["url", "events", "description"], "")?;
    let url = url_param(app, body.get("url")).await?;
    let events = events_param(body.get("events"))?;
    let description = description_param(body.get("description"))?;
    let now_ms = app.clock.now_millis();
    let now = unix_seconds(now_ms);
    let endpoint = Endpoint {
        id: new_sortable_id("we_", now_ms),
        url,
        events,
        status: EndpointStatus::Enabled,
        description,
        disabled_reason: None,
        secrets: vec![new_secret(now)],
        created_at: now,
    };
    update_set(app, &caller.account.id, |set| {
        if set.endpoints.len() >= MAX_ENDPOINTS {
            return Err(ApiError::invalid(
                "endpoint_limit",
                format!("An account has at most {MAX_ENDPOINTS} endpoints."),
            ));
        }
        set.endpoints.push(endpoint.clone());
        Ok(())
    })
    .await?;
    let mut shown = endpoint.to_json(now);
    shown["secret"] = json!(endpoint.secrets[0].secret.expose());
    Ok(h::json(StatusCode::CREATED, &shown))
}

pub async fn list(app: &App, caller: &Caller, request: &Request) -> Result<Response, ApiError> {
    let params = ListParams::parse(request, &[])?;
    let now = app.clock.now_unix();
    let set = app.store.get_endpoints(&caller.account.id).await?;
    let newest_first = set.endpoints.iter().rev();
    let after: Vec<&Endpoint> = match &params.starting_after {
        Some(id) => newest_first.skip_while(|e| &e.id != id).skip(1).collect(),
        None => newest_first.collect(),
    };
    let data = after.iter().take(params.limit).map(|e| e.to_json(now)).collect();
    Ok(page(data, after.len() > params.limit))
}

pub async fn get(app: &App, caller: &Caller, id: &str) -> Result<Response, ApiError> {
    let set = app.store.get_endpoints(&caller.account.id).await?;
    let endpoint = set.get(id).ok_or_else(|| ApiError::not_found("webhook endpoint"))?;
    Ok(h::json(StatusCode::OK, &endpoint.to_json(app.clock.now_unix())))
}

pub async fn update(app: &App, caller: &Caller, id: &str, request: &Request) -> Result<Response, ApiError> {
    let body: Map<String, Value> = json_object(request)?;
    reject_unknown(&body, &["url", "events", "description", "status"], "")?;
    let url = match body.get("url") {
        Some(value) => Some(url_param(app, Some(value)).await?),
        None => None,
    };
    let events = body.get("events").map(|v| events_param(Some(v))).transpose()?;
    let description = body.get("description").map(|v| description_param(Some(v))).transpose()?;
    let status = match body.get("status").map(|v| v.as_str()) {
        None => None,
        Some(Some("enabled")) => Some(EndpointStatus::Enabled),
        Some(Some("disabled")) => Some(EndpointStatus::Disabled),
        Some(_) => return Err(wrong_type("status", "\"enabled\" or \"disabled\"")),
    };
    let updated = update_set(app, &caller.account.id, |set| {
        let endpoint =
            set.endpoints.iter_mut().find(|e| e.id == id).ok_or_else(|| ApiError::not_found("webhook endpoint"))?;
        if let Some(url) = &url {
            endpoint.url = url.clone();
        }
        if let Some(events) = &events {
            endpoint.events = events.clone();
        }
        if let Some(description) = &description {
            endpoint.description = description.clone();
        }
        if let Some(status) = status {
            endpoint.status = status;
            endpoint.disabled_reason = None;
        }
        Ok(endpoint.clone())
    })
    .await?;
    if status == Some(EndpointStatus::Disabled) {
        release_parked(app, &caller.account.id, id).await?;
    }
    Ok(h::json(StatusCode::OK, &updated.to_json(app.clock.now_unix())))
}

/// Deliveries parked behind a disabled or deleted endpoint's open circuit end now (failed, with
/// the reason), rather than when its probe next comes along, which may be never if the probe's
/// message went to the dead-letter queue. If queueing fails the answer is `503`: the change is
/// stored, and repeating the request queues the release again.
async fn release_parked(app: &App, account: &AccountId, endpoint_id: &str) -> Result<(), ApiError> {
    loop_capabilities::dispatch::release::queue(app, account, endpoint_id, 0).await?;
    Ok(())
}

pub async fn delete(app: &App, caller: &Caller, id: &str) -> Result<Response, ApiError> {
    update_set(app, &caller.account.id, |set| {
        let before = set.endpoints.len();
        set.endpoints.retain(|e| e.id != id);
        if set.endpoints.len() == before {
            return Err(ApiError::not_found("webhook endpoint"));
        }
        Ok(())
    })
    .await?;
    release_parked(app, &caller.account.id, id).await?;
    Ok(h::json(StatusCode::OK, &json!({"id": id, "deleted": true})))
}

pub async fn rotate_secret(app: &App, caller: &Caller, id: &str) -> Result<Response, ApiError> {
    let now = app.clock.now_unix();
    let fresh = new_secret(now);
    update_set(app, &caller.account.id, |set| {
        let endpoint =
            set.endpoints.iter_mut().find(|e| e.id == id).ok_or_else(|| ApiError::not_found("webhook endpoint"))?;
        // The old secret keeps signing for a day; older ones stop now.
        endpoint.secrets.retain(|s| s.expires_at.is_none_or(|at| at > now));
        for secret in &mut endpoint.secrets {
            secret.expires_at =
                Some(secret.expires_at.unwrap_or(now + ROTATION_OVERLAP_SECONDS).min(now + ROTATION_OVERLAP_SECONDS));
        }
        endpoint.secrets.truncate(1);
        endpoint.secrets.insert(0, fresh.clone());
        Ok(())
    })
    .await?;
    Ok(h::json(StatusCode::OK, &json!({"id": id, "secret": fresh.secret.expose()})))
}
