//! `POST /v1/integrations/stripe/connect`: against a stand-in for Stripe's API serving
//! fixture-shaped products and prices, Loop makes its webhook endpoint, keeps the signing secret,
//! and backfills the whole catalogue through the queue, resuming after Stripe outages.

use std::time::{Duration, Instant};

use loop_tests::stripe::{event, now, object, signature};
use loop_tests::stripe_api::{prices, products, StripeStandIn, GOOD_KEY, NO_PRICES_KEY};
use loop_tests::{dump_table, TestAccount, TestStack};
use serde_json::{json, Value};

const PUBLIC_BASE: &str = "https://loop.example.test";
/// Objects made before anything in these tests happens.
const CREATED: i64 = 1_700_000_000;

async fn stack(stand_in: &StripeStandIn) -> TestStack {
    TestStack::start_with(&[
        ("LOOP_STRIPE_API_BASE", &stand_in.uri()),
        ("LOOP_STRIPE_RETRY_BASE_MS", "5"),
        ("LOOP_BACKFILL_PAGES_PER_RUN", "2"),
        ("LOOP_BACKFILL_RETRY_SECONDS", "1"),
        ("LOOP_PUBLIC_BASE_URL", PUBLIC_BASE),
    ])
    .await
}

/// A Stripe stand-in with `products` products and `prices` prices spread over them, a stack
/// pointed at it, and an account.
async fn setup(products_count: usize, prices_count: usize) -> (StripeStandIn, TestStack, TestAccount) {
    let stand_in =
        StripeStandIn::start(products(products_count, CREATED), prices(prices_count, products_count, CREATED)).await;
    let t = stack(&stand_in).await;
    let account = t.account("Acme", true).await;
    (stand_in, t, account)
}

async fn connect(t: &TestStack, account: &TestAccount, key: &str) -> (u16, Value) {
    t.post_json(account, "/v1/integrations/stripe/connect", &json!({"restrictedKey": key})).await
}

