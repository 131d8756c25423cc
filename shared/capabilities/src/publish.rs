//! The one publishing path. A capability stores its events in the same transaction as the state
//! change that caused them, together with each event's delivery records and an outbox of
//! pointer messages; then [`send`] hands the pointers to the delivery queue. If that fails, the
//! outbox is still stored and is sent again (by the Stripe retry, or a redelivery), and
//! dispatch ignores a pointer for an attempt already made.

use loop_adapters::app::App;
use loop_adapters::ports::{CommitStore, MessageQueue};
use loop_adapters::queue::{DeliveryQueue, OutgoingMessage};
use loop_adapters::store::{Store, Write, WriteError};
use loop_ground::clock::Clock;
use loop_ground::domain::delivery::{Delivery, DeliveryStatus};
use loop_ground::domain::endpoint::{EndpointSet, EndpointStatus};
use loop_ground::domain::outbound::{DeliveryPointer, OutboundEvent};
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

/// What publishing some events writes and sends.
#[derive(Debug, Default)]
pub struct FanOut {
    pub pointers: Vec<DeliveryPointer>,
    /// One delivery record per (event, subscribed endpoint): pending, or skipped if disabled.
    pub writes: Vec<Write>,
}

pub fn fan_out(account: &AccountId, endpoints: &EndpointSet, events: &[OutboundEvent], now: i64) -> FanOut {
    let mut out = FanOut::default();
    for event in events {
        for endpoint in endpoints.endpoints.iter().filter(|e| e.subscribes_to(&event.kind)) {
            let enabled = endpoint.wants(&event.kind);
            if enabled {
                out.pointers.push(DeliveryPointer {
                    v: 1,
                    account_id: account.to_string(),
                    event_id: event.id.clone(),
                    endpoint_id: endpoint.id.clone(),
                    attempt: 1,
                });
            }
            out.writes.push(Write::PutDelivery {
                event_id: event.id.clone(),
                delivery: Delivery {
                    endpoint_id: endpoint.id.clone(),
                    status: if enabled { DeliveryStatus::Pending } else { DeliveryStatus::Skipped },
                    last_attempt: 0,
                    window_start: now,
                    updated_at: now,
                    reason: (!enabled).then(|| "endpoint disabled".to_owned()),
                    next_attempt_at: None,
                },
            });
        }
    }
    out
}

