//! The contacts and events API (`email.md`, Loops' shapes), through real HTTP against the stack:
//! create, upsert by email or userId, read, delete, custom properties, contact events, the
//! `contact.*` and `event.triggered` webhooks a receiver really gets, and `Idempotency-Key`.

use std::time::Duration;

use loop_tests::receiver::Receiver;
use loop_tests::stripe::{event, now, object};
use loop_tests::TestStack;
use serde_json::{json, Value};

async fn stack() -> TestStack {
    TestStack::start_with(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1")]).await
}

/// The types and `data` of what the receiver got, in order.
fn webhooks(received: &[loop_tests::receiver::Received]) -> Vec<(String, Value)> {
    received
        .iter()
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            (body["type"].as_str().unwrap().to_owned(), body["data"].clone())
        })
        .collect()
}

#[tokio::test]
async fn a_contact_is_created_updated_read_and_deleted_with_the_same_webhooks_as_stripe_ingest() {
    // GIVEN an account with an endpoint for every event
    let t = stack().await;
    let acme = t.account("Acme", true).await;
    let receiver = Receiver::start(0).await;
    t.create_endpoint(&acme, &receiver.url, &["*"]).await;

    // WHEN a contact is created with custom properties
    let body = json!({"email": "Ann@Example.com", "firstName": "Ann", "userId": "u-1", "plan": "pro", "seats": 3,
                      "vip": true, "renewsAt": "2026-01-01T00:00:00Z"});
    let (status, created) = t.call(&acme, "POST", "/v1/contacts", Some(&body)).await;

    // THEN it answers Loops' shape, and the contact shows its fields and properties
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["success"], true);
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("ct_"));
    let (status, contact) = t.call(&acme, "GET", &format!("/v1/contacts/{id}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            &contact["email"],
            &contact["source"],
            &contact["userId"],
            &contact["plan"],
            &contact["seats"],
            &contact["vip"]
        ),
        (&json!("ann@example.com"), &json!("api"), &json!("u-1"), &json!("pro"), &json!(3), &json!(true))
    );
    assert_eq!(contact["renewsAt"], "2026-01-01T00:00:00Z");
    let listed = t.read(&acme, "/v1/contacts?email=ann@example.com").await;
    assert_eq!(listed["data"][0]["id"], id.as_str(), "the list shows the same id");

    // AND a second create of the email is a 409 that changes nothing
    let (status, error) = t.call(&acme, "POST", "/v1/contacts", Some(&json!({"email": "ann@example.com"}))).await;
    assert_eq!((status, error["error"]["code"].as_str()), (409, Some("contact_exists")));

    // WHEN it is updated by userId, a property removed and another changed
    let update = json!({"userId": "u-1", "lastName": "Lee", "plan": null, "seats": 5});
    let (status, saved) = t.call(&acme, "PUT", "/v1/contacts", Some(&update)).await;
    assert_eq!((status, saved["id"].as_str()), (200, Some(id.as_str())), "{saved}");
    let (_, contact) = t.call(&acme, "GET", &format!("/v1/contacts/{id}"), None).await;
    assert_eq!((&contact["lastName"], &contact["seats"], contact.get("plan")), (&json!("Lee"), &json!(5), None));

    // AND unsubscribed by email
    let (status, _) =
        t.call(&acme, "PUT", "/v1/contacts", Some(&json!({"email": "ann@example.com", "subscribed": false}))).await;
    assert_eq!(status, 200);

    // AND a PUT of a new email creates it
    let (status, other) = t.call(&acme, "PUT", "/v1/contacts", Some(&json!({"email": "bo@example.com"}))).await;
    assert_eq!(status, 200);
    assert_ne!(other["id"], id.as_str());

    // WHEN the first is deleted
    let (status, deleted) = t.call(&acme, "DELETE", &format!("/v1/contacts/{id}"), None).await;
    assert_eq!((status, &deleted["success"]), (200, &json!(true)));
    let (status, _) = t.call(&acme, "GET", &format!("/v1/contacts/{id}"), None).await;
    assert_eq!(status, 404);
    let (status, _) = t.call(&acme, "DELETE", &format!("/v1/contacts/{id}"), None).await;
    assert_eq!(status, 404);
    // and its userId is free again
    let (status, _) =
        t.call(&acme, "POST", "/v1/contacts", Some(&json!({"email": "cy@example.com", "userId": "u-1"}))).await;
    assert_eq!(status, 201);

    // THEN the receiver got every change, in the shapes Stripe ingest publishes
    let received = receiver.wait_for(Duration::from_secs(30), |r| r.len() >= 6).await;
    let mut got = webhooks(&received);
    got.sort_by_key(|(_, data)| data["updatedAt"].as_str().unwrap_or_default().to_owned());
    let mut kinds: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "contact.created",
            "contact.created",
            "contact.created",
            "contact.deleted",
            "contact.unsubscribed",
            "contact.updated"
        ]
    );
    let deleted = got.iter().find(|(k, _)| k == "contact.deleted").unwrap();
    assert_eq!((&deleted.1["id"], &deleted.1["email"]), (&json!(id), &json!("ann@example.com")));
    let unsubscribed = got.iter().find(|(k, _)| k == "contact.unsubscribed").unwrap();
    assert_eq!(unsubscribed.1["subscribed"], false);
    // The same payload keys as a contact Stripe made (plus the custom properties).
    let stripe_made = event("evt_s", "customer.created", now(), object("customer", json!({"email": "s@example.com"})));
    assert_eq!(t.send_stripe(&acme, &stripe_made).await.0, 200);
    let from_stripe = &t.payloads_of(&acme, "contact.created").await[0]["data"];
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<std::collections::BTreeSet<_>>();
    let created_here = got.iter().find(|(k, d)| k == "contact.created" && d["email"] == "bo@example.com").unwrap();
    assert_eq!(keys(from_stripe), keys(&created_here.1));
    t.shutdown().await;
}

