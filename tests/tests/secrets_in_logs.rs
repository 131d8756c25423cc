//! Secrets never reach the logs, and none that Loop can do without is stored in plaintext: a run
//! through accounts, Stripe configuration and connection (restricted key), ingest (good and bad
//! signatures), webhook endpoints (creation, rotation, deliveries) and checkout is captured, and
//! then its logs and every item of its table are searched.

use std::io::Write;
use std::sync::{Arc, Mutex};

use loop_tests::receiver::Receiver;
use loop_tests::stripe::{event, now, object, signature};
use loop_tests::stripe_api::{prices, products, StripeStandIn, GOOD_KEY};
use loop_tests::{dump_table, TestStack};
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
async fn no_secret_appears_in_the_logs_and_no_api_or_stripe_key_in_the_table() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter(
            "info,loop_ground=trace,loop_adapters=trace,loop_capabilities=trace,loop_edge=trace,loop_local=trace",
        )
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let stand_in = StripeStandIn::start(products(3, 1_700_000_000), prices(3, 3, 1_700_000_000)).await;
    let t = TestStack::start_with(&[
        ("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1"),
        ("LOOP_STRIPE_API_BASE", &stand_in.uri()),
        ("LOOP_STRIPE_RETRY_BASE_MS", "5"),
    ])
    .await;
    let acme = t.account("Acme", true).await;
    let second_key = loop_capabilities::accounts::create_key(
        &t.app().store,
        t.app().clock.as_ref(),
        &loop_ground::ids::AccountId::parse(&acme.id).unwrap(),
        true,
    )
    .await
    .unwrap()
    .api_key
    .expose()
    .to_owned();
    let receiver = Receiver::start(1).await;
    let endpoint = t.create_endpoint(&acme, &receiver.url, &["*"]).await;
    let endpoint_secret = endpoint["secret"].as_str().unwrap().to_owned();
    let (status, rotated_endpoint) = t
        .post_json(
            &acme,
            &format!("/v1/webhook-endpoints/{}/rotate-secret", endpoint["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{rotated_endpoint}");
    let rotated_endpoint_secret = rotated_endpoint["secret"].as_str().unwrap().to_owned();
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
    // Deliveries, one failed then retried, signed with the endpoint's secrets.
    receiver.wait_for(std::time::Duration::from_secs(30), |r| r.iter().filter(|d| d.status == 200).count() >= 2).await;
    // Checkout, with the second key.
    let (status, link) =
        t.post_json(&acme, "/v1/payment-links", &json!({"name": "Gold", "amount": "10.00", "currency": "USDC"})).await;
    assert_eq!(status, 201, "{link}");
    let session = t
        .http
        .post(t.url("/v1/checkout-sessions"))
        .bearer_auth(&second_key)
        .json(&json!({"paymentLinkId": link["id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), 201);
    // Connecting Stripe with a restricted key, whose backfill ends and forgets the key.
    let (status, connected) =
        t.post_json(&acme, "/v1/integrations/stripe/connect", &json!({"restrictedKey": GOOD_KEY})).await;
    assert_eq!(status, 200, "{connected}");
    let stripe_secret = "whsec_standin1secret0123456789abcdef";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while t.read(&acme, "/v1/integrations/stripe").await["backfill"]["status"] == "running" {
        assert!(std::time::Instant::now() < deadline, "the backfill ends");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let table = dump_table(t.app()).await;
    t.shutdown().await;

    for key in [acme.api_key.as_str(), second_key.as_str(), GOOD_KEY] {
        assert!(!table.contains(key), "an API key or the restricted key is stored in plaintext");
    }
    let key_secret = acme.api_key.rsplit('_').next().unwrap();
    assert!(!table.contains(key_secret), "not even the secret part of an API key");

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("evt_logs"), "the capture sees Loop's logs:\n{logs}");
    assert!(logs.contains("backfill") || logs.contains("connect"), "the capture covers the connection too");
    let secrets = [
        acme.signing_secret.as_str(),
        rotated,
        "whsec_wrong_secret_value",
        acme.api_key.as_str(),
        second_key.as_str(),
        endpoint_secret.as_str(),
        rotated_endpoint_secret.as_str(),
        GOOD_KEY,
        stripe_secret,
    ];
    for secret in secrets {
        assert!(!logs.contains(secret), "a secret is in the logs");
    }
}
