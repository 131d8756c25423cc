//! Ingest's promises, on fakes of its ports (`loop_adapters::fakes`): what Stripe and a merchant
//! would check of one POST, without the emulator. The store answers as each test scripts it and
//! records each call, so a test sees what was written, queued and read, and in which order.
//! Events are built from Stripe's own fixtures and signed as Stripe signs them.

use serde_json::{json, Value};

use super::Ingest;
use crate::on_fakes::World;
use loop_adapters::fakes::{Call, FakeQueue, ScriptedStore};
use loop_adapters::store::keys::{seen_pk, SEEN_SK};
use loop_adapters::store::records::{CustomerLink, SeenRecord, SeenStatus};
use loop_adapters::store::{IngestView, Write, WriteError};
use loop_ground::domain::account::Account;
use loop_ground::domain::contact::Contact;
use loop_ground::domain::email::Email;
use loop_ground::domain::endpoint::{Endpoint, EndpointSet, EndpointStatus};
use loop_ground::domain::outbound::DeliveryPointer;
use loop_ground::error::StoreError;
use loop_ground::http::Request;
use loop_ground::secret::Secret;

const NOW: i64 = 1_800_000_000;
const SECRET: &str = "whsec_scenarios_0123456789";
const ENDPOINT: &str = "we_1";
const JENNY: &str = "jenny.rosen@example.com";

impl World {
    /// An account with a Stripe signing secret and one endpoint taking every event.
    fn new() -> World {
        let mut account = Account::new("Acme", true, NOW - 86_400);
        account.stripe.signing_secrets = vec![Secret::new(SECRET)];
        World::of(account, NOW)
    }

    /// What the one read finds of the account: itself and its endpoint, nothing of the event.
    fn view(&self) -> IngestView {
        let endpoint = Endpoint::for_test(ENDPOINT, &["*"], EndpointStatus::Enabled);
        IngestView {
            account: Some(self.account.clone()),
            endpoints: EndpointSet { endpoints: vec![endpoint], version: 1 },
            ..IngestView::default()
        }
    }

    /// The view of an event recorded before, `pending` with `outbox` or `done`.
    fn seen(&self, event_id: &str, outbox: Vec<DeliveryPointer>) -> IngestView {
        let status = if outbox.is_empty() { SeenStatus::Done } else { SeenStatus::Pending };
        let seen = SeenRecord {
            pk: seen_pk(&self.account.id, event_id),
            sk: SEEN_SK.to_owned(),
            gsi1pk: None,
            gsi1sk: None,
            event_type: "customer.created".into(),
            outcome: "processed".into(),
            status,
            outbox,
            received_at: NOW - 60,
            expires_at: NOW + 86_400,
        };
        IngestView { seen: Some(seen), ..self.view() }
    }

    fn ingest(&self) -> Ingest<'_, ScriptedStore, FakeQueue> {
        Ingest {
            store: &self.store,
            queue: &self.queue,
            clock: &self.clock,
            stripe_tolerance_seconds: 300,
            public_base_url: Some("https://loop.example"),
        }
    }

    /// POSTs `event` with `signature` as `Stripe-Signature`; answers the status and the body.
    async fn post(&self, event: &Value, signature: Option<String>) -> (u16, Value) {
        let body = serde_json::to_vec(event).unwrap();
        let mut request = http::Request::builder().method("POST").uri(format!("/stripe/webhooks/{}", self.account.id));
        if let Some(signature) = signature {
            request = request.header("stripe-signature", signature);
        }
        let request: Request = request.body(body.into()).unwrap();
        let response = self.ingest().handle(request).await;
        (response.status().as_u16(), serde_json::from_slice(response.body()).unwrap_or(Value::Null))
    }

    /// POSTs `event` signed now with the account's secret, as Stripe does.
    async fn post_signed(&self, event: &Value) -> (u16, Value) {
        self.post(event, Some(signed(SECRET, NOW, event))).await
    }
}

