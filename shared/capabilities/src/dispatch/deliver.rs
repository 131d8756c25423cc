//! The delivery of one attempt, written against the ports (`loop_adapters::ports`): the store
//! of deliveries and circuits, the queue, and the webhook sender.

use super::{backoff, release, signing};
use crate::publish;
use loop_adapters::app::App;
use loop_adapters::outbound_http::WebhookClient;
use loop_adapters::ports::{CircuitStore, DeliveryStore, MessageQueue, WebhookSender};
use loop_adapters::queue::{DeliveryQueue, OutgoingMessage};
use loop_adapters::store::{AttemptRecord, Store};
use loop_ground::clock::Clock;
use loop_ground::domain::breaker::{self, Gate};
use loop_ground::domain::cadence;
use loop_ground::domain::delivery::{Attempt, Delivery, DeliveryStatus, EndpointHealth};
use loop_ground::domain::endpoint::EndpointStatus;
use loop_ground::domain::outbound::DeliveryPointer;
use loop_ground::error::{MessageError, StoreError};
use loop_ground::ids::AccountId;

/// What dispatch works with: the store, the queue, the webhook sender, the clock, and the one
/// setting its decisions read. `Dispatcher::of` builds it on an `App`; unit tests on fakes.
pub struct Dispatcher<'a, S, Q, H> {
    pub store: &'a S,
    pub queue: &'a Q,
    pub sender: &'a H,
    pub clock: &'a dyn Clock,
    /// How long a delivery retries (`LOOP_RETRY_WINDOW`), in seconds.
    pub retry_window_seconds: i64,
}

impl<'a> Dispatcher<'a, Store, DeliveryQueue, WebhookClient> {
    pub fn of(app: &'a App) -> Self {
        Dispatcher {
            store: &app.store,
            queue: &app.queue,
            sender: app.webhooks(),
            clock: &*app.clock,
            retry_window_seconds: app.config.retry_window.as_secs() as i64,
        }
    }
}

/// How long a claim on an attempt holds: longer than the request's 15 s timeout and the record
/// after it (with its retries), well under the queue's 180 s visibility timeout (after which a
/// dead holder's message comes back and must find the claim lapsed).
const CLAIM_LEASE_SECONDS: i64 = 30;

/// How long past its due time the next attempt may still be on its way (queue latency, a
/// backlog) before it counts as never sent.
const NEXT_ATTEMPT_GRACE_SECONDS: i64 = 30;