/// Sends pointers, each held back by its delay (batched by ten).
pub async fn send(queue: &impl MessageQueue, pointers: &[DeliveryPointer]) -> Result<(), StoreError> {
    let messages: Vec<OutgoingMessage> = pointers
        .iter()
        .map(|p| OutgoingMessage {
            body: serde_json::to_string(p).expect("pointers serialize"),
            delay_seconds: loop_ground::domain::cadence::delay_before(p.attempt),
        })
        .collect();
    queue.send(&messages).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use loop_adapters::fakes::{Call, FakeQueue, ScriptedStore};
    use loop_ground::clock::FixedClock;
    use loop_ground::domain::endpoint::{Endpoint, EndpointStatus};

    const NOW: i64 = 1_800_000_000;

    /// Commits a pay token with one `contact.created` event, for an account whose one endpoint
    /// takes every event: answers the account, the event, and what `commit` answered.
    async fn commit_one_event(
        store: &ScriptedStore,
        queue: &FakeQueue,
    ) -> (AccountId, OutboundEvent, Result<(), WriteError>) {
        let clock = FixedClock(time::OffsetDateTime::from_unix_timestamp(NOW).unwrap());
        let account = AccountId::generate();
        let endpoints =
            EndpointSet { endpoints: vec![Endpoint::for_test("we_1", &["*"], EndpointStatus::Enabled)], version: 1 };
        let change = Write::PutPayToken { token: "pt_1".into(), transfer_id: "tr_1".into() };
        let event = OutboundEvent::envelope("contact.created", serde_json::json!({}), NOW * 1000);
        let publisher = Publisher { store, queue, clock: &clock };
        let committed = publisher.commit(&account, &endpoints, vec![change], vec![event.clone()]).await;
        (account, event, committed)
    }

    /// The outbox the one transaction stored: its id, pointers and due time.
    fn outbox_in(store: &ScriptedStore) -> (String, Vec<DeliveryPointer>, i64) {
        let transactions = store.transactions();
        assert_eq!(transactions.len(), 1, "one transaction");
        transactions[0]
            .iter()
            .find_map(|w| match w {
                Write::PutOutbox { id, pointers, due_at } => Some((id.clone(), pointers.clone(), *due_at)),
                _ => None,
            })
            .expect("an outbox in the transaction")
    }

    #[tokio::test]
    async fn a_commit_stores_the_change_with_its_events_deliveries_and_outbox_then_queues_and_clears_the_outbox() {
        let (store, queue) = (ScriptedStore::default(), FakeQueue::default());
        let (account, event, committed) = commit_one_event(&store, &queue).await;
        committed.unwrap();

        let writes = &store.transactions()[0];
        assert!(writes.iter().any(|w| matches!(w, Write::PutPayToken { token, .. } if token == "pt_1")), "the change");
        assert!(writes.iter().any(|w| matches!(w, Write::PutEvent(e) if *e == event)), "the event");
        let delivery = writes.iter().find_map(|w| match w {
            Write::PutDelivery { event_id, delivery } if *event_id == event.id => Some(delivery),
            _ => None,
        });
        assert_eq!(delivery.map(|d| (d.endpoint_id.as_str(), d.status)), Some(("we_1", DeliveryStatus::Pending)));
        let (outbox, pointers, _) = outbox_in(&store);
        let pointer = DeliveryPointer {
            v: 1,
            account_id: account.to_string(),
            event_id: event.id,
            endpoint_id: "we_1".into(),
            attempt: 1,
        };
        assert_eq!(pointers, [pointer], "the outbox");
        let queued: Vec<DeliveryPointer> =
            queue.take().iter().map(|m| serde_json::from_str(&m.body).unwrap()).collect();
        assert_eq!(queued, pointers, "its pointer queued");
        let calls = store.calls();
        assert!(matches!(&calls[..], [Call::Write(_), Call::DeleteOutbox(id)] if *id == outbox), "{calls:?}");
    }

    #[tokio::test]
    async fn if_the_pointers_cannot_be_queued_the_outbox_stays_for_the_sweep() {
        let (store, queue) = (ScriptedStore::default(), FakeQueue::unavailable());
        let (_, _, committed) = commit_one_event(&store, &queue).await;

        committed.expect("the change is stored: the commit holds");
        let (_, pointers, due_at) = outbox_in(&store);
        assert_eq!((pointers.len(), due_at), (1, NOW + OUTBOX_GRACE_SECONDS), "swept once its grace is over");
        assert!(!store.calls().iter().any(|c| matches!(c, Call::DeleteOutbox(_))), "the outbox kept");
    }

    #[tokio::test]
    async fn a_commit_that_loses_a_race_queues_nothing_and_says_so() {
        let (store, queue) = (ScriptedStore::default(), FakeQueue::default());
        store.then_write_fails(WriteError::Conflict);
        let (_, _, committed) = commit_one_event(&store, &queue).await;

        assert!(matches!(committed, Err(WriteError::Conflict)), "the caller reads again");
        assert!(queue.take().is_empty());
        assert_eq!(store.calls().len(), 1, "no outbox to clear");
    }

    #[tokio::test]
    async fn each_pointer_is_sent_held_back_by_the_delay_before_its_attempt() {
        let queue = loop_adapters::fakes::FakeQueue::default();
        let pointer = |attempt| DeliveryPointer {
            v: 1,
            account_id: "acct_1".into(),
            event_id: "evt_1".into(),
            endpoint_id: "we_1".into(),
            attempt,
        };
        send(&queue, &[pointer(1), pointer(14), pointer(20)]).await.unwrap();

        let sent = queue.take();
        let delays: Vec<u32> = sent.iter().map(|m| m.delay_seconds).collect();
        assert_eq!(delays, [0, 2, 20], "the cadence's delays before attempts 1, 14 and 20");
        let first: DeliveryPointer = serde_json::from_str(&sent[0].body).unwrap();
        assert_eq!(first, pointer(1));
    }

    #[test]
    fn each_event_goes_to_each_enabled_endpoint_that_wants_it_and_is_skipped_by_disabled_ones() {
        let account = AccountId::generate();
        let endpoint = Endpoint::for_test;
        let endpoints = EndpointSet {
            endpoints: vec![
                endpoint("we_all", &["*"], EndpointStatus::Enabled),
                endpoint("we_contacts", &["contact.created"], EndpointStatus::Enabled),
                endpoint("we_off", &["*"], EndpointStatus::Disabled),
            ],
            version: 1,
        };
        let events = [
            OutboundEvent::envelope("contact.created", serde_json::json!({}), 1),
            OutboundEvent::envelope("event.triggered", serde_json::json!({}), 1),
        ];
        let out = fan_out(&account, &endpoints, &events, 1);
        let pairs: Vec<(&str, &str)> =
            out.pointers.iter().map(|p| (p.event_id.as_str(), p.endpoint_id.as_str())).collect();
        assert_eq!(
            pairs,
            [
                (events[0].id.as_str(), "we_all"),
                (events[0].id.as_str(), "we_contacts"),
                (events[1].id.as_str(), "we_all")
            ]
        );
        assert!(out.pointers.iter().all(|p| p.attempt == 1));
        let skipped = out
            .writes
            .iter()
            .filter(|w| matches!(w, Write::PutDelivery { delivery, .. } if delivery.status == DeliveryStatus::Skipped))
            .count();
        assert_eq!((out.writes.len(), skipped), (5, 2));
    }
}

