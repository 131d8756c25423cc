//! Every row of the answer table of `POST /stripe/webhooks/{accountId}`, and that rejected
//! requests store nothing.

use loop_ground::ids::AccountId;
use loop_tests::stripe::{event, now, object, signature};
use loop_tests::{dump_table, TestAccount, TestStack};
use serde_json::{json, Value};

fn customer_created(id: &str, email: Option<&str>) -> Value {
    event(id, "customer.created", now(), object("customer", json!({"email": email, "name": "Jenny Rosen"})))
}

/// Items in the table that are not the accounts' own records (account, keys).
async fn stored_beyond_accounts(t: &TestStack) -> Vec<String> {
    dump_table(t.app())
        .await
        .lines()
        .filter(|line| !line.contains("S(\"ACCOUNT\")") && !line.contains("S(\"KEY#"))
        .map(str::to_owned)
        .collect()
}

async fn error_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn unknown_accounts_get_404() {
    let t = TestStack::start().await;
    let body = serde_json::to_vec(&customer_created("evt_1", Some("a@b.co"))).unwrap();
    for id in [AccountId::generate().to_string(), "acct_nope".to_owned(), "x".to_owned()] {
        let header = signature("whsec_whatever", now(), &body);
        let (status, error) = error_of(t.post_stripe_raw(&id, body.clone(), Some(header)).await).await;
        assert_eq!(status, 404, "{id}");
        assert_eq!(error["error"]["type"], "invalid_request_error");
    }
    assert!(stored_beyond_accounts(&t).await.is_empty());
    t.shutdown().await;
}

#[tokio::test]
async fn an_account_without_a_signing_secret_gets_409() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let store = &t.app().store;
    let mut account = store.get_account(&AccountId::parse(&acme.id).unwrap()).await.unwrap().unwrap();
    account.stripe.signing_secrets.clear();
    account.version += 1;
    assert!(store.update_account(&account).await.unwrap());
    let body = serde_json::to_vec(&customer_created("evt_1", Some("a@b.co"))).unwrap();
    let header = signature(&acme.signing_secret, now(), &body);
    let (status, error) = error_of(t.post_stripe_raw(&acme.id, body, Some(header)).await).await;
    assert_eq!(status, 409);
    assert_eq!(error["error"]["code"], "stripe_not_configured");
    assert!(stored_beyond_accounts(&t).await.is_empty());
    t.shutdown().await;
}

#[tokio::test]
async fn missing_or_unparseable_signature_headers_get_400() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let body = serde_json::to_vec(&customer_created("evt_1", Some("a@b.co"))).unwrap();
    let good = signature(&acme.signing_secret, now(), &body);
    let v0_only = format!("t={},v0={}", now(), "a".repeat(64));
    for header in
        [None, Some(String::new()), Some("garbage".to_owned()), Some(v0_only), Some(good.replace("t=", "t=x"))]
    {
        let (status, error) = error_of(t.post_stripe_raw(&acme.id, body.clone(), header.clone()).await).await;
        assert_eq!(status, 400, "{header:?}");
        assert_eq!(error["error"]["code"], "invalid_signature_header");
    }
    assert!(stored_beyond_accounts(&t).await.is_empty());
    t.shutdown().await;
}

#[tokio::test]
async fn wrong_signatures_and_stale_or_future_timestamps_get_401() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let body = serde_json::to_vec(&customer_created("evt_1", Some("a@b.co"))).unwrap();
    let cases = [
        signature("whsec_someone_else", now(), &body),
        signature(&acme.signing_secret, now(), b"another body"),
        signature(&acme.signing_secret, now() - 301 - 5, &body),
        signature(&acme.signing_secret, now() + 301 + 5, &body),
        format!("t={},v1={}", now(), "0".repeat(64)),
        format!("t={},v1=nothex", now()),
    ];
    for header in cases {
        let (status, error) = error_of(t.post_stripe_raw(&acme.id, body.clone(), Some(header.clone())).await).await;
        assert_eq!(status, 401, "{header}");
        assert_eq!(error["error"]["type"], "authentication_error");
        assert_eq!(error["error"]["code"], "invalid_signature");
        assert!(!error.to_string().contains(&acme.signing_secret));
    }
    assert!(stored_beyond_accounts(&t).await.is_empty());
    t.shutdown().await;
}

