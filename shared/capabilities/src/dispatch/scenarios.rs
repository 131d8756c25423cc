//! Dispatch's promises, on the fakes of its ports (`loop_adapters::fakes`): what a merchant
//! would check of one delivery, without the emulator. Time is a fixed clock per step.

use loop_adapters::fakes::{FakeQueue, FakeSender, FakeStore};
use loop_adapters::queue::OutgoingMessage;
use loop_ground::clock::FixedClock;
use loop_ground::domain::breaker::OPEN_AFTER_FAILURES;
use loop_ground::domain::cadence;
use loop_ground::domain::delivery::{Delivery, DeliveryStatus};
use loop_ground::domain::endpoint::{Endpoint, EndpointSet, EndpointStatus};
use loop_ground::domain::outbound::{DeliveryPointer, OutboundEvent, QueueJob};
use loop_ground::error::MessageError;
use loop_ground::ids::AccountId;

use super::Dispatcher;

const T0: i64 = 1_800_000_000;
const WINDOW: i64 = 3600;
const ENDPOINT: &str = "we_1";

struct World {
    account: AccountId,
    store: FakeStore,
    queue: FakeQueue,
    sender: FakeSender,
}

impl World {
    /// One account with one enabled endpoint whose POSTs answer `status`.
    fn answering(status: u16) -> World {
        let world = World {
            account: AccountId::generate(),
            store: FakeStore::default(),
            queue: FakeQueue::default(),
            sender: FakeSender::answering(status),
        };
        let endpoint = Endpoint::for_test(ENDPOINT, &["*"], EndpointStatus::Enabled);
        world.store.put_endpoints(&world.account, EndpointSet { endpoints: vec![endpoint], version: 1 });
        world
    }

    /// An event published at `T0`, and the pointer of its first attempt.
    fn event(&self, id: &str) -> DeliveryPointer {
        let payload = format!(r#"{{"id":"{id}","type":"contact.created"}}"#);
        let event = OutboundEvent { id: id.into(), kind: "contact.created".into(), created: T0, payload };
        self.store.put_event(&self.account, event);
        DeliveryPointer {
            v: 1,
            account_id: self.account.to_string(),
            event_id: id.into(),
            endpoint_id: ENDPOINT.into(),
            attempt: 1,
        }
    }

    async fn deliver_at(&self, now: i64, pointer: &DeliveryPointer) -> Result<(), MessageError> {
        let clock = FixedClock(time::OffsetDateTime::from_unix_timestamp(now).unwrap());
        self.dispatcher(&clock).deliver(pointer).await
    }

    fn dispatcher<'a>(&'a self, clock: &'a FixedClock) -> Dispatcher<'a, FakeStore, FakeQueue, FakeSender> {
        Dispatcher { store: &self.store, queue: &self.queue, sender: &self.sender, clock, retry_window_seconds: WINDOW }
    }

    fn delivery(&self, event_id: &str) -> Delivery {
        self.store.delivery(&self.account, event_id, ENDPOINT).expect("a delivery record")
    }

    fn set_endpoint_status(&self, status: EndpointStatus) {
        let mut set = self.store.endpoints(&self.account);
        set.endpoints[0].status = status;
        self.store.put_endpoints(&self.account, set);
    }
}

fn pointer_in(message: &OutgoingMessage) -> DeliveryPointer {
    match serde_json::from_str(&message.body) {
        Ok(QueueJob::Delivery(pointer)) => pointer,
        other => panic!("not a delivery pointer: {other:?}"),
    }
}

#[tokio::test]
async fn a_2xx_marks_the_delivery_succeeded_and_queues_nothing() {
    let world = World::answering(204);
    let pointer = world.event("evt_ok");
    world.deliver_at(T0, &pointer).await.unwrap();

    let posted = world.sender.posted();
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].body, r#"{"id":"evt_ok","type":"contact.created"}"#);
    assert_eq!(posted[0].headers.webhook_id, "evt_ok", "signed for its event");
    let delivery = world.delivery("evt_ok");
    assert_eq!(
        (delivery.status, delivery.last_attempt, delivery.next_attempt_at),
        (DeliveryStatus::Succeeded, 1, None)
    );
    assert_eq!(world.store.attempts(&world.account, "evt_ok", ENDPOINT)[0].response_status, Some(204));
    assert!(world.queue.take().is_empty());
}