#[tokio::test]
async fn a_stripe_contact_keeps_its_id_and_the_api_updates_it() {
    // GIVEN a contact that Stripe ingest made
    let t = stack().await;
    let acme = t.account("Acme", true).await;
    let created =
        event("evt_1", "customer.created", now(), object("customer", json!({"id": "cus_1", "email": "s@example.com"})));
    assert_eq!(t.send_stripe(&acme, &created).await.0, 200);
    let id = t.read(&acme, "/v1/contacts?email=s@example.com").await["data"][0]["id"].as_str().unwrap().to_owned();

    // WHEN the API updates it by email
    let (status, saved) =
        t.call(&acme, "PUT", "/v1/contacts", Some(&json!({"email": "s@example.com", "firstName": "Sam"}))).await;

    // THEN the same contact (same id) changed, it is still Stripe's, and it cannot move email
    assert_eq!((status, saved["id"].as_str()), (200, Some(id.as_str())));
    let (_, contact) = t.call(&acme, "GET", &format!("/v1/contacts/{id}"), None).await;
    assert_eq!(
        (&contact["firstName"], &contact["source"], &contact["stripeCustomerId"]),
        (&json!("Sam"), &json!("stripe"), &json!("cus_1"))
    );
    let (status, _) =
        t.call(&acme, "PUT", "/v1/contacts", Some(&json!({"email": "s@example.com", "userId": "s1"}))).await;
    assert_eq!(status, 200);
    let (status, error) =
        t.call(&acme, "PUT", "/v1/contacts", Some(&json!({"email": "new@example.com", "userId": "s1"}))).await;
    assert_eq!((status, error["error"]["code"].as_str()), (409, Some("email_follows_stripe")));
    t.shutdown().await;
}

#[tokio::test]
async fn bad_input_is_a_400_naming_the_parameter_and_stores_nothing() {
    let t = stack().await;
    let acme = t.account("Acme", true).await;
    let long_name = "p".repeat(41);
    let many: serde_json::Map<String, Value> =
        (0..51).map(|i| (format!("p{i}"), json!(i))).chain([("email".to_owned(), json!("m@example.com"))]).collect();
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        ("POST", "/v1/contacts", json!({}), "email"),
        ("POST", "/v1/contacts", json!({"email": "not-an-email"}), "email"),
        ("POST", "/v1/contacts", json!({"email": "a@example.com", "createdAt": "x"}), "createdAt"),
        ("POST", "/v1/contacts", json!({"email": "a@example.com", "id": "ct_x"}), "id"),
        ("POST", "/v1/contacts", json!({"email": "a@example.com", "nested": {"a": 1}}), "nested"),
        ("POST", "/v1/contacts", json!({"email": "a@example.com", long_name.clone(): 1}), long_name.as_str()),
        ("POST", "/v1/contacts", json!({"email": "a@example.com", "subscribed": "yes"}), "subscribed"),
        ("POST", "/v1/contacts", Value::Object(many), "p9"),
        ("PUT", "/v1/contacts", json!({"firstName": "x"}), "email"),
        ("POST", "/v1/contact-events", json!({"email": "a@example.com"}), "eventName"),
        ("POST", "/v1/contact-events", json!({"email": "a@example.com", "eventName": "a:b"}), "eventName"),
        ("POST", "/v1/contact-events", json!({"email": "a@example.com", "eventName": "e".repeat(101)}), "eventName"),
        ("POST", "/v1/contact-events", json!({"eventName": "signup"}), "email"),
        (
            "POST",
            "/v1/contact-events",
            json!({"email": "a@example.com", "eventName": "x", "eventProperties": {"a": [1]}}),
            "eventProperties.a",
        ),
        (
            "POST",
            "/v1/contact-events",
            json!({"email": "a@example.com", "eventName": "x", "eventProperties": 3}),
            "eventProperties",
        ),
    ];
    for (method, path, body, param) in cases {
        let (status, error) = t.call(&acme, method, path, Some(&body)).await;
        assert_eq!(status, 400, "{method} {path} {body}: {error}");
        let error = &error["error"];
        let named = error["param"].as_str().unwrap_or_default();
        // The 51st property is whichever comes last in the body's order.
        assert!(named == param || (param == "p9" && named.starts_with('p')), "{body}: {error}");
        assert!(error["message"].as_str().unwrap().contains(named), "{error}");
    }
    assert_eq!(t.read(&acme, "/v1/contacts").await["data"], json!([]), "nothing stored");
    let (status, _) = t.call(&acme, "PUT", "/v1/contacts", Some(&json!({"userId": "nobody"}))).await;
    assert_eq!(status, 404);
    t.shutdown().await;
}