/// `t=…,v1=HMAC-SHA256(secret, "{t}.{body}")`, as Stripe signs.
fn signed(secret: &str, t: i64, event: &Value) -> String {
    super::signature::header_for(secret, t, &serde_json::to_vec(event).unwrap())
}

/// A Stripe object from the specification's fixtures (`tests/fixtures/stripe/`, verbatim).
fn fixture(name: &str) -> Value {
    let path = format!("{}/../../tests/fixtures/stripe/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))).unwrap()
}

/// Stripe's event envelope around `object` (the shape of `fixtures/stripe/event.json`).
fn event(id: &str, kind: &str, object: Value) -> Value {
    json!({
        "id": id, "object": "event", "api_version": "2026-07-29.dahlia", "created": NOW - 5,
        "data": {"object": object}, "livemode": false, "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null}, "type": kind,
    })
}

fn customer_created(id: &str) -> Value {
    let mut customer = fixture("customer");
    customer["email"] = json!(JENNY);
    customer["name"] = json!("Jenny Rosen");
    event(id, "customer.created", customer)
}

/// A subscription event, which names its customer (`cus_QXg1o8vcGmoR32`) and no email.
fn subscription_paused(id: &str) -> Value {
    let mut subscription = fixture("subscription");
    subscription["status"] = json!("paused");
    event(id, "customer.subscription.paused", subscription)
}

fn email(raw: &str) -> Email {
    Email::parse(raw).unwrap()
}

/// A contact made by Stripe an hour ago, at `version`.
fn contact(at: &str, version: u64) -> Contact {
    Contact { version, ..Contact::new("ct_1".into(), email(at), "stripe", NOW - 3600) }
}

/// The calls, by name: what a test of the request count would count.
fn call_names(store: &ScriptedStore) -> Vec<&'static str> {
    let name = |call: &Call| match call {
        Call::ReadForIngest => "read_for_ingest",
        Call::GetContact(_) => "get_contact",
        Call::Workflows => "workflows",
        Call::Write(_) => "write",
        Call::MarkPublished(_) => "mark_published",
        Call::DeleteOutbox(_) => "delete_outbox",
        Call::Due { .. } => "due",
        Call::GetAccount(_) => "get_account",
        Call::GetEndpoints(_) => "get_endpoints",
        Call::GetPaymentLink(_) => "get_payment_link",
        Call::GetSession(_) => "get_session",
        Call::Unpark { .. } => "unpark",
    };
    store.calls().iter().map(name).collect()
}

fn event_ids(writes: &[Write]) -> Vec<String> {
    writes.iter().filter_map(|w| if let Write::PutEvent(e) = w { Some(e.id.clone()) } else { None }).collect()
}

fn contact_written(writes: &[Write]) -> (&Contact, Option<u64>) {
    writes
        .iter()
        .find_map(|w| match w {
            Write::PutContact { contact, expected_version } => Some((contact, *expected_version)),
            _ => None,
        })
        .expect("a contact written")
}

fn effects(answer: &Value) -> Vec<&str> {
    answer["effects"].as_array().expect("effects").iter().map(|e| e.as_str().unwrap()).collect()
}

