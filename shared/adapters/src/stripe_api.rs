//! A narrow client for the parts of Stripe's API that connecting an account needs: webhook
//! endpoints, and product and price listings. Rate limits (`429`) and Stripe's own failures
//! (`5xx`, connection errors) are retried with doubling backoff; every `POST` carries an
//! `Idempotency-Key`, so a retried create never makes two endpoints.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use thiserror::Error;

use loop_ground::config::StripeApiSettings;
use loop_ground::secret::Secret;

/// Why a Stripe call failed, in terms of what the merchant (or operator) must do about it.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum StripeApiError {
    /// `401`: the key is wrong, expired or revoked.
    #[error("Stripe rejected the key: {0}")]
    InvalidKey(String),
    /// `403`: the restricted key lacks a permission.
    #[error("the restricted key lacks the {permission} permission: {message}")]
    MissingPermission { permission: &'static str, message: String },
    /// `429` on every attempt.
    #[error("Stripe kept rate-limiting the requests")]
    RateLimited,
    /// `5xx`, a timeout or no connection, on every attempt.
    #[error("Stripe is unavailable: {0}")]
    Unavailable(String),
    /// Any other answer: Stripe's own message.
    #[error("Stripe refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
}

impl StripeApiError {
    /// Worth trying again later without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, StripeApiError::RateLimited | StripeApiError::Unavailable(_))
    }
}

/// One page of a Stripe list.
#[derive(Debug, Deserialize)]
pub struct ListPage<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub has_more: bool,
}

/// A webhook endpoint as Stripe describes it; `secret` only on creation.
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookEndpoint {
    pub id: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub secret: Option<Secret>,
}

pub struct StripeApi<'a> {
    http: &'a reqwest::Client,
    settings: &'a StripeApiSettings,
    key: &'a Secret,
}

/// The builder for the client every Stripe call shares.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Loop/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client configuration is valid")
}

impl<'a> StripeApi<'a> {
    pub fn new(http: &'a reqwest::Client, settings: &'a StripeApiSettings, key: &'a Secret) -> Self {
        StripeApi { http, settings, key }
    }

    /// One page of `/v1/{resource}` (`products`, `prices`, `webhook_endpoints`), as raw bytes
    /// for the caller to parse in place.
    pub async fn list_raw(&self, resource: &str, starting_after: Option<&str>) -> Result<bytes::Bytes, StripeApiError> {
        let mut query = vec![("limit", "100")];
        if let Some(cursor) = starting_after {
            query.push(("starting_after", cursor));
        }
        let path = format!("/v1/{resource}?{}", form(&query));
        self.call(reqwest::Method::GET, &path, None).await
    }

    /// One object of a list: proves the key may read it.
    pub async fn probe(&self, resource: &str) -> Result<(), StripeApiError> {
        self.call(reqwest::Method::GET, &format!("/v1/{resource}?limit=1"), None).await.map(|_| ())
    }

    /// Every webhook endpoint of the account, across pages.
    pub async fn webhook_endpoints(&self) -> Result<Vec<WebhookEndpoint>, StripeApiError> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let body = self.list_raw("webhook_endpoints", cursor.as_deref()).await?;
            let page: ListPage<WebhookEndpoint> = parse(&body)?;
            cursor = page.data.last().map(|e| e.id.clone());
            all.extend(page.data);
            if !page.has_more || cursor.is_none() {
                return Ok(all);
            }
        }
    }

    pub async fn create_webhook_endpoint(
        &self,
        url: &str,
        events: &[&str],
        description: &str,
    ) -> Result<WebhookEndpoint, StripeApiError> {
        let mut fields = vec![("url", url), ("description", description)];
        fields.extend(events.iter().map(|e| ("enabled_events[]", *e)));
        let body = self.call(reqwest::Method::POST, "/v1/webhook_endpoints", Some(form(&fields))).await?;
        parse(&body)
    }

    pub async fn update_webhook_endpoint(
        &self,
        id: &str,
        url: &str,
        events: &[&str],
    ) -> Result<WebhookEndpoint, StripeApiError> {
        let mut fields = vec![("url", url), ("disabled", "false")];
        fields.extend(events.iter().map(|e| ("enabled_events[]", *e)));
        let path = format!("/v1/webhook_endpoints/{id}");
        let body = self.call(reqwest::Method::POST, &path, Some(form(&fields))).await?;
        parse(&body)
    }

    pub async fn delete_webhook_endpoint(&self, id: &str) -> Result<(), StripeApiError> {
        let path = format!("/v1/webhook_endpoints/{id}");
        self.call(reqwest::Method::DELETE, &path, None).await.map(|_| ())
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        form_body: Option<String>,
    ) -> Result<bytes::Bytes, StripeApiError> {
        let url = format!("{}{path}", self.settings.base_url);
        // One key for every attempt of this call: Stripe applies a retried POST once. Errors drop
        // the URL (cursors, never the key) so that recorded messages stay short and stable.
        let idempotency_key = loop_ground::ids::new_id("loop_");
        let mut last_error = StripeApiError::Unavailable("no attempt made".into());
        for attempt in 0..self.settings.max_attempts.max(1) {
            if attempt > 0 {
                tokio::time::sleep(backoff(self.settings.retry_base, attempt, &last_error)).await;
            }
            let mut request = self.http.request(method.clone(), &url).bearer_auth(self.key.expose());
            if let Some(body) = &form_body {
                request = request
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("idempotency-key", &idempotency_key)
                    .body(body.clone());
            }
            let response = match request.send().await {
                Ok(response) => response,
                Err(err) => {
                    last_error = StripeApiError::Unavailable(err.without_url().to_string());
                    continue;
                }
            };
            let status = response.status().as_u16();
            let body = match response.bytes().await {
                Ok(body) => body,
                Err(err) => {
                    last_error = StripeApiError::Unavailable(err.without_url().to_string());
                    continue;
                }
            };
            match status {
                200..=299 => return Ok(body),
                429 => last_error = StripeApiError::RateLimited,
                500..=599 => last_error = StripeApiError::Unavailable(format!("HTTP {status}: {}", message(&body))),
                401 => return Err(StripeApiError::InvalidKey(message(&body))),
                403 => {
                    return Err(StripeApiError::MissingPermission {
                        permission: permission_for(&method, path),
                        message: message(&body),
                    })
                }
                _ => return Err(StripeApiError::Refused { status, message: message(&body) }),
            }
        }
        Err(last_error)
    }
}

