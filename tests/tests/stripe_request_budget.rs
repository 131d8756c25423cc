//! AWS requests per ingested event, counted at the SDK: `customer.created` costs at most three
//! DynamoDB requests and one SQS request; a duplicate at most one DynamoDB request and no SQS.

use bytes::Bytes;
use loop_shared::aws::AwsClients;
use loop_shared::App;
use loop_tests::stripe::{event, now, object, signature};
use loop_tests::{TestAccount, TestStack};
use serde_json::{json, Value};

fn signed_request(account: &TestAccount, event: &Value) -> http::Request<Bytes> {
    let body = serde_json::to_vec(event).unwrap();
    http::Request::builder()
        .method("POST")
        .uri(format!("/stripe/webhooks/{}", account.id))
        .header("stripe-signature", signature(&account.signing_secret, now(), &body))
        .body(Bytes::from(body))
        .unwrap()
}

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
    let response = loop_shared::ingest::handle(&app, signed_request(&acme, &created)).await;

    // THEN it is processed, its two events fanned out to both endpoints in one SQS request
    assert_eq!(response.status(), 200);
    let answer: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(answer["status"], "processed");
    assert!(counts.dynamodb.get() <= 3, "DynamoDB requests: {}", counts.dynamodb.get());
    assert_eq!(counts.sqs.get(), 1, "SQS requests");

    // AND a duplicate costs one read and nothing else
    counts.dynamodb.reset();
    counts.sqs.reset();
    let response = loop_shared::ingest::handle(&app, signed_request(&acme, &created)).await;
    let answer: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(answer["status"], "duplicate");
    assert!(counts.dynamodb.get() <= 1, "DynamoDB requests: {}", counts.dynamodb.get());
    assert_eq!(counts.sqs.get(), 0, "SQS requests");
    t.shutdown().await;
}