/// Why a redelivery cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum RedeliverError {
    #[error("no such event")]
    UnknownEvent,
    #[error("no such webhook endpoint")]
    UnknownEndpoint,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Sends an event again, with the same event id, to one endpoint or to every enabled endpoint
/// that subscribes to it; each delivery gets a fresh retry window. Answers how many.
pub async fn redeliver(
    app: &App,
    account: &AccountId,
    event_id: &str,
    endpoint_id: Option<&str>,
) -> Result<usize, RedeliverError> {
    let now = app.clock.now_unix();
    let detail = app.store.event_detail(account, event_id, 0).await?;
    let event = detail.event.ok_or(RedeliverError::UnknownEvent)?;
    let endpoints = app.store.get_endpoints(account).await?;
    let targets: Vec<&loop_ground::domain::endpoint::Endpoint> = match endpoint_id {
        Some(id) => vec![endpoints.get(id).ok_or(RedeliverError::UnknownEndpoint)?],
        // A test event went to one endpoint whatever its filter: sent again, it goes there only.
        None if event.kind == TEST_EVENT_TYPE => endpoints
            .endpoints
            .iter()
            .filter(|e| e.status == EndpointStatus::Enabled && detail.deliveries.iter().any(|d| d.endpoint_id == e.id))
            .collect(),
        None => endpoints.endpoints.iter().filter(|e| e.wants(&event.kind)).collect(),
    };
    let mut messages = Vec::with_capacity(targets.len());
    for endpoint in targets {
        let delivery = restart_delivery(app, account, &event.id, &endpoint.id, now).await?;
        let pointer = DeliveryPointer {
            v: 1,
            account_id: account.to_string(),
            event_id: event.id.clone(),
            endpoint_id: endpoint.id.clone(),
            attempt: delivery.last_attempt + 1,
        };
        // By hand means now, whatever the cadence says about this attempt number.
        messages.push(OutgoingMessage {
            body: serde_json::to_string(&pointer).expect("pointers serialize"),
            delay_seconds: 0,
        });
    }
    app.queue.send(&messages).await?;
    Ok(messages.len())
}

/// Puts a delivery back to `pending` with a new retry window, after its last attempt. An
/// attempt in flight (claimed) or recorded meanwhile makes the put fail: read again, and wait a
/// little for a claim to be recorded (a POST takes up to its 15 s timeout), rather than drop the
/// claim and have its attempt POSTed twice, or undo its outcome.
async fn restart_delivery(
    app: &App,
    account: &AccountId,
    event_id: &str,
    endpoint_id: &str,
    now: i64,
) -> Result<Delivery, StoreError> {
    for round in 0..REDELIVER_ROUNDS {
        if round > 0 {
            tokio::time::sleep(loop_ground::backoff::jittered(round).max(std::time::Duration::from_millis(200))).await;
        }
        let previous = app.store.get_delivery(account, event_id, endpoint_id).await?;
        let delivery = Delivery {
            endpoint_id: endpoint_id.to_owned(),
            status: DeliveryStatus::Pending,
            last_attempt: previous.as_ref().map_or(0, |d| d.last_attempt),
            window_start: now,
            updated_at: now,
            reason: None,
            next_attempt_at: None,
        };
        let read_last_attempt = previous.as_ref().map(|d| d.last_attempt);
        if app.store.put_delivery(account, event_id, &delivery, read_last_attempt, now).await? {
            return Ok(delivery);
        }
    }
    Err(StoreError::Unavailable("a delivery attempt is in flight; redeliver again shortly".into()))
}

/// Reads of a delivery that keeps changing (an attempt in flight) before a redelivery gives up
/// with `503`: about as long as one POST may take.
const REDELIVER_ROUNDS: u32 = 12;

/// What committing works with: the store's one transaction and its outbox, the queue, and the
/// clock. `Publisher::of` builds it on an `App`; unit tests on fakes.
pub struct Publisher<'a, S, Q> {
    pub store: &'a S,
    pub queue: &'a Q,
    pub clock: &'a dyn Clock,
}

impl<'a> Publisher<'a, Store, DeliveryQueue> {
    pub fn of(app: &'a App) -> Self {
        Publisher { store: &app.store, queue: &app.queue, clock: &*app.clock }
    }
}

