//! Payment links, checkout sessions and the hosted page, through the local runner.

use loop_adapters::aws::AwsClients;
use loop_adapters::App;
use loop_capabilities::schedule;
use loop_tests::stripe::{event, now, object};
use loop_tests::{TestAccount, TestStack};
use serde_json::{json, Value};

async fn post(t: &TestStack, account: &TestAccount, path: &str, body: Value) -> (u16, Value) {
    let response = t.http.post(t.url(path)).bearer_auth(&account.api_key).json(&body).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn link(t: &TestStack, account: &TestAccount, name: &str) -> String {
    let (status, link) =
        post(t, account, "/v1/payment-links", json!({"name": name, "amount": "10.00", "currency": "usdc"})).await;
    assert_eq!(status, 201, "{link}");
    link["id"].as_str().unwrap().to_owned()
}

async fn session(t: &TestStack, account: &TestAccount, link: &str) -> Value {
    let (status, session) = post(t, account, "/v1/checkout-sessions", json!({"paymentLinkId": link})).await;
    assert_eq!(status, 201, "{session}");
    session
}

#[tokio::test]
async fn a_session_for_a_payment_link_has_the_documented_shape() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let (status, created_link) =
        post(&t, &acme, "/v1/payment-links", json!({"name": "Gold", "amount": "10.00", "currency": "usdc"})).await;
    assert_eq!(status, 201);
    assert_eq!(
        (created_link["amount"].as_str(), created_link["currency"].as_str(), created_link["active"].as_bool()),
        (Some("10.00"), Some("USDC"), Some(true))
    );
    assert!(created_link["id"].as_str().unwrap().starts_with("pl_"));
    let link_id = created_link["id"].as_str().unwrap();
    let body =
        json!({"paymentLinkId": link_id, "externalCustomerId": "customer_123", "metadata": {"orderId": "order_456"}});
    let (status, s) = post(&t, &acme, "/v1/checkout-sessions", body).await;
    assert_eq!(status, 201, "{s}");
    let id = s["id"].as_str().unwrap();
    assert!(id.starts_with("cs_"));
    assert_eq!(s["url"], t.url(&format!("/checkout/{id}")));
    assert_eq!(
        (s["status"].as_str(), s["amount"].as_str(), s["currency"].as_str()),
        (Some("open"), Some("10.00"), Some("USDC"))
    );
    assert_eq!((s["paymentLinkId"].as_str(), s["externalCustomerId"].as_str()), (Some(link_id), Some("customer_123")));
    assert_eq!(s["metadata"], json!({"orderId": "order_456"}));
    let created =
        time::OffsetDateTime::parse(s["createdAt"].as_str().unwrap(), &time::format_description::well_known::Rfc3339)
            .unwrap();
    let expires =
        time::OffsetDateTime::parse(s["expiresAt"].as_str().unwrap(), &time::format_description::well_known::Rfc3339)
            .unwrap();
    assert_eq!((expires - created).whole_hours(), 24);
    assert_eq!(t.read(&acme, &format!("/v1/checkout-sessions/{id}")).await, s);
    assert_eq!(t.read(&acme, "/v1/checkout-sessions?status=open").await["data"][0]["id"], id);
    assert_eq!(t.read(&acme, "/v1/checkout-sessions?status=completed").await["data"], json!([]));
    t.shutdown().await;
}

#[tokio::test]
async fn an_external_customer_id_of_up_to_255_characters_is_kept_as_given() {
    // GIVEN a payment link
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let pl = link(&t, &acme, "Gold").await;
    for external in ["", " ", &"x".repeat(255)] {
        // WHEN a session is created with that externalCustomerId
        let (status, created) =
            post(&t, &acme, "/v1/checkout-sessions", json!({"paymentLinkId": pl, "externalCustomerId": external}))
                .await;
        // THEN it is created, and the id comes back exactly as sent
        assert_eq!(status, 201, "{external:?}: {created}");
        assert_eq!(created["externalCustomerId"], external);
        let id = created["id"].as_str().unwrap();
        assert_eq!(t.read(&acme, &format!("/v1/checkout-sessions/{id}")).await["externalCustomerId"], external);
    }
    t.shutdown().await;
}

