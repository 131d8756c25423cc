//! Stripe events for tests, built from the real objects in `tests/fixtures/stripe/` (copied
//! verbatim from the specification's fixtures) and signed as Stripe signs them.

use serde_json::{json, Value};

use crate::{TestAccount, TestStack};

/// A fixture object, e.g. `fixture("customer")`.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/fixtures/stripe/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("fixtures are JSON")
}

/// A fixture with fields replaced (`patch` is merged at the top level).
pub fn object(name: &str, patch: Value) -> Value {
    let mut object = fixture(name);
    if let (Some(target), Some(fields)) = (object.as_object_mut(), patch.as_object()) {
        for (k, v) in fields {
            target.insert(k.clone(), v.clone());
        }
    }
    object
}

/// The event envelope Stripe posts, around `object` (shape of `fixtures/stripe/event.json`).
pub fn event(id: &str, kind: &str, created: i64, object: Value) -> Value {
    json!({
        "id": id,
        "object": "event",
        "api_version": "2026-07-29.dahlia",
        "created": created,
        "data": {"object": object},
        "livemode": false,
        "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null},
        "type": kind,
    })
}

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// `Stripe-Signature` for `body` at `t`, as Stripe computes it.
pub fn signature(secret: &str, t: i64, body: &[u8]) -> String {
    loop_capabilities::ingest::signature::header_for(secret, t, body)
}

/// Stripe's POST of `event` to the account's webhook route, signed now with its secret, as the
/// ingest function receives it.
pub fn signed_request(account: &TestAccount, event: &Value) -> http::Request<bytes::Bytes> {
    let body = serde_json::to_vec(event).unwrap();
    http::Request::builder()
        .method("POST")
        .uri(format!("/stripe/webhooks/{}", account.id))
        .header("stripe-signature", signature(&account.signing_secret, now(), &body))
        .body(bytes::Bytes::from(body))
        .unwrap()
}

/// Hands a signed `event` straight to ingest on `app` (bypassing HTTP, so a test can give ingest
/// its own clients); answers the status and the JSON body.
pub async fn ingest_directly(app: &loop_adapters::App, account: &TestAccount, event: &Value) -> (u16, Value) {
    let response = loop_capabilities::ingest::handle(app, signed_request(account, event)).await;
    (response.status().as_u16(), serde_json::from_slice(response.body()).unwrap_or(Value::Null))
}

impl TestStack {
    /// Posts `body` to the account's webhook with `header` as `Stripe-Signature` (if any).
    pub async fn post_stripe_raw(&self, account_id: &str, body: Vec<u8>, header: Option<String>) -> reqwest::Response {
        let mut request = self
            .http
            .post(self.url(&format!("/stripe/webhooks/{account_id}")))
            .header("content-type", "application/json; charset=utf-8")
            .body(body);
        if let Some(header) = header {
            request = request.header("stripe-signature", header);
        }
        request.send().await.expect("request is sent")
    }

    /// Posts an event signed now with the account's signing secret; answers status and body.
    pub async fn send_stripe(&self, account: &TestAccount, event: &Value) -> (u16, Value) {
        let body = serde_json::to_vec(event).unwrap();
        let header = signature(&account.signing_secret, now(), &body);
        let response = self.post_stripe_raw(&account.id, body, Some(header)).await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The payloads of the account's published events of one type, newest first.
    pub async fn payloads_of(&self, account: &TestAccount, kind: &str) -> Vec<Value> {
        let events = self.read(account, &format!("/v1/events?type={kind}&limit=100")).await;
        events["data"].as_array().unwrap().iter().map(|e| e["payload"].clone()).collect()
    }

    /// `POST`s JSON as the account; answers the status and the JSON body.
    pub async fn post_json(&self, account: &TestAccount, path: &str, body: &Value) -> (u16, Value) {
        let response = self.http.post(self.url(path)).bearer_auth(&account.api_key).json(body).send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
    }

    /// `GET` as the account, expecting `200`, answering the JSON body.
    pub async fn read(&self, account: &TestAccount, path: &str) -> Value {
        let response = self.get(path, &account.api_key).send().await.unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }
}
