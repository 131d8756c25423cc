//! `/v1/payment-links`, `/v1/checkout-sessions` and their test helpers.

use std::collections::BTreeMap;

use http::StatusCode;
use serde_json::Value;

use super::body::{json_object, reject_unknown, wrong_type};
use super::list::{listed_page, page, ListParams};
use loop_adapters::app::App;
use loop_capabilities::accounts::Caller;
use loop_capabilities::checkout::{self, CheckoutError, NewPaymentLink, NewSession};
use loop_ground::domain::checkout::{session_account, SessionStatus};
use loop_ground::domain::money::parse_units;
use loop_ground::error::ApiError;
use loop_ground::http::{self as h, Request, Response};

fn checkout_error(err: CheckoutError) -> ApiError {
    match err {
        CheckoutError::UnknownPaymentLink => ApiError::not_found_param("paymentLinkId", "No such payment link."),
        CheckoutError::InactivePaymentLink => ApiError::invalid_param(
            "payment_link_inactive",
            "paymentLinkId",
            "paymentLinkId names a payment link that is not active.",
        ),
        CheckoutError::UnknownSession => ApiError::not_found("checkout session"),
        CheckoutError::NotOpen(status) => ApiError::invalid(
            "session_not_open",
            format!("The checkout session is {status}: it cannot change any more."),
        ),
        CheckoutError::Store(err) => err.into(),
    }
}

fn text(
    body: &serde_json::Map<String, Value>,
    param: &str,
    max: usize,
    required: bool,
) -> Result<Option<String>, ApiError> {
    match body.get(param) {
        None | Some(Value::Null) if required => Err(ApiError::missing_param(param)),
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s))
            if !s.trim().is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control) =>
        {
            Ok(Some(s.clone()))
        }
        Some(_) => Err(wrong_type(param, &format!("a string of 1 to {max} characters"))),
    }
}

/// The public base URL: configured, or the one the request came in on.
pub fn base_url(app: &App, request: &Request) -> String {
    h::public_base_url(app.config.public_base_url.as_deref(), request)
}

/// How a `POST /v1/payment-links` body prices the link.
#[derive(Debug)]
pub(super) enum LinkPrice {
    /// A catalogue item's price, looked up when the link is created.
    Item(String),
    /// A positive decimal amount and an upper-cased currency or token symbol.
    Amount { amount: String, currency: String },
}

/// Validates a `POST /v1/payment-links` body: its name, and either `itemId` or `amount` and `currency`.
pub(super) fn payment_link_body(body: &serde_json::Map<String, Value>) -> Result<(String, LinkPrice), ApiError> {
    reject_unknown(body, &["name", "itemId", "amount", "currency"], "")?;
    let name = text(body, "name", 200, true)?.unwrap_or_default();
    if let Some(item_id) = text(body, "itemId", 64, false)? {
        if body.contains_key("amount") || body.contains_key("currency") {
            return Err(ApiError::invalid_param(
                "parameter_invalid",
                "amount",
                "amount: give either itemId, or amount and currency.",
            ));
        }
        return Ok((name, LinkPrice::Item(item_id)));
    }
    let amount = text(body, "amount", 40, true)?.unwrap_or_default();
    if parse_units(&amount, 18).is_none_or(|units| units <= 0) {
        return Err(wrong_type("amount", "a positive decimal string such as \"10.00\""));
    }
    let currency = text(body, "currency", 10, true)?.unwrap_or_default();
    if currency.len() < 3 || !currency.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(wrong_type("currency", "a currency or token symbol such as \"USDC\""));
    }
    Ok((name, LinkPrice::Amount { amount, currency: currency.to_ascii_uppercase() }))
}

pub async fn create_payment_link(app: &App, caller: &Caller, request: &Request) -> Result<Response, ApiError> {
    let (name, price) = payment_link_body(&json_object(request)?)?;
    let (item_id, amount, currency) = match price {
        LinkPrice::Item(item_id) => {
            let (item, product) = app
                .store
                .get_item(&caller.account.id, &item_id)
                .await?
                .ok_or_else(|| ApiError::not_found_param("itemId", "No such item in the catalogue."))?;
            match (item.amount, item.currency, product) {
                (Some(amount), Some(currency), Some(_)) => (Some(item_id), amount, currency),
                _ => {
                    return Err(ApiError::invalid_param(
                        "parameter_invalid",
                        "itemId",
                        "itemId names an item that has no price yet.",
                    ))
                }
            }
        }
        LinkPrice::Amount { amount, currency } => (None, amount, currency),
    };
    let link = checkout::create_payment_link(app, &caller.account, NewPaymentLink { name, item_id, amount, currency })
        .await
        .map_err(checkout_error)?;
    Ok(h::json(StatusCode::CREATED, &link.to_json()))
}

pub async fn list_payment_links(app: &App, caller: &Caller, request: &Request) -> Result<Response, ApiError> {
    let params = ListParams::parse(request, &[])?;
    let (links, has_more) =
        app.store.list_payment_links(&caller.account.id, params.limit, params.starting_after.as_deref()).await?;
    Ok(page(links.iter().map(|l| l.to_json()).collect(), has_more))
}