#[tokio::test]
async fn a_500_records_a_failed_attempt_and_queues_the_next_after_the_cadence_delay() {
    let world = World::answering(500);
    let pointer = DeliveryPointer { attempt: 13, ..world.event("evt_500") };
    world.deliver_at(T0 + 10, &pointer).await.unwrap();

    let attempts = world.store.attempts(&world.account, "evt_500", ENDPOINT);
    assert_eq!(attempts.len(), 1);
    assert_eq!((attempts[0].attempt, attempts[0].response_status), (13, Some(500)));
    assert_eq!(attempts[0].error.as_deref(), Some("HTTP 500"));
    let wait = cadence::delay_before(14);
    assert_eq!(wait, 2, "attempt 14 waits two seconds (`webhooks.md`)");
    let delivery = world.delivery("evt_500");
    assert_eq!(delivery.status, DeliveryStatus::Pending);
    assert_eq!(delivery.next_attempt_at, Some(T0 + 10 + i64::from(wait)));
    let queued = world.queue.take();
    assert_eq!(queued.len(), 1);
    assert_eq!(pointer_in(&queued[0]), DeliveryPointer { attempt: 14, ..pointer });
    assert_eq!(queued[0].delay_seconds, wait);
}

#[tokio::test]
async fn a_retry_after_longer_than_the_cadence_is_waited() {
    let world = World::answering(503);
    world.sender.answer(503, Some(120));
    let pointer = world.event("evt_busy");
    world.deliver_at(T0, &pointer).await.unwrap();

    let queued = world.queue.take();
    assert_eq!((pointer_in(&queued[0]).attempt, queued[0].delay_seconds), (2, 120));
}

#[tokio::test]
async fn the_same_pointer_twice_posts_once() {
    let world = World::answering(200);
    let pointer = world.event("evt_dup");
    world.deliver_at(T0, &pointer).await.unwrap();
    world.deliver_at(T0 + 1, &pointer).await.unwrap();

    assert_eq!(world.sender.posted().len(), 1);
    assert_eq!(world.store.attempts(&world.account, "evt_dup", ENDPOINT).len(), 1);
    assert!(world.queue.take().is_empty(), "a duplicate of a finished delivery is dropped");
}

#[tokio::test]
async fn two_handlers_of_one_pointer_at_once_post_once() {
    let world = World::answering(200);
    let pointer = world.event("evt_race");
    let (first, second) = futures::join!(world.deliver_at(T0, &pointer), world.deliver_at(T0, &pointer));
    first.unwrap();
    second.unwrap();

    assert_eq!(world.sender.posted().len(), 1, "one claim, one POST");
    assert_eq!(world.delivery("evt_race").status, DeliveryStatus::Succeeded);
    // The loser cannot tell a live holder from a dead one: it looks again once the claim lapses.
    let queued = world.queue.take();
    assert_eq!(queued.len(), 1);
    assert_eq!(pointer_in(&queued[0]), pointer);
    assert_eq!(queued[0].delay_seconds, 31);
    world.deliver_at(T0 + 31, &pointer).await.unwrap();
    assert_eq!(world.sender.posted().len(), 1, "by then the attempt is recorded: dropped");
}

#[tokio::test]
async fn the_claim_of_a_handler_that_died_lapses_and_the_attempt_is_made() {
    use loop_adapters::ports::DeliveryStore;
    let world = World::answering(200);
    let pointer = world.event("evt_orphan");
    let pending = Delivery {
        endpoint_id: ENDPOINT.into(),
        status: DeliveryStatus::Pending,
        last_attempt: 0,
        window_start: T0,
        updated_at: T0,
        reason: None,
        next_attempt_at: None,
    };
    // A handler claimed attempt 1 for 30 s and died before its POST.
    assert!(world.store.claim_attempt(&world.account, "evt_orphan", &pending, 1, T0, T0 + 30).await.unwrap());

    world.deliver_at(T0 + 10, &pointer).await.unwrap();
    assert!(world.sender.posted().is_empty(), "the claim holds");
    assert_eq!(world.queue.take()[0].delay_seconds, 31);
    world.deliver_at(T0 + 31, &pointer).await.unwrap();
    assert_eq!(world.sender.posted().len(), 1, "lapsed: the attempt is made");
    assert_eq!(world.delivery("evt_orphan").status, DeliveryStatus::Succeeded);
}

#[tokio::test]
async fn a_deleted_or_disabled_endpoint_ends_the_delivery_with_its_reason() {
    for (status, reason) in [(None, "endpoint deleted"), (Some(EndpointStatus::Disabled), "endpoint disabled")] {
        let world = World::answering(200);
        let pointer = world.event("evt_gone");
        match status {
            Some(status) => world.set_endpoint_status(status),
            None => world.store.put_endpoints(&world.account, EndpointSet { endpoints: vec![], version: 2 }),
        }
        world.deliver_at(T0, &pointer).await.unwrap();

        let delivery = world.delivery("evt_gone");
        assert_eq!((delivery.status, delivery.reason.as_deref()), (DeliveryStatus::Failed, Some(reason)));
        assert!(world.sender.posted().is_empty(), "{reason}: nothing POSTed");
        assert!(world.queue.take().is_empty());
    }
}