/// The integration once its backfill has ended, polled with a deadline.
async fn finished(t: &TestStack, account: &TestAccount) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let integration = t.read(account, "/v1/integrations/stripe").await;
        if integration["backfill"]["status"] != "running" {
            return integration;
        }
        assert!(Instant::now() < deadline, "backfill still running: {integration}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every item of the catalogue, through the paginated API.
async fn all_items(t: &TestStack, account: &TestAccount) -> Vec<Value> {
    let mut items = Vec::new();
    let mut path = "/v1/items?limit=100".to_owned();
    loop {
        let page = t.read(account, &path).await;
        let data = page["data"].as_array().unwrap().clone();
        items.extend(data.iter().cloned());
        if page["hasMore"] != true {
            return items;
        }
        path = format!("/v1/items?limit=100&startingAfter={}", data.last().unwrap()["itemId"].as_str().unwrap());
    }
}

/// List-page requests the stand-in saw for a resource (the one-object permission probes aside).
fn page_requests(stand_in: &StripeStandIn, resource: &str) -> Vec<Option<String>> {
    stand_in
        .seen()
        .into_iter()
        .filter(|s| {
            s.method == "GET"
                && s.path == format!("/v1/{resource}")
                && s.query.get("limit").map(String::as_str) == Some("100")
        })
        .map(|s| s.query.get("starting_after").cloned())
        .collect()
}

#[tokio::test]
async fn connecting_makes_the_endpoint_and_backfills_every_product_and_price_across_pages() {
    let (stand_in, t, acme) = setup(250, 400).await;

    let (status, body) = connect(&t, &acme, GOOD_KEY).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["connected"], true);
    let endpoints = stand_in.endpoints();
    assert_eq!(endpoints.len(), 1);
    let endpoint = &endpoints[0];
    assert_eq!(body["stripeWebhookEndpointId"], endpoint["id"]);
    assert_eq!(endpoint["url"], format!("{PUBLIC_BASE}/stripe/webhooks/{}", acme.id));
    let mut subscribed: Vec<&str> =
        endpoint["enabled_events"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
    subscribed.sort();
    let mut supported: Vec<&str> = loop_ground::domain::stripe_event::EventType::all_names().collect();
    supported.sort();
    assert_eq!(subscribed, supported, "every event type Loop handles, and only those");
    assert_eq!(subscribed.len(), 27);
    assert_eq!(body["signingSecrets"][0], "whsec_…cdef", "Stripe's secret is the active one, masked");
    assert!(!body.to_string().contains(GOOD_KEY));
    let stored = dump_table(t.app()).await;
    assert!(stored.contains("sealedKey"), "the key is kept, sealed, while the backfill runs");
    assert!(!stored.contains(GOOD_KEY) && !stored.contains("LoopStandInGoodKey"), "never in plaintext");

    let integration = finished(&t, &acme).await;
    assert!(!dump_table(t.app()).await.contains("sealedKey"), "a finished backfill forgets the key");
    let backfill = &integration["backfill"];
    assert_eq!(backfill["status"], "completed", "{integration}");
    assert_eq!((backfill["products"].as_u64(), backfill["prices"].as_u64()), (Some(250), Some(400)));
    // 3 pages of products and 4 of prices, two per queue message: the backfill went on
    // through the queue, and no page was read twice.
    assert_eq!(backfill["pages"], 7);
    let product_pages = page_requests(&stand_in, "products");
    assert_eq!(product_pages, [None, Some("prod_0099".into()), Some("prod_0199".into())]);
    assert_eq!(page_requests(&stand_in, "prices").len(), 4);

    let items = all_items(&t, &acme).await;
    assert_eq!(items.len(), 400);
    let mut ids: Vec<&str> = items.iter().map(|i| i["itemId"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 400, "each price once");
    let price_7 = items.iter().find(|i| i["amount"] == "1.07").expect("price_0007 costs 107 cents");
    assert_eq!(price_7["name"], "Product 7");
    assert_eq!(price_7["currency"], "USD");
    assert_eq!((price_7["frequencyNumber"].as_u64(), price_7["frequencyUnit"].as_str()), (Some(1), Some("Month")));

    // The secret Stripe returned verifies Stripe's events from now on.
    let secret = "whsec_standin1secret0123456789abcdef";
    let customer = object("customer", json!({"id": "cus_connected", "email": "new@example.com", "name": "New"}));
    let body = serde_json::to_vec(&event("evt_after_connect", "customer.created", now(), customer)).unwrap();
    let header = signature(secret, now(), &body);
    let response = t.post_stripe_raw(&acme.id, body, Some(header)).await;
    assert_eq!(response.status(), 200);
    let contacts = t.read(&acme, "/v1/contacts?email=new@example.com").await;
    assert_eq!(contacts["data"][0]["email"], "new@example.com", "{contacts}");
    t.shutdown().await;
}

#[tokio::test]
async fn publishable_secret_and_malformed_keys_are_refused_before_stripe_is_called() {
    let (stand_in, t, acme) = setup(3, 3).await;
    let before = t.read(&acme, "/v1/integrations/stripe").await;
    let cases = [
        ("pk_test_51Hxyz0123456789abcdefghij", "publishable_key_not_allowed", "publishable key"),
        ("pk_live_51Hxyz0123456789abcdefghij", "publishable_key_not_allowed", "restricted key (rk_"),
        ("sk_live_51Hxyz0123456789abcdefghij", "secret_key_not_allowed", "restricted key (rk_"),
        ("sk_test_51Hxyz0123456789abcdefghij", "secret_key_not_allowed", "secret key"),
        ("rk_test_", "parameter_invalid", "restricted key"),
        ("whsec_0123456789abcdef", "parameter_invalid", "restricted key"),
    ];
    for (key, code, says) in cases {
        let (status, body) = connect(&t, &acme, key).await;
        assert_eq!(status, 400, "{key}: {body}");
        assert_eq!(body["error"]["code"], code, "{key}");
        assert_eq!(body["error"]["param"], "restrictedKey");
        assert!(body["error"]["message"].as_str().unwrap().contains(says), "{key}: {body}");
        assert!(key.len() < 10 || !body.to_string().contains(key), "the key is not echoed");
    }
    for body in [json!({}), json!({"restrictedKey": 42}), json!({"restrictedKey": GOOD_KEY, "extra": 1})] {
        let (status, answer) = t.post_json(&acme, "/v1/integrations/stripe/connect", &body).await;
        assert_eq!(status, 400, "{body}: {answer}");
    }
    assert!(stand_in.seen().is_empty(), "Stripe was never called");
    assert_eq!(t.read(&acme, "/v1/integrations/stripe").await, before, "nothing stored");
    assert_eq!(before["connected"], false);
    t.shutdown().await;
}

#[tokio::test]
async fn stripe_refusals_name_what_the_merchant_must_fix_and_change_nothing() {
    let (stand_in, t, acme) = setup(3, 3).await;
    let before = t.read(&acme, "/v1/integrations/stripe").await;

    let (status, body) = connect(&t, &acme, "rk_test_51RevokedKey0123456789").await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("stripe_key_invalid")), "{body}");
    let (status, body) = connect(&t, &acme, NO_PRICES_KEY).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("stripe_permission_missing")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("Prices: Read"), "{body}");

    assert!(stand_in.endpoints().is_empty(), "no endpoint is made with a key that cannot backfill");
    assert_eq!(t.read(&acme, "/v1/integrations/stripe").await, before);
    t.shutdown().await;
}

