//! Races between a delivery attempt and what else writes its records: a success recorded while
//! other deliveries opened the endpoint's circuit, and a redelivery while an attempt is in
//! flight. Each would otherwise leave a delivery parked for ever or POST an attempt twice.

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue::{N, S};
use loop_adapters::store::AttemptRecord;
use loop_ground::domain::delivery::{Attempt, HealthChange};
use loop_ground::ids::AccountId;
use loop_tests::receiver::Receiver;
use loop_tests::stripe::{event, now, object};
use loop_tests::{dynamodb_client, TestAccount, TestStack};
use serde_json::json;

/// A `contact.created` delivered once to a receiver: its event id and endpoint id.
async fn delivered_event(t: &TestStack, acme: &TestAccount, receiver: &Receiver) -> (String, String) {
    let endpoint = t.create_endpoint(acme, &receiver.url, &["contact.created"]).await;
    let created =
        event("evt_race", "customer.created", now(), object("customer", json!({"email": "race@example.com"})));
    assert_eq!(t.send_stripe(acme, &created).await.1["status"], "processed");
    receiver.wait_for(Duration::from_secs(30), |r| r.len() == 1).await;
    let events = t.read(acme, "/v1/events?type=contact.created").await;
    (events["data"][0]["id"].as_str().unwrap().to_owned(), endpoint["id"].as_str().unwrap().to_owned())
}

