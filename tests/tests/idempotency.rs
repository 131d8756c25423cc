//! An `Idempotency-Key` held by a request that died (a claim with no response) is released
//! after 60 s: the next request with the same key and body runs, instead of a 409 for 24 h.

use loop_adapters::store::keys::{idempotency_pk, IDEMPOTENCY_SK};
use loop_adapters::store::records::IdempotencyItem;
use loop_ground::ids::AccountId;
use loop_tests::{TestAccount, TestStack};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const PATH: &str = "/v1/checkout-sessions";

/// Leaves the claim that a request with `key` and `body` makes before it dies, `age` seconds ago.
async fn dead_claim(t: &TestStack, account: &TestAccount, key: &str, body: &str, age: i64) {
    let mut fingerprint = Sha256::new();
    fingerprint.update(format!("POST {PATH}\n").as_bytes());
    fingerprint.update(body.as_bytes());
    let claimed_at = t.app().clock.now_unix() - age;
    let account_id = AccountId::parse(&account.id).unwrap();
    let claim = IdempotencyItem {
        pk: idempotency_pk(&account_id, &hex::encode(Sha256::digest(key.as_bytes()))),
        sk: IDEMPOTENCY_SK.to_owned(),
        fingerprint: hex::encode(fingerprint.finalize()),
        status: None,
        body: None,
        content_type: None,
        created_at: claimed_at,
        expires_at: claimed_at + 86_400,
    };
    let claimed = t.app().store.claim_idempotency(&claim, i64::MIN).await.unwrap();
    assert!(matches!(claimed, loop_adapters::store::idempotency::Claim::New));
}

async fn send(t: &TestStack, account: &TestAccount, key: &str, body: &str) -> (u16, bool, Value) {
    let response = t
        .http
        .post(t.url(PATH))
        .bearer_auth(&account.api_key)
        .header("idempotency-key", key)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let replayed = response.headers().get("idempotent-replayed").is_some();
    (response.status().as_u16(), replayed, response.json().await.unwrap())
}

async fn sessions(t: &TestStack, account: &TestAccount) -> usize {
    t.read(account, PATH).await["data"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_key_held_by_a_request_that_died_is_released_after_60_seconds() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let (status, link) = {
        let response = t
            .http
            .post(t.url("/v1/payment-links"))
            .bearer_auth(&acme.api_key)
            .json(&json!({"name": "Gold", "amount": "10.00", "currency": "USDC"}))
            .send()
            .await
            .unwrap();
        (response.status(), response.json::<Value>().await.unwrap())
    };
    assert_eq!(status, 201);
    let body = json!({"paymentLinkId": link["id"]}).to_string();

    // GIVEN a claim 10 s old without a response: its request may still be running
    dead_claim(&t, &acme, "order-young", &body, 10).await;
    // THEN the same request waits its turn: 409, nothing made
    let (status, _, error) = send(&t, &acme, "order-young", &body).await;
    assert_eq!((status, error["error"]["type"].as_str()), (409, Some("idempotency_error")), "{error}");
    assert_eq!(sessions(&t, &acme).await, 0);

    // GIVEN a claim 61 s old without a response: its request died
    dead_claim(&t, &acme, "order-dead", &body, 61).await;
    // WHEN the same request comes again THEN it runs
    let (status, replayed, first) = send(&t, &acme, "order-dead", &body).await;
    assert_eq!((status, replayed), (201, false), "{first}");
    assert_eq!(sessions(&t, &acme).await, 1);
    // AND the key now holds its response: the next one is a replay, and makes nothing
    let (status, replayed, again) = send(&t, &acme, "order-dead", &body).await;
    assert_eq!((status, replayed, &again), (201, true, &first));
    assert_eq!(sessions(&t, &acme).await, 1);

    // GIVEN a dead claim of another body THEN the key is still refused to a different request
    dead_claim(&t, &acme, "order-other", &json!({"paymentLinkId": "pl_other"}).to_string(), 61).await;
    let (status, _, error) = send(&t, &acme, "order-other", &body).await;
    assert_eq!((status, error["error"]["type"].as_str()), (409, Some("idempotency_error")), "{error}");
    assert_eq!(sessions(&t, &acme).await, 1);
    t.shutdown().await;
}