/// [`Publisher::commit`] on an `App`.
pub async fn commit(
    app: &App,
    account: &AccountId,
    endpoints: &EndpointSet,
    writes: Vec<Write>,
    events: Vec<OutboundEvent>,
) -> Result<(), WriteError> {
    Publisher::of(app).commit(account, endpoints, writes, events).await
}

impl<S: CommitStore, Q: MessageQueue> Publisher<'_, S, Q> {
    /// Stores `writes` with `events`, their deliveries and an outbox in one transaction, then
    /// hands the pointers to the queue. The state change is durable once this returns `Ok`; if
    /// sending fails, the outbox stays and the scheduler's sweep sends it.
    pub async fn commit(
        &self,
        account: &AccountId,
        endpoints: &EndpointSet,
        writes: Vec<Write>,
        events: Vec<OutboundEvent>,
    ) -> Result<(), WriteError> {
        let now = self.clock.now_unix();
        let fan = fan_out(account, endpoints, &events, now);
        self.commit_fan_out(account, writes, events, fan, now).await
    }

    /// [`Self::commit`] with its deliveries and pointers already chosen.
    async fn commit_fan_out(
        &self,
        account: &AccountId,
        mut writes: Vec<Write>,
        events: Vec<OutboundEvent>,
        fan: FanOut,
        now: i64,
    ) -> Result<(), WriteError> {
        let outbox = loop_ground::ids::new_id("ob_");
        if !fan.pointers.is_empty() {
            writes.push(Write::PutOutbox {
                id: outbox.clone(),
                pointers: fan.pointers.clone(),
                due_at: now + OUTBOX_GRACE_SECONDS,
            });
        }
        writes.extend(crate::email::automated::jobs_for(&events, now));
        writes.extend(events.into_iter().map(Write::PutEvent));
        writes.extend(fan.writes);
        self.store.write(account, &writes).await?;
        crate::email::hand_over(self.queue, account, &writes).await;
        if fan.pointers.is_empty() {
            return Ok(());
        }
        match send(self.queue, &fan.pointers).await {
            Ok(()) => {
                if let Err(err) = self.store.delete_outbox(account, &outbox).await {
                    tracing::warn!(error = %err, "outbox not cleared; the sweep will resend it (dispatch ignores duplicates)");
                }
            }
            Err(err) => tracing::warn!(error = %err, "pointers not sent; the scheduler's outbox sweep will send them"),
        }
        Ok(())
    }
}

/// How long an outbox waits before the sweep assumes its sender failed.
pub const OUTBOX_GRACE_SECONDS: i64 = 60;

/// The type of a test event: no endpoint subscribes to it, and it goes only to the endpoint it
/// is sent to.
pub const TEST_EVENT_TYPE: &str = "webhook.test";

/// Why a test event cannot be sent.
#[derive(Debug, thiserror::Error)]
pub enum TestEventError {
    #[error("no such webhook endpoint")]
    UnknownEndpoint,
    #[error("this endpoint is disabled: enable it to send it a test event")]
    Disabled,
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Sends one endpoint a test event (`webhook.test`), whatever its event filter, along the path
/// every event takes: stored with its delivery and an outbox in one transaction, queued, then
/// signed and POSTed by dispatch, its attempts recorded (so it shows on the Events page and
/// in the success rate like any other). Answers the event's id.
pub async fn send_test_event(app: &App, account: &AccountId, endpoint_id: &str) -> Result<String, TestEventError> {
    let endpoints = app.store.get_endpoints(account).await?;
    let endpoint = endpoints.get(endpoint_id).ok_or(TestEventError::UnknownEndpoint)?;
    if endpoint.status != EndpointStatus::Enabled {
        return Err(TestEventError::Disabled);
    }
    let now = app.clock.now_unix();
    let data = serde_json::json!({
        "endpointId": endpoint.id,
        "message": "A test event from Loop: this endpoint receives and verifies Loop's webhooks.",
    });
    let event = OutboundEvent::envelope(TEST_EVENT_TYPE, data, app.clock.now_millis());
    let fan = FanOut {
        pointers: vec![DeliveryPointer {
            v: 1,
            account_id: account.to_string(),
            event_id: event.id.clone(),
            endpoint_id: endpoint.id.clone(),
            attempt: 1,
        }],
        writes: vec![Write::PutDelivery {
            event_id: event.id.clone(),
            delivery: Delivery {
                endpoint_id: endpoint.id.clone(),
                status: DeliveryStatus::Pending,
                last_attempt: 0,
                window_start: now,
                updated_at: now,
                reason: None,
                next_attempt_at: None,
            },
        }],
    };
    let id = event.id.clone();
    Publisher::of(app).commit_fan_out(account, Vec::new(), vec![event], fan, now).await?;
    Ok(id)
}
