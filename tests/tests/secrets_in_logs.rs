//! Secrets never reach the logs: every log line of a run through accounts, Stripe
//! configuration and ingest (good and bad signatures) is captured and searched.

use std::io::Write;
use std::sync::{Arc, Mutex};

use loop_tests::stripe::{event, now, object, signature};
use loop_tests::TestStack;
use serde_json::json;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_signing_secret_or_api_key_appears_in_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter("info,loop_shared=trace,loop_local=trace")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let rotated = "whsec_rotated_secret_for_log_test";
    let response = t
        .http
        .put(t.url("/v1/integrations/stripe"))
        .bearer_auth(&acme.api_key)
        .json(&json!({"signingSecrets": [acme.signing_secret, rotated]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let created =
        event("evt_logs", "customer.created", now(), object("customer", json!({"email": "logs@example.com"})));
    assert_eq!(t.send_stripe(&acme, &created).await.0, 200);
    assert_eq!(t.send_stripe(&acme, &created).await.0, 200);
    let body = serde_json::to_vec(&created).unwrap();
    for header in [signature("whsec_wrong_secret_value", now(), &body), "garbage".to_owned()] {
        let status = t.post_stripe_raw(&acme.id, body.clone(), Some(header)).await.status();
        assert!(status.is_client_error());
    }
    let bad_key = t.get("/v1/account", &format!("{}x", acme.api_key)).send().await.unwrap();
    assert_eq!(bad_key.status(), 401);
    t.shutdown().await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("evt_logs"), "the capture sees Loop's logs:\n{logs}");
    for secret in [acme.signing_secret.as_str(), rotated, "whsec_wrong_secret_value", acme.api_key.as_str()] {
        assert!(!logs.contains(secret), "a secret is in the logs");
    }
}
