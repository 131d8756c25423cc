//! The contact group: every one of the 19 types syncs a contact and records its trigger event,
//! through the public API; plus moves, deletions, order and exactly-once delivery.

use loop_tests::stripe::{event, fixture, now, object};
use loop_tests::{TestAccount, TestStack};
use serde_json::{json, Value};

/// A contact-group event of `kind` whose object names `email` the way that object does.
fn contact_event(id: &str, kind: &str, email: &str, customer: &str) -> Value {
    let object = match kind {
        k if k.starts_with("charge.dispute.") => {
            let mut dispute = fixture("dispute");
            dispute["evidence"]["customer_email_address"] = json!(email);
            dispute["evidence"]["customer_name"] = json!("Dee Spute");
            dispute
        }
        k if k.starts_with("checkout.session.") => {
            let mut session = fixture("checkout.session.captured");
            session["customer_details"]["email"] = json!(email);
            session["customer"] = json!(customer);
            session
        }
        k if k.starts_with("customer.subscription.") => object("subscription", json!({"customer": customer})),
        "customer.created" | "customer.updated" | "customer.deleted" => {
            object("customer", json!({"id": customer, "email": email, "name": "Jenny Rosen"}))
        }
        "invoice.payment_failed" => object("invoice.payment_failed.captured", json!({"customer_email": email})),
        "invoice.upcoming" => object("invoice.upcoming.captured", json!({"customer_email": email})),
        k if k.starts_with("invoice.") => {
            object("invoice.captured", json!({"customer_email": email, "customer": customer}))
        }
        k if k.starts_with("quote.") => object("quote", json!({"customer": customer})),
        other => panic!("not a contact-group type: {other}"),
    };
    event(id, kind, now(), object)
}

const CONTACT_GROUP: [&str; 19] = [
    "charge.dispute.created",
    "charge.dispute.closed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.completed",
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "customer.subscription.created",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "customer.subscription.trial_will_end",
    "customer.subscription.deleted",
    "invoice.paid",
    "invoice.payment_failed",
    "invoice.upcoming",
    "quote.finalized",
    "quote.accepted",
    "quote.canceled",
];

async fn contact(t: &TestStack, account: &TestAccount, email: &str) -> Option<Value> {
    let list = t.read(account, &format!("/v1/contacts?email={}", email.replace('+', "%2B"))).await;
    list["data"].as_array().unwrap().first().cloned()
}

async fn triggers(t: &TestStack, account: &TestAccount, email: &str) -> Vec<Value> {
    t.read(account, &format!("/v1/contact-events?email={email}")).await["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn every_contact_group_type_syncs_its_contact_and_records_its_trigger() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    for (i, kind) in CONTACT_GROUP.iter().enumerate() {
        // GIVEN a customer known by id and email (subscriptions and quotes carry only the id)
        let email = format!("customer{i}@example.com");
        let customer = format!("cus_type{i}");
        let known = contact_event(&format!("evt_known{i}"), "customer.created", &email, &customer);
        assert_eq!(t.send_stripe(&acme, &known).await.0, 200);
        // WHEN the event arrives
        let id = format!("evt_type{i}");
        let (status, answer) = t.send_stripe(&acme, &contact_event(&id, kind, &email, &customer)).await;
        // THEN it is processed, the contact is there (unsubscribed by a deletion), and its
        // trigger event is recorded under the type's name
        assert_eq!((status, &answer["status"]), (200, &json!("processed")), "{kind}: {answer}");
        let found = contact(&t, &acme, &email).await.unwrap_or_else(|| panic!("{kind}: no contact"));
        assert_eq!(found["subscribed"], *kind != "customer.deleted", "{kind}");
        let recorded = triggers(&t, &acme, &email).await;
        let trigger =
            recorded.iter().find(|e| e["stripeEventId"] == id).unwrap_or_else(|| panic!("{kind}: no trigger"));
        assert_eq!(trigger["eventName"], *kind);
        assert_eq!(trigger["email"], email);
        assert_eq!(trigger["eventProperties"]["stripeEventType"], *kind);
        // AND amounts and currency come along where the object has them (the subscription
        // fixture's one item is 20.00 USD a period)
        if kind.starts_with("customer.subscription.") {
            let properties = &trigger["eventProperties"];
            assert_eq!((properties["amount"].as_str(), properties["currency"].as_str()), (Some("20.00"), Some("USD")));
        }
    }
    t.shutdown().await;
}

