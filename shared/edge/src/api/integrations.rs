//! `GET` and `PUT /v1/integrations/stripe`: the merchant's Stripe webhook configuration.

use std::collections::BTreeMap;

use http::StatusCode;
use serde_json::{json, Map, Value};

use super::body::{json_object, reject_unknown, wrong_type};
use loop_adapters::app::App;
use loop_adapters::stripe_api::StripeApiError;
use loop_capabilities::accounts::Caller;
use loop_capabilities::connect::ConnectError;
use loop_ground::clock::rfc3339_from_unix;
use loop_ground::domain::account::StripeIntegration;
use loop_ground::domain::connection::Backfill;
use loop_ground::domain::stripe_config::{CustomerDeleted, EventSettings};
use loop_ground::domain::stripe_event::EventType;
use loop_ground::error::ApiError;
use loop_ground::http::{self as h, Request, Response};
use loop_ground::secret::Secret;

pub async fn get(app: &App, caller: &Caller) -> Result<Response, ApiError> {
    let backfill = match caller.account.stripe.connection {
        Some(_) => app.store.get_backfill(&caller.account.id).await?,
        None => None,
    };
    Ok(h::json(StatusCode::OK, &integration_json(&caller.account.stripe, backfill.as_ref())))
}

pub(super) fn integration_json(stripe: &StripeIntegration, backfill: Option<&Backfill>) -> Value {
    let events: Map<String, Value> = EventType::contact_group()
        .map(|kind| {
            let s = stripe.events.settings(kind);
            (
                kind.as_str().to_owned(),
                json!({"enabled": s.enabled, "eventName": s.event_name, "syncName": s.sync_name, "userGroup": s.user_group}),
            )
        })
        .collect();
    json!({
        "signingSecrets": stripe.signing_secrets.iter().map(Secret::masked).collect::<Vec<_>>(),
        "customerDeleted": stripe.customer_deleted,
        "events": events,
        "connected": stripe.connection.is_some(),
        "stripeWebhookEndpointId": stripe.connection.as_ref().map(|c| &c.webhook_endpoint_id),
        "stripeWebhookUrl": stripe.connection.as_ref().map(|c| &c.webhook_url),
        "connectedAt": stripe.connection.as_ref().map(|c| rfc3339_from_unix(c.connected_at)),
        "backfill": backfill.map(backfill_json),
    })
}

fn backfill_json(b: &Backfill) -> Value {
    json!({
        "status": b.status,
        "phase": b.phase,
        "products": b.products,
        "prices": b.prices,
        "pages": b.pages,
        "retries": b.retries,
        "lastError": b.last_error,
        "startedAt": rfc3339_from_unix(b.started_at),
        "updatedAt": rfc3339_from_unix(b.updated_at),
        "finishedAt": b.finished_at.map(rfc3339_from_unix),
    })
}

/// The fields of `GET` that describe the connection: a `PUT` of what `GET` answered may carry
/// them, and they are left as they are.
const READ_ONLY: [&str; 5] = ["connected", "stripeWebhookEndpointId", "stripeWebhookUrl", "connectedAt", "backfill"];

/// A validated `PUT` body: what it replaces.
#[derive(Debug, Default)]
pub(super) struct IntegrationChange {
    signing_secrets: Option<Vec<SecretEntry>>,
    customer_deleted: Option<CustomerDeleted>,
    /// Per type: the settings named, each `Some(value)`.
    events: BTreeMap<EventType, SettingsChange>,
}

/// One entry of `signingSecrets`: a new secret, or the masked form `GET` shows, which keeps the
/// stored secret it masks (so that what `GET` answered can be `PUT` back, as `api.md` promises).
#[derive(Debug)]
enum SecretEntry {
    New(Secret),
    Masked(String),
}

fn invalid_secret(index: usize) -> ApiError {
    ApiError::invalid_param(
        "parameter_invalid",
        format!("signingSecrets.{index}"),
        format!(
            "signingSecrets.{index} must start with whsec_ and have 10 to 200 printable characters (or be the masked form of a stored secret, to keep it)."
        ),
    )
}

#[derive(Debug, Default)]
struct SettingsChange {
    enabled: Option<bool>,
    event_name: Option<Option<String>>,
    sync_name: Option<bool>,
    user_group: Option<Option<String>>,
}

fn optional_text(value: &Value, param: &str) -> Result<Option<String>, ApiError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if !s.trim().is_empty() && s.chars().count() <= 100 && !s.chars().any(char::is_control) => {
            Ok(Some(s.trim().to_owned()))
        }
        _ => Err(wrong_type(param, "a string of 1 to 100 characters, or null")),
    }
}

