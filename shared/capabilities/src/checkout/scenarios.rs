//! Checkout's promises, on fakes of its ports (`loop_adapters::fakes`): the scripted store holds
//! the links and sessions a test puts and answers each transaction as scripted, the queue records
//! what was handed to dispatch, the clock is fixed.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{Checkout, CheckoutError, NewSession};
use crate::on_fakes::World;
use loop_adapters::fakes::{Call, FakeQueue, ScriptedStore};
use loop_adapters::store::{Write, WriteError};
use loop_ground::domain::account::Account;
use loop_ground::domain::checkout::{CheckoutSession, PaymentLink, SessionStatus};
use loop_ground::domain::delivery::DeliveryStatus;
use loop_ground::domain::endpoint::{Endpoint, EndpointSet, EndpointStatus};
use loop_ground::error::StoreError;

const NOW: i64 = 1_800_000_000;
const TTL: Duration = Duration::from_secs(3_600);

impl World {
    /// A merchant whose one endpoint takes every event.
    fn shop() -> World {
        let world = World::of(Account::new("Shop", false, NOW - 86_400), NOW);
        let endpoints =
            EndpointSet { endpoints: vec![Endpoint::for_test("we_1", &["*"], EndpointStatus::Enabled)], version: 1 };
        world.store.holds_account(world.account.clone(), endpoints);
        world
    }

    fn checkout(&self) -> Checkout<'_, ScriptedStore, FakeQueue> {
        Checkout { store: &self.store, queue: &self.queue, clock: &self.clock, session_ttl: TTL }
    }

    /// Asks for a session of payment link `pl_1`.
    async fn create_session(&self) -> Result<CheckoutSession, CheckoutError> {
        let new = NewSession { payment_link_id: "pl_1".into(), external_customer_id: None, metadata: BTreeMap::new() };
        self.checkout().create_session(&self.account, "https://pay.example", new).await
    }

    async fn finish(&self, to: SessionStatus) -> Result<CheckoutSession, CheckoutError> {
        self.checkout().finish(&self.account, "cs_1", to).await
    }
}

fn link(active: bool) -> PaymentLink {
    PaymentLink {
        id: "pl_1".into(),
        name: "Hat".into(),
        item_id: None,
        amount: "25.00".into(),
        currency: "USDC".into(),
        active,
        created_at: NOW - 3_600,
        version: 1,
    }
}

/// Session `cs_1`, made an hour ago, at version 1.
fn session(status: SessionStatus) -> CheckoutSession {
    CheckoutSession {
        id: "cs_1".into(),
        url: "https://pay.example/checkout/cs_1".into(),
        payment_link_id: "pl_1".into(),
        external_customer_id: None,
        status,
        metadata: BTreeMap::new(),
        amount: "25.00".into(),
        currency: "USDC".into(),
        created_at: NOW - 3_600,
        expires_at: NOW,
        finished_at: None,
        payment: None,
        failure_reason: None,
        version: 1,
    }
}

/// The types of the events a transaction stores.
fn event_types(writes: &[Write]) -> Vec<String> {
    writes.iter().filter_map(|w| if let Write::PutEvent(e) = w { Some(e.kind.clone()) } else { None }).collect()
}

#[tokio::test]
async fn a_session_for_an_unknown_or_inactive_link_is_refused_and_nothing_is_written() {
    let world = World::shop();
    let unknown = world.create_session().await;
    world.store.holds_payment_link(link(false));
    let inactive = world.create_session().await;

    assert!(matches!(unknown, Err(CheckoutError::UnknownPaymentLink)), "{unknown:?}");
    assert!(matches!(inactive, Err(CheckoutError::InactivePaymentLink)), "{inactive:?}");
    assert!(world.store.transactions().is_empty(), "nothing written");
}

#[tokio::test]
async fn a_new_session_is_stored_open_at_the_links_price_until_its_ttl_and_publishes_nothing() {
    let world = World::shop();
    world.store.holds_payment_link(link(true));

    let session = world.create_session().await.unwrap();

    assert_eq!(session.status, SessionStatus::Open);
    assert_eq!((session.amount.as_str(), session.currency.as_str()), ("25.00", "USDC"));
    assert_eq!((session.created_at, session.expires_at), (NOW, NOW + TTL.as_secs() as i64));
    assert_eq!(session.url, format!("https://pay.example/checkout/{}", session.id));
    let transactions = world.store.transactions();
    let [writes] = &transactions[..] else { panic!("one transaction: {transactions:?}") };
    assert!(
        matches!(&writes[..], [Write::PutSession { session: s, expected_version: None }] if *s == session),
        "only the session, created once: {writes:?}"
    );
    assert!(world.queued().is_empty(), "a session's creation is no event");
}

