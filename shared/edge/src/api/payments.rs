//! The customer's payment routes (`payments.md`): public, no API key — the session id or the pay
//! token is the capability. `POST …/payments` takes `{"transactionHash"}` as JSON (the page's
//! script, any client) or as a form post (the page without JavaScript, answered with the page);
//! `GET …/status` is what the page polls.

use http::{Method, StatusCode};
use serde_json::{json, Value};

use super::page::{self, Notice};
use loop_adapters::app::App;
use loop_capabilities::payments::{self, PaymentError, Submitted};
use loop_ground::domain::checkout::{session_account, CheckoutSession, SessionStatus};
use loop_ground::domain::commerce::{PayState, Transfer};
use loop_ground::domain::payment::{is_transaction_hash, pay_token_account};
use loop_ground::error::ApiError;
use loop_ground::http::{self as h, Request, Response};
use loop_ground::ids::AccountId;

/// What a public payment route is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payable<'a> {
    Session(&'a str),
    /// A transfer, by its pay token.
    PayToken(&'a str),
}

/// `POST /checkout/{id}/payments`, `POST /pay/{payToken}/payments`.
pub async fn submit(app: &App, payable: Payable<'_>, request: &Request) -> Result<Response, ApiError> {
    let form = is_form(request);
    let outcome = match transaction_hash(request, form) {
        Ok(hash) => submit_hash(app, payable, &hash).await,
        Err(err) => Err(err),
    };
    if !form {
        return outcome;
    }
    // The page's form without JavaScript: the page again, saying what happened (a refused hash,
    // or one taken and confirming); a payment verified now shows as paid by itself.
    let error = outcome.as_ref().err().map(ApiError::body);
    let notice = match (&outcome, &error) {
        (Ok(response), _) if response.status() == StatusCode::ACCEPTED => Some(Notice::Confirming),
        (Ok(_), _) => None,
        (Err(_), Some(body)) => Some(Notice::Error { code: body.error.code, message: &body.error.message }),
        (Err(_), None) => None,
    };
    match payable {
        Payable::Session(id) => page::checkout_page(app, id, notice).await,
        Payable::PayToken(token) => page::transfer_page(app, token, notice).await,
    }
}

async fn submit_hash(app: &App, payable: Payable<'_>, hash: &str) -> Result<Response, ApiError> {
    let confirming = || h::json(StatusCode::ACCEPTED, &json!({"status": "confirming", "transactionHash": hash}));
    match payable {
        Payable::Session(id) => {
            let account = session_account(id).ok_or_else(|| ApiError::not_found("checkout session"))?;
            match payments::submit_for_session(app, &account, id, hash).await.map_err(payment_error)? {
                (_, Submitted::Settled(session)) => Ok(h::json(StatusCode::OK, &session.to_json())),
                (_, Submitted::Confirming) => Ok(confirming()),
            }
        }
        Payable::PayToken(token) => {
            let (account, transfer_id) = transfer_of(app, token).await?;
            match payments::submit_for_transfer(app, &account, &transfer_id, hash).await.map_err(payment_error)? {
                (_, Submitted::Settled(transfer)) => Ok(h::json(StatusCode::OK, &transfer_status(&transfer))),
                (_, Submitted::Confirming) => Ok(confirming()),
            }
        }
    }
}

/// `GET /checkout/{id}/status`, `GET /pay/{payToken}/status`: `{"status", "payment"?}`.
pub async fn status(app: &App, payable: Payable<'_>) -> Result<Response, ApiError> {
    let body = match payable {
        Payable::Session(id) => session_status(&find_session(app, id).await?),
        Payable::PayToken(token) => {
            let (account, transfer_id) = transfer_of(app, token).await?;
            let transfer =
                app.store.get_transfer(&account, &transfer_id).await?.ok_or_else(|| ApiError::not_found("transfer"))?;
            transfer_status(&transfer)
        }
    };
    let mut response = h::json(StatusCode::OK, &body);
    response.headers_mut().insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    Ok(response)
}

pub fn allowed(method: &Method, post: bool) -> Result<(), ApiError> {
    match (post, method) {
        (true, &Method::POST) | (false, &Method::GET) | (false, &Method::HEAD) => Ok(()),
        (true, _) => Err(ApiError::MethodNotAllowed { allowed: "POST" }),
        (false, _) => Err(ApiError::MethodNotAllowed { allowed: "GET" }),
    }
}

async fn find_session(app: &App, id: &str) -> Result<CheckoutSession, ApiError> {
    let account = session_account(id).ok_or_else(|| ApiError::not_found("checkout session"))?;
    app.store.get_session(&account, id).await?.ok_or_else(|| ApiError::not_found("checkout session"))
}

/// The transfer a pay token opens (`404` for any token that opens none).
pub async fn transfer_of(app: &App, token: &str) -> Result<(AccountId, String), ApiError> {
    let account = pay_token_account(token).ok_or_else(|| ApiError::not_found("payment page"))?;
    let transfer = app.store.transfer_of_pay_token(&account, token).await?;
    Ok((account, transfer.ok_or_else(|| ApiError::not_found("payment page"))?))
}

/// A session's status as the page shows it: a submission still confirming reads `confirming`.
fn session_status(session: &CheckoutSession) -> Value {
    let mut body = json!({"status": session.status.as_str()});
    if let Some(payment) = &session.payment {
        body["payment"] = payment.to_json();
    }
    if let Some(reason) = &session.failure_reason {
        body["failureReason"] = json!(reason);
    }
    debug_assert!(session.status != SessionStatus::Open || session.payment.is_none());
    body
}

/// A transfer's status for its page: `open` until paid, then `processed` or `failed`.
fn transfer_status(transfer: &Transfer) -> Value {
    let state = transfer.pay_state();
    let status = state.as_str();
    let mut body = json!({"status": status, "transferId": transfer.id});
    if let Some(payment) = &transfer.payment {
        body["payment"] = payment.to_json();
    }
    if let Some(reason) = transfer.last_failure_reason.as_ref().filter(|_| state == PayState::Failed) {
        body["failureReason"] = json!(reason);
    }
    body
}

fn is_form(request: &Request) -> bool {
    h::header(request, "content-type")
        .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"))
}

/// The `transactionHash` of a JSON or form body: `0x` and 64 hex digits, or a `400` naming it.
fn transaction_hash(request: &Request, form: bool) -> Result<String, ApiError> {
    let body = request.body();
    if body.len() > 4096 {
        return Err(ApiError::PayloadTooLarge);
    }
    let raw = if form {
        url::form_urlencoded::parse(body).find(|(k, _)| k == "transactionHash").map(|(_, v)| v.trim().to_owned())
    } else {
        let value: Value = serde_json::from_slice(body)
            .map_err(|_| ApiError::invalid("invalid_json", "The body must be a JSON object with transactionHash."))?;
        match value.get("transactionHash") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.trim().to_owned()),
            Some(_) => {
                return Err(ApiError::invalid_param(
                    "invalid_transaction_hash",
                    "transactionHash",
                    "transactionHash must be a string: 0x and 64 hexadecimal digits.",
                ))
            }
        }
    };
    let hash = raw.ok_or_else(|| ApiError::missing_param("transactionHash"))?;
    if !is_transaction_hash(&hash) {
        return Err(ApiError::invalid_param(
            "invalid_transaction_hash",
            "transactionHash",
            "transactionHash must be 0x and 64 hexadecimal digits.",
        ));
    }
    Ok(hash.to_ascii_lowercase())
}

/// The answer of `payments.md` for each way a payment is refused.
pub fn payment_error(err: PaymentError) -> ApiError {
    match err {
        PaymentError::Unknown(what) => ApiError::not_found(what),
        PaymentError::NotOpen { kind, status } => ApiError::Conflict {
            code: if kind == "session" { "session_not_open" } else { "transfer_not_open" },
            message: format!("The {kind} is {status}: it takes no payment."),
        },
        PaymentError::NotVerifiable => ApiError::Conflict {
            code: "verification_unavailable",
            message: "On-chain verification is not available for this account's network.".into(),
        },
        PaymentError::RateLimited => ApiError::RateLimited {
            code: "rate_limited",
            message: "Too many payment submissions for this checkout; try again in a minute.".into(),
            retry_after_seconds: 60,
        },
        PaymentError::Rejected(rejection) => ApiError::InvalidRequest {
            code: rejection.code(),
            message: rejection.message().into(),
            param: Some("transactionHash".into()),
        },
        PaymentError::ChainUnavailable => ApiError::Unavailable,
        PaymentError::Store(err) => err.into(),
    }
}