#[tokio::test]
async fn a_contact_event_records_the_trigger_creates_the_contact_and_publishes_once_per_idempotency_key() {
    // GIVEN an endpoint for trigger events
    let t = stack().await;
    let acme = t.account("Acme", true).await;
    let receiver = Receiver::start(0).await;
    t.create_endpoint(&acme, &receiver.url, &["event.triggered", "contact.created"]).await;
    let body = json!({"email": "new@example.com", "eventName": "signup", "eventProperties": {"plan": "pro", "seats": 2},
                      "firstName": "Nia", "favoriteColor": "blue"});

    // WHEN the event is sent twice under one Idempotency-Key
    let post = || {
        t.http
            .post(t.url("/v1/contact-events"))
            .bearer_auth(&acme.api_key)
            .header("Idempotency-Key", "signup-1")
            .json(&body)
            .send()
    };
    let first = post().await.unwrap();
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    let second: Value = post().await.unwrap().json().await.unwrap();

    // THEN one trigger event exists, answered both times with its te_ id
    assert_eq!(first, second);
    assert_eq!(first["success"], true);
    let id = first["id"].as_str().unwrap();
    assert!(id.starts_with("te_"));
    let recorded = t.read(&acme, "/v1/contact-events?email=new@example.com").await["data"].as_array().unwrap().clone();
    assert_eq!(recorded.len(), 1);
    assert_eq!((&recorded[0]["id"], &recorded[0]["eventName"]), (&json!(id), &json!("signup")));
    assert_eq!((&recorded[0]["eventProperties"]["plan"], &recorded[0]["stripeEventId"]), (&json!("pro"), &Value::Null));

    // AND the contact was created from the API with its properties
    let contact = t.read(&acme, "/v1/contacts?email=new@example.com").await["data"][0].clone();
    assert_eq!(
        (&contact["source"], &contact["firstName"], &contact["favoriteColor"]),
        (&json!("api"), &json!("Nia"), &json!("blue"))
    );

    // AND the receiver got contact.created and one event.triggered naming the contact
    let received = receiver.wait_for(Duration::from_secs(30), |r| r.len() >= 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = webhooks(&receiver.received());
    assert_eq!(got.len(), 2, "{got:?}");
    let triggered = got.iter().find(|(k, _)| k == "event.triggered").unwrap();
    assert_eq!(
        (&triggered.1["eventName"], &triggered.1["contact"]["email"], &triggered.1["eventProperties"]["seats"]),
        (&json!("signup"), &json!("new@example.com"), &json!(2))
    );
    assert!(received.iter().any(|r| webhooks(std::slice::from_ref(r))[0].0 == "contact.created"));

    // WHEN an event names a known contact by userId, without changing it
    let (status, _) =
        t.call(&acme, "PUT", "/v1/contacts", Some(&json!({"email": "new@example.com", "userId": "n-1"}))).await;
    assert_eq!(status, 200);
    let (status, answer) =
        t.call(&acme, "POST", "/v1/contact-events", Some(&json!({"userId": "n-1", "eventName": "login"}))).await;
    assert_eq!(status, 200, "{answer}");
    // THEN it is recorded on that contact
    let recorded = t.read(&acme, "/v1/contact-events?email=new@example.com").await["data"].as_array().unwrap().clone();
    assert_eq!(recorded[0]["eventName"], "login");
    t.shutdown().await;
}