#[tokio::test]
async fn finishing_an_open_session_commits_it_with_its_event_and_delivery_in_one_transaction() {
    let world = World::shop();
    world.store.holds_session(session(SessionStatus::Open));

    let finished = world.finish(SessionStatus::Expired).await.unwrap();

    assert_eq!((finished.status, finished.finished_at, finished.version), (SessionStatus::Expired, Some(NOW), 2));
    let transactions = world.store.transactions();
    let [writes] = &transactions[..] else { panic!("one transaction: {transactions:?}") };
    assert!(
        writes
            .iter()
            .any(|w| matches!(w, Write::PutSession { session, expected_version: Some(1) } if *session == finished)),
        "the session, if still at the version read: {writes:?}"
    );
    assert_eq!(event_types(writes), ["checkout.session.expired"]);
    let delivery = writes.iter().find_map(|w| match w {
        Write::PutDelivery { delivery, .. } => Some((delivery.endpoint_id.as_str(), delivery.status)),
        _ => None,
    });
    assert_eq!(delivery, Some(("we_1", DeliveryStatus::Pending)));
    let queued = world.queued();
    assert_eq!(queued.iter().map(|p| p.endpoint_id.as_str()).collect::<Vec<_>>(), ["we_1"], "handed to dispatch once");
}

#[tokio::test]
async fn a_session_already_finished_is_not_finished_again_and_nothing_is_written() {
    let world = World::shop();
    world.store.holds_session(session(SessionStatus::Completed));

    let refused = world.finish(SessionStatus::Expired).await;

    assert!(matches!(refused, Err(CheckoutError::NotOpen("completed"))), "{refused:?}");
    assert!(world.store.transactions().is_empty(), "no second event");
    assert!(world.queued().is_empty());
}

#[tokio::test]
async fn a_finish_that_loses_a_race_reads_the_session_again_and_commits_one_event() {
    let world = World::shop();
    world.store.holds_session(session(SessionStatus::Open));
    world.store.then_write_fails(WriteError::Conflict);

    world.finish(SessionStatus::Completed).await.unwrap();

    let reads = world.store.calls().iter().filter(|c| matches!(c, Call::GetSession(_))).count();
    assert_eq!(reads, 2, "read again after the lost race");
    let transactions = world.store.transactions();
    assert_eq!(transactions.len(), 2, "the lost one and the one committed");
    assert_eq!(world.queued().len(), 1, "only the committed event is handed to dispatch");
}

#[tokio::test]
async fn a_session_that_keeps_changing_is_given_up_as_unavailable_after_five_tries() {
    let world = World::shop();
    world.store.holds_session(session(SessionStatus::Open));
    for _ in 0..5 {
        world.store.then_write_fails(WriteError::Conflict);
    }

    let given_up = world.finish(SessionStatus::Expired).await;

    assert!(matches!(given_up, Err(CheckoutError::Store(StoreError::Unavailable(_)))), "{given_up:?}");
    assert_eq!(world.store.transactions().len(), 5);
    assert!(world.queued().is_empty(), "no event was committed");
}

#[tokio::test]
async fn the_store_down_while_finishing_is_a_store_error_not_retried() {
    let world = World::shop();
    world.store.holds_session(session(SessionStatus::Open));
    world.store.then_write_fails(WriteError::Store(StoreError::Unavailable("down".into())));

    let failed = world.finish(SessionStatus::Expired).await;

    assert!(matches!(failed, Err(CheckoutError::Store(StoreError::Unavailable(_)))), "{failed:?}");
    assert_eq!(world.store.transactions().len(), 1, "not retried");
}

#[tokio::test]
async fn a_link_turned_off_after_a_lost_race_is_written_at_the_version_read_again() {
    let world = World::shop();
    world.store.holds_payment_link(link(true));
    world.store.then_write_fails(WriteError::Conflict);

    let updated = world.checkout().set_payment_link_active(&world.account, "pl_1", false).await.unwrap();

    assert_eq!((updated.active, updated.version), (false, 2));
    let transactions = world.store.transactions();
    assert_eq!(transactions.len(), 2, "retried after the conflict");
    assert!(
        matches!(&transactions[1][..], [Write::PutPaymentLink { link, expected_version: Some(1) }] if !link.active)
    );
}