pub async fn get_payment_link(app: &App, caller: &Caller, id: &str) -> Result<Response, ApiError> {
    let link =
        app.store.get_payment_link(&caller.account.id, id).await?.ok_or_else(|| ApiError::not_found("payment link"))?;
    Ok(h::json(StatusCode::OK, &link.to_json()))
}

pub async fn update_payment_link(
    app: &App,
    caller: &Caller,
    id: &str,
    request: &Request,
) -> Result<Response, ApiError> {
    let body = json_object(request)?;
    reject_unknown(&body, &["active"], "")?;
    let active = match body.get("active") {
        None => return Err(ApiError::missing_param("active")),
        Some(v) => v.as_bool().ok_or_else(|| wrong_type("active", "a boolean"))?,
    };
    let link = checkout::set_payment_link_active(app, &caller.account, id, active).await.map_err(|err| match err {
        CheckoutError::UnknownPaymentLink => ApiError::not_found("payment link"),
        other => checkout_error(other),
    })?;
    Ok(h::json(StatusCode::OK, &link.to_json()))
}

fn metadata(body: &serde_json::Map<String, Value>) -> Result<BTreeMap<String, String>, ApiError> {
    let object = match body.get("metadata") {
        None | Some(Value::Null) => return Ok(BTreeMap::new()),
        Some(Value::Object(object)) => object,
        Some(_) => return Err(wrong_type("metadata", "an object of string values")),
    };
    if object.len() > 50 {
        return Err(ApiError::invalid_param("parameter_invalid", "metadata", "metadata has at most 50 keys."));
    }
    let mut out = BTreeMap::new();
    for (key, value) in object {
        let param = format!("metadata.{key}");
        if key.is_empty() || key.chars().count() > 40 {
            return Err(ApiError::invalid_param(
                "parameter_invalid",
                &param,
                format!("{param}: metadata keys have 1 to 40 characters."),
            ));
        }
        match value {
            Value::String(s) if s.chars().count() <= 500 => {
                out.insert(key.clone(), s.clone());
            }
            Value::String(_) => {
                return Err(ApiError::invalid_param(
                    "parameter_invalid",
                    &param,
                    format!("{param} has more than 500 characters."),
                ))
            }
            _ => {
                return Err(ApiError::invalid_param("parameter_invalid", &param, format!("{param} must be a string.")))
            }
        }
    }
    Ok(out)
}

/// Validates a `POST /v1/checkout-sessions` body.
pub(super) fn session_body(body: &serde_json::Map<String, Value>) -> Result<NewSession, ApiError> {
    reject_unknown(body, &["paymentLinkId", "externalCustomerId", "metadata"], "")?;
    let payment_link_id = text(body, "paymentLinkId", 64, true)?.unwrap_or_default();
    // api.md's only rule is "up to 255 characters": the merchant's own id, kept as given, even empty.
    let external_customer_id = match body.get("externalCustomerId") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.chars().count() <= 255 => Some(s.clone()),
        Some(_) => return Err(wrong_type("externalCustomerId", "a string of at most 255 characters")),
    };
    let metadata = metadata(body)?;
    Ok(NewSession { payment_link_id, external_customer_id, metadata })
}

pub async fn create_session(app: &App, caller: &Caller, request: &Request) -> Result<Response, ApiError> {
    let new = session_body(&json_object(request)?)?;
    let base = base_url(app, request);
    let session = checkout::create_session(app, &caller.account, &base, new).await.map_err(checkout_error)?;
    Ok(h::json(StatusCode::CREATED, &session.to_json()))
}

/// Session ids name their account: another account's id is simply not found.
fn own_session<'a>(caller: &Caller, id: &'a str) -> Result<&'a str, ApiError> {
    match session_account(id) {
        Some(account) if account == caller.account.id => Ok(id),
        _ => Err(ApiError::not_found("checkout session")),
    }
}

pub async fn get_session(app: &App, caller: &Caller, id: &str) -> Result<Response, ApiError> {
    let id = own_session(caller, id)?;
    let session =
        app.store.get_session(&caller.account.id, id).await?.ok_or_else(|| ApiError::not_found("checkout session"))?;
    Ok(h::json(StatusCode::OK, &session.to_json()))
}

pub async fn list_sessions(app: &App, caller: &Caller, request: &Request) -> Result<Response, ApiError> {
    let params = ListParams::parse(request, &["status"])?;
    let status = params.filter("status");
    if let Some(status) = status {
        if SessionStatus::parse(status).is_none() {
            return Err(wrong_type("status", "one of open, completed, failed, expired"));
        }
    }
    let listed =
        app.store.list_sessions(&caller.account.id, status, params.limit, params.starting_after.as_deref()).await?;
    Ok(listed_page(&listed, |s| s.to_json()))
}

pub async fn finish_session(app: &App, caller: &Caller, id: &str, to: SessionStatus) -> Result<Response, ApiError> {
    let id = own_session(caller, id)?;
    let session = checkout::finish(app, &caller.account, id, to).await.map_err(checkout_error)?;
    Ok(h::json(StatusCode::OK, &session.to_json()))
}
