//! `/v1/contacts` and `/v1/contact-events`: the contacts Stripe ingest keeps, and the contacts and
//! events API in Loops' shapes (`POST`/`PUT /v1/contacts`, `GET`/`DELETE /v1/contacts/{id}`,
//! `POST /v1/contact-events`).

use http::StatusCode;
use serde_json::{json, Map, Value};

use super::body::{json_object, wrong_type};
use super::list::{page, ListParams};
use loop_adapters::app::App;
use loop_capabilities::accounts::Caller;
use loop_capabilities::contacts::{self, ContactError, ContactFields, Mode};
use loop_ground::domain::contact::{valid_event_name, PropertyError};
use loop_ground::domain::email::Email;
use loop_ground::error::ApiError;
use loop_ground::http::{self as h, Request, Response};

fn email_param(raw: &str) -> Result<Email, ApiError> {
    Email::parse(raw)
        .ok_or_else(|| ApiError::invalid_param("parameter_invalid", "email", "email must be an email address."))
}

pub async fn list(app: &App, caller: &Caller, request: &Request) -> Result<Response, ApiError> {
    let params = ListParams::parse(request, &["email"])?;
    let account = &caller.account.id;
    if let Some(email) = params.filter("email") {
        let contact = app.store.get_contact(account, &email_param(email)?).await?;
        return Ok(page(contact.iter().map(|c| c.to_json()).collect(), false));
    }
    let (contacts, has_more) = app.store.list_contacts(account, params.limit, params.starting_after.as_deref()).await?;
    Ok(page(contacts.iter().map(|c| c.to_json()).collect(), has_more))
}

pub async fn events(app: &App, caller: &Caller, request: &Request) -> Result<Response, ApiError> {
    let params = ListParams::parse(request, &["email"])?;
    let email = email_param(params.filter("email").ok_or_else(|| ApiError::missing_param("email"))?)?;
    let (triggers, has_more) =
        app.store.list_triggers(&caller.account.id, &email, params.limit, params.starting_after.as_deref()).await?;
    Ok(page(triggers.iter().map(|t| t.to_json()).collect(), has_more))
}

fn contact_error(err: ContactError) -> ApiError {
    match err {
        ContactError::EmailExists => ApiError::Conflict { code: "contact_exists", message: err.to_string() },
        ContactError::UserIdTaken => ApiError::Conflict { code: "user_id_taken", message: err.to_string() },
        ContactError::EmailFollowsStripe => {
            ApiError::Conflict { code: "email_follows_stripe", message: err.to_string() }
        }
        ContactError::UnknownUserId => ApiError::not_found_param("userId", err.to_string()),
        ContactError::NotFound => ApiError::not_found("contact"),
        ContactError::Property(err) => property_error(err, ""),
        ContactError::Store(err) => err.into(),
    }
}

fn property_error(err: PropertyError, prefix: &str) -> ApiError {
    let param = format!("{prefix}{}", err.name());
    let code = if matches!(err, PropertyError::Reserved(_)) { "property_reserved" } else { "parameter_invalid" };
    ApiError::invalid_param(code, &param, format!("{prefix}{err}"))
}

/// A text field: a string of 1 to `max` characters without control characters.
fn text(body: &Map<String, Value>, param: &str, max: usize) -> Result<Option<String>, ApiError> {
    match body.get(param) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s))
            if !s.trim().is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control) =>
        {
            Ok(Some(s.clone()))
        }
        Some(_) => Err(wrong_type(param, &format!("a string of 1 to {max} characters"))),
    }
}

/// A field that `null` clears: `Some(None)`; left out: `None`.
fn clearable(body: &Map<String, Value>, param: &str, max: usize) -> Result<Option<Option<String>>, ApiError> {
    match body.get(param) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(_) => Ok(Some(text(body, param, max)?)),
    }
}