#[tokio::test]
async fn rate_limits_are_retried_with_backoff() {
    let (stand_in, t, acme) = setup(3, 5).await;
    stand_in.rate_limit_next(3);
    let (status, body) = connect(&t, &acme, GOOD_KEY).await;
    assert_eq!(status, 200, "{body}");
    let limited = stand_in.seen().iter().filter(|s| s.status == 429).count();
    assert_eq!(limited, 3, "three 429s were answered, and retried");
    let integration = finished(&t, &acme).await;
    assert_eq!(integration["backfill"]["status"], "completed");
    assert_eq!(all_items(&t, &acme).await.len(), 5);
    t.shutdown().await;
}

#[tokio::test]
async fn a_stripe_outage_mid_backfill_resumes_where_it_stopped_without_duplicates() {
    let (stand_in, t, acme) = setup(150, 300).await;
    // The second page of prices fails for longer than one run's retries (4 attempts).
    stand_in.fail_pages_after("price_0099", 6);
    let (status, body) = connect(&t, &acme, GOOD_KEY).await;
    assert_eq!(status, 200, "{body}");

    let integration = finished(&t, &acme).await;
    let backfill = &integration["backfill"];
    assert_eq!(backfill["status"], "completed", "{integration}");
    assert!(backfill["retries"].as_u64().unwrap() >= 1, "a run failed and was retried: {backfill}");
    assert!(backfill["lastError"].as_str().unwrap().contains("500"), "{backfill}");
    assert_eq!((backfill["products"].as_u64(), backfill["prices"].as_u64()), (Some(150), Some(300)));
    // Resumed at the failed page: every earlier page was read once.
    let price_pages = page_requests(&stand_in, "prices");
    let firsts = price_pages.iter().filter(|p| p.is_none()).count();
    assert_eq!(firsts, 1, "the first price page was not read again: {price_pages:?}");
    assert_eq!(page_requests(&stand_in, "products").len(), 2);
    let failed = price_pages.iter().filter(|p| p.as_deref() == Some("price_0099")).count();
    assert_eq!(failed, 7, "six failures, then the page: {price_pages:?}");
    assert_eq!(all_items(&t, &acme).await.len(), 300);
    t.shutdown().await;
}

