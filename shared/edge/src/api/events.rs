//! `GET /v1/events`, `GET /v1/events/{id}`: the outbound events published for the account.

use http::StatusCode;
use serde_json::{json, Value};

use super::body::{json_object, reject_unknown, wrong_type};
use super::list::{listed_page, page, ListParams};
use loop_adapters::app::App;
use loop_capabilities::accounts::Caller;
use loop_capabilities::publish::{self, RedeliverError};
use loop_ground::clock::rfc3339_from_unix;
use loop_ground::domain::delivery::{parse_attempt_id, DeliveryStatus};
use loop_ground::domain::outbound::{OutboundEvent, OUTBOUND_TYPES};
use loop_ground::error::ApiError;
use loop_ground::http::{self as h, Request, Response};

fn event_json(event: &OutboundEvent) -> Value {
    json!({
        "id": event.id,
        "type": event.kind,
        "created": rfc3339_from_unix(event.created),
        "payload": serde_json::from_str::<Value>(&event.payload).unwrap_or(Value::Null),
    })
}

pub async fn list(app: &App, caller: &Caller, request: &Request) -> Result<Response, ApiError> {
    let params = ListParams::parse(request, &["type"])?;
    let kind = params.filter("type");
    if let Some(kind) = kind {
        // The dashboard's test events are listed with the rest, and found by their type too.
        if !OUTBOUND_TYPES.contains(&kind) && kind != loop_capabilities::publish::TEST_EVENT_TYPE {
            return Err(ApiError::invalid_param(
                "parameter_invalid",
                "type",
                format!("type must be an outbound event type; {kind} is not one."),
            ));
        }
    }
    let listed =
        app.store.list_events(&caller.account.id, kind, params.limit, params.starting_after.as_deref()).await?;
    Ok(listed_page(&listed, event_json))
}

/// How many attempts per delivery `GET /v1/events/{id}` shows: the latest ones. The rest are
/// paged by `GET /v1/events/{id}/attempts`.
const LATEST_ATTEMPTS: usize = 20;

/// The event, its payload, and per endpoint its delivery status with its latest attempts
/// (oldest of them first).
pub async fn get(app: &App, caller: &Caller, id: &str) -> Result<Response, ApiError> {
    let mut detail = app.store.event_detail(&caller.account.id, id, LATEST_ATTEMPTS).await?;
    let event = detail.event.take().ok_or_else(|| ApiError::not_found("event"))?;
    let endpoints: Vec<Value> = detail
        .deliveries
        .iter()
        .map(|d| {
            let attempts: Vec<Value> =
                detail.attempts.iter().filter(|a| a.endpoint_id == d.endpoint_id).map(|a| a.to_json()).collect();
            let status = match d.status {
                DeliveryStatus::Skipped => "failed",
                DeliveryStatus::Pending => "pending",
                DeliveryStatus::Succeeded => "succeeded",
                DeliveryStatus::Failed => "failed",
            };
            json!({"endpointId": d.endpoint_id, "status": status, "reason": d.reason, "attempts": attempts})
        })
        .collect();
    let mut body = event_json(&event);
    body["endpoints"] = Value::Array(endpoints);
    Ok(h::json(StatusCode::OK, &body))
}

/// `GET /v1/events/{id}/attempts`: every attempt of the event, newest first, paged; with
/// `endpointId`, those of its delivery to that endpoint (an endpoint the event was never
/// delivered to is a `404` naming `endpointId`, as for redelivery). Without it, the attempts
/// come one endpoint after another, each endpoint's newest first.
pub async fn attempts(app: &App, caller: &Caller, id: &str, request: &Request) -> Result<Response, ApiError> {
    let params = ListParams::parse(request, &["endpointId"])?;
    let endpoint_id = params.filter("endpointId");
    if endpoint_id.is_some_and(|e| !super::list::is_id(e)) {
        return Err(ApiError::invalid_param(
            "parameter_invalid",
            "endpointId",
            "endpointId must be a webhook endpoint id.",
        ));
    }
    let before = match params.starting_after.as_deref() {
        None => None,
        Some(cursor) => {
            let parsed = parse_attempt_id(cursor).filter(|(endpoint, _)| endpoint_id.is_none_or(|e| e == *endpoint));
            Some(parsed.ok_or_else(|| {
                ApiError::invalid_param(
                    "parameter_invalid",
                    "startingAfter",
                    "startingAfter must be the id of an attempt from a previous page of this list.",
                )
            })?)
        }
    };
    let account = &caller.account.id;
    let (event_exists, delivery_exists) = app.store.event_and_delivery_exist(account, id, endpoint_id).await?;
    if !event_exists {
        return Err(ApiError::not_found("event"));
    }
    if !delivery_exists {
        return Err(ApiError::not_found_param("endpointId", "endpointId names no delivery of this event"));
    }
    let (attempts, has_more) = app.store.attempts_page(account, id, endpoint_id, before, params.limit).await?;
    Ok(page(attempts.iter().map(|a| a.to_json()).collect(), has_more))
}

pub async fn redeliver(app: &App, caller: &Caller, id: &str, request: &Request) -> Result<Response, ApiError> {
    let body = json_object(request)?;
    reject_unknown(&body, &["endpointId"], "")?;
    let endpoint = match body.get("endpointId") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(wrong_type("endpointId", "a webhook endpoint id")),
    };
    let count = publish::redeliver(app, &caller.account.id, id, endpoint).await.map_err(|err| match err {
        RedeliverError::UnknownEvent => ApiError::not_found("event"),
        RedeliverError::UnknownEndpoint => ApiError::not_found_param("endpointId", "no such webhook endpoint"),
        RedeliverError::Store(err) => err.into(),
    })?;
    Ok(h::json(StatusCode::ACCEPTED, &json!({"id": id, "endpoints": count})))
}