#[tokio::test]
async fn every_parameter_rule_answers_its_exact_error() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let other = t.account("Other", true).await;
    let pl = link(&t, &acme, "Gold").await;
    let foreign = link(&t, &other, "Theirs").await;
    let inactive = link(&t, &acme, "Old").await;
    let r = t
        .http
        .patch(t.url(&format!("/v1/payment-links/{inactive}")))
        .bearer_auth(&acme.api_key)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let fifty: serde_json::Map<String, Value> = (0..50).map(|i| (format!("k{i}"), json!("v"))).collect();
    let mut fifty_one = fifty.clone();
    fifty_one.insert("k50".into(), json!("v"));
    let long_key = "k".repeat(41);
    let cases: Vec<(Value, u16, &str, Option<String>)> = vec![
        (json!({}), 400, "parameter_missing", Some("paymentLinkId".into())),
        (json!({"paymentLinkId": 5}), 400, "parameter_invalid", Some("paymentLinkId".into())),
        (json!({"paymentLinkId": "pl_nope"}), 404, "resource_missing", Some("paymentLinkId".into())),
        (json!({"paymentLinkId": foreign}), 404, "resource_missing", Some("paymentLinkId".into())),
        (json!({"paymentLinkId": inactive}), 400, "payment_link_inactive", Some("paymentLinkId".into())),
        (
            json!({"paymentLinkId": pl, "externalCustomerId": "x".repeat(256)}),
            400,
            "parameter_invalid",
            Some("externalCustomerId".into()),
        ),
        (json!({"paymentLinkId": pl, "metadata": fifty_one}), 400, "parameter_invalid", Some("metadata".into())),
        (
            json!({"paymentLinkId": pl, "metadata": {long_key.clone(): "v"}}),
            400,
            "parameter_invalid",
            Some(format!("metadata.{long_key}")),
        ),
        (
            json!({"paymentLinkId": pl, "metadata": {"orderId": "v".repeat(501)}}),
            400,
            "parameter_invalid",
            Some("metadata.orderId".into()),
        ),
        (
            json!({"paymentLinkId": pl, "metadata": {"orderId": 5}}),
            400,
            "parameter_invalid",
            Some("metadata.orderId".into()),
        ),
        (json!({"paymentLinkId": pl, "colour": "red"}), 400, "parameter_unknown", Some("colour".into())),
    ];
    for (body, status, code, param) in cases {
        let (got, error) = post(&t, &acme, "/v1/checkout-sessions", body.clone()).await;
        assert_eq!((got, error["error"]["code"].as_str()), (status, Some(code)), "{body}");
        assert_eq!(error["error"]["param"].as_str(), param.as_deref(), "{body}");
    }
    let (status, ok) = post(&t, &acme, "/v1/checkout-sessions", json!({"paymentLinkId": pl, "metadata": fifty})).await;
    assert_eq!(status, 201, "{ok}");
    assert_eq!(
        t.read(&acme, "/v1/checkout-sessions").await["data"].as_array().unwrap().len(),
        1,
        "nothing stored for bad input"
    );
    t.shutdown().await;
}