#[tokio::test]
async fn later_events_win_over_the_backfill() {
    let (_stand_in, t, acme) = setup(2, 2).await; // kept alive: it serves the backfill
                                                  // A rename that Stripe sent before the connection, newer than the product's creation.
    let renamed = object("product", json!({"id": "prod_0001", "name": "Renamed", "created": CREATED + 1}));
    let (status, body) = t.send_stripe(&acme, &event("evt_rename", "product.updated", CREATED + 500, renamed)).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = connect(&t, &acme, GOOD_KEY).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(finished(&t, &acme).await["backfill"]["status"], "completed");
    let items = all_items(&t, &acme).await;
    let names: Vec<&str> = items.iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"Renamed") && names.contains(&"Product 0"), "{names:?}");
    t.shutdown().await;
}

#[tokio::test]
async fn connecting_again_updates_loops_endpoint_and_replaces_one_made_elsewhere() {
    let (stand_in, t, acme) = setup(1, 1).await;
    let url = format!("{PUBLIC_BASE}/stripe/webhooks/{}", acme.id);
    let manual = stand_in.add_endpoint(&url);
    stand_in.add_endpoint("https://elsewhere.example/hook");

    let (status, first) = connect(&t, &acme, GOOD_KEY).await;
    assert_eq!(status, 200, "{first}");
    let ours: Vec<Value> = stand_in.endpoints().into_iter().filter(|e| e["url"] == url.as_str()).collect();
    assert_eq!(ours.len(), 1, "the hand-made endpoint at Loop's URL was replaced");
    assert_ne!(ours[0]["id"], manual.as_str());
    assert_eq!(stand_in.endpoints().len(), 2, "other endpoints are left alone");
    // The account's earlier secret stays valid beside Stripe's new one.
    let tail = &acme.signing_secret[acme.signing_secret.len() - 4..];
    assert_eq!(first["signingSecrets"], json!(["whsec_…cdef", format!("whsec_…{tail}")]));
    finished(&t, &acme).await;

    let (status, second) = connect(&t, &acme, GOOD_KEY).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["stripeWebhookEndpointId"], first["stripeWebhookEndpointId"], "updated, not replaced");
    assert_eq!(second["signingSecrets"], first["signingSecrets"]);
    assert_eq!(stand_in.endpoints().len(), 2);
    let backfill = &finished(&t, &acme).await["backfill"];
    assert_eq!((backfill["status"].as_str(), backfill["prices"].as_u64()), (Some("completed"), Some(1)));
    assert_eq!(all_items(&t, &acme).await.len(), 1);
    t.shutdown().await;
}

#[tokio::test]
async fn connections_made_at_once_leave_one_endpoint_at_stripe() {
    // GIVEN an account not yet connected
    let (stand_in, t, acme) = setup(1, 1).await;
    let url = format!("{PUBLIC_BASE}/stripe/webhooks/{}", acme.id);

    // WHEN five connections are asked for at once (a double-click, a retrying script)
    let answers = futures::future::join_all((0..5).map(|_| connect(&t, &acme, GOOD_KEY))).await;

    // THEN each is made or told another is under way, and Stripe holds one endpoint for Loop
    for (status, body) in &answers {
        assert!(
            *status == 200 || (*status == 409 && body["error"]["code"] == "connect_in_progress"),
            "{status} {body}"
        );
    }
    assert!(answers.iter().any(|(status, _)| *status == 200));
    let ours: Vec<Value> = stand_in.endpoints().into_iter().filter(|e| e["url"] == url.as_str()).collect();
    assert_eq!(ours.len(), 1, "{ours:?}");
    let integration = finished(&t, &acme).await;
    assert_eq!(integration["stripeWebhookEndpointId"], ours[0]["id"]);
    t.shutdown().await;
}
