//! Outbound delivery end to end: a signed Stripe event in, signed webhooks out to a real HTTP
//! receiver on loopback, verified by the official Standard Webhooks library and by an
//! independent HMAC; retries on Loop's cadence; redelivery with the same event id.

use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use loop_tests::receiver::{verify_with_standard_webhooks, Receiver};
use loop_tests::stripe::{event, now, object};
use loop_tests::{TestAccount, TestStack};
use serde_json::{json, Value};
use sha2::Sha256;

async fn stack() -> TestStack {
    TestStack::start_with(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1")]).await
}

async fn new_customer(t: &TestStack, account: &TestAccount, id: &str, email: &str) {
    let created = event(id, "customer.created", now(), object("customer", json!({"email": email})));
    assert_eq!(t.send_stripe(account, &created).await.1["status"], "processed");
}

/// The pointer of the first attempt to deliver the account's latest `contact.created` to
/// `endpoint`, as publishing would have queued it (for an endpoint added after the event).
async fn first_attempt(
    t: &TestStack,
    account: &TestAccount,
    endpoint: &Value,
) -> loop_capabilities::dispatch::DeliveryPointer {
    let latest = t.read(account, "/v1/events?type=contact.created").await;
    loop_capabilities::dispatch::DeliveryPointer {
        v: 1,
        account_id: account.id.clone(),
        event_id: latest["data"][0]["id"].as_str().unwrap().to_owned(),
        endpoint_id: endpoint["id"].as_str().unwrap().to_owned(),
        attempt: 1,
    }
}

fn hmac_of(key: &[u8], body: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

#[tokio::test]
async fn every_delivery_verifies_with_the_official_library_and_an_independent_hmac() {
    // GIVEN an endpoint for every event, on a receiver on loopback
    let t = stack().await;
    let acme = t.account("Acme", true).await;
    let receiver = Receiver::start(0).await;
    let endpoint = t.create_endpoint(&acme, &receiver.url, &["*"]).await;
    let secret = endpoint["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    // WHEN two customers arrive from Stripe
    new_customer(&t, &acme, "evt_a", "a@example.com").await;
    new_customer(&t, &acme, "evt_b", "b@example.com").await;
    // THEN four events arrive, each signed three ways
    let received = receiver.wait_for(Duration::from_secs(30), |r| r.len() >= 4).await;
    assert_eq!(received.len(), 4);
    assert_eq!(verify_with_standard_webhooks(&secret, &received), 4);
    for delivery in &received {
        let expected = hmac_of(secret.as_bytes(), &delivery.body);
        assert_eq!(delivery.header("loops-signature"), hex::encode(&expected));
        assert_eq!(delivery.header("loop-signature"), base64::engine::general_purpose::STANDARD.encode(&expected));
        let body: Value = serde_json::from_slice(&delivery.body).unwrap();
        assert_eq!(body["id"], delivery.header("webhook-id"));
        assert_eq!(delivery.header("content-type"), "application/json");
    }
    // AND the event log shows each delivery succeeded on its first attempt
    let events = t.read(&acme, "/v1/events").await["data"].as_array().unwrap().clone();
    let detail = t.read(&acme, &format!("/v1/events/{}", events[0]["id"].as_str().unwrap())).await;
    let delivery = &detail["endpoints"][0];
    assert_eq!(
        (delivery["endpointId"].as_str(), delivery["status"].as_str()),
        (endpoint["id"].as_str(), Some("succeeded"))
    );
    let attempt = &delivery["attempts"][0];
    assert_eq!((attempt["attempt"].as_u64(), attempt["responseStatus"].as_u64()), (Some(1), Some(200)));
    assert_eq!(attempt["responseBody"], "ok");
    t.shutdown().await;
}

#[tokio::test]
async fn a_receiver_failing_six_times_gets_the_event_on_the_cadence() {
    let t = stack().await;
    let acme = t.account("Acme", true).await;
    let receiver = Receiver::start(6).await;
    t.create_endpoint(&acme, &receiver.url, &["contact.created"]).await;
    new_customer(&t, &acme, "evt_retry", "retry@example.com").await;
    let received = receiver.wait_for(Duration::from_secs(60), |r| r.iter().any(|d| d.status == 200)).await;
    assert_eq!(received.len(), 7, "six failures, then the success");
    let id = received[0].header("webhook-id").to_owned();
    assert!(received.iter().all(|d| d.header("webhook-id") == id), "the same event id on every attempt");
    // Attempts 2–4 are immediate; 5 onward wait a second each (generous bounds).
    let gaps: Vec<Duration> = received.windows(2).map(|w| w[1].at - w[0].at).collect();
    for (i, gap) in gaps.iter().enumerate() {
        let attempt = i + 2;
        if attempt <= 4 {
            assert!(*gap < Duration::from_millis(900), "attempt {attempt} waited {gap:?}");
        } else {
            assert!(
                *gap >= Duration::from_millis(900) && *gap < Duration::from_secs(10),
                "attempt {attempt} waited {gap:?}"
            );
        }
    }
    // The log has all seven attempts, the last one the success.
    let detail = t.read(&acme, &format!("/v1/events/{id}")).await;
    let attempts = detail["endpoints"][0]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 7);
    assert_eq!(attempts[0]["responseStatus"], 500);
    assert_eq!(attempts[0]["error"], "HTTP 500");
    assert_eq!(attempts[6]["responseStatus"], 200);
    assert_eq!(detail["endpoints"][0]["status"], "succeeded");
    t.shutdown().await;
}

#[tokio::test]
async fn redelivery_sends_the_same_event_id_again() {
    let t = stack().await;
    let acme = t.account("Acme", true).await;
    let receiver = Receiver::start(0).await;
    t.create_endpoint(&acme, &receiver.url, &["contact.created"]).await;
    new_customer(&t, &acme, "evt_again", "again@example.com").await;
    let first = receiver.wait_for(Duration::from_secs(30), |r| !r.is_empty()).await;
    let id = first[0].header("webhook-id").to_owned();
    let response =
        t.http.post(t.url(&format!("/v1/events/{id}/redeliver"))).bearer_auth(&acme.api_key).send().await.unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(response.json::<Value>().await.unwrap(), json!({"id": id, "endpoints": 1}));
    let both = receiver.wait_for(Duration::from_secs(30), |r| r.len() >= 2).await;
    assert_eq!(both.len(), 2);
    assert_eq!(both[1].header("webhook-id"), id);
    assert_eq!(both[1].body, first[0].body);
    let missing = t.http.post(t.url("/v1/events/evt_nope/redeliver")).bearer_auth(&acme.api_key).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    t.shutdown().await;
}

#[tokio::test]
async fn after_a_rotation_both_secrets_sign() {
    let t = stack().await;
    let acme = t.account("Acme", true).await;
    let receiver = Receiver::start(0).await;
    let endpoint = t.create_endpoint(&acme, &receiver.url, &["*"]).await;
    let old = endpoint["secret"].as_str().unwrap().to_owned();
    let path = format!("/v1/webhook-endpoints/{}/rotate-secret", endpoint["id"].as_str().unwrap());
    let (_, rotated) = t.post_json(&acme, &path, &json!({})).await;
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    new_customer(&t, &acme, "evt_rot", "rot@example.com").await;
    let received = receiver.wait_for(Duration::from_secs(30), |r| r.len() >= 2).await;
    assert_eq!(received[0].header("webhook-signature").split(' ').count(), 2);
    // Receivers holding either secret verify; the body-only headers use the new one.
    assert_eq!(verify_with_standard_webhooks(&old, &received), received.len());
    assert_eq!(verify_with_standard_webhooks(&new, &received), received.len());
    assert_eq!(received[0].header("loops-signature"), hex::encode(hmac_of(new.as_bytes(), &received[0].body)));
    t.shutdown().await;
}

#[tokio::test]
async fn an_endpoint_failing_everything_waits_behind_one_probe_then_gets_every_event_once() {
    // GIVEN a receiver that is down
    let t = stack().await;
    let acme = t.account("Acme", true).await;
    let receiver = Receiver::start(0).await;
    receiver.set_down(true);
    t.create_endpoint(&acme, &receiver.url, &["contact.created"]).await;
    // WHEN 20 events are published during a 30-second outage
    for i in 0..20 {
        new_customer(&t, &acme, &format!("evt_outage{i}"), &format!("outage{i}@example.com")).await;
    }
    tokio::time::sleep(Duration::from_secs(30)).await; // the outage itself, not a wait for Loop
                                                       // THEN the endpoint got far fewer requests than 20 independent cadences would have made:
                                                       // each makes its first 19 attempts within about 21 s, 380 in all by now
    let during_outage = receiver.received().len();
    eprintln!("{during_outage} requests to the dead endpoint for 20 events in 30 s");
    assert!(during_outage < 100, "{during_outage} requests during the outage");
    assert!(during_outage >= 5, "the circuit opens after five failures in a row");
    // AND once the endpoint is back, every event is delivered successfully, each once
    receiver.set_down(false);
    let ids: Vec<String> = t.read(&acme, "/v1/events?type=contact.created&limit=100").await["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 20);
    let received = receiver
        .wait_for(Duration::from_secs(90), |r| {
            ids.iter().all(|id| r.iter().any(|d| d.status == 200 && d.header("webhook-id") == id))
        })
        .await;
    for id in &ids {
        let successes = received.iter().filter(|d| d.status == 200 && d.header("webhook-id") == id).count();
        assert_eq!(successes, 1, "{id}");
    }
    // AND the event log agrees: every delivery succeeded
    for id in &ids {
        let detail = t.read(&acme, &format!("/v1/events/{id}")).await;
        assert_eq!(detail["endpoints"][0]["status"], "succeeded", "{detail}");
    }
    t.shutdown().await;
}

#[tokio::test]
async fn an_endpoint_failing_for_the_whole_retry_window_is_disabled() {
    // GIVEN a one-hour retry window and a receiver that always fails
    let t = TestStack::start_with(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1"), ("LOOP_RETRY_WINDOW_HOURS", "1")]).await;
    let acme = t.account("Acme", true).await;
    let receiver = Receiver::start(0).await;
    receiver.set_down(true);
    let endpoint = t.create_endpoint(&acme, &receiver.url, &["contact.created"]).await;
    new_customer(&t, &acme, "evt_doomed", "doomed@example.com").await;
    receiver.wait_for(Duration::from_secs(30), |r| !r.is_empty()).await;
    let event_id = t.read(&acme, "/v1/events?type=contact.created").await["data"][0]["id"].as_str().unwrap().to_owned();
    // WHEN, five seconds before the window ends, an attempt fails and the next would fall outside it
    let mut config = t.app().config.clone();
    config.clock_offset_seconds = 3600 - 5;
    let later =
        loop_adapters::App::with_clients(config.clone(), loop_adapters::aws::AwsClients::new(&config.aws).await)
            .await
            .unwrap();
    let pointer = loop_capabilities::dispatch::DeliveryPointer {
        v: 1,
        account_id: acme.id.clone(),
        event_id: event_id.clone(),
        endpoint_id: endpoint["id"].as_str().unwrap().to_owned(),
        attempt: 1000,
    };
    loop_capabilities::dispatch::deliver(&later, &pointer).await.unwrap();
    // THEN the delivery has failed for good and the endpoint is disabled, with the reason
    let detail = t.read(&acme, &format!("/v1/events/{event_id}")).await;
    assert_eq!(
        (detail["endpoints"][0]["status"].as_str(), detail["endpoints"][0]["reason"].as_str()),
        (Some("failed"), Some("retry window ended"))
    );
    let shown = t.read(&acme, &format!("/v1/webhook-endpoints/{}", pointer.endpoint_id)).await;
    assert_eq!(shown["status"], "disabled");
    assert!(shown["disabledReason"]
        .as_str()
        .unwrap()
        .starts_with("every delivery failed for the whole 1-hour retry window"));
    t.shutdown().await;
}

#[tokio::test]
async fn a_retry_whose_queueing_failed_is_queued_when_the_message_comes_back() {
    // GIVEN an event, and an endpoint (added after it was published) on a receiver that fails once
    let t = stack().await;
    let acme = t.account("Acme", true).await;
    new_customer(&t, &acme, "evt_lost", "lost@example.com").await;
    let receiver = Receiver::start(1).await;
    let endpoint = t.create_endpoint(&acme, &receiver.url, &["*"]).await;
    let pointer = first_attempt(&t, &acme, &endpoint).await;
    // WHEN attempt 1 fails and the emulator goes away before attempt 2 is queued
    // (the read, the claim and the record pass: then the SQS send is cut)
    let proxy = loop_tests::proxy::FaultProxy::start(t.app().config.aws.endpoint_url.as_deref().unwrap()).await;
    let mut config = t.app().config.clone();
    config.aws.endpoint_url = Some(proxy.url.clone());
    let cut = loop_adapters::App::with_clients(config.clone(), loop_adapters::aws::AwsClients::new(&config.aws).await)
        .await
        .unwrap();
    proxy.cut_after(3);
    assert!(
        loop_capabilities::dispatch::deliver(&cut, &pointer).await.is_err(),
        "the handler reports the message back"
    );
    proxy.restore();
    // AND SQS hands the message back once its visibility timeout ends, minutes later
    let mut later = config.clone();
    later.clock_offset_seconds = 180;
    let later = loop_adapters::App::with_clients(later.clone(), loop_adapters::aws::AwsClients::new(&later.aws).await)
        .await
        .unwrap();
    loop_capabilities::dispatch::deliver(&later, &pointer).await.unwrap();
    // THEN attempt 2 is made and succeeds
    let received = receiver.wait_for(Duration::from_secs(30), |r| r.iter().any(|d| d.status == 200)).await;
    assert_eq!(received.iter().map(|d| d.status).collect::<Vec<_>>(), [500, 200]);
    t.shutdown().await;
}

#[tokio::test]
async fn a_duplicate_of_a_failed_attempt_does_not_start_a_second_chain_of_retries() {
    // GIVEN an event for an endpoint on a failing receiver, and a dispatch on a queue of its own
    let t = stack().await;
    let acme = t.account("Acme", true).await;
    new_customer(&t, &acme, "evt_dup", "dup@example.com").await;
    let receiver = Receiver::start(usize::MAX).await;
    let endpoint = t.create_endpoint(&acme, &receiver.url, &["*"]).await;
    let pointer = first_attempt(&t, &acme, &endpoint).await;
    let config = t.config_with_own_queue("dup").await;
    let clients = loop_adapters::aws::AwsClients::new(&config.aws).await;
    let app = loop_adapters::App::with_clients(config, clients.clone()).await.unwrap();

    // WHEN attempt 1 fails, and SQS then hands its message over a second time
    loop_capabilities::dispatch::deliver(&app, &pointer).await.unwrap();
    loop_capabilities::dispatch::deliver(&app, &pointer).await.unwrap();

    // THEN the receiver got one request, and one attempt 2 is on its way, not two
    assert_eq!(receiver.received().len(), 1);
    let mut queued = Vec::new();
    for _ in 0..3 {
        let received = clients.sqs.receive_message().queue_url(app.queue.url()).max_number_of_messages(10);
        let messages = received.wait_time_seconds(1).send().await.unwrap().messages.unwrap_or_default();
        queued.extend(messages.into_iter().filter_map(|m| m.body));
    }
    let attempts: Vec<u64> =
        queued.iter().map(|b| serde_json::from_str::<Value>(b).unwrap()["attempt"].as_u64().unwrap()).collect();
    assert_eq!(attempts, [2], "{queued:?}");
    t.shutdown().await;
}

#[tokio::test]
async fn an_endpoint_that_hangs_does_not_hold_up_other_deliveries() {
    // GIVEN an endpoint whose server accepts connections and never answers, busy with an event
    let t = stack().await;
    let acme = t.account("Acme", true).await;
    let hanging = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hanging_url = format!("http://{}/hooks", hanging.local_addr().unwrap());
    let (accepted_tx, mut accepted) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = hanging.accept().await {
            let _ = accepted_tx.send(stream); // held open, unanswered, by the channel
        }
    });
    t.create_endpoint(&acme, &hanging_url, &["contact.created"]).await;
    new_customer(&t, &acme, "evt_hang_1", "hang1@example.com").await;
    let _held = tokio::time::timeout(Duration::from_secs(10), accepted.recv()).await.expect("dispatch connects");

    // WHEN another endpoint subscribes and an event arrives while that attempt still waits
    let receiver = Receiver::start(0).await;
    t.create_endpoint(&acme, &receiver.url, &["contact.created"]).await;
    new_customer(&t, &acme, "evt_hang_2", "hang2@example.com").await;

    // THEN it is delivered well within the hanging attempt's 15 s timeout
    let received = receiver.wait_for(Duration::from_secs(10), |r| !r.is_empty()).await;
    assert_eq!(received.len(), 1);
    t.shutdown().await;
}

/// The attempt-2 pointers waiting in a queue no poller reads.
async fn queued_attempts(clients: &loop_adapters::aws::AwsClients, queue_url: &str) -> Vec<u64> {
    let mut attempts = Vec::new();
    for _ in 0..3 {
        let received = clients.sqs.receive_message().queue_url(queue_url).max_number_of_messages(10);
        let messages = received.wait_time_seconds(1).send().await.unwrap().messages.unwrap_or_default();
        for body in messages.into_iter().filter_map(|m| m.body) {
            attempts.push(serde_json::from_str::<Value>(&body).unwrap()["attempt"].as_u64().unwrap());
        }
    }
    attempts
}

#[tokio::test]
async fn two_copies_of_a_pointer_handled_at_the_same_moment_make_one_request() {
    // GIVEN an event for an endpoint on a receiver that fails once, and dispatch on its own queue
    let t = stack().await;
    let acme = t.account("Acme", true).await;
    new_customer(&t, &acme, "evt_twice", "twice@example.com").await;
    let receiver = Receiver::start(1).await;
    let endpoint = t.create_endpoint(&acme, &receiver.url, &["*"]).await;
    let pointer = first_attempt(&t, &acme, &endpoint).await;
    let config = t.config_with_own_queue("twice").await;
    let clients = loop_adapters::aws::AwsClients::new(&config.aws).await;
    let app = loop_adapters::App::with_clients(config, clients.clone()).await.unwrap();

    // WHEN SQS hands the same pointer over twice and both copies are handled at once
    let copy = |id: &str| loop_capabilities::dispatch::QueueMessage {
        sent_at_millis: None,
        message_id: id.to_owned(),
        body: serde_json::to_string(&pointer).unwrap(),
    };
    let (batch, single) = tokio::join!(
        loop_capabilities::dispatch::handle_batch(&app, vec![copy("m1"), copy("m2")]),
        loop_capabilities::dispatch::deliver(&app, &pointer),
    );

    // THEN every copy is handled, the receiver got one request, one attempt is recorded,
    // and one attempt 2 is on its way
    assert!(batch.is_empty(), "copies reported back: {batch:?}");
    single.unwrap();
    assert_eq!(receiver.received().len(), 1);
    let detail = t.read(&acme, &format!("/v1/events/{}", pointer.event_id)).await;
    let delivery = detail["endpoints"].as_array().unwrap().iter().find(|d| d["endpointId"] == endpoint["id"]).unwrap();
    assert_eq!(delivery["attempts"].as_array().unwrap().len(), 1, "{detail}");
    assert_eq!(queued_attempts(&clients, app.queue.url()).await, [2]);
    t.shutdown().await;
}

#[tokio::test]
async fn a_429_with_retry_after_delays_the_next_attempt_as_asked() {
    // GIVEN a receiver that answers its first request `429` with `Retry-After: 3`
    let t = stack().await;
    let acme = t.account("Acme", true).await;
    let receiver = Receiver::start(1).await;
    receiver.fail_with(429, Some("3"));
    t.create_endpoint(&acme, &receiver.url, &["contact.created"]).await;
    // WHEN an event is published (the cadence would retry it at once)
    new_customer(&t, &acme, "evt_later", "later@example.com").await;
    let received = receiver.wait_for(Duration::from_secs(30), |r| r.iter().any(|d| d.status == 200)).await;
    // THEN the second attempt came at least three seconds after the first, and succeeded
    assert_eq!(received.iter().map(|d| d.status).collect::<Vec<_>>(), [429, 200]);
    assert_eq!(received[0].header("webhook-id"), received[1].header("webhook-id"));
    assert!(received[1].at - received[0].at >= Duration::from_secs(3), "{:?}", received[1].at - received[0].at);
    // AND the event log shows it: attempt 2 recorded three seconds or more after attempt 1
    let detail = t.read(&acme, &format!("/v1/events/{}", received[0].header("webhook-id"))).await;
    // (found by number: the log's order is the attempts route's business)
    let attempts = detail["endpoints"][0]["attempts"].as_array().unwrap();
    let attempt = |n: u64| attempts.iter().find(|a| a["attempt"] == n).unwrap_or_else(|| panic!("{detail}"));
    let at = |n: u64| {
        let text = attempt(n)["at"].as_str().unwrap().to_owned();
        time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339).unwrap().unix_timestamp()
    };
    assert_eq!(attempt(1)["responseStatus"], 429, "{detail}");
    assert!(at(2) - at(1) >= 3, "{detail}");
    t.shutdown().await;
}

#[tokio::test]
async fn deliveries_waiting_behind_an_endpoint_end_as_failed_when_it_is_disabled() {
    // GIVEN an endpoint that is down, with eight events for it: its circuit opens and most wait
    let t = stack().await;
    let acme = t.account("Acme", true).await;
    let receiver = Receiver::start(0).await;
    receiver.set_down(true);
    let endpoint = t.create_endpoint(&acme, &receiver.url, &["contact.created"]).await;
    for i in 0..8 {
        new_customer(&t, &acme, &format!("evt_wait{i}"), &format!("wait{i}@example.com")).await;
    }
    let dynamodb = loop_tests::dynamodb_client().await;
    let parked_pk = format!("A#{}#WEP#{}", acme.id, endpoint["id"].as_str().unwrap());
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let parked = dynamodb
            .query()
            .table_name(t.app().store.table())
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", aws_sdk_dynamodb::types::AttributeValue::S(parked_pk.clone()))
            .send()
            .await
            .unwrap()
            .count;
        if parked > 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no delivery parked");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // WHEN the merchant disables the endpoint
    let path = format!("/v1/webhook-endpoints/{}", endpoint["id"].as_str().unwrap());
    let response = t
        .http
        .patch(t.url(&path))
        .bearer_auth(&acme.api_key)
        .json(&json!({"status": "disabled"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // THEN every delivery ends as failed, with the reason, the waiting ones included
    let ids: Vec<String> = t.read(&acme, "/v1/events?type=contact.created&limit=100").await["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 8);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    for id in &ids {
        loop {
            let detail = t.read(&acme, &format!("/v1/events/{id}")).await;
            let delivery = &detail["endpoints"][0];
            if delivery["status"] == "failed" {
                assert_eq!(delivery["reason"], "endpoint disabled", "{detail}");
                break;
            }
            assert!(std::time::Instant::now() < deadline, "still waiting: {detail}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    t.shutdown().await;
}
