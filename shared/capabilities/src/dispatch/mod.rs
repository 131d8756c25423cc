//! Dispatch: one delivery attempt per SQS message (`webhooks.md`, "Delivery and retries").
//!
//! A message is a pointer (event, endpoint, attempt). One read fetches the event, the account's
//! endpoints, the delivery's state and the endpoint's health; the attempt is signed and sent;
//! one transaction records it with the delivery's new state; a failure is re-sent as the next
//! attempt with `DelaySeconds` from the cadence. Only messages that could not be handled at all
//! are reported back to SQS (`ReportBatchItemFailures`): they return after the visibility
//! timeout, and a poison message reaches the dead-letter queue after three receives.

pub mod backoff;
mod deliver;
pub mod release;
#[cfg(test)]
mod scenarios;
pub mod signing;

pub use deliver::Dispatcher;
use loop_adapters::app::App;
pub use loop_ground::domain::outbound::DeliveryPointer;
use loop_ground::domain::outbound::QueueJob;
use loop_ground::error::MessageError;
use loop_ground::ids::AccountId;

/// One received SQS message.
#[derive(Clone, Debug)]
pub struct QueueMessage {
    pub message_id: String,
    pub body: String,
    /// When SQS took the message (its `SentTimestamp`), where the event source says.
    pub sent_at_millis: Option<i64>,
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
        isolated(handle_message(app, m)).instrument(span)
    }))
    .await;
    messages.into_iter().zip(outcomes).filter(|(_, handled)| !handled).map(|(m, _)| m.message_id).collect()
}

/// One message's handling, a panic in it caught: that message fails (SQS gives it again, and
/// dead-letters it after its receives), and the rest of its batch still completes. Release
/// builds unwind (`panic = "unwind"` in the workspace profile) for this.
async fn isolated(handling: impl std::future::Future<Output = bool>) -> bool {
    use futures::FutureExt;
    match std::panic::AssertUnwindSafe(handling).catch_unwind().await {
        Ok(handled) => handled,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(panic = %what, "message handling panicked; the message fails alone");
            false
        }
    }
}

async fn handle_message(app: &App, message: &QueueMessage) -> bool {
    let pointer = match serde_json::from_str::<QueueJob>(&message.body) {
        Ok(QueueJob::Delivery(pointer)) => pointer,
        Ok(QueueJob::Release(job)) => {
            return match release::run(app, &job).await {
                Ok(()) => true,
                Err(err) => {
                    tracing::warn!(account = %job.account_id, endpoint = %job.endpoint_id, error = %err, "release not handled");
                    false
                }
            };
        }
        Ok(QueueJob::Run(job)) => {
            let Some(account) = AccountId::parse(&job.account_id) else {
                tracing::error!(message_id = %message.message_id, "run message without an account id: dropped");
                return true;
            };
            tracing::Span::current().record("account", job.account_id.as_str());
            return match crate::email::workflows::advance(app, &account, &job.run_id).await {
                Ok(()) => true,
                Err(err) => {
                    tracing::warn!(account = %job.account_id, run = %job.run_id, error = %err, "workflow run not advanced");
                    false
                }
            };
        }
        Ok(QueueJob::Mail(job)) => {
            let Some(account) = AccountId::parse(&job.account_id) else {
                tracing::error!(message_id = %message.message_id, "mail message without an account id: dropped");
                return true;
            };
            tracing::Span::current().record("account", job.account_id.as_str());
            tracing::Span::current().record("event", job.event_id.as_str());
            return match crate::email::automated::send(app, &account, &job.event_id).await {
                Ok(()) => true,
                Err(err) => {
                    tracing::warn!(account = %job.account_id, event = %job.event_id, error = %err, "automated email not sent");
                    false
                }
            };
        }
        Ok(QueueJob::Backfill(pointer)) => {
            return match crate::connect::backfill::run(app, &pointer).await {
                Ok(()) => true,
                Err(err) => {
                    tracing::warn!(account = %pointer.account_id, job = %pointer.job_id, error = %err, "backfill run not handled");
                    false
                }
            };
        }
        // The email feedback queue's messages: SES's bounces and complaints.
        Err(_) if let Some(notice) = crate::email::feedback::parse(&message.body) => {
            tracing::Span::current().record("account", notice.account.as_str());
            return match crate::email::feedback::handle(app, &notice).await {
                Ok(()) => true,
                Err(err) => {
                    tracing::warn!(email = %notice.email_id, error = %err, "SES feedback not handled");
                    false
                }
            };
        }
        Err(err) => {
            tracing::error!(message_id = %message.message_id, error = %err, "unreadable queue message");
            return false;
        }
    };
    if let (Some(sent), 1) = (message.sent_at_millis, pointer.attempt) {
        // A retry waits in the queue on purpose (its cadence's delay): only first attempts,
        // sent without a delay, say how far behind dispatch is. Real time, as SQS stamps it.
        loop_ground::metrics::queue_lag(
            loop_ground::clock::Clock::now_millis(&loop_ground::clock::SystemClock::default()) - sent,
        );
    }
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
    Dispatcher::of(app).deliver(pointer).await
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_panic_fails_its_message_only() {
        async fn handle(panics: bool) -> bool {
            assert!(!panics, "bad message");
            true
        }
        let outcomes = futures::future::join_all([false, true, false].map(|p| super::isolated(handle(p)))).await;
        assert_eq!(outcomes, [true, false, true]);
    }

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