/// Opens the endpoint's circuit as five failures in a row would: another delivery probes it for
/// `probe_for` seconds more.
async fn open_circuit(t: &TestStack, acme: &TestAccount, endpoint_id: &str, probe_for: i64) {
    dynamodb_client()
        .await
        .put_item()
        .table_name(t.app().store.table())
        .item("pk", S(format!("A#{}", acme.id)))
        .item("sk", S(format!("WEH#{endpoint_id}")))
        .item("failures", N("5".into()))
        .item("failingSince", N(now().to_string()))
        .item("probeEvent", S("evt_probe".into()))
        .item("probeUntil", N((now() + probe_for).to_string()))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_success_read_before_the_circuit_opened_closes_it_instead_of_forgetting_it() {
    // GIVEN a delivery whose endpoint's circuit opened (5 failures, a probe) after the delivery
    // read its health as closed
    let t = TestStack::start_with(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1")]).await;
    let acme = t.account("Acme", true).await;
    let receiver = Receiver::start(0).await;
    let (event_id, endpoint_id) = delivered_event(&t, &acme, &receiver).await;
    let account = AccountId::parse(&acme.id).unwrap();
    open_circuit(&t, &acme, &endpoint_id, 60).await;
    // WHEN its success is recorded as the end of a streak of fewer than five
    let mut delivery = t.app().store.get_delivery(&account, &event_id, &endpoint_id).await.unwrap().unwrap();
    let attempt = Attempt {
        endpoint_id: endpoint_id.clone(),
        attempt: delivery.last_attempt + 1,
        at: now(),
        response_status: Some(200),
        duration_ms: 3,
        error: None,
        response_body: None,
    };
    delivery.last_attempt += 1;
    let recovered = Some(HealthChange::Recovered { releasing: false });
    let answer = t.app().store.record_attempt(&account, &event_id, &attempt, &delivery, recovered, "token-1").await;
    // THEN nothing is written and the caller hears that the circuit opened (it then records the
    // success as the one that closes it, releasing the parked)
    assert_eq!(answer.unwrap(), AttemptRecord::CircuitOpened);
    let health = t.app().store.read_for_dispatch(&account, &event_id, &endpoint_id).await.unwrap().health;
    assert_eq!(health.unwrap().failures, 5, "the open circuit is still there");
    let closing = Some(HealthChange::Recovered { releasing: true });
    let answer = t.app().store.record_attempt(&account, &event_id, &attempt, &delivery, closing, "token-2").await;
    assert_eq!(answer.unwrap(), AttemptRecord::Recorded);
    t.shutdown().await;
}

#[tokio::test]
async fn a_redelivery_waits_for_an_attempt_in_flight_instead_of_dropping_its_claim() {
    // GIVEN a delivered event whose next attempt a handler has claimed and is POSTing
    let t = TestStack::start_with(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1")]).await;
    let acme = t.account("Acme", true).await;
    let receiver = Receiver::start(0).await;
    let (event_id, endpoint_id) = delivered_event(&t, &acme, &receiver).await;
    let account = AccountId::parse(&acme.id).unwrap();
    let store = &t.app().store;
    let delivery = store.get_delivery(&account, &event_id, &endpoint_id).await.unwrap().unwrap();
    let next = delivery.last_attempt + 1;
    assert!(store.claim_attempt(&account, &event_id, &delivery, next, now(), now() + 3600).await.unwrap());
    // WHEN the merchant asks for a redelivery meanwhile
    let (status, body) = t.post_json(&acme, &format!("/v1/events/{event_id}/redeliver"), &json!({})).await;
    // THEN it is refused for now (safe to retry), and the claim still holds: no second handler
    // may POST the claimed attempt
    assert_eq!(status, 503, "{body}");
    assert!(!store.claim_attempt(&account, &event_id, &delivery, next, now(), now() + 60).await.unwrap());
    assert_eq!(receiver.received().len(), 1);
    t.shutdown().await;
}

#[tokio::test]
async fn a_delivery_parked_past_its_retry_window_is_ended_by_the_scheduler() {
    // GIVEN a one-hour retry window, an endpoint whose circuit is open with a live probe, and a
    // new event, whose delivery parks behind it
    let t = TestStack::start_with(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1"), ("LOOP_RETRY_WINDOW_HOURS", "1")]).await;
    let acme = t.account("Acme", true).await;
    let receiver = Receiver::start(0).await;
    let endpoint = t.create_endpoint(&acme, &receiver.url, &["contact.created"]).await;
    let endpoint_id = endpoint["id"].as_str().unwrap().to_owned();
    let account = AccountId::parse(&acme.id).unwrap();
    open_circuit(&t, &acme, &endpoint_id, 86_400).await;
    let created = event("evt_parks", "customer.created", now(), object("customer", json!({"email": "p@example.com"})));
    assert_eq!(t.send_stripe(&acme, &created).await.1["status"], "processed");
    let store = &t.app().store;
    let until = std::time::Instant::now() + Duration::from_secs(30);
    while store.parked_page(&account, &endpoint_id, 10).await.unwrap().0.is_empty() {
        assert!(std::time::Instant::now() < until, "the delivery never parked");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let event_id = t.read(&acme, "/v1/events?type=contact.created").await["data"][0]["id"].as_str().unwrap().to_owned();

    // WHEN the scheduler runs after the window has ended (an hour and more later, with a queue
    // of its own, handed to a dispatch at that time)
    let mut later = t.config_with_own_queue("later").await;
    later.clock_offset_seconds = 3_700;
    let later = loop_adapters::App::with_clients(later.clone(), loop_adapters::aws::AwsClients::new(&later.aws).await)
        .await
        .unwrap();
    let report = loop_capabilities::schedule::run(&later).await.unwrap();
    assert_eq!(report.parked_expired, 1, "{report:?}");
    let sqs = loop_adapters::aws::AwsClients::new(&later.config.aws).await.sqs;
    let received = sqs.receive_message().queue_url(later.queue.url()).wait_time_seconds(5).send().await.unwrap();
    let messages = received.messages.unwrap_or_default();
    assert_eq!(messages.len(), 1);
    let pointer: loop_capabilities::dispatch::DeliveryPointer =
        serde_json::from_str(messages[0].body.as_deref().unwrap()).unwrap();
    loop_capabilities::dispatch::deliver(&later, &pointer).await.unwrap();

    // THEN the delivery has ended, failed for its window, without a request, and nothing is
    // parked any more
    let detail = t.read(&acme, &format!("/v1/events/{event_id}")).await;
    let delivery = &detail["endpoints"][0];
    assert_eq!(
        (delivery["status"].as_str(), delivery["reason"].as_str()),
        (Some("failed"), Some("retry window ended"))
    );
    assert!(store.parked_page(&account, &endpoint_id, 10).await.unwrap().0.is_empty());
    assert!(receiver.received().is_empty());
    t.shutdown().await;
}