/// The wait before attempt `attempt` (1-based retries): doubling from `base`, longer after a 429.
fn backoff(base: Duration, attempt: u32, last: &StripeApiError) -> Duration {
    let factor = if matches!(last, StripeApiError::RateLimited) { 2 } else { 1 };
    base.saturating_mul(factor * 2u32.saturating_pow(attempt - 1)).min(Duration::from_secs(8))
}

/// The restricted-key permission a call needs, as Stripe's dashboard names it.
fn permission_for(method: &reqwest::Method, path: &str) -> &'static str {
    let write = method != reqwest::Method::GET;
    match path.trim_start_matches("/v1/").split(['/', '?']).next() {
        Some("webhook_endpoints") if write => "Webhook Endpoints: Write",
        Some("webhook_endpoints") => "Webhook Endpoints: Read",
        Some("products") => "Products: Read",
        Some("prices") => "Prices: Read",
        _ => "needed",
    }
}

/// Stripe's `error.message`, bounded, or a placeholder.
fn message(body: &[u8]) -> String {
    let text = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.pointer("/error/message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| "no error message".to_owned());
    text.chars().take(300).collect()
}

fn parse<'de, T: Deserialize<'de>>(body: &'de [u8]) -> Result<T, StripeApiError> {
    serde_json::from_slice(body)
        .map_err(|e| StripeApiError::Refused { status: 200, message: format!("unexpected answer: {e}") })
}

fn form(fields: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_are_named_as_the_dashboard_names_them() {
        assert_eq!(permission_for(&reqwest::Method::POST, "/v1/webhook_endpoints"), "Webhook Endpoints: Write");
        assert_eq!(permission_for(&reqwest::Method::GET, "/v1/webhook_endpoints?limit=100"), "Webhook Endpoints: Read");
        assert_eq!(permission_for(&reqwest::Method::GET, "/v1/prices?limit=100"), "Prices: Read");
        assert_eq!(permission_for(&reqwest::Method::GET, "/v1/products"), "Products: Read");
    }

    #[test]
    fn backoff_doubles_and_is_bounded() {
        let base = Duration::from_millis(500);
        let other = StripeApiError::Unavailable(String::new());
        assert_eq!(backoff(base, 1, &other), Duration::from_millis(500));
        assert_eq!(backoff(base, 2, &other), Duration::from_secs(1));
        assert_eq!(backoff(base, 2, &StripeApiError::RateLimited), Duration::from_secs(2));
        assert_eq!(backoff(base, 30, &other), Duration::from_secs(8));
    }

    #[test]
    fn stripe_error_messages_are_read_and_bounded() {
        assert_eq!(message(br#"{"error":{"message":"No such key","type":"invalid_request_error"}}"#), "No such key");
        assert_eq!(message(b"<html>"), "no error message");
        let long = format!(r#"{{"error":{{"message":"{}"}}}}"#, "x".repeat(1000));
        assert_eq!(message(long.as_bytes()).len(), 300);
    }

    #[test]
    fn form_fields_are_url_encoded() {
        assert_eq!(
            form(&[("url", "https://a.example/x?y=1"), ("enabled_events[]", "customer.created")]),
            "url=https%3A%2F%2Fa.example%2Fx%3Fy%3D1&enabled_events%5B%5D=customer.created"
        );
    }
}
