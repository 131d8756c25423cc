//! Dispatch: one delivery attempt per SQS message (`webhooks.md`, "Delivery and retries").
//!
//! A message is a pointer (event, endpoint, attempt). One read fetches the event, the account's
//! endpoints, the delivery's state and the endpoint's health; the attempt is signed and sent;
//! one transaction records it with the delivery's new state; a failure is re-sent as the next
//! attempt with `DelaySeconds` from the cadence. Only messages that could not be handled at all
//! are reported back to SQS (`ReportBatchItemFailures`): they return after the visibility
//! timeout, and a poison message reaches the dead-letter queue after three receives.

pub mod cadence;
pub mod client;
pub mod guard;
pub mod signing;

use crate::app::App;
use crate::domain::delivery::{Attempt, Delivery, DeliveryStatus};
use crate::domain::endpoint::EndpointStatus;
pub use crate::domain::outbound::DeliveryPointer;
use crate::domain::outbound::QueueJob;
use crate::error::{MessageError, StoreError};
use crate::ids::AccountId;
use crate::publish;
use crate::queue::OutgoingMessage;
use crate::store::Streak;

/// One received SQS message.
#[derive(Clone, Debug)]
pub struct QueueMessage {
    pub message_id: String,
    pub body: String,
}

/// Handles a batch concurrently and answers the ids of the messages that must come back.
pub async fn handle_batch(app: &App, messages: Vec<QueueMessage>) -> Vec<String> {
    use tracing::Instrument;
    let outcomes = futures::future::join_all(messages.iter().map(|m| {
        // Every line logged for a message carries its id, and what it is about once read.
        let span = tracing::info_span!(
            "message",
            message_id = m.message_id.as_str(),
            account = tracing::field::Empty,
            event = tracing::field::Empty,
            endpoint = tracing::field::Empty,
            attempt = tracing::field::Empty,
        );
        handle_message(app, m).instrument(span)
    }))
    .await;
    messages.into_iter().zip(outcomes).filter(|(_, handled)| !handled).map(|(m, _)| m.message_id).collect()
}

async fn handle_message(app: &App, message: &QueueMessage) -> bool {
    let pointer = match serde_json::from_str::<QueueJob>(&message.body) {
        Ok(QueueJob::Delivery(pointer)) => pointer,
        Ok(QueueJob::Backfill(pointer)) => {
            return match crate::connect::backfill::run(app, &pointer).await {
                Ok(()) => true,
                Err(err) => {
                    tracing::warn!(account = %pointer.account_id, job = %pointer.job_id, error = %err, "backfill run not handled");
                    false
                }
            };
        }
        Err(err) => {
            tracing::error!(message_id = %message.message_id, error = %err, "unreadable queue message");
            return false;
        }
    };
    let span = tracing::Span::current();
    span.record("account", pointer.account_id.as_str());
    span.record("event", pointer.event_id.as_str());
    span.record("endpoint", pointer.endpoint_id.as_str());
    span.record("attempt", pointer.attempt);
    match deliver(app, &pointer).await {
        Ok(()) => true,
        Err(err) => {
            tracing::warn!(event = %pointer.event_id, endpoint = %pointer.endpoint_id, attempt = pointer.attempt, error = %err, "delivery not handled");
            false
        }
    }
}

