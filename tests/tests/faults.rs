//! Fault injection on the whole stack: the runner talks to the emulator through a proxy that a
//! test cuts and restores. During an outage Stripe gets 5xx (never a 2xx for work not stored)
//! and the API 503; after it, Stripe's retries complete everything once, and dispatch has lost
//! no delivery, including from a batch that died half-way.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use loop_adapters::aws::AwsClients;
use loop_adapters::App;
use loop_capabilities::dispatch::{self, QueueMessage};
use loop_local::workers;
use loop_tests::proxy::FaultProxy;
use loop_tests::receiver::{Received, Receiver};
use loop_tests::stripe::{event, ingest_directly, now, object, signature};
use loop_tests::{emulator_endpoint, TestAccount, TestStack};
use serde_json::{json, Value};

/// A stack whose every AWS request goes through `proxy`; unhandled messages return in 2 s.
async fn stack_behind(proxy: &FaultProxy) -> TestStack {
    TestStack::start_with(&[
        ("AWS_ENDPOINT_URL", &proxy.url),
        ("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1"),
        ("LOOP_LOCAL_VISIBILITY_SECONDS", "2"),
    ])
    .await
}

fn customer_created(i: usize) -> Value {
    let email = format!("fault{i}@example.com");
    event(&format!("evt_fault_{i}"), "customer.created", now(), object("customer", json!({"email": email})))
}

/// Stripe's delivery of `event`, through the stack's HTTP route.
async fn stripe_posts(t: &TestStack, account: &TestAccount, event: &Value) -> u16 {
    let body = serde_json::to_vec(event).unwrap();
    let header = signature(&account.signing_secret, now(), &body);
    t.post_stripe_raw(&account.id, body, Some(header)).await.status().as_u16()
}

/// Every published event id of the account.
async fn event_ids(t: &TestStack, account: &TestAccount) -> Vec<String> {
    let events = t.read(account, "/v1/events?limit=100").await;
    events["data"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect()
}

/// Waits until every id has a successful delivery at the receiver.
async fn all_delivered(receiver: &Receiver, ids: &[String], within: Duration) -> Vec<Received> {
    let received = receiver
        .wait_for(within, |r| ids.iter().all(|id| r.iter().any(|d| d.status == 200 && d.header("webhook-id") == id)))
        .await;
    for id in ids {
        assert!(
            received.iter().any(|d| d.status == 200 && d.header("webhook-id") == id),
            "{id} was never delivered ({} requests received)",
            received.len()
        );
    }
    received
}

#[tokio::test]
async fn during_an_outage_stripe_gets_5xx_and_the_api_503_and_retries_then_complete_everything_once() {
    let proxy = FaultProxy::start(&emulator_endpoint()).await;
    let t = stack_behind(&proxy).await;
    let acme = t.account("Acme", true).await;
    let receiver = Receiver::start(0).await;
    t.create_endpoint(&acme, &receiver.url, &["*"]).await;

    // WHEN the emulator becomes unreachable
    proxy.cut_after(0);
    let events: Vec<Value> = (0..5).map(customer_created).collect();
    for event in &events {
        let status = stripe_posts(&t, &acme, event).await;
        assert!((500..600).contains(&status), "Stripe must retry, got {status}");
    }
    // THEN the API answers 503, safe to retry, whatever the route
    let api_calls = [
        t.get("/v1/account", &acme.api_key).send().await.unwrap(),
        t.get("/v1/contacts", &acme.api_key).send().await.unwrap(),
        t.http
            .post(t.url("/v1/payment-links"))
            .bearer_auth(&acme.api_key)
            .json(&json!({"name": "Gold", "amount": "10.00", "currency": "USDC"}))
            .send()
            .await
            .unwrap(),
    ];
    for response in api_calls {
        assert_eq!(response.status(), 503);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["type"], "api_error", "{body}");
    }

    // WHEN it comes back and Stripe retries every event, twice
    proxy.restore();
    for event in events.iter().chain(&events) {
        assert_eq!(stripe_posts(&t, &acme, event).await, 200);
    }
    // THEN each event's work is done exactly once, and every published event is delivered
    for i in 0..5 {
        let email = format!("fault{i}@example.com");
        let contacts = t.read(&acme, &format!("/v1/contacts?email={email}")).await;
        assert_eq!(contacts["data"].as_array().unwrap().len(), 1, "{email}");
        let triggers = t.read(&acme, &format!("/v1/contact-events?email={email}")).await;
        assert_eq!(triggers["data"].as_array().unwrap().len(), 1, "{email}");
    }
    assert!(t.read(&acme, "/v1/payment-links").await["data"].as_array().unwrap().is_empty(), "nothing half-stored");
    let ids = event_ids(&t, &acme).await;
    assert_eq!(ids.len(), 10, "one contact.created and one event.triggered per customer");
    let received = all_delivered(&receiver, &ids, Duration::from_secs(60)).await;
    for id in &ids {
        let successes = received.iter().filter(|d| d.status == 200 && d.header("webhook-id") == id).count();
        assert_eq!(successes, 1, "{id}");
    }
    t.shutdown().await;
}

