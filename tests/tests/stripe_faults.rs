//! A dependency fault in the middle of an event answers 5xx, and Stripe's redelivery completes
//! the work with nothing done twice: cut at every request of the event's path in turn.

use loop_adapters::aws::AwsClients;
use loop_adapters::App;
use loop_tests::proxy::FaultProxy;
use loop_tests::stripe::{event, ingest_directly, now, object};
use loop_tests::TestStack;
use serde_json::json;

#[tokio::test]
async fn a_fault_at_any_request_answers_5xx_and_the_retry_completes_it_once() {
    // GIVEN an account with an endpoint, and Loop talking to the emulator through a proxy
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    t.store_endpoint(&acme, "https://hooks.example.com/a").await;
    t.store_endpoint(&acme, "https://hooks.example.com/b").await;
    let proxy = FaultProxy::start(t.app().config.aws.endpoint_url.as_deref().unwrap()).await;
    let mut config = t.app().config.clone();
    config.aws.endpoint_url = Some(proxy.url.clone());
    let app = App::with_clients(config.clone(), AwsClients::new(&config.aws).await).await.unwrap();

    // The path of a new customer: read (1), transaction (2), SQS send (3), mark published (4).
    for cut_after in 0..4 {
        let email = format!("fault{cut_after}@example.com");
        let created = event(
            &format!("evt_fault{cut_after}"),
            "customer.created",
            now(),
            object("customer", json!({"email": email})),
        );
        // WHEN the emulator becomes unreachable after `cut_after` requests
        proxy.cut_after(cut_after);
        let (status, body) = ingest_directly(&app, &acme, &created).await;
        // THEN Stripe is told to retry, and is told nothing else
        assert_eq!(status, 503, "cut after {cut_after}: {body}");
        assert_eq!(body["error"]["type"], "api_error");
        // WHEN it comes back and Stripe redelivers
        proxy.restore();
        let (status, body) = ingest_directly(&app, &acme, &created).await;
        assert_eq!(status, 200, "cut after {cut_after}: {body}");
        // THEN the work is done exactly once
        let contacts = t.read(&acme, &format!("/v1/contacts?email={email}")).await;
        assert_eq!(contacts["data"].as_array().unwrap().len(), 1, "cut after {cut_after}");
        let triggers = t.read(&acme, &format!("/v1/contact-events?email={email}")).await;
        assert_eq!(triggers["data"].as_array().unwrap().len(), 1, "cut after {cut_after}");
    }
    let events = t.read(&acme, "/v1/events?limit=100").await["data"].as_array().unwrap().clone();
    assert_eq!(events.len(), 8, "two events for each of the four customers");
    t.shutdown().await;
}