/// Makes the attempt a pointer names, records it, and schedules the next one if it failed.
pub async fn deliver(app: &App, pointer: &DeliveryPointer) -> Result<(), MessageError> {
    let account = AccountId::parse(&pointer.account_id).ok_or(MessageError::Poison("not an account id"))?;
    let now = app.clock.now_unix();
    let window = app.config.retry_window.as_secs() as i64;
    let view = app.store.read_for_dispatch(&account, &pointer.event_id, &pointer.endpoint_id).await?;
    let event = view.event.ok_or(MessageError::Poison("no such event"))?;
    let mut delivery = view.delivery.unwrap_or_else(|| Delivery {
        endpoint_id: pointer.endpoint_id.clone(),
        status: DeliveryStatus::Pending,
        last_attempt: 0,
        window_start: event.created,
        updated_at: now,
        reason: None,
    });
    if delivery.last_attempt >= pointer.attempt {
        if delivery.status == DeliveryStatus::Pending && delivery.last_attempt == pointer.attempt {
            check_next_attempt(app, pointer, &delivery, now).await?;
        }
        return Ok(());
    }
    let stop = |reason: &str, mut delivery: Delivery| {
        delivery.status = DeliveryStatus::Failed;
        delivery.reason = Some(reason.to_owned());
        delivery.updated_at = now;
        delivery
    };
    let endpoint = match view.endpoints.get(&pointer.endpoint_id) {
        None => return Ok(app.store.put_delivery(&account, &event.id, &stop("endpoint deleted", delivery)).await?),
        Some(e) if e.status == EndpointStatus::Disabled => {
            return Ok(app.store.put_delivery(&account, &event.id, &stop("endpoint disabled", delivery)).await?)
        }
        Some(e) => e,
    };
    if now > delivery.window_start + window {
        return Ok(app.store.put_delivery(&account, &event.id, &stop("retry window ended", delivery)).await?);
    }

    let headers =
        signing::sign(&endpoint.active_secrets(now), &event.id, app.clock.wire_now_unix(), event.payload.as_bytes());
    let allow_private = app.config.allow_private_endpoints;
    let response = client::post(app.http_client(), &endpoint.url, &headers, &event.payload, allow_private).await;
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
    let next_at = now + i64::from(cadence::delay_before(next));
    let gives_up = !succeeded && next_at > delivery.window_start + window;
    delivery.last_attempt = pointer.attempt;
    delivery.updated_at = now;
    delivery.status = match (succeeded, gives_up) {
        (true, _) => DeliveryStatus::Succeeded,
        (false, true) => DeliveryStatus::Failed,
        (false, false) => DeliveryStatus::Pending,
    };
    delivery.reason = gives_up.then(|| "retry window ended".to_owned());
    let streak = match (succeeded, view.failing_since) {
        (true, Some(_)) => Some(Streak::Ended),
        (false, None) => Some(Streak::Started(now)),
        _ => None,
    };
    if !app.store.record_attempt(&account, &event.id, &attempt, &delivery, streak).await? {
        return Ok(()); // a concurrent duplicate recorded this attempt first
    }
    tracing::info!(event = %event.id, endpoint = %endpoint.id, attempt = pointer.attempt, status = ?attempt.response_status, succeeded, "delivery attempt");
    let outcome = match delivery.status {
        DeliveryStatus::Succeeded => "succeeded",
        DeliveryStatus::Pending => "retrying",
        DeliveryStatus::Failed | DeliveryStatus::Skipped => "failed",
    };
    crate::metrics::delivery_attempt(outcome, attempt.duration_ms);
    if succeeded {
        return Ok(());
    }
    if gives_up {
        // The streak would outlast the window before the next attempt could be made.
        if next_at - view.failing_since.unwrap_or(now) >= window {
            disable(app, &account, &endpoint.id, now).await?;
        }
        return Ok(());
    }
    let retry = DeliveryPointer { attempt: next, ..pointer.clone() };
    publish::send(&app.queue, std::slice::from_ref(&retry)).await?;
    Ok(())
}

/// How long past its due time the next attempt may still be on its way (queue latency, a
/// backlog) before it counts as never sent.
const NEXT_ATTEMPT_GRACE_SECONDS: i64 = 30;

/// A pointer for an attempt already made, while the delivery still retries: the handler that made
/// it may have died before queueing the next attempt, or this is a duplicate of a pointer whose
/// next attempt is on its way. Queueing the next attempt for every duplicate would start a second
/// chain of retries that never ends (each attempt then POSTed twice), so the next attempt is only
/// queued once it is overdue; until then this pointer comes back to look again when it would be.
/// By then, if the next attempt was made, the pointer is dropped like any duplicate.
async fn check_next_attempt(
    app: &App,
    pointer: &DeliveryPointer,
    delivery: &Delivery,
    now: i64,
) -> Result<(), StoreError> {
    let next = pointer.attempt + 1;
    let overdue_at = delivery.updated_at + i64::from(cadence::delay_before(next)) + NEXT_ATTEMPT_GRACE_SECONDS;
    if now >= overdue_at {
        tracing::warn!(event = %pointer.event_id, endpoint = %pointer.endpoint_id, attempt = next, "next attempt overdue: queued again");
        let retry = DeliveryPointer { attempt: next, ..pointer.clone() };
        return publish::send(&app.queue, std::slice::from_ref(&retry)).await;
    }
    let wait = (overdue_at - now).clamp(1, 900) as u32;
    let look_again =
        OutgoingMessage { body: serde_json::to_string(pointer).expect("pointers serialize"), delay_seconds: wait };
    app.queue.send(std::slice::from_ref(&look_again)).await
}

/// An endpoint whose every delivery failed for the whole retry window is disabled.
async fn disable(app: &App, account: &AccountId, endpoint_id: &str, now: i64) -> Result<(), StoreError> {
    for _ in 0..5 {
        let mut set = app.store.get_endpoints(account).await?;
        let Some(endpoint) = set.endpoints.iter_mut().find(|e| e.id == endpoint_id) else { return Ok(()) };
        if endpoint.status == EndpointStatus::Disabled {
            return Ok(());
        }
        endpoint.status = EndpointStatus::Disabled;
        endpoint.disabled_reason = Some(format!(
            "every delivery failed for the whole {}-hour retry window (disabled {})",
            app.config.retry_window.as_secs() / 3600,
            crate::clock::rfc3339_from_unix(now)
        ));
        set.version += 1;
        if app.store.save_endpoints(account, &set).await? {
            tracing::warn!(account = %account, endpoint = endpoint_id, "endpoint disabled after failing for the whole retry window");
            return Ok(());
        }
    }
    Err(StoreError::Unavailable("endpoints kept changing".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_event_body_is_a_pointer() {
        let body =
            r#"{"v":1,"accountId":"acct_demo0000000000000000","eventId":"evt_1","endpointId":"we_1","attempt":1}"#;
        let pointer: DeliveryPointer = serde_json::from_str(body).unwrap();
        assert_eq!(pointer.attempt, 1);
        assert!(serde_json::from_str::<DeliveryPointer>(r#"{"v":1}"#).is_err());
    }
}