fn boolean(value: &Value, param: &str) -> Result<bool, ApiError> {
    value.as_bool().ok_or_else(|| wrong_type(param, "a boolean"))
}

impl IntegrationChange {
    pub(super) fn parse(body: &Map<String, Value>) -> Result<Self, ApiError> {
        let known: Vec<&str> = ["signingSecrets", "customerDeleted", "events"].into_iter().chain(READ_ONLY).collect();
        reject_unknown(body, &known, "")?;
        let mut change = IntegrationChange::default();
        if let Some(value) = body.get("signingSecrets") {
            let list = value
                .as_array()
                .filter(|l| (1..=2).contains(&l.len()))
                .ok_or_else(|| wrong_type("signingSecrets", "a list of 1 or 2 signing secrets"))?;
            let mut secrets = Vec::new();
            for (i, secret) in list.iter().enumerate() {
                let entry = match secret.as_str() {
                    // The mask's ellipsis is not ASCII, so no new secret can look like one.
                    Some(s) if s.contains('…') => SecretEntry::Masked(s.to_owned()),
                    Some(s)
                        if s.starts_with("whsec_")
                            && (10..=200).contains(&s.len())
                            && s.bytes().all(|b| b.is_ascii_graphic()) =>
                    {
                        SecretEntry::New(Secret::new(s))
                    }
                    _ => return Err(invalid_secret(i)),
                };
                secrets.push(entry);
            }
            change.signing_secrets = Some(secrets);
        }
        if let Some(value) = body.get("customerDeleted") {
            change.customer_deleted = Some(match value.as_str() {
                Some("unsubscribe") => CustomerDeleted::Unsubscribe,
                Some("delete") => CustomerDeleted::Delete,
                _ => return Err(wrong_type("customerDeleted", "\"unsubscribe\" or \"delete\"")),
            });
        }
        if let Some(value) = body.get("events") {
            let events =
                value.as_object().ok_or_else(|| wrong_type("events", "an object keyed by Stripe event type"))?;
            for (name, settings) in events {
                let param = format!("events.{name}");
                let kind = EventType::parse(name).filter(|k| k.is_contact()).ok_or_else(|| {
                    ApiError::invalid_param(
                        "parameter_invalid",
                        &param,
                        format!("{param}: {name} is not a contact-group Stripe event type."),
                    )
                })?;
                let settings = settings.as_object().ok_or_else(|| wrong_type(&param, "an object"))?;
                reject_unknown(settings, &["enabled", "eventName", "syncName", "userGroup"], &format!("{param}."))?;
                let mut s = SettingsChange::default();
                if let Some(v) = settings.get("enabled") {
                    s.enabled = Some(boolean(v, &format!("{param}.enabled"))?);
                }
                if let Some(v) = settings.get("eventName") {
                    s.event_name = Some(optional_text(v, &format!("{param}.eventName"))?);
                }
                if let Some(v) = settings.get("syncName") {
                    s.sync_name = Some(boolean(v, &format!("{param}.syncName"))?);
                }
                if let Some(v) = settings.get("userGroup") {
                    s.user_group = Some(optional_text(v, &format!("{param}.userGroup"))?);
                }
                change.events.insert(kind, s);
            }
        }
        Ok(change)
    }

    /// Applies the change to what is stored now; a masked secret that matches no stored one is a
    /// `400`, like any other invalid secret.
    pub(super) fn apply(&self, stripe: &mut StripeIntegration) -> Result<(), ApiError> {
        if let Some(entries) = &self.signing_secrets {
            let stored = &stripe.signing_secrets;
            let mut taken = vec![false; stored.len()];
            let mut secrets = Vec::with_capacity(entries.len());
            for (i, entry) in entries.iter().enumerate() {
                match entry {
                    SecretEntry::New(secret) => secrets.push(secret.clone()),
                    SecretEntry::Masked(mask) => {
                        // The same position first: two secrets with the same mask keep their order.
                        let found = std::iter::once(i)
                            .chain(0..stored.len())
                            .find(|&j| j < stored.len() && !taken[j] && stored[j].masked() == *mask)
                            .ok_or_else(|| invalid_secret(i))?;
                        taken[found] = true;
                        secrets.push(stored[found].clone());
                    }
                }
            }
            stripe.signing_secrets = secrets;
        }
        if let Some(action) = self.customer_deleted {
            stripe.customer_deleted = action;
        }
        for (kind, change) in &self.events {
            let mut settings: EventSettings = stripe.events.settings(*kind);
            if let Some(v) = change.enabled {
                settings.enabled = v;
            }
            if let Some(v) = &change.event_name {
                settings.event_name = v.clone();
            }
            if let Some(v) = change.sync_name {
                settings.sync_name = v;
            }
            if let Some(v) = &change.user_group {
                settings.user_group = v.clone();
            }
            stripe.events.0.insert(kind.as_str().to_owned(), settings);
        }
        Ok(())
    }
}

