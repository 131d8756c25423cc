//! The request-body parsers of the API's writing routes, without their store calls: what the
//! `api_body` fuzz target and its regression test run (see [`crate::fuzzing`]).

use bytes::Bytes;
use http::Method;

use super::body::{check_media_type, check_size, json_object};
use loop_adapters::outbound_http::guard::check_form;
use loop_ground::domain::account::{Account, StripeIntegration};
use loop_ground::error::ApiError;
use loop_ground::http::Request;

/// The routes whose bodies are parsed, in the order the first input byte selects them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyRoute {
    /// `PATCH /v1/account`.
    AccountPatch,
    /// `PUT /v1/integrations/stripe`.
    StripeIntegration,
    /// `POST /v1/payment-links`.
    PaymentLink,
    /// `POST /v1/checkout-sessions`.
    CheckoutSession,
    /// `POST /v1/webhook-endpoints` (the URL's form only: its DNS check needs the network).
    WebhookEndpoint,
    /// `POST /v1/test-helpers/transfers/{id}/process`.
    TransferReport,
}

pub const ROUTES: [BodyRoute; 6] = [
    BodyRoute::AccountPatch,
    BodyRoute::StripeIntegration,
    BodyRoute::PaymentLink,
    BodyRoute::CheckoutSession,
    BodyRoute::WebhookEndpoint,
    BodyRoute::TransferReport,
];

/// The `Content-Type` headers the second input byte selects (`None`: no header).
pub const CONTENT_TYPES: [Option<&str>; 6] = [
    Some("application/json"),
    Some("application/json; charset=utf-8"),
    Some("Application/JSON ;foo=bar"),
    Some("text/plain"),
    None,
    Some("application/jsonx"),
];

/// Parses `body` as `route` does: size, media type, JSON object, then the route's fields; a
/// body that passes is applied to a default account and rendered, as the route would.
pub fn parse(route: BodyRoute, content_type: Option<&str>, body: &[u8]) -> Result<(), ApiError> {
    let mut request = Request::new(Bytes::copy_from_slice(body));
    *request.method_mut() = if route == BodyRoute::AccountPatch { Method::PATCH } else { Method::POST };
    if let Some(value) = content_type {
        request.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_str(value).expect("a header"));
    }
    check_size(&request)?;
    check_media_type(&request)?;
    let body = json_object(&request)?;
    match route {
        BodyRoute::AccountPatch => {
            let patch = super::account::AccountPatch::parse(&body)?;
            let mut account = Account::new("Fuzz", true, 0);
            patch.apply(&mut account)?;
            serde_json::to_vec(&super::account::account_json(&account)).expect("an account renders");
        }
        BodyRoute::StripeIntegration => {
            let change = super::integrations::IntegrationChange::parse(&body)?;
            let mut stripe = StripeIntegration::default();
            change.apply(&mut stripe)?;
            serde_json::to_vec(&super::integrations::integration_json(&stripe, None)).expect("an integration renders");
        }
        BodyRoute::PaymentLink => {
            super::checkout::payment_link_body(&body)?;
        }
        BodyRoute::CheckoutSession => {
            super::checkout::session_body(&body)?;
        }
        BodyRoute::WebhookEndpoint => {
            super::body::reject_unknown(&body, &["url", "events", "description"], "")?;
            let url = match body.get("url") {
                None => return Err(ApiError::missing_param("url")),
                Some(value) => value.as_str().ok_or_else(|| super::body::wrong_type("url", "a string"))?,
            };
            check_form(url, false).map_err(|err| ApiError::invalid_param("url_invalid", "url", err.to_string()))?;
            super::endpoints::events_param(body.get("events"))?;
            super::endpoints::description_param(body.get("description"))?;
        }
        BodyRoute::TransferReport => {
            super::test_helpers::processing_report(&request)?;
        }
    }
    Ok(())
}