#[tokio::test]
async fn a_new_customer_becomes_a_subscribed_contact_with_its_documented_fields() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let created = contact_event("evt_new", "customer.created", "  Jenny.Rosen@Example.COM ", "cus_jenny");
    t.send_stripe(&acme, &created).await;
    let jenny = contact(&t, &acme, "jenny.rosen@example.com").await.unwrap();
    assert_eq!(jenny["email"], "jenny.rosen@example.com");
    assert_eq!(jenny["source"], "stripe");
    assert_eq!(jenny["subscribed"], true);
    assert_eq!(jenny["stripeCustomerId"], "cus_jenny");
    // Names are synced only where the account asked for it.
    assert_eq!(jenny["firstName"], Value::Null);
    for field in ["id", "createdAt", "updatedAt"] {
        assert!(jenny[field].is_string(), "{field}");
    }
    // Case-insensitive lookups.
    assert_eq!(contact(&t, &acme, "JENNY.ROSEN@example.com").await.unwrap()["id"], jenny["id"]);
    t.shutdown().await;
}

async fn configure(t: &TestStack, account: &TestAccount, config: Value) -> Value {
    let response =
        t.http.put(t.url("/v1/integrations/stripe")).bearer_auth(&account.api_key).json(&config).send().await.unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn names_and_user_groups_follow_the_accounts_settings() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    configure(&t, &acme, json!({"events": {"customer.created": {"syncName": true, "userGroup": "stripe-customers", "eventName": "Signed up"}}})).await;
    let mut created = contact_event("evt_named", "customer.created", "jane@example.com", "cus_jane");
    created["data"]["object"]["name"] = json!("Jane Q Public");
    t.send_stripe(&acme, &created).await;
    let jane = contact(&t, &acme, "jane@example.com").await.unwrap();
    assert_eq!((jane["firstName"].as_str(), jane["lastName"].as_str()), (Some("Jane"), Some("Q Public")));
    assert_eq!(jane["userGroup"], "stripe-customers");
    assert_eq!(triggers(&t, &acme, "jane@example.com").await[0]["eventName"], "Signed up");
    t.shutdown().await;
}

#[tokio::test]
async fn a_null_event_name_syncs_the_contact_without_a_trigger() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    configure(&t, &acme, json!({"events": {"customer.created": {"eventName": null}}})).await;
    let (_, answer) =
        t.send_stripe(&acme, &contact_event("evt_quiet", "customer.created", "q@example.com", "cus_q")).await;
    assert_eq!(answer["effects"], json!(["contact.created"]));
    assert!(contact(&t, &acme, "q@example.com").await.is_some());
    assert!(triggers(&t, &acme, "q@example.com").await.is_empty());
    t.shutdown().await;
}

#[tokio::test]
async fn an_older_update_arriving_after_a_newer_one_changes_nothing() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    configure(&t, &acme, json!({"events": {"customer.updated": {"syncName": true}}})).await;
    t.send_stripe(&acme, &contact_event("evt_c", "customer.created", "o@example.com", "cus_o")).await;
    let mut newer = contact_event("evt_newer", "customer.updated", "o@example.com", "cus_o");
    newer["created"] = json!(now() + 10);
    newer["data"]["object"]["name"] = json!("New Name");
    let mut older = contact_event("evt_older", "customer.updated", "o@example.com", "cus_o");
    older["created"] = json!(now() - 100);
    older["data"]["object"]["name"] = json!("Old Name");
    t.send_stripe(&acme, &newer).await;
    let (status, answer) = t.send_stripe(&acme, &older).await;
    assert_eq!(status, 200);
    assert!(!answer["effects"].as_array().unwrap().contains(&json!("contact.updated")), "{answer}");
    let o = contact(&t, &acme, "o@example.com").await.unwrap();
    assert_eq!(o["firstName"], "New");
    // The stale event still triggers.
    assert!(triggers(&t, &acme, "o@example.com").await.iter().any(|e| e["stripeEventId"] == "evt_older"));
    t.shutdown().await;
}