pub async fn put(app: &App, caller: Caller, request: &Request) -> Result<Response, ApiError> {
    let change = IntegrationChange::parse(&json_object(request)?)?;
    let updated =
        loop_capabilities::accounts::update_account(app, caller.account, |account| change.apply(&mut account.stripe))
            .await?;
    let backfill = match updated.stripe.connection {
        Some(_) => app.store.get_backfill(&updated.id).await?,
        None => None,
    };
    Ok(h::json(StatusCode::OK, &integration_json(&updated.stripe, backfill.as_ref())))
}

/// `POST /v1/integrations/stripe/connect` with `{restrictedKey}`.
pub async fn connect(app: &App, caller: Caller, request: &Request) -> Result<Response, ApiError> {
    let body = json_object(request)?;
    reject_unknown(&body, &["restrictedKey"], "")?;
    let key = match body.get("restrictedKey") {
        None | Some(Value::Null) => return Err(ApiError::missing_param("restrictedKey")),
        Some(Value::String(key)) => Secret::new(key.trim()),
        Some(_) => return Err(wrong_type("restrictedKey", "a string")),
    };
    let base_url = super::checkout::base_url(app, request);
    let connected =
        loop_capabilities::connect::connect(app, caller.account, key, &base_url).await.map_err(connect_error)?;
    Ok(h::json(StatusCode::OK, &integration_json(&connected.account.stripe, Some(&connected.backfill))))
}

/// Says what the merchant must fix; Stripe's own failures are a `502`.
fn connect_error(err: ConnectError) -> ApiError {
    match err {
        ConnectError::Key(problem) => ApiError::invalid_param(problem.code(), "restrictedKey", problem.to_string()),
        ConnectError::Stripe(StripeApiError::InvalidKey(message)) => ApiError::invalid_param(
            "stripe_key_invalid",
            "restrictedKey",
            format!("Stripe rejected restrictedKey ({message}). Check that it is a current restricted key of the right account."),
        ),
        ConnectError::Stripe(StripeApiError::MissingPermission { permission, message }) => ApiError::invalid_param(
            "stripe_permission_missing",
            "restrictedKey",
            format!("restrictedKey needs the {permission} permission: edit the key in Stripe's dashboard and add it. Stripe said: {message}"),
        ),
        ConnectError::Stripe(StripeApiError::RateLimited) => ApiError::Upstream {
            code: "stripe_rate_limited",
            message: "Stripe kept rate-limiting Loop's requests; try again in a minute.".into(),
        },
        ConnectError::Stripe(StripeApiError::Unavailable(detail)) => {
            tracing::warn!(error = %detail, "Stripe unavailable during connect");
            ApiError::Upstream {
                code: "stripe_unavailable",
                message: "Stripe's API did not answer; nothing was changed that a retry would not redo. Try again.".into(),
            }
        }
        ConnectError::Stripe(StripeApiError::Refused { status, message }) => ApiError::Upstream {
            code: "stripe_error",
            message: format!("Stripe refused a request ({status}): {message}"),
        },
        ConnectError::InProgress => ApiError::Conflict {
            code: "connect_in_progress",
            message: "Another connection of this account to Stripe is under way; retry when it has finished.".into(),
        },
        ConnectError::Store(err) => err.into(),
        ConnectError::Api(err) => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(body: Value) -> IntegrationChange {
        IntegrationChange::parse(body.as_object().unwrap()).unwrap()
    }

    #[test]
    fn masks_keep_the_secrets_they_mask_in_their_order_and_only_once() {
        let both = vec![Secret::new("whsec_first_same"), Secret::new("whsec_second_same")];
        let mut stripe = StripeIntegration { signing_secrets: both.clone(), ..Default::default() };
        change(json!({"signingSecrets": ["whsec_…same", "whsec_…same"]})).apply(&mut stripe).unwrap();
        assert_eq!(stripe.signing_secrets, both);

        let mut one = StripeIntegration { signing_secrets: vec![both[0].clone()], ..Default::default() };
        let err = change(json!({"signingSecrets": ["whsec_…same", "whsec_…same"]})).apply(&mut one).unwrap_err();
        assert_eq!(err.body().error.param.as_deref(), Some("signingSecrets.1"));
    }
}