impl<S, Q, H> Dispatcher<'_, S, Q, H>
where
    S: DeliveryStore + CircuitStore,
    Q: MessageQueue,
    H: WebhookSender,
{
    /// Makes the attempt a pointer names, records it, and schedules the next one if it failed.
    pub async fn deliver(&self, pointer: &DeliveryPointer) -> Result<(), MessageError> {
        let account = AccountId::parse(&pointer.account_id).ok_or(MessageError::Poison("not an account id"))?;
        let now = self.clock.now_unix();
        let window = self.retry_window_seconds;
        let view = self.store.read_for_dispatch(&account, &pointer.event_id, &pointer.endpoint_id).await?;
        let event = view.event.ok_or(MessageError::Poison("no such event"))?;
        let read_last_attempt = view.delivery.as_ref().map(|d| d.last_attempt);
        let mut delivery = view.delivery.unwrap_or_else(|| Delivery {
            endpoint_id: pointer.endpoint_id.clone(),
            status: DeliveryStatus::Pending,
            last_attempt: 0,
            window_start: event.created,
            updated_at: now,
            reason: None,
            next_attempt_at: None,
        });
        let health = view.health.as_ref();
        if delivery.last_attempt >= pointer.attempt {
            if delivery.status == DeliveryStatus::Pending && delivery.last_attempt == pointer.attempt {
                self.check_next_attempt(pointer, &delivery, now).await?;
            }
            // Back because queueing a release failed: the attempt that closed the circuit, or a
            // probe that gave up (its circuit open with no live probe). Queued again; a release
            // already running keeps its turn and this one stops (`release::run`).
            let owed = match delivery.status {
                DeliveryStatus::Succeeded => health.is_some_and(|h| h.releasing),
                DeliveryStatus::Failed => health.is_some_and(|h| h.is_open() && !breaker::holds_parked(Some(h), now)),
                _ => false,
            };
            if owed {
                release::queue_on(self.queue, &account, &pointer.endpoint_id, 0).await?;
            }
            return Ok(());
        }
        let endpoint = match (view.endpoints.get(&pointer.endpoint_id), now > delivery.window_start + window) {
            (Some(e), false) if e.status == EndpointStatus::Enabled => e,
            // A parked delivery whose window ended fails with that reason, whatever became of its
            // endpoint.
            (_, true) => {
                return Ok(self
                    .stop(&account, &event.id, delivery, read_last_attempt, "retry window ended", health, now)
                    .await?)
            }
            (None, false) => {
                return Ok(self
                    .stop(&account, &event.id, delivery, read_last_attempt, "endpoint deleted", health, now)
                    .await?)
            }
            (Some(_), false) => {
                return Ok(self
                    .stop(&account, &event.id, delivery, read_last_attempt, "endpoint disabled", health, now)
                    .await?)
            }
        };
        if breaker::gate(health, &event.id, now) == Gate::Park {
            let parked = backoff::retry("parking", || {
                let now_ms = self.clock.now_millis();
                let window_ends_at = delivery.window_start + window;
                self.store.park(&account, &endpoint.id, &event.id, pointer.attempt, (now, now_ms), window_ends_at)
            })
            .await?;
            if parked {
                tracing::info!(event = %event.id, endpoint = %endpoint.id, attempt = pointer.attempt, "endpoint open-circuit: delivery parked");
                return Ok(());
            }
            // The circuit closed, or lost its probe, since it was read: this delivery goes on.
        }

        // One POST per attempt: of two copies of this pointer handled at once, one claims the
        // attempt and the other stops here. The claim outlives the request's timeout, so it only
        // lapses when its holder died; then the pointer sent back to look again (or the holder's
        // own message, back from the queue) sends again: the one case of a second POST, when the
        // first one's outcome is unknown.
        let claim_until = now + CLAIM_LEASE_SECONDS;
        let claimed = backoff::retry("attempt claim", || {
            self.store.claim_attempt(&account, &event.id, &delivery, pointer.attempt, now, claim_until)
        })
        .await?;
        if !claimed {
            // Dropping it would lose the delivery if this is the holder's own message, back early
            // (a visibility timeout shorter than the claim): it looks again once the claim lapses,
            // and is then a duplicate of the attempt the holder recorded, or makes it.
            tracing::info!(event = %event.id, endpoint = %endpoint.id, attempt = pointer.attempt, "attempt claimed by another handler: looking again when the claim lapses");
            let look_again = OutgoingMessage {
                body: serde_json::to_string(pointer).expect("pointers serialize"),
                delay_seconds: CLAIM_LEASE_SECONDS as u32 + 1,
            };
            self.queue.send(std::slice::from_ref(&look_again)).await?;
            return Ok(());
        }

        let headers = signing::sign(
            &endpoint.active_secrets(now),
            &event.id,
            self.clock.wire_now_unix(),
            event.payload.as_bytes(),
        );
        let response = self.sender.post(&endpoint.url, &headers, &event.payload).await;
        let attempt = Attempt {
            endpoint_id: pointer.endpoint_id.clone(),
            attempt: pointer.attempt,
            at: now,
            response_status: response.status,
            duration_ms: response.duration_ms,
            error: response.error,
            response_body: response.body,
        };
        let succeeded = attempt.succeeded();
        let next = pointer.attempt + 1;
        let wait = if succeeded { 0 } else { cadence::delay_after(next, response.retry_after_seconds) };
        let next_at = now + i64::from(wait);
        let gives_up = !succeeded && next_at > delivery.window_start + window;
        delivery.last_attempt = pointer.attempt;
        delivery.updated_at = now;
        delivery.status = match (succeeded, gives_up) {
            (true, _) => DeliveryStatus::Succeeded,
            (false, true) => DeliveryStatus::Failed,
            (false, false) => DeliveryStatus::Pending,
        };
        delivery.reason = gives_up.then(|| "retry window ended".to_owned());
        delivery.next_attempt_at = (delivery.status == DeliveryStatus::Pending).then_some(next_at);
        let mut verdict =
            breaker::after_attempt(health, &event.id, succeeded, now, (!succeeded && !gives_up).then_some(next_at));
        // Losing this record would make the attempt again later: a conflict or a throttle is
        // tried again before the message is handed back, every try under one idempotency token.
        let token = loop_ground::ids::random_token(32);
        let mut recorded = backoff::retry("attempt record", || {
            self.store.record_attempt(&account, &event.id, &attempt, &delivery, verdict.change.clone(), &token)
        })
        .await?;
        if recorded == AttemptRecord::CircuitOpened {
            // Other deliveries opened the circuit while this one's POST was on its way: its
            // success closes it, and the deliveries parked meanwhile are released.
            verdict = breaker::closing();
            let token = loop_ground::ids::random_token(32);
            recorded = backoff::retry("attempt record", || {
                self.store.record_attempt(&account, &event.id, &attempt, &delivery, verdict.change.clone(), &token)
            })
            .await?;
        }
        if recorded != AttemptRecord::Recorded {
            return Ok(()); // a concurrent duplicate recorded this attempt first
        }
        tracing::info!(event = %event.id, endpoint = %endpoint.id, attempt = pointer.attempt, status = ?attempt.response_status, succeeded, "delivery attempt");
        let outcome = match delivery.status {
            DeliveryStatus::Succeeded => "succeeded",
            DeliveryStatus::Pending => "retrying",
            DeliveryStatus::Failed | DeliveryStatus::Skipped => "failed",
        };
        loop_ground::metrics::delivery_attempt(outcome, attempt.duration_ms);
        if succeeded || gives_up {
            // The streak would outlast the window before the next attempt could be made.
            let failing_since = health.and_then(|h| h.failing_since).unwrap_or(now);
            let disabled = gives_up && next_at - failing_since >= window;
            if disabled {
                self.disable(&account, &endpoint.id, now).await?;
            }
            // Closed, or disabled (the parked then fail), or the probe gave up (another takes over).
            if verdict.release_parked || disabled {
                release::queue_on(self.queue, &account, &endpoint.id, 0).await?;
            }
            return Ok(());
        }
        let retry = DeliveryPointer { attempt: next, ..pointer.clone() };
        let message =
            OutgoingMessage { body: serde_json::to_string(&retry).expect("pointers serialize"), delay_seconds: wait };
        self.queue.send(std::slice::from_ref(&message)).await?;
        Ok(())
    }

    /// Ends a delivery without an attempt. If it probed an open circuit, the parked deliveries are
    /// released: one of them takes the role, or, if the endpoint is disabled or deleted, they end too.
    /// `read_last_attempt`: the delivery's last attempt as read (`None`: no record was found), so
    /// that a newer outcome written meanwhile is not undone.
    #[allow(clippy::too_many_arguments)] // each is one fact of the stop; a struct would only rename them
    async fn stop(
        &self,
        account: &AccountId,
        event_id: &str,
        mut delivery: Delivery,
        read_last_attempt: Option<u32>,
        reason: &str,
        health: Option<&EndpointHealth>,
        now: i64,
    ) -> Result<(), StoreError> {
        delivery.status = DeliveryStatus::Failed;
        delivery.reason = Some(reason.to_owned());
        delivery.updated_at = now;
        delivery.next_attempt_at = None;
        if !self.store.put_delivery(account, event_id, &delivery, read_last_attempt, now).await? {
            // Another handler attempted or claimed it since it was read: its outcome stands.
            return Ok(());
        }
        // Only the probe hands over: it is the one delivery of an open circuit that keeps coming
        // back, and the parked ones it releases stop here too without releasing again.
        let probing = health.and_then(|h| h.probe.as_ref()).is_some_and(|p| p.event_id == event_id);
        if probing {
            self.store.clear_probe(account, &delivery.endpoint_id, event_id).await?;
            release::queue_on(self.queue, account, &delivery.endpoint_id, 0).await?;
        }
        Ok(())
    }

    /// A pointer for an attempt already made, while the delivery still retries: the handler that made
    /// it may have died before queueing the next attempt, or this is a duplicate of a pointer whose
    /// next attempt is on its way. Queueing the next attempt for every duplicate would start a second
    /// chain of retries that never ends (each attempt then POSTed twice), so the next attempt is only
    /// queued once it is overdue; until then this pointer comes back to look again when it would be.
    /// By then, if the next attempt was made, the pointer is dropped like any duplicate.
    async fn check_next_attempt(
        &self,
        pointer: &DeliveryPointer,
        delivery: &Delivery,
        now: i64,
    ) -> Result<(), StoreError> {
        let next = pointer.attempt + 1;
        // Records made before `nextAttemptAt` existed: the next attempt waited the cadence's delay.
        let due_at = delivery.next_attempt_at.unwrap_or(delivery.updated_at + i64::from(cadence::delay_before(next)));
        let overdue_at = due_at + NEXT_ATTEMPT_GRACE_SECONDS;
        if now >= overdue_at {
            tracing::warn!(event = %pointer.event_id, endpoint = %pointer.endpoint_id, attempt = next, "next attempt overdue: queued again");
            let retry = DeliveryPointer { attempt: next, ..pointer.clone() };
            return publish::send(self.queue, std::slice::from_ref(&retry)).await;
        }
        let wait = (overdue_at - now).clamp(1, 900) as u32;
        let look_again =
            OutgoingMessage { body: serde_json::to_string(pointer).expect("pointers serialize"), delay_seconds: wait };
        self.queue.send(std::slice::from_ref(&look_again)).await
    }

    /// An endpoint whose every delivery failed for the whole retry window is disabled.
    async fn disable(&self, account: &AccountId, endpoint_id: &str, now: i64) -> Result<(), StoreError> {
        for _ in 0..5 {
            let mut set = self.store.get_endpoints(account).await?;
            let Some(endpoint) = set.endpoints.iter_mut().find(|e| e.id == endpoint_id) else { return Ok(()) };
            if endpoint.status == EndpointStatus::Disabled {
                return Ok(());
            }
            endpoint.status = EndpointStatus::Disabled;
            endpoint.disabled_reason = Some(format!(
                "every delivery failed for the whole {}-hour retry window (disabled {})",
                self.retry_window_seconds / 3600,
                loop_ground::clock::rfc3339_from_unix(now)
            ));
            set.version += 1;
            if self.store.save_endpoints(account, &set).await? {
                tracing::warn!(account = %account, endpoint = endpoint_id, "endpoint disabled after failing for the whole retry window");
                return Ok(());
            }
        }
        Err(StoreError::Unavailable("endpoints kept changing".into()))
    }
}
