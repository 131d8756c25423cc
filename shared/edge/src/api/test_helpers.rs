//! `/v1/test-helpers/…`: drive what a payment processor drives in production. Test-mode keys only.

use http::StatusCode;
use serde_json::Value;

use super::body::{json_object, reject_unknown, wrong_type};
use loop_adapters::app::App;
use loop_capabilities::accounts::Caller;
use loop_capabilities::transfers::{self, ProcessError};
use loop_ground::domain::money::parse_units;
use loop_ground::domain::payloads::ProcessingReport;
use loop_ground::error::ApiError;
use loop_ground::http::{self as h, Request, Response};

/// api.md types these only as strings, as `loopctl transfers process` takes them: any string is
/// the processor's to report, kept as given. The bound only keeps the transfer record small.
fn optional_text(value: Option<&Value>, param: &str, max: usize) -> Result<Option<String>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(s.clone())),
        Some(_) => Err(wrong_type(param, &format!("a string of at most {max} characters"))),
    }
}

/// Reads `{success, transaction, amountPaid, reason}`.
pub fn processing_report(request: &Request) -> Result<ProcessingReport, ApiError> {
    let body = json_object(request)?;
    reject_unknown(&body, &["success", "transaction", "amountPaid", "reason"], "")?;
    let success = match body.get("success") {
        None => return Err(ApiError::missing_param("success")),
        Some(v) => v.as_bool().ok_or_else(|| wrong_type("success", "a boolean"))?,
    };
    let amount_paid = optional_text(body.get("amountPaid"), "amountPaid", 40)?;
    if let Some(amount) = &amount_paid {
        if parse_units(amount, 18).is_none() {
            return Err(wrong_type("amountPaid", "a decimal string such as \"10.00\""));
        }
    }
    Ok(ProcessingReport {
        success,
        transaction: optional_text(body.get("transaction"), "transaction", 200)?,
        amount_paid,
        reason: optional_text(body.get("reason"), "reason", 500)?,
    })
}

pub async fn process_transfer(app: &App, caller: &Caller, id: &str, request: &Request) -> Result<Response, ApiError> {
    let report = processing_report(request)?;
    let transfer = transfers::process(app, &caller.account, id, &report).await.map_err(|err| match err {
        ProcessError::UnknownTransfer => ApiError::not_found("transfer"),
        ProcessError::AlreadyProcessed => {
            ApiError::invalid("transfer_already_processed", "This transfer is already processed: its outcome is final.")
        }
        ProcessError::Store(err) => err.into(),
    })?;
    Ok(h::json(StatusCode::OK, &transfer.to_json()))
}