fn ids(page: &Value) -> Vec<String> {
    page["data"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn links_and_sessions_made_within_one_second_list_newest_first() {
    // Given five payment links, then five sessions, each made right after the one before: well
    // within one second, where only the random part of a whole-second id decided the order.
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let mut links = Vec::new();
    for name in ["One", "Two", "Three", "Four", "Five"] {
        links.push(link(&t, &acme, name).await);
    }
    let mut sessions = Vec::new();
    for _ in 0..5 {
        sessions.push(session(&t, &acme, &links[0]).await["id"].as_str().unwrap().to_owned());
    }
    // When they are listed, then they come in exactly the reverse of the order they were made.
    links.reverse();
    sessions.reverse();
    assert_eq!(ids(&t.read(&acme, "/v1/payment-links").await), links);
    assert_eq!(ids(&t.read(&acme, "/v1/checkout-sessions").await), sessions);
    // And a page that starts after one of them goes on in that order.
    let rest = t.read(&acme, &format!("/v1/payment-links?startingAfter={}&limit=2", links[1])).await;
    assert_eq!(ids(&rest), links[2..4].to_vec());
    t.shutdown().await;
}

#[tokio::test]
async fn an_unknown_id_in_a_body_answers_404_naming_the_parameter() {
    // GIVEN an account with a completed session (so it has an event), and another account's link
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let other = t.account("Other", true).await;
    let foreign = link(&t, &other, "Theirs").await;
    let id = session(&t, &acme, &link(&t, &acme, "Gold").await).await["id"].as_str().unwrap().to_owned();
    post(&t, &acme, &format!("/v1/test-helpers/checkout-sessions/{id}/complete"), json!({})).await;
    let event = t.read(&acme, "/v1/events?type=checkout.session.completed").await["data"][0]["id"].clone();
    let redeliver = format!("/v1/events/{}/redeliver", event.as_str().unwrap());

    // WHEN bodies name ids that this account does not have
    let cases = [
        ("/v1/payment-links", json!({"name": "Gold", "itemId": "00000000-0000-0000-0000-000000000000"}), "itemId"),
        ("/v1/checkout-sessions", json!({"paymentLinkId": foreign}), "paymentLinkId"),
        (redeliver.as_str(), json!({"endpointId": "we_nope"}), "endpointId"),
    ];
    for (path, body, param) in cases {
        let (status, error) = post(&t, &acme, path, body).await;
        // THEN each answers 404, and the error names the parameter
        assert_eq!((status, error["error"]["code"].as_str()), (404, Some("resource_missing")), "{path}: {error}");
        assert_eq!(error["error"]["param"], param, "{path}");
    }
    // AND an unknown id in the path names no parameter
    let (status, error) = post(&t, &acme, "/v1/events/evt_nope/redeliver", json!({})).await;
    assert_eq!(status, 404);
    assert!(error["error"].get("param").is_none(), "{error}");
    t.shutdown().await;
}

#[tokio::test]
async fn each_transition_publishes_once_and_a_finished_session_never_changes() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let pl = link(&t, &acme, "Gold").await;
    for (action, status) in [("complete", "completed"), ("fail", "failed"), ("expire", "expired")] {
        let id = session(&t, &acme, &pl).await["id"].as_str().unwrap().to_owned();
        let path = format!("/v1/test-helpers/checkout-sessions/{id}/{action}");
        // Ten concurrent calls: one wins, the rest find it finished.
        let answers = futures::future::join_all((0..10).map(|_| post(&t, &acme, &path, json!({})))).await;
        let wins: Vec<&Value> = answers.iter().filter(|(s, _)| *s == 200).map(|(_, b)| b).collect();
        assert_eq!(wins.len(), 1, "{answers:?}");
        assert_eq!(wins[0]["status"], status);
        assert!(wins[0][format!("{status}At")].is_string());
        assert!(answers
            .iter()
            .filter(|(s, _)| *s != 200)
            .all(|(s, b)| *s == 400 && b["error"]["code"] == "session_not_open"));
        let events = t.payloads_of(&acme, &format!("checkout.session.{status}")).await;
        assert_eq!(events.iter().filter(|e| e["data"]["id"] == id).count(), 1);
        let (code, _) = post(&t, &acme, &format!("/v1/test-helpers/checkout-sessions/{id}/complete"), json!({})).await;
        assert_eq!(code, 400);
        assert_eq!(t.read(&acme, &format!("/v1/checkout-sessions/{id}")).await["status"], status);
    }
    t.shutdown().await;
}

#[tokio::test]
async fn sessions_are_private_to_their_account_and_helpers_to_test_keys() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let live = t.account("Live", false).await;
    let other = t.account("Other", true).await;
    let id = session(&t, &acme, &link(&t, &acme, "Gold").await).await["id"].as_str().unwrap().to_owned();
    assert_eq!(t.get(&format!("/v1/checkout-sessions/{id}"), &other.api_key).send().await.unwrap().status(), 404);
    assert_eq!(post(&t, &other, &format!("/v1/test-helpers/checkout-sessions/{id}/complete"), json!({})).await.0, 404);
    let live_session = session(&t, &live, &link(&t, &live, "Live").await).await;
    let path = format!("/v1/test-helpers/checkout-sessions/{}/complete", live_session["id"].as_str().unwrap());
    let (status, error) = post(&t, &live, &path, json!({})).await;
    assert_eq!((status, error["error"]["type"].as_str()), (403, Some("permission_error")));
    t.shutdown().await;
}

#[tokio::test]
async fn the_scheduler_expires_sessions_after_a_day() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let id = session(&t, &acme, &link(&t, &acme, "Gold").await).await["id"].as_str().unwrap().to_owned();
    let mut config = t.app().config.clone();
    assert_eq!(schedule::run(t.app()).await.unwrap().expired_sessions, 0);
    config.clock_offset_seconds = 86_400 + 1;
    let tomorrow = App::with_clients(config.clone(), AwsClients::new(&config.aws).await).await.unwrap();
    assert_eq!(schedule::run(&tomorrow).await.unwrap().expired_sessions, 1);
    assert_eq!(t.read(&acme, &format!("/v1/checkout-sessions/{id}")).await["status"], "expired");
    assert_eq!(t.payloads_of(&acme, "checkout.session.expired").await.len(), 1);
    assert_eq!(schedule::run(&tomorrow).await.unwrap().expired_sessions, 0);
    t.shutdown().await;
}