#[tokio::test]
async fn an_email_change_moves_the_contact_unless_the_new_email_is_taken() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    t.send_stripe(&acme, &contact_event("evt_1", "customer.created", "old@example.com", "cus_m")).await;
    let before = contact(&t, &acme, "old@example.com").await.unwrap();
    let mut moved = contact_event("evt_2", "customer.updated", "new@example.com", "cus_m");
    moved["data"]["previous_attributes"] = json!({"email": "old@example.com"});
    let (_, answer) = t.send_stripe(&acme, &moved).await;
    assert!(answer["effects"].as_array().unwrap().contains(&json!("contact.updated")), "{answer}");
    assert!(contact(&t, &acme, "old@example.com").await.is_none());
    let after = contact(&t, &acme, "new@example.com").await.unwrap();
    assert_eq!(after["id"], before["id"]);

    // Moving onto an existing contact updates that one and leaves the old one alone.
    t.send_stripe(&acme, &contact_event("evt_3", "customer.created", "a@example.com", "cus_a")).await;
    t.send_stripe(&acme, &contact_event("evt_4", "customer.created", "b@example.com", "cus_b")).await;
    let mut onto = contact_event("evt_5", "customer.updated", "b@example.com", "cus_a");
    onto["data"]["previous_attributes"] = json!({"email": "a@example.com"});
    t.send_stripe(&acme, &onto).await;
    assert!(contact(&t, &acme, "a@example.com").await.is_some());
    assert_eq!(contact(&t, &acme, "b@example.com").await.unwrap()["stripeCustomerId"], "cus_a");
    t.shutdown().await;
}

#[tokio::test]
async fn a_deleted_customer_is_unsubscribed_or_deleted_as_configured() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    t.send_stripe(&acme, &contact_event("evt_1", "customer.created", "u@example.com", "cus_u")).await;
    let (_, answer) = t.send_stripe(&acme, &contact_event("evt_2", "customer.deleted", "u@example.com", "cus_u")).await;
    assert_eq!(answer["effects"], json!(["contact.unsubscribed", "event.triggered"]));
    assert_eq!(contact(&t, &acme, "u@example.com").await.unwrap()["subscribed"], false);

    configure(&t, &acme, json!({"customerDeleted": "delete"})).await;
    t.send_stripe(&acme, &contact_event("evt_3", "customer.created", "d@example.com", "cus_d")).await;
    let (_, answer) = t.send_stripe(&acme, &contact_event("evt_4", "customer.deleted", "d@example.com", "cus_d")).await;
    assert_eq!(answer["effects"], json!(["contact.deleted", "event.triggered"]));
    assert!(contact(&t, &acme, "d@example.com").await.is_none());

    // No contact is created for a deletion; its trigger is still recorded.
    let (_, answer) =
        t.send_stripe(&acme, &contact_event("evt_5", "customer.deleted", "ghost@example.com", "cus_g")).await;
    assert_eq!(answer["effects"], json!(["event.triggered"]));
    assert!(contact(&t, &acme, "ghost@example.com").await.is_none());
    assert_eq!(triggers(&t, &acme, "ghost@example.com").await.len(), 1);
    t.shutdown().await;
}