#[tokio::test]
async fn dispatch_loses_no_delivery_when_its_dependencies_fail_mid_batch() {
    let proxy = FaultProxy::start(&emulator_endpoint()).await;
    let t = stack_behind(&proxy).await;
    let acme = t.account("Acme", true).await;
    let receiver = Receiver::start(0).await;
    t.create_endpoint(&acme, &receiver.url, &["*"]).await;
    // Stripe's side talks to the emulator directly, so events keep being published while the
    // stack's dispatch is cut off.
    let mut config = t.app().config.clone();
    config.aws.endpoint_url = Some(emulator_endpoint());
    let publisher = App::with_clients(config.clone(), AwsClients::new(&config.aws).await).await.unwrap();

    // Cut dispatch off at several points of its work (the receive, the reads, the records,
    // the deletes), a batch of events at a time.
    for (round, allowance) in [0, 1, 3, 6, 9].into_iter().enumerate() {
        proxy.cut_after(allowance);
        for i in 0..4 {
            let (status, body) = ingest_directly(&publisher, &acme, &customer_created(round * 10 + i)).await;
            assert_eq!(status, 200, "{body}");
        }
        // Let the stack use up its allowance, then bring the emulator back.
        let deadline = Instant::now() + Duration::from_secs(20);
        while proxy.remaining() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        proxy.restore();
    }
    let ids = event_ids(&t, &acme).await;
    assert_eq!(ids.len(), 40);
    all_delivered(&receiver, &ids, Duration::from_secs(90)).await;
    // And the API agrees: every delivery succeeded.
    for id in &ids {
        let detail = t.read(&acme, &format!("/v1/events/{id}")).await;
        assert_eq!(detail["endpoints"][0]["status"], "succeeded", "{detail}");
    }
    t.shutdown().await;
}

#[tokio::test]
async fn a_dispatch_invocation_that_dies_mid_batch_loses_nothing() {
    let t = TestStack::start_with(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1")]).await;
    let acme = t.account("Acme", true).await;
    let receiver = Receiver::start(0).await;
    t.create_endpoint(&acme, &receiver.url, &["*"]).await;
    // A delivery queue of its own, which no poller reads: this test plays the event source.
    let config = t.config_with_own_queue("own").await;
    let clients = AwsClients::new(&config.aws).await;
    let app = std::sync::Arc::new(App::with_clients(config, clients.clone()).await.unwrap());
    for i in 0..5 {
        assert_eq!(ingest_directly(&app, &acme, &customer_created(i)).await.0, 200);
    }
    let ids = event_ids(&t, &acme).await;
    assert_eq!(ids.len(), 10);

    // WHEN an invocation receives a batch and dies after its first delivery
    let received = clients
        .sqs
        .receive_message()
        .queue_url(app.queue.url())
        .max_number_of_messages(10)
        .visibility_timeout(2)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert!(!received.is_empty());
    let batch: Vec<QueueMessage> = received
        .iter()
        .map(|m| QueueMessage {
            message_id: m.message_id.clone().unwrap(),
            body: m.body.clone().unwrap(),
            sent_at_millis: None,
        })
        .collect();
    let dying = tokio::spawn({
        let app = app.clone();
        async move { dispatch::handle_batch(&app, batch).await }
    });
    receiver.wait_for(Duration::from_secs(10), |r| !r.is_empty()).await;
    dying.abort();
    let _ = dying.await;

    // THEN nothing was deleted for it: the next invocations deliver every event
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let poller =
        tokio::spawn(workers::poll_deliveries(app.clone(), clients.sqs.clone(), Some(Duration::from_secs(2)), stopped));
    let deliveries = all_delivered(&receiver, &ids, Duration::from_secs(60)).await;
    let delivered: HashSet<&str> =
        deliveries.iter().filter(|d| d.status == 200).map(|d| d.header("webhook-id")).collect();
    assert_eq!(delivered.len(), 10);
    let _ = stop.send(true);
    let _ = poller.await;
    t.shutdown().await;
}

#[tokio::test]
async fn poison_messages_reach_the_dead_letter_queue_after_three_receives() {
    let t = TestStack::start_with(&[("LOOP_LOCAL_VISIBILITY_SECONDS", "1")]).await;
    let app = t.app();
    let sqs = AwsClients::new(&app.config.aws).await.sqs;
    let poison = [
        "not json at all".to_owned(),
        json!({"v": 1, "accountId": "acct_doesnotexist000000000", "eventId": "ev_none", "endpointId": "we_none", "attempt": 1})
            .to_string(),
    ];
    for body in &poison {
        sqs.send_message().queue_url(app.queue.url()).message_body(body).send().await.unwrap();
    }
    let dead_letters = app.queue.dead_letter_url().expect("the dead-letter queue exists").to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut bodies = Vec::new();
    while bodies.len() < poison.len() && Instant::now() < deadline {
        let output = sqs
            .receive_message()
            .queue_url(&dead_letters)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .unwrap();
        bodies.extend(output.messages.unwrap_or_default().into_iter().filter_map(|m| m.body));
    }
    bodies.sort();
    let mut expected = poison.to_vec();
    expected.sort();
    assert_eq!(bodies, expected, "both poison messages were dead-lettered");
    t.shutdown().await;
}