#[tokio::test]
async fn a_pointer_past_the_retry_window_fails_the_delivery_without_an_attempt() {
    let world = World::answering(500);
    let pointer = world.event("evt_late");
    world.deliver_at(T0, &pointer).await.unwrap();
    let next = pointer_in(&world.queue.take()[0]);

    world.deliver_at(T0 + WINDOW + 1, &next).await.unwrap();
    let delivery = world.delivery("evt_late");
    assert_eq!(delivery.status, DeliveryStatus::Failed);
    assert_eq!(delivery.reason.as_deref(), Some("retry window ended"));
    assert_eq!(world.sender.posted().len(), 1, "only the first attempt was made");
    assert!(world.queue.take().is_empty());
}

#[tokio::test]
async fn a_failure_whose_next_attempt_falls_past_the_window_gives_up() {
    let world = World::answering(500);
    let pointer = DeliveryPointer { attempt: 30, ..world.event("evt_last") };
    world.deliver_at(T0 + WINDOW - 5, &pointer).await.unwrap();

    let delivery = world.delivery("evt_last");
    assert_eq!((delivery.status, delivery.last_attempt), (DeliveryStatus::Failed, 30));
    assert_eq!(delivery.reason.as_deref(), Some("retry window ended"));
    assert_eq!(world.store.attempts(&world.account, "evt_last", ENDPOINT).len(), 1, "the attempt was made");
    assert!(world.queue.take().is_empty(), "no attempt 31");
}

#[tokio::test]
async fn an_endpoint_failing_for_the_whole_window_is_disabled() {
    let world = World::answering(500);
    let pointer = world.event("evt_dead");
    world.deliver_at(T0, &pointer).await.unwrap();
    world.queue.take();
    world.deliver_at(T0 + WINDOW - 5, &DeliveryPointer { attempt: 30, ..pointer }).await.unwrap();

    let endpoint = world.store.endpoints(&world.account).endpoints.remove(0);
    assert_eq!(endpoint.status, EndpointStatus::Disabled);
    assert!(endpoint.disabled_reason.unwrap().contains("whole 1-hour retry window"));
    assert_eq!(world.store.endpoints(&world.account).version, 2, "saved on the version read");
    // Its parked deliveries, if any, are released to end too.
    let queued = world.queue.take();
    assert!(matches!(serde_json::from_str(&queued[0].body), Ok(QueueJob::Release(_))), "{queued:?}");
}

#[tokio::test]
async fn an_open_circuit_parks_other_deliveries_and_its_closing_releases_them() {
    let world = World::answering(500);
    let probe = world.event("evt_probe");
    for attempt in 1..=OPEN_AFTER_FAILURES {
        world.deliver_at(T0 + i64::from(attempt), &DeliveryPointer { attempt, ..probe.clone() }).await.unwrap();
    }
    assert!(world.store.health(&world.account, ENDPOINT).unwrap().is_open());
    world.queue.take();

    // Another delivery waits behind the probe: no POST, no queue message, a parked record.
    let parked = world.event("evt_parked");
    world.deliver_at(T0 + 10, &parked).await.unwrap();
    assert_eq!(world.sender.posted().len(), OPEN_AFTER_FAILURES as usize);
    assert!(world.queue.take().is_empty());
    assert_eq!(world.store.parked(&world.account, ENDPOINT).len(), 1);

    // The probe's success closes the circuit and queues a release job.
    world.sender.answer(200, None);
    let next = DeliveryPointer { attempt: OPEN_AFTER_FAILURES + 1, ..probe };
    world.deliver_at(T0 + 20, &next).await.unwrap();
    let queued = world.queue.take();
    let Ok(QueueJob::Release(job)) = serde_json::from_str(&queued[0].body) else { panic!("{queued:?}") };

    // The release sends the parked delivery's pointer again and forgets its record.
    let clock = FixedClock(time::OffsetDateTime::from_unix_timestamp(T0 + 21).unwrap());
    world.dispatcher(&clock).release(&job).await.unwrap();
    let released = world.queue.take();
    assert_eq!(released.len(), 1);
    assert_eq!(pointer_in(&released[0]), parked);
    assert!(world.store.parked(&world.account, ENDPOINT).is_empty());
    assert_eq!(world.store.health(&world.account, ENDPOINT), None, "the circuit's record went with the release");

    world.deliver_at(T0 + 22, &parked).await.unwrap();
    assert_eq!(world.delivery("evt_parked").status, DeliveryStatus::Succeeded);
}

#[tokio::test]
async fn a_pointer_to_no_event_is_poison_and_posts_nothing() {
    let world = World::answering(200);
    let pointer = DeliveryPointer { event_id: "evt_never".into(), ..world.event("evt_other") };
    let outcome = world.deliver_at(T0, &pointer).await;

    assert!(matches!(outcome, Err(MessageError::Poison("no such event"))), "{outcome:?}");
    assert!(world.sender.posted().is_empty());
    assert!(world.queue.take().is_empty());
    let foreign = DeliveryPointer { account_id: "not-an-account".into(), ..pointer };
    assert!(matches!(world.deliver_at(T0, &foreign).await, Err(MessageError::Poison("not an account id"))));
}