#[tokio::test]
async fn a_contact_deleted_with_its_customer_stays_deleted_whatever_arrives_after() {
    // GIVEN contacts deleted with their Stripe customers
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    configure(&t, &acme, json!({"customerDeleted": "delete"})).await;
    let mut created = contact_event("evt_c", "customer.created", "gone@example.com", "cus_gone");
    created["created"] = json!(now() - 60);
    t.send_stripe(&acme, &created).await;
    t.send_stripe(&acme, &contact_event("evt_d", "customer.deleted", "gone@example.com", "cus_gone")).await;
    assert!(contact(&t, &acme, "gone@example.com").await.is_none());

    // WHEN Stripe then sends the subscription deletion that follows a customer's, and an older
    // update arrives late
    let (_, answer) =
        t.send_stripe(&acme, &contact_event("evt_s", "customer.subscription.deleted", "", "cus_gone")).await;
    assert_eq!(answer["status"], "processed", "{answer}");
    let mut late = contact_event("evt_u", "customer.updated", "gone@example.com", "cus_gone");
    late["created"] = json!(now() - 30);
    t.send_stripe(&acme, &late).await;

    // THEN the contact is not brought back, and no contact.created was published for it
    assert!(contact(&t, &acme, "gone@example.com").await.is_none());
    assert_eq!(t.payloads_of(&acme, "contact.created").await.len(), 1, "only the first customer.created");

    // AND a deletion that overtakes the creation leaves no contact either
    t.send_stripe(&acme, &contact_event("evt_d2", "customer.deleted", "early@example.com", "cus_early")).await;
    let mut overtaken = contact_event("evt_c2", "customer.created", "early@example.com", "cus_early");
    overtaken["created"] = json!(now() - 60);
    t.send_stripe(&acme, &overtaken).await;
    assert!(contact(&t, &acme, "early@example.com").await.is_none());

    // AND the email may still become a contact through another customer
    t.send_stripe(&acme, &contact_event("evt_c3", "customer.created", "gone@example.com", "cus_new")).await;
    assert_eq!(contact(&t, &acme, "gone@example.com").await.unwrap()["subscribed"], true);
    t.shutdown().await;
}

#[tokio::test]
async fn the_same_event_twenty_times_ten_at_once_changes_and_publishes_once() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let created = contact_event("evt_storm", "customer.created", "storm@example.com", "cus_storm");
    let concurrent = (0..10).map(|_| t.send_stripe(&acme, &created));
    let mut answers: Vec<Value> = futures::future::join_all(concurrent).await.into_iter().map(|(_, a)| a).collect();
    for _ in 0..10 {
        answers.push(t.send_stripe(&acme, &created).await.1);
    }
    let processed = answers.iter().filter(|a| a["status"] == "processed").count();
    let duplicates = answers.iter().filter(|a| a["status"] == "duplicate").count();
    assert_eq!((processed, duplicates), (1, 19), "{answers:?}");
    assert_eq!(t.read(&acme, "/v1/contacts").await["data"].as_array().unwrap().len(), 1);
    assert_eq!(triggers(&t, &acme, "storm@example.com").await.len(), 1);
    let events = t.read(&acme, "/v1/events").await["data"].as_array().unwrap().clone();
    let mut kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    kinds.sort();
    assert_eq!(kinds, ["contact.created", "event.triggered"]);
    t.shutdown().await;
}

#[tokio::test]
async fn published_contact_events_carry_the_contact() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    t.send_stripe(&acme, &contact_event("evt_pub", "customer.created", "pub@example.com", "cus_pub")).await;
    let events = t.read(&acme, "/v1/events?type=event.triggered").await["data"].as_array().unwrap().clone();
    assert_eq!(events.len(), 1);
    let payload = &events[0]["payload"];
    assert_eq!(payload["type"], "event.triggered");
    assert_eq!(payload["id"], events[0]["id"]);
    assert_eq!(payload["data"]["eventName"], "customer.created");
    assert_eq!(payload["data"]["contact"]["email"], "pub@example.com");
    assert_eq!(payload["data"]["stripeEventId"], "evt_pub");
    let one = t.read(&acme, &format!("/v1/events/{}", events[0]["id"].as_str().unwrap())).await;
    assert_eq!(one["payload"], *payload);
    t.shutdown().await;
}