#[tokio::test]
async fn a_signature_by_either_of_two_active_secrets_is_accepted() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let response = t
        .http
        .put(t.url("/v1/integrations/stripe"))
        .bearer_auth(&acme.api_key)
        .json(&json!({"signingSecrets": [acme.signing_secret, "whsec_rotated_secret_0001"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    for (i, secret) in [acme.signing_secret.as_str(), "whsec_rotated_secret_0001"].into_iter().enumerate() {
        let body = serde_json::to_vec(&customer_created(&format!("evt_rot{i}"), Some("a@b.co"))).unwrap();
        let header = signature(secret, now(), &body);
        assert_eq!(t.post_stripe_raw(&acme.id, body, Some(header)).await.status(), 200);
    }
    t.shutdown().await;
}

#[tokio::test]
async fn bodies_over_1_mib_get_413() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let mut big = customer_created("evt_big", Some("a@b.co"));
    big["data"]["object"]["description"] = json!("x".repeat(1024 * 1024));
    let body = serde_json::to_vec(&big).unwrap();
    let header = signature(&acme.signing_secret, now(), &body);
    let (status, _) = error_of(t.post_stripe_raw(&acme.id, body, Some(header)).await).await;
    assert_eq!(status, 413);
    assert!(stored_beyond_accounts(&t).await.is_empty());
    t.shutdown().await;
}

#[tokio::test]
async fn signed_bodies_that_are_not_stripe_events_get_400() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let bodies: Vec<Vec<u8>> = vec![
        b"not json".to_vec(),
        vec![0xff, 0xfe, 0xfd],
        b"{}".to_vec(),
        br#"{"id":"evt_1","type":"customer.created","created":1}"#.to_vec(),
        br#"{"id":"evt_1","type":"customer.created","created":1,"data":{"object":"cus_1"}}"#.to_vec(),
        br#"{"id":"evt_1","type":"customer.created","created":1,"data":{"object":{"email":42}}}"#.to_vec(),
        format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
    ];
    for body in bodies {
        let header = signature(&acme.signing_secret, now(), &body);
        let (status, error) = error_of(t.post_stripe_raw(&acme.id, body, Some(header)).await).await;
        assert_eq!(status, 400);
        assert_eq!(error["error"]["code"], "invalid_event");
    }
    assert!(stored_beyond_accounts(&t).await.is_empty());
    t.shutdown().await;
}

#[tokio::test]
async fn unsupported_types_are_ignored_and_store_nothing() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let plan = event("evt_plan", "plan.created", now(), loop_tests::stripe::fixture("event")["data"]["object"].clone());
    let (status, answer) = t.send_stripe(&acme, &plan).await;
    assert_eq!((status, answer), (200, json!({"status": "ignored", "reason": "unsupported_event_type"})));
    assert!(stored_beyond_accounts(&t).await.is_empty());
    t.shutdown().await;
}

async fn disable(t: &TestStack, account: &TestAccount, kind: &str) {
    let response = t
        .http
        .put(t.url("/v1/integrations/stripe"))
        .bearer_auth(&account.api_key)
        .json(&json!({"events": {kind: {"enabled": false}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn disabled_types_are_ignored_but_remembered() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    disable(&t, &acme, "customer.created").await;
    let created = customer_created("evt_disabled", Some("jenny@example.com"));
    assert_eq!(t.send_stripe(&acme, &created).await, (200, json!({"status": "ignored", "reason": "event_disabled"})));
    assert_eq!(t.send_stripe(&acme, &created).await, (200, json!({"status": "duplicate"})));
    let contacts = t.read(&acme, "/v1/contacts").await;
    assert_eq!(contacts["data"], json!([]));
    t.shutdown().await;
}

#[tokio::test]
async fn contact_events_without_any_email_are_ignored() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    for (i, email) in [None, Some("not-an-email")].into_iter().enumerate() {
        let e = customer_created(&format!("evt_noemail{i}"), email);
        assert_eq!(t.send_stripe(&acme, &e).await, (200, json!({"status": "ignored", "reason": "no_email"})));
    }
    // A subscription of a customer no event ever linked to an email.
    let sub = event(
        "evt_sub",
        "customer.subscription.paused",
        now(),
        object("subscription", json!({"customer": "cus_unknown"})),
    );
    assert_eq!(t.send_stripe(&acme, &sub).await, (200, json!({"status": "ignored", "reason": "no_email"})));
    assert_eq!(t.read(&acme, "/v1/events").await["data"], json!([]));
    t.shutdown().await;
}

#[tokio::test]
async fn processed_events_answer_their_effects_and_duplicates_answer_duplicate() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let created = customer_created("evt_once", Some("Jenny.Rosen@Example.com"));
    let (status, answer) = t.send_stripe(&acme, &created).await;
    assert_eq!(status, 200);
    assert_eq!(answer, json!({"status": "processed", "effects": ["contact.created", "event.triggered"]}));
    assert_eq!(t.send_stripe(&acme, &created).await, (200, json!({"status": "duplicate"})));
    // The check the rejection tests rely on does see what processing stores.
    assert!(!stored_beyond_accounts(&t).await.is_empty());
    t.shutdown().await;
}