#[tokio::test]
async fn the_hosted_page_shows_the_payment_and_escapes_what_merchants_wrote() {
    let t = TestStack::start().await;
    let acme = t.account("<script>alert(1)</script> Shop", true).await;
    let pl = link(&t, &acme, "<b>Gold</b>").await;
    let id = session(&t, &acme, &pl).await["id"].as_str().unwrap().to_owned();
    let response = t.http.get(t.url(&format!("/checkout/{id}"))).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; Shop") && !html.contains("<script>"));
    assert!(html.contains("&lt;b&gt;Gold&lt;/b&gt;"));
    assert!(html.contains(r#"<span id="amount">10.00</span> <span id="token">USDC</span>"#));
    assert!(html.contains(r#"data-status="open""#));
    post(&t, &acme, &format!("/v1/test-helpers/checkout-sessions/{id}/complete"), json!({})).await;
    let done = t.http.get(t.url(&format!("/checkout/{id}"))).send().await.unwrap();
    assert_eq!(done.status(), 200);
    let html = done.text().await.unwrap();
    assert!(html.contains(r#"data-status="paid""#) && !html.contains("id=\"treasury\""));
    let missing = t.http.get(t.url("/checkout/cs_doesnotexist")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Checkout not found"));
    t.shutdown().await;
}

/// The hosted page as the checkout function renders it, and the DynamoDB requests that took.
async fn page_counted(t: &TestStack, session_id: &str) -> (String, usize) {
    let config = t.app().config.clone();
    let (clients, counts) = AwsClients::counted(&config.aws).await;
    let app = App::with_clients(config, clients).await.unwrap();
    counts.dynamodb.reset();
    let request = http::Request::get(format!("/checkout/{session_id}")).body(bytes::Bytes::new()).unwrap();
    let response = loop_edge::api::handle_checkout(&app, request).await;
    assert_eq!(response.status(), 200);
    (String::from_utf8(response.body().to_vec()).unwrap(), counts.dynamodb.get())
}

#[tokio::test]
async fn the_hosted_page_names_the_catalogue_item_a_link_sells() {
    // GIVEN a catalogue item from Stripe, and a payment link for it with a name of its own
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let product = |name: &str| object("product", json!({"id": "prod_gold", "name": name}));
    t.send_stripe(&acme, &event("evt_p", "product.created", now(), product("Gold plan"))).await;
    let price = object(
        "price",
        json!({"id": "price_gold", "product": "prod_gold", "unit_amount": 2000, "unit_amount_decimal": "2000", "currency": "usd"}),
    );
    t.send_stripe(&acme, &event("evt_pr", "price.created", now(), price)).await;
    let item = t.read(&acme, "/v1/items").await["data"][0]["itemId"].clone();
    let (status, sold) = post(&t, &acme, "/v1/payment-links", json!({"name": "Spring promo", "itemId": item})).await;
    assert_eq!(status, 201, "{sold}");
    let id = session(&t, &acme, sold["id"].as_str().unwrap()).await["id"].as_str().unwrap().to_owned();

    // WHEN the customer opens the checkout page
    let (html, requests) = page_counted(&t, &id).await;

    // THEN it shows the catalogue item, in a handful of reads
    assert!(html.contains(r#"<h1 id="item">Gold plan</h1>"#), "{html}");
    assert!(requests <= 4, "DynamoDB requests: {requests}");

    // AND once Stripe renames the product, the page shows the new name
    t.send_stripe(&acme, &event("evt_p2", "product.updated", now() + 1, product("Gold plan 2"))).await;
    assert!(page_counted(&t, &id).await.0.contains(r#"<h1 id="item">Gold plan 2</h1>"#));

    // AND a link with its own amount still shows the link's name, in fewer reads
    let plain = session(&t, &acme, &link(&t, &acme, "Donation").await).await["id"].as_str().unwrap().to_owned();
    let (html, requests) = page_counted(&t, &plain).await;
    assert!(html.contains(r#"<h1 id="item">Donation</h1>"#), "{html}");
    assert!(requests <= 2, "DynamoDB requests: {requests}");
    t.shutdown().await;
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_response_and_refuses_another_body() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let other = t.account("Other", true).await;
    let pl = link(&t, &acme, "Gold").await;
    let send = |key: &'static str, account: &TestAccount, body: Value| {
        t.http
            .post(t.url("/v1/checkout-sessions"))
            .bearer_auth(&account.api_key)
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    let first = send("order-1", &acme, json!({"paymentLinkId": pl})).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send("order-1", &acme, json!({"paymentLinkId": pl})).await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(
        t.read(&acme, "/v1/checkout-sessions").await["data"].as_array().unwrap().len(),
        1,
        "nothing new created"
    );

    let different = send("order-1", &acme, json!({"paymentLinkId": pl, "metadata": {"a": "b"}})).await.unwrap();
    assert_eq!(different.status(), 409);
    assert_eq!(different.json::<Value>().await.unwrap()["error"]["type"], "idempotency_error");

    // Keys belong to their account; errors replay too.
    assert_eq!(send("order-1", &other, json!({"paymentLinkId": pl})).await.unwrap().status(), 404);
    assert_eq!(send("order-1", &other, json!({"paymentLinkId": pl})).await.unwrap().status(), 404);
    t.shutdown().await;
}