#[tokio::test]
async fn a_new_customer_is_applied_in_one_transaction_then_its_events_are_queued_and_marked_published() {
    let world = World::new();
    world.store.then_read(world.view());

    let (status, answer) = world.post_signed(&customer_created("evt_new")).await;

    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "processed");
    assert_eq!(effects(&answer), ["contact.created", "event.triggered"]);
    let transactions = world.store.transactions();
    assert_eq!(transactions.len(), 1, "one transaction");
    let writes = &transactions[0];
    let [Write::SeenStripeEvent { event_id, outbox, .. }, ..] = &writes[..] else { panic!("{writes:?}") };
    assert_eq!(event_id, "evt_new", "the dedupe record");
    let (contact, expected_version) = contact_written(writes);
    assert_eq!((contact.email.as_str(), expected_version), (JENNY, None), "the new contact");
    let events = event_ids(writes);
    assert_eq!(events.len(), 2, "the outbound events");
    let delivered: Vec<(&str, &str)> = writes
        .iter()
        .filter_map(|w| match w {
            Write::PutDelivery { event_id, delivery } => Some((event_id.as_str(), delivery.endpoint_id.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(delivered, [(events[0].as_str(), ENDPOINT), (events[1].as_str(), ENDPOINT)], "their deliveries");
    let queued = world.queued();
    assert_eq!(&queued, outbox, "the outbox's pointers queued");
    let queued_events: Vec<&str> = queued.iter().map(|p| p.event_id.as_str()).collect();
    assert_eq!(queued_events, events);
    assert_eq!(call_names(&world.store), ["read_for_ingest", "write", "mark_published"]);
    assert!(matches!(&world.store.calls()[2], Call::MarkPublished(id) if id == "evt_new"));
}

#[tokio::test]
async fn a_write_that_loses_a_race_is_read_again_and_only_the_winning_attempt_is_queued() {
    let world = World::new();
    // Between the first read and its write, another event created the contact.
    world.store.then_read(world.view()).then_write_fails(WriteError::Conflict);
    let mut raced = world.view();
    raced.contacts.insert(email(JENNY), contact(JENNY, 3));
    world.store.then_read(raced);

    let (status, answer) = world.post_signed(&customer_created("evt_race")).await;

    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "processed");
    assert_eq!(call_names(&world.store), ["read_for_ingest", "write", "read_for_ingest", "write", "mark_published"]);
    let transactions = world.store.transactions();
    let (_, retried_on) = contact_written(&transactions[1]);
    assert_eq!(retried_on, Some(3), "the retry is decided on the contact read again");
    let queued: Vec<String> = world.queued().into_iter().map(|p| p.event_id).collect();
    assert_eq!(queued, event_ids(&transactions[1]), "the winner's pointers");
    assert!(event_ids(&transactions[0]).iter().all(|lost| !queued.contains(lost)), "none of the loser's");
}

#[tokio::test]
async fn an_event_recorded_first_by_a_concurrent_copy_is_answered_as_a_duplicate_and_nothing_is_queued() {
    let world = World::new();
    world.store.then_read(world.view()).then_write_fails(WriteError::AlreadySeen);
    world.store.then_read(world.seen("evt_twice", Vec::new()));

    let (status, answer) = world.post_signed(&customer_created("evt_twice")).await;

    assert_eq!((status, answer), (200, json!({"status": "duplicate"})));
    assert_eq!(call_names(&world.store), ["read_for_ingest", "write", "read_for_ingest"]);
    assert!(world.queued().is_empty(), "the copy that recorded it queues its pointers; this one none");
}

#[tokio::test]
async fn a_duplicate_whose_publication_was_interrupted_finishes_it_and_writes_nothing() {
    let world = World::new();
    let pointer = DeliveryPointer {
        v: 1,
        account_id: world.account.id.to_string(),
        event_id: "evt_out".into(),
        endpoint_id: ENDPOINT.into(),
        attempt: 1,
    };
    world.store.then_read(world.seen("evt_pending", vec![pointer.clone()]));

    let (status, answer) = world.post_signed(&customer_created("evt_pending")).await;

    assert_eq!((status, answer), (200, json!({"status": "duplicate"})));
    assert_eq!(world.queued(), [pointer], "the outbox sent");
    assert_eq!(call_names(&world.store), ["read_for_ingest", "mark_published"], "nothing written");
    assert!(matches!(&world.store.calls()[1], Call::MarkPublished(id) if id == "evt_pending"));
}

#[tokio::test]
async fn a_duplicate_already_published_sends_nothing() {
    let world = World::new();
    world.store.then_read(world.seen("evt_done", Vec::new()));

    let (status, answer) = world.post_signed(&customer_created("evt_done")).await;

    assert_eq!((status, answer), (200, json!({"status": "duplicate"})));
    assert!(world.queued().is_empty());
    assert_eq!(call_names(&world.store), ["read_for_ingest"]);
}

#[tokio::test]
async fn a_missing_or_wrong_signature_is_refused_and_nothing_is_written_or_queued() {
    let world = World::new();
    let created = customer_created("evt_forged");
    let cases = [
        (None, 400, "invalid_signature_header"),
        (Some("t=oops".to_owned()), 400, "invalid_signature_header"),
        (Some(signed("whsec_someone_else", NOW, &created)), 401, "invalid_signature"),
        (Some(signed(SECRET, NOW - 3600, &created)), 401, "invalid_signature"),
    ];
    for (signature, expected, code) in cases {
        world.store.then_read(world.view());
        let (status, answer) = world.post(&created, signature.clone()).await;
        assert_eq!((status, answer["error"]["code"].as_str()), (expected, Some(code)), "{signature:?}");
    }
    assert_eq!(call_names(&world.store), ["read_for_ingest"; 4], "read, never written");
    assert!(world.queued().is_empty());
}

#[tokio::test]
async fn an_unknown_account_is_not_found() {
    let world = World::new();
    world.store.then_read(IngestView::default());

    let (status, answer) = world.post_signed(&customer_created("evt_nobody")).await;

    assert_eq!((status, answer["error"]["code"].as_str()), (404, Some("resource_missing")), "{answer}");
    assert_eq!(call_names(&world.store), ["read_for_ingest"]);
    assert!(world.queued().is_empty());
}

#[tokio::test]
async fn the_store_unavailable_on_the_write_is_a_503_stripe_retries_and_nothing_is_queued() {
    let world = World::new();
    world
        .store
        .then_read(world.view())
        .then_write_fails(WriteError::Store(StoreError::Unavailable("throttled".into())));

    let (status, _) = world.post_signed(&customer_created("evt_down")).await;

    assert_eq!(status, 503);
    assert_eq!(call_names(&world.store), ["read_for_ingest", "write"], "not marked published");
    assert!(world.queued().is_empty());
}

#[tokio::test]
async fn a_subscription_event_reads_the_contact_behind_its_customer_link_once_and_its_duplicate_reads_nothing_more() {
    let world = World::new();
    let linked =
        CustomerLink { email: email("linked@example.com"), wallet_address: None, ref_id: None, deleted_at: None };
    world.store.holds_contact(contact("linked@example.com", 2));
    world.store.then_read(IngestView { linked: Some(linked.clone()), ..world.view() });

    let (status, answer) = world.post_signed(&subscription_paused("evt_sub")).await;

    assert_eq!(status, 200, "{answer}");
    assert_eq!(call_names(&world.store), ["read_for_ingest", "get_contact", "write", "mark_published"]);
    assert!(matches!(&world.store.calls()[1], Call::GetContact(at) if at.as_str() == "linked@example.com"));
    let transactions = world.store.transactions();
    let (contact, expected_version) = contact_written(&transactions[0]);
    assert_eq!(
        (contact.email.as_str(), expected_version, contact.stripe_customer_id.as_deref()),
        ("linked@example.com", Some(2), Some("cus_QXg1o8vcGmoR32")),
        "the contact behind the link updated on its version"
    );

    let again = World::new();
    again.store.then_read(IngestView { linked: Some(linked), ..again.seen("evt_sub", Vec::new()) });
    let (status, answer) = again.post_signed(&subscription_paused("evt_sub")).await;
    assert_eq!((status, answer), (200, json!({"status": "duplicate"})));
    assert_eq!(call_names(&again.store), ["read_for_ingest"], "a duplicate costs one read");
}
