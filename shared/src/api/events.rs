//! `GET /v1/events`, `GET /v1/events/{id}`: the outbound events published for the account.

use http::StatusCode;
use serde_json::{json, Value};

use super::list::{page, ListParams};
use crate::accounts::Caller;
use crate::app::App;
use crate::clock::rfc3339_from_unix;
use crate::domain::outbound::{OutboundEvent, OUTBOUND_TYPES};
use crate::error::ApiError;
use crate::http::{self as h, Request, Response};

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
        if !OUTBOUND_TYPES.contains(&kind) {
            return Err(ApiError::invalid_param("parameter_invalid", "type", format!("Unknown event type: {kind}.")));
        }
    }
    let (events, has_more) =
        app.store.list_events(&caller.account.id, kind, params.limit, params.starting_after.as_deref()).await?;
    Ok(page(events.iter().map(event_json).collect(), has_more))
}

pub async fn get(app: &App, caller: &Caller, id: &str) -> Result<Response, ApiError> {
    let event = app.store.get_event(&caller.account.id, id).await?.ok_or_else(|| ApiError::not_found("event"))?;
    let mut body = event_json(&event);
    body["endpoints"] = json!([]);
    Ok(h::json(StatusCode::OK, &body))
}