/// The contact fields of a body; `skip` names fields the route reads itself.
fn contact_fields(body: &Map<String, Value>, skip: &[&str]) -> Result<ContactFields, ApiError> {
    const FIELDS: &[&str] = &["email", "userId", "firstName", "lastName", "userGroup", "subscribed", "source"];
    let email = match body.get("email") {
        None | Some(Value::Null) => None,
        Some(Value::String(raw)) => Some(email_param(raw)?),
        Some(_) => return Err(wrong_type("email", "an email address")),
    };
    let subscribed = match body.get("subscribed") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(wrong_type("subscribed", "a boolean")),
    };
    let properties: Map<String, Value> = body
        .iter()
        .filter(|(k, _)| !FIELDS.contains(&k.as_str()) && !skip.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // Checked here too (not only when applied), so that a bad property is refused by name even
    // when the request would change nothing else.
    let mut probe = std::collections::BTreeMap::new();
    loop_ground::domain::contact::apply_properties(&mut probe, &properties).map_err(|e| property_error(e, ""))?;
    Ok(ContactFields {
        email,
        user_id: text(body, "userId", 255)?,
        first_name: clearable(body, "firstName", 200)?,
        last_name: clearable(body, "lastName", 200)?,
        user_group: clearable(body, "userGroup", 200)?,
        subscribed,
        source: text(body, "source", 100)?,
        properties,
    })
}

fn saved(status: StatusCode, id: &str) -> Response {
    h::json(status, &json!({"success": true, "id": id}))
}

/// `POST /v1/contacts` → `201 {"success": true, "id"}`; an existing email is a `409`.
pub async fn create(app: &App, caller: &Caller, request: &Request) -> Result<Response, ApiError> {
    let body = json_object(request)?;
    let fields = contact_fields(&body, &[])?;
    if fields.email.is_none() {
        return Err(ApiError::missing_param("email"));
    }
    let (plan, _) =
        contacts::save(app, &caller.account.id, Mode::Create, &fields, None).await.map_err(contact_error)?;
    Ok(saved(StatusCode::CREATED, &plan.contact.expect("a created contact").id))
}

/// `PUT /v1/contacts` (by `email` or `userId`) → `200 {"success": true, "id"}`.
pub async fn put(app: &App, caller: &Caller, request: &Request) -> Result<Response, ApiError> {
    let body = json_object(request)?;
    let fields = contact_fields(&body, &[])?;
    if fields.email.is_none() && fields.user_id.is_none() {
        return Err(ApiError::missing_param("email"));
    }
    let (plan, _) =
        contacts::save(app, &caller.account.id, Mode::Upsert, &fields, None).await.map_err(contact_error)?;
    Ok(saved(StatusCode::OK, &plan.contact.expect("a saved contact").id))
}

pub async fn get(app: &App, caller: &Caller, id: &str) -> Result<Response, ApiError> {
    let contact =
        app.store.get_contact_by_id(&caller.account.id, id).await?.ok_or_else(|| ApiError::not_found("contact"))?;
    Ok(h::json(StatusCode::OK, &contact.to_json()))
}

pub async fn delete(app: &App, caller: &Caller, id: &str) -> Result<Response, ApiError> {
    let contact = contacts::delete(app, &caller.account.id, id).await.map_err(contact_error)?;
    Ok(h::json(StatusCode::OK, &json!({"success": true, "id": contact.id, "message": "Contact deleted."})))
}

/// `POST /v1/contact-events` → `200 {"success": true, "id": "te_…"}`.
pub async fn send_event(app: &App, caller: &Caller, request: &Request) -> Result<Response, ApiError> {
    let body = json_object(request)?;
    let fields = contact_fields(&body, &["eventName", "eventProperties"])?;
    if fields.email.is_none() && fields.user_id.is_none() {
        return Err(ApiError::missing_param("email"));
    }
    let event_name = match body.get("eventName") {
        None | Some(Value::Null) => return Err(ApiError::missing_param("eventName")),
        Some(Value::String(name)) if valid_event_name(name) => name.clone(),
        Some(_) => return Err(wrong_type("eventName", "a string of 1 to 100 characters without ':'")),
    };
    let properties = match body.get("eventProperties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => return Err(wrong_type("eventProperties", "an object")),
    };
    contacts::check_event_properties(&properties).map_err(|e| property_error(e, "eventProperties."))?;
    let properties = Value::Object(properties);
    let base_url = super::checkout::base_url(app, request);
    let event = contacts::TriggerRequest { name: &event_name, properties: &properties, base_url: &base_url };
    let (_, trigger) =
        contacts::save(app, &caller.account.id, Mode::Upsert, &fields, Some(event)).await.map_err(contact_error)?;
    Ok(saved(StatusCode::OK, &trigger.expect("a recorded event").id))
}
