//! The one error type that crosses the HTTP edge, and the one place it becomes a status code
//! and the API's error body (`api.md`, "Errors"); and the errors beneath it.

use http::StatusCode;
use serde::Serialize;
use thiserror::Error;

/// Why a queue message (a delivery attempt, a backfill run) was not handled: never (poison: it
/// goes to the dead-letter queue after its receives), or not now (DynamoDB, SQS or KMS failed:
/// the message comes back and the work starts again from what was saved).
#[derive(Debug, Error)]
pub enum MessageError {
    #[error("poison message: {0}")]
    Poison(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Failures of DynamoDB, SQS or KMS, as the adapters report them.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The dependency could not be reached or refused service (connection, timeout, throttling):
    /// safe to retry.
    #[error("dependency unavailable: {0}")]
    Unavailable(String),
    /// The dependency answered, but not as Loop expects (a bug or a misconfiguration).
    #[error("dependency fault: {0}")]
    Fault(String),
    /// A stored record did not decode: corrupt or written by an incompatible version.
    #[error("stored record is invalid: {0}")]
    Corrupt(String),
}

/// Every error a `/v1` route, the Stripe webhook route or the checkout page can answer.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ApiError {
    #[error("{message}")]
    InvalidRequest { code: &'static str, message: String, param: Option<String> },
    #[error("{message}")]
    Authentication { code: &'static str, message: String },
    #[error("{message}")]
    Permission { code: &'static str, message: String },
    /// `param` names the body parameter that held the unknown id; absent for ids in the path.
    #[error("{message}")]
    NotFound { code: &'static str, message: String, param: Option<String> },
    #[error("method not allowed")]
    MethodNotAllowed { allowed: &'static str },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{message}")]
    Idempotency { message: String },
    #[error("request body is larger than 1 MiB")]
    PayloadTooLarge,
    /// Too many requests for this resource: wait `retry_after_seconds`.
    #[error("{message}")]
    RateLimited { code: &'static str, message: String, retry_after_seconds: u64 },
    #[error("request body must be application/json")]
    UnsupportedMediaType,
    /// An upstream service Loop called for the merchant (Stripe) failed: `502`.
    #[error("{message}")]
    Upstream { code: &'static str, message: String },
    #[error("a dependency is unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal,
}

impl ApiError {
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::InvalidRequest { code, message: message.into(), param: None }
    }

    /// A `400` about one parameter. `api.md` promises that the message names it, so a message
    /// that does not (one written by another layer, say) is prefixed with it.
    pub fn invalid_param(code: &'static str, param: impl Into<String>, message: impl Into<String>) -> Self {
        let (param, mut message) = (param.into(), message.into());
        if !message.contains(param.as_str()) {
            message = format!("{param}: {message}");
        }
        ApiError::InvalidRequest { code, message, param: Some(param) }
    }

    pub fn missing_param(param: &str) -> Self {
        Self::invalid_param("parameter_missing", param, format!("{param} is required"))
    }

    pub fn not_found(what: &str) -> Self {
        ApiError::NotFound { code: "resource_missing", message: format!("no such {what}"), param: None }
    }

    /// An id given in the body that this account does not have.
    pub fn not_found_param(param: &str, message: impl Into<String>) -> Self {
        ApiError::NotFound { code: "resource_missing", message: message.into(), param: Some(param.to_owned()) }
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        ApiError::Authentication { code: "invalid_api_key", message: message.into() }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Authentication { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Permission { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } | ApiError::Idempotency { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Upstream { .. } => StatusCode::BAD_GATEWAY,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The body of `api.md`: `{"error": {type, code, message, param?}}`.
    pub fn body(&self) -> ErrorBody {
        let (kind, code, param) = match self {
            ApiError::InvalidRequest { code, param, .. } => ("invalid_request_error", *code, param.clone()),
            ApiError::Authentication { code, .. } => ("authentication_error", *code, None),
            ApiError::Permission { code, .. } => ("permission_error", *code, None),
            ApiError::NotFound { code, param, .. } => ("invalid_request_error", *code, param.clone()),
            ApiError::MethodNotAllowed { .. } => ("invalid_request_error", "method_not_allowed", None),
            ApiError::Conflict { code, .. } => ("invalid_request_error", *code, None),
            ApiError::Idempotency { .. } => ("idempotency_error", "idempotency_key_reused", None),
            ApiError::PayloadTooLarge => ("invalid_request_error", "body_too_large", None),
            ApiError::RateLimited { code, .. } => ("rate_limit_error", *code, None),
            ApiError::UnsupportedMediaType => ("invalid_request_error", "unsupported_media_type", None),
            ApiError::Upstream { code, .. } => ("api_error", *code, None),
            ApiError::Unavailable => ("api_error", "service_unavailable", None),
            ApiError::Internal => ("api_error", "internal_error", None),
        };
        let message = match self {
            ApiError::Unavailable => {
                "A dependency is temporarily unavailable; the request is safe to retry.".to_owned()
            }
            ApiError::Internal => "An internal error occurred; the request is safe to retry.".to_owned(),
            other => other.to_string(),
        };
        ErrorBody { error: ErrorDetail { kind, code, message, param } }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        // Internals are logged here, once, and never reach the client.
        match &err {
            StoreError::Unavailable(_) => {
                tracing::warn!(error = %err, "dependency unavailable");
                ApiError::Unavailable
            }
            StoreError::Fault(_) | StoreError::Corrupt(_) => {
                tracing::error!(error = %err, "dependency fault");
                ApiError::Internal
            }
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize)]
pub struct ErrorDetail {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(e: &ApiError) -> serde_json::Value {
        serde_json::to_value(e.body()).unwrap()
    }

    #[test]
    fn param_errors_name_the_parameter() {
        let e = ApiError::missing_param("paymentLinkId");
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            json(&e),
            serde_json::json!({"error": {"type": "invalid_request_error", "code": "parameter_missing",
                "message": "paymentLinkId is required", "param": "paymentLinkId"}})
        );
    }

    #[test]
    fn a_param_message_that_does_not_name_its_param_is_prefixed_with_it() {
        let e = ApiError::invalid_param("parameter_invalid", "restrictedKey", "This is a publishable key.");
        assert_eq!(json(&e)["error"]["message"], "restrictedKey: This is a publishable key.");
        let named = ApiError::invalid_param("parameter_invalid", "limit", "limit must be 1 to 100.");
        assert_eq!(json(&named)["error"]["message"], "limit must be 1 to 100.");
    }

    #[test]
    fn param_is_absent_rather_than_null() {
        let body = json(&ApiError::unauthenticated("no key"));
        assert_eq!(body["error"]["type"], "authentication_error");
        assert!(body["error"].get("param").is_none());
    }

    #[test]
    fn dependency_failures_are_retryable_and_reveal_nothing() {
        let e: ApiError = StoreError::Unavailable("dispatch failure: connection refused to 10.1.2.3".into()).into();
        assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = json(&e);
        assert_eq!(body["error"]["type"], "api_error");
        assert!(!body.to_string().contains("10.1.2.3"));
        let e: ApiError = StoreError::Fault("ValidationException".into()).into();
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn each_kind_has_the_documented_type() {
        assert_eq!(json(&ApiError::Idempotency { message: "x".into() })["error"]["type"], "idempotency_error");
        assert_eq!(
            json(&ApiError::Permission { code: "live_mode", message: "x".into() })["error"]["type"],
            "permission_error"
        );
        assert_eq!(ApiError::PayloadTooLarge.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(ApiError::UnsupportedMediaType.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
}
