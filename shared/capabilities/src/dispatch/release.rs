//! Release jobs: once an endpoint's circuit closes (or it is disabled or deleted), the
//! deliveries parked behind it are sent again at `RELEASE_PER_SECOND`. One job message sends a
//! page of pointers with `DelaySeconds` spread over `RELEASE_PAGE_SECONDS`, removes their
//! parked records, and queues itself for the next page. A job that dies part-way comes back
//! and sends its page again: dispatch drops the pointers that are duplicates.

use super::Dispatcher;
use loop_adapters::app::App;
use loop_adapters::ports::{CircuitStore, MessageQueue};
use loop_adapters::queue::OutgoingMessage;
use loop_ground::domain::breaker::{self, RELEASE_PAGE_SECONDS, RELEASE_PER_SECOND};
use loop_ground::domain::endpoint::EndpointStatus;
use loop_ground::domain::outbound::{DeliveryPointer, ReleasePointer};
use loop_ground::error::{MessageError, StoreError};
use loop_ground::ids::AccountId;

/// Queues a release of the deliveries parked behind an endpoint, `delay_seconds` from now.
pub async fn queue(app: &App, account: &AccountId, endpoint_id: &str, delay_seconds: u32) -> Result<(), StoreError> {
    queue_on(&app.queue, account, endpoint_id, delay_seconds).await
}

/// [`queue`], on any queue.
pub async fn queue_on(
    queue: &impl MessageQueue,
    account: &AccountId,
    endpoint_id: &str,
    delay_seconds: u32,
) -> Result<(), StoreError> {
    let job = ReleasePointer { release: 1, account_id: account.to_string(), endpoint_id: endpoint_id.to_owned() };
    let message = OutgoingMessage { body: serde_json::to_string(&job).expect("jobs serialize"), delay_seconds };
    queue.send(std::slice::from_ref(&message)).await
}

/// Runs one page of a release job.
pub async fn run(app: &App, job: &ReleasePointer) -> Result<(), MessageError> {
    Dispatcher::of(app).release(job).await
}

impl<S: CircuitStore, Q: MessageQueue, H> Dispatcher<'_, S, Q, H> {
    /// Runs one page of a release job.
    pub async fn release(&self, job: &ReleasePointer) -> Result<(), MessageError> {
        let account = AccountId::parse(&job.account_id).ok_or(MessageError::Poison("not an account id"))?;
        let now = self.clock.now_unix();
        let view = self.store.read_for_release(&account, &job.endpoint_id).await?;
        let usable = view.endpoints.get(&job.endpoint_id).is_some_and(|e| e.status == EndpointStatus::Enabled);
        if usable && breaker::holds_parked(view.health.as_ref(), now) {
            // Open again since this job was queued: the parked wait for the probe's next success.
            tracing::info!(account = %account, endpoint = %job.endpoint_id, "circuit open again: release stopped");
            return Ok(());
        }
        // One chain at a time: a job that finds the turn taken (by a duplicate of itself, or a
        // release queued again while one ran) stops, so the rate stays one chain's.
        let turn_until = now + i64::from(RELEASE_PAGE_SECONDS) - 1;
        if !self.store.take_release_turn(&account, &job.endpoint_id, now, turn_until).await? {
            tracing::info!(account = %account, endpoint = %job.endpoint_id, "another release job has the turn: this one stops");
            return Ok(());
        }
        let (page, more) =
            self.store.parked_page(&account, &job.endpoint_id, RELEASE_PER_SECOND * RELEASE_PAGE_SECONDS).await?;
        let messages: Vec<OutgoingMessage> = page
            .iter()
            .enumerate()
            .map(|(i, parked)| {
                let pointer = DeliveryPointer {
                    v: 1,
                    account_id: job.account_id.clone(),
                    event_id: parked.event_id.clone(),
                    endpoint_id: job.endpoint_id.clone(),
                    attempt: parked.attempt,
                };
                OutgoingMessage {
                    body: serde_json::to_string(&pointer).expect("pointers serialize"),
                    delay_seconds: i as u32 / RELEASE_PER_SECOND,
                }
            })
            .collect();
        // Sent before their records go: a record is only removed once its pointer is on its way.
        self.queue.send(&messages).await?;
        self.store.unpark(&account, &job.endpoint_id, &page).await?;
        tracing::info!(account = %account, endpoint = %job.endpoint_id, released = page.len(), more, "parked deliveries released");
        if more {
            queue_on(self.queue, &account, &job.endpoint_id, RELEASE_PAGE_SECONDS).await?;
        } else if view.health.as_ref().is_some_and(|h| h.releasing) {
            self.store.released(&account, &job.endpoint_id).await?;
        }
        Ok(())
    }
}
