//! `/v1/webhook-endpoints`: registration rules, the SSRF guard, masked secrets, updates,
//! deletion, and other accounts' endpoints answering 404.

use loop_tests::stripe::{event, now, object};
use loop_tests::{TestAccount, TestStack};
use serde_json::{json, Value};

async fn create(t: &TestStack, account: &TestAccount, body: Value) -> (u16, Value) {
    let response =
        t.http.post(t.url("/v1/webhook-endpoints")).bearer_auth(&account.api_key).json(&body).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// A public address that needs no DNS (this machine has none for the internet).
const PUBLIC_URL: &str = "https://93.184.216.34/hooks";

#[tokio::test]
async fn internal_and_plain_http_urls_are_refused() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    for url in [
        "http://127.0.0.1/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "https://127.0.0.1/hook",
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://100.64.0.1/hook",
        "https://localhost/hook",
        "https://user:pw@93.184.216.34/hook",
        "http://93.184.216.34/hook",
        "not a url",
    ] {
        let (status, error) = create(&t, &acme, json!({"url": url, "events": ["*"]})).await;
        assert_eq!((status, error["error"]["param"].as_str()), (400, Some("url")), "{url}: {error}");
    }
    assert_eq!(t.read(&acme, "/v1/webhook-endpoints").await["data"], json!([]));
    t.shutdown().await;
}

#[tokio::test]
async fn event_filters_must_name_outbound_types() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    for (body, param, code) in [
        (json!({"url": PUBLIC_URL, "events": ["invoice.paid"]}), "events", "parameter_invalid"),
        (json!({"url": PUBLIC_URL, "events": []}), "events", "parameter_invalid"),
        (json!({"url": PUBLIC_URL}), "events", "parameter_missing"),
        (json!({"events": ["*"]}), "url", "parameter_missing"),
        (json!({"url": PUBLIC_URL, "events": ["*"], "secret": "mine"}), "secret", "parameter_unknown"),
    ] {
        let (status, error) = create(&t, &acme, body.clone()).await;
        assert_eq!(
            (status, error["error"]["param"].as_str(), error["error"]["code"].as_str()),
            (400, Some(param), Some(code)),
            "{body}"
        );
    }
    t.shutdown().await;
}

#[tokio::test]
async fn the_secret_is_shown_once_and_masked_afterwards() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let (status, created) = create(
        &t,
        &acme,
        json!({"url": PUBLIC_URL, "events": ["TransferCreated", "checkout.session.completed"], "description": "ERP"}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().unwrap();
    assert!(created["id"].as_str().unwrap().starts_with("we_"));
    assert_eq!((created["status"].as_str(), created["description"].as_str()), (Some("enabled"), Some("ERP")));
    let id = created["id"].as_str().unwrap();
    let shown = t.read(&acme, &format!("/v1/webhook-endpoints/{id}")).await;
    assert_eq!(shown["secret"], format!("whsec_…{}", &secret[secret.len() - 4..]));
    let listed = t.read(&acme, "/v1/webhook-endpoints").await;
    assert_eq!(listed["data"][0]["id"], id);
    assert!(!listed.to_string().contains(secret) && !shown.to_string().contains(secret));
    t.shutdown().await;
}

#[tokio::test]
async fn endpoints_update_and_delete_and_stay_within_their_account() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let other = t.account("Other", true).await;
    let (_, created) = create(&t, &acme, json!({"url": PUBLIC_URL, "events": ["*"]})).await;
    let path = format!("/v1/webhook-endpoints/{}", created["id"].as_str().unwrap());
    // Another account sees nothing of it.
    assert_eq!(t.get(&path, &other.api_key).send().await.unwrap().status(), 404);
    let patch = |key: &str, body: Value| t.http.patch(t.url(&path)).bearer_auth(key).json(&body).send();
    assert_eq!(patch(&other.api_key, json!({"status": "disabled"})).await.unwrap().status(), 404);
    assert_eq!(t.http.delete(t.url(&path)).bearer_auth(&other.api_key).send().await.unwrap().status(), 404);
    let rotate = format!("{path}/rotate-secret");
    assert_eq!(t.http.post(t.url(&rotate)).bearer_auth(&other.api_key).send().await.unwrap().status(), 404);

    let updated: Value = patch(&acme.api_key, json!({"events": ["LatePayment"], "status": "disabled"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((updated["events"].clone(), updated["status"].as_str()), (json!(["LatePayment"]), Some("disabled")));
    assert_eq!(patch(&acme.api_key, json!({"status": "paused"})).await.unwrap().status(), 400);
    let deleted = t.http.delete(t.url(&path)).bearer_auth(&acme.api_key).send().await.unwrap();
    assert_eq!(deleted.status(), 200);
    assert_eq!(t.get(&path, &acme.api_key).send().await.unwrap().status(), 404);
    t.shutdown().await;
}

#[tokio::test]
async fn events_published_while_an_endpoint_is_disabled_are_recorded_as_skipped() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let (_, created) = create(&t, &acme, json!({"url": PUBLIC_URL, "events": ["contact.created"]})).await;
    let path = format!("/v1/webhook-endpoints/{}", created["id"].as_str().unwrap());
    t.http.patch(t.url(&path)).bearer_auth(&acme.api_key).json(&json!({"status": "disabled"})).send().await.unwrap();
    let customer =
        event("evt_skip", "customer.created", now(), object("customer", json!({"email": "skip@example.com"})));
    t.send_stripe(&acme, &customer).await;
    let events = t.read(&acme, "/v1/events?type=contact.created").await;
    let detail = t.read(&acme, &format!("/v1/events/{}", events["data"][0]["id"].as_str().unwrap())).await;
    let delivery = &detail["endpoints"][0];
    assert_eq!((delivery["status"].as_str(), delivery["reason"].as_str()), (Some("failed"), Some("endpoint disabled")));
    assert_eq!(delivery["attempts"], json!([]));
    t.shutdown().await;
}

#[tokio::test]
async fn an_endpoint_url_reads_back_exactly_as_it_was_sent() {
    // GIVEN a stack that allows private endpoints (as `make dev` does)
    let t = TestStack::start_with(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1")]).await;
    let acme = t.account("Acme", true).await;

    // WHEN endpoints are registered with URLs a URL parser would rewrite
    for url in ["http://127.0.0.1:8080", "HTTPS://93.184.216.34:443/Hooks?b=2&a=1"] {
        let (status, created) = create(&t, &acme, json!({"url": url, "events": ["*"]})).await;
        // THEN the answer, the endpoint and the list all show the URL as sent
        assert_eq!((status, created["url"].as_str()), (201, Some(url)), "{created}");
        let path = format!("/v1/webhook-endpoints/{}", created["id"].as_str().unwrap());
        assert_eq!(t.read(&acme, &path).await["url"], url);
        let listed = t.read(&acme, "/v1/webhook-endpoints").await;
        assert!(listed["data"].as_array().unwrap().iter().any(|e| e["url"] == url), "{listed}");

        // WHEN the URL is changed
        let changed = "https://93.184.216.34";
        let response =
            t.http.patch(t.url(&path)).bearer_auth(&acme.api_key).json(&json!({"url": changed})).send().await.unwrap();
        // THEN the new URL too reads back as sent
        assert_eq!(response.status(), 200);
        assert_eq!(response.json::<Value>().await.unwrap()["url"], changed);
        assert_eq!(t.read(&acme, &path).await["url"], changed);
    }
    t.shutdown().await;
}
