//! An event's attempt log is bounded per request: `GET /v1/events/{id}` shows the latest 20
//! attempts of each delivery, `GET /v1/events/{id}/attempts` pages them all, newest first.

use loop_adapters::store::keys::{attempt_sk, event_pk};
use loop_adapters::store::records::AttemptItem;
use loop_ground::domain::delivery::Attempt;
use loop_ground::ids::AccountId;
use loop_tests::stripe::{event, now, object};
use loop_tests::{dynamodb_client, TestAccount, TestStack};
use serde_json::{json, Value};

/// A published `contact.created` whose delivery to a disabled endpoint was recorded as skipped
/// (so no dispatch races the attempts this test writes): answers (event id, endpoint id).
async fn event_with_a_quiet_delivery(t: &TestStack, account: &TestAccount) -> (String, String) {
    let endpoint = t.create_endpoint(account, "https://93.184.216.34/hooks", &["contact.created"]).await;
    let endpoint_id = endpoint["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/webhook-endpoints/{endpoint_id}");
    let patched =
        t.http.patch(t.url(&path)).bearer_auth(&account.api_key).json(&json!({"status": "disabled"})).send().await;
    assert_eq!(patched.unwrap().status(), 200);
    let customer = event("evt_many", "customer.created", now(), object("customer", json!({"email": "m@example.com"})));
    assert_eq!(t.send_stripe(account, &customer).await.0, 200);
    let events = t.read(account, "/v1/events?type=contact.created").await;
    (events["data"][0]["id"].as_str().unwrap().to_owned(), endpoint_id)
}

/// Writes attempts 1..=count as dispatch records them, each failing with HTTP 500.
async fn write_attempts(t: &TestStack, account: &TestAccount, event_id: &str, endpoint_id: &str, count: u32) {
    let client = dynamodb_client().await;
    let account_id = AccountId::parse(&account.id).unwrap();
    for number in 1..=count {
        let item = AttemptItem {
            pk: event_pk(&account_id, event_id),
            sk: attempt_sk(endpoint_id, number),
            expires_at: now() + 86_400,
            attempt: Attempt {
                endpoint_id: endpoint_id.to_owned(),
                attempt: number,
                at: now(),
                response_status: Some(500),
                duration_ms: 3,
                error: Some("HTTP 500".into()),
                response_body: None,
            },
        };
        let item = serde_dynamo::to_item(&item).unwrap();
        client.put_item().table_name(t.app().store.table()).set_item(Some(item)).send().await.unwrap();
    }
}

fn numbers(attempts: &Value) -> Vec<u64> {
    attempts.as_array().unwrap().iter().map(|a| a["attempt"].as_u64().unwrap()).collect()
}

#[tokio::test]
async fn the_event_shows_its_latest_20_attempts_and_the_attempts_route_pages_them_all_newest_first() {
    // GIVEN a delivery with 25 attempts
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let (event_id, endpoint_id) = event_with_a_quiet_delivery(&t, &acme).await;
    write_attempts(&t, &acme, &event_id, &endpoint_id, 25).await;

    // WHEN the event is read THEN its delivery shows exactly the latest 20, oldest of them first
    let detail = t.read(&acme, &format!("/v1/events/{event_id}")).await;
    let shown = &detail["endpoints"][0]["attempts"];
    assert_eq!(numbers(shown), (6..=25).collect::<Vec<u64>>());
    assert_eq!(shown[0]["id"], format!("att_{endpoint_id}_000006"));

    // WHEN the attempts are paged 10 at a time, with and without the endpoint
    for filter in [format!("&endpointId={endpoint_id}"), String::new()] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10 {
            let after = cursor.as_ref().map(|c| format!("&startingAfter={c}")).unwrap_or_default();
            let page = t.read(&acme, &format!("/v1/events/{event_id}/attempts?limit=10{filter}{after}")).await;
            seen.extend(numbers(&page["data"]));
            if page["hasMore"] == false {
                break;
            }
            cursor = Some(page["data"].as_array().unwrap().last().unwrap()["id"].as_str().unwrap().to_owned());
        }
        // THEN every attempt comes back once, newest first
        assert_eq!(seen, (1..=25).rev().collect::<Vec<u64>>(), "filter {filter:?}");
    }
    t.shutdown().await;
}

#[tokio::test]
async fn the_attempts_route_answers_bad_parameters_by_name() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let (event_id, endpoint_id) = event_with_a_quiet_delivery(&t, &acme).await;
    write_attempts(&t, &acme, &event_id, &endpoint_id, 2).await;
    let base = format!("/v1/events/{event_id}/attempts");
    let cases = [
        (format!("{base}?limit=0"), 400, Some("limit")),
        (format!("{base}?limit=101"), 400, Some("limit")),
        (format!("{base}?startingAfter=evt_123"), 400, Some("startingAfter")),
        (format!("{base}?endpointId={endpoint_id}&startingAfter=att_we_other_000001"), 400, Some("startingAfter")),
        (format!("{base}?endpointId=we_unknown"), 404, Some("endpointId")),
        (format!("{base}?colour=red"), 400, Some("colour")),
        ("/v1/events/evt_unknown/attempts".to_owned(), 404, None),
    ];
    for (path, status, param) in cases {
        let response = t.get(&path, &acme.api_key).send().await.unwrap();
        assert_eq!(response.status(), status, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["param"].as_str(), param, "{path}: {body}");
    }
    // Another account sees nothing of it.
    let other = t.account("Other", true).await;
    assert_eq!(t.get(&base, &other.api_key).send().await.unwrap().status(), 404);
    t.shutdown().await;
}
