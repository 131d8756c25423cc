//! AWS requests per ingested event and per delivery attempt, counted at the SDK:
//! `customer.created` costs at most three DynamoDB requests and one SQS request; a duplicate at
//! most one DynamoDB request and no SQS; a delivery attempt at most three DynamoDB requests (the
//! read, the claim, the record), and one SQS request when it fails (the next attempt); a delivery
//! parked behind an open circuit at most two DynamoDB requests, no SQS and no POST.

use loop_adapters::aws::AwsClients;
use loop_adapters::App;
use loop_capabilities::dispatch::{self, DeliveryPointer};
use loop_tests::receiver::Receiver;
use loop_tests::stripe::{event, now, object, signed_request};
use loop_tests::TestStack;
use serde_json::{json, Value};

#[tokio::test]
async fn customer_created_costs_three_dynamodb_requests_and_one_sqs_request() {
    // GIVEN an account with two endpoints that want every event
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    t.store_endpoint(&acme, "https://hooks.example.com/a").await;
    t.store_endpoint(&acme, "https://hooks.example.com/b").await;
    let config = t.app().config.clone();
    let (clients, counts) = AwsClients::counted(&config.aws).await;
    let app = App::with_clients(config, clients).await.unwrap();
    counts.dynamodb.reset();
    counts.sqs.reset();

    // WHEN a new customer arrives
    let created =
        event("evt_budget", "customer.created", now(), object("customer", json!({"email": "budget@example.com"})));
    let response = loop_capabilities::ingest::handle(&app, signed_request(&acme, &created)).await;

    // THEN it is processed, its two events fanned out to both endpoints in one SQS request
    assert_eq!(response.status(), 200);
    let answer: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(answer["status"], "processed");
    assert!(counts.dynamodb.get() <= 3, "DynamoDB requests: {}", counts.dynamodb.get());
    assert_eq!(counts.sqs.get(), 1, "SQS requests");

    // AND a duplicate costs one read and nothing else
    counts.dynamodb.reset();
    counts.sqs.reset();
    let response = loop_capabilities::ingest::handle(&app, signed_request(&acme, &created)).await;
    let answer: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(answer["status"], "duplicate");
    assert!(counts.dynamodb.get() <= 1, "DynamoDB requests: {}", counts.dynamodb.get());
    assert_eq!(counts.sqs.get(), 0, "SQS requests");
    t.shutdown().await;
}

#[tokio::test]
async fn a_delivery_attempt_costs_three_dynamodb_requests_and_one_sqs_request_when_it_fails() {
    // GIVEN an endpoint whose receiver fails twice, and a counted dispatch on a queue of its own
    let t = TestStack::start_with(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1")]).await;
    let acme = t.account("Acme", true).await;
    let receiver = Receiver::start(2).await;
    t.create_endpoint(&acme, &receiver.url, &["contact.created"]).await;
    let config = t.config_with_own_queue("counted").await;
    let (clients, counts) = AwsClients::counted(&config.aws).await;
    let app = App::with_clients(config, clients.clone()).await.unwrap();
    let created =
        event("evt_attempts", "customer.created", now(), object("customer", json!({"email": "tries@example.com"})));
    assert_eq!(loop_capabilities::ingest::handle(&app, signed_request(&acme, &created)).await.status(), 200);
    let message = clients.sqs.receive_message().queue_url(app.queue.url()).send().await.unwrap().messages.unwrap();
    let mut pointer: DeliveryPointer = serde_json::from_str(message[0].body().unwrap()).unwrap();

    // WHEN the attempts are made: failing (a streak starts), failing, succeeding (it ends)
    for (attempt, succeeds) in [(1, false), (2, false), (3, true)] {
        counts.dynamodb.reset();
        counts.sqs.reset();
        pointer.attempt = attempt;
        dispatch::deliver(&app, &pointer).await.unwrap();
        // THEN each costs one read, one claim and one record, and a failure one send of the
        // next attempt
        assert!(counts.dynamodb.get() <= 3, "attempt {attempt}: {} DynamoDB requests", counts.dynamodb.get());
        assert_eq!(counts.sqs.get(), usize::from(!succeeds), "attempt {attempt}: SQS requests");
    }
    let statuses: Vec<u16> = receiver.received().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 500, 200]);
    let detail = t.read(&acme, &format!("/v1/events/{}", pointer.event_id)).await;
    assert_eq!(detail["endpoints"][0]["status"], "succeeded", "{detail}");
    t.shutdown().await;
}

#[tokio::test]
async fn a_delivery_parked_behind_an_open_circuit_costs_two_dynamodb_requests_and_no_post() {
    // GIVEN an endpoint that fails everything, two events for it, and a counted dispatch on a
    // queue of its own
    let t = TestStack::start_with(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1")]).await;
    let acme = t.account("Acme", true).await;
    let receiver = Receiver::start(usize::MAX).await;
    t.create_endpoint(&acme, &receiver.url, &["contact.created"]).await;
    let config = t.config_with_own_queue("parked").await;
    let (clients, counts) = AwsClients::counted(&config.aws).await;
    let app = App::with_clients(config, clients.clone()).await.unwrap();
    let mut pointers = Vec::new();
    for (id, email) in [("evt_probe", "probe@example.com"), ("evt_parked", "parked@example.com")] {
        let created = event(id, "customer.created", now(), object("customer", json!({"email": email})));
        assert_eq!(loop_capabilities::ingest::handle(&app, signed_request(&acme, &created)).await.status(), 200);
        let message = clients.sqs.receive_message().queue_url(app.queue.url()).send().await.unwrap().messages.unwrap();
        pointers.push(serde_json::from_str::<DeliveryPointer>(message[0].body().unwrap()).unwrap());
    }
    // AND five failed attempts of the first in a row: the circuit is open, the first probes it
    for attempt in 1..=5 {
        dispatch::deliver(&app, &DeliveryPointer { attempt, ..pointers[0].clone() }).await.unwrap();
    }
    assert_eq!(receiver.received().len(), 5);

    // WHEN the second event's first attempt comes along
    counts.dynamodb.reset();
    counts.sqs.reset();
    dispatch::deliver(&app, &pointers[1]).await.unwrap();

    // THEN it parks: one read and one write, no SQS request, and no POST
    assert!(counts.dynamodb.get() <= 2, "{} DynamoDB requests", counts.dynamodb.get());
    assert_eq!(counts.sqs.get(), 0, "SQS requests");
    assert_eq!(receiver.received().len(), 5, "no request for the parked delivery");
    let detail = t.read(&acme, &format!("/v1/events/{}", pointers[1].event_id)).await;
    assert_eq!(detail["endpoints"][0]["status"], "pending", "{detail}");
    t.shutdown().await;
}
