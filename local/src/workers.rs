//! The event sources of `template.yaml`, played locally: the SQS event-source mapping that feeds
//! `dispatch`, and the EventBridge schedule that runs the scheduler.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message};
use loop_adapters::App;
use loop_capabilities::dispatch::{self, QueueMessage};
use loop_capabilities::schedule;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

/// Batches handled at once, as Lambda runs several dispatch invocations side by side: one
/// endpoint that hangs for its whole timeout must not hold up every other delivery.
const CONCURRENT_BATCHES: usize = 5;

/// How long one receive waits for messages: the most SQS allows, as the event-source mapping
/// polls. A receive answers as soon as a message is there, so this only sets how often an idle
/// queue is asked (it was every second: 0.4 ms of the idle runner's CPU a second).
const LONG_POLL_SECONDS: i32 = 20;

/// Long-polls the delivery queue and hands batches of up to ten to dispatch, deleting only the
/// messages it did not report as failed (`ReportBatchItemFailures`).
pub async fn poll_deliveries(
    app: Arc<App>,
    sqs: aws_sdk_sqs::Client,
    visibility_timeout: Option<Duration>,
    mut shutdown: watch::Receiver<bool>,
) {
    let queue_url = app.queue.url().to_owned();
    let visibility_timeout = visibility_timeout.map(|d| d.as_secs().clamp(1, 43_200) as i32);
    let slots = Arc::new(Semaphore::new(CONCURRENT_BATCHES));
    let mut in_flight = JoinSet::new();
    loop {
        while in_flight.try_join_next().is_some() {}
        // Receive only with a slot free, so no more batches are taken than can be handled.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            _ = shutdown.changed() => break,
        };
        let receive = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(LONG_POLL_SECONDS)
            .set_visibility_timeout(visibility_timeout)
            .send();
        let received = tokio::select! {
            received = receive => received,
            _ = shutdown.changed() => break,
        };
        let messages = match received {
            Ok(output) => output.messages.unwrap_or_default(),
            Err(err) => {
                tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(&err), "receive from the delivery queue failed");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    _ = shutdown.changed() => break,
                }
            }
        };
        if messages.is_empty() {
            continue;
        }
        let (app, sqs, queue_url) = (app.clone(), sqs.clone(), queue_url.clone());
        in_flight.spawn(async move {
            handle_and_delete(&app, &sqs, &queue_url, messages).await;
            drop(slot);
        });
    }
    // Batches cut short come back after their visibility timeout, as from a Lambda that stopped.
    in_flight.shutdown().await;
}

async fn handle_and_delete(app: &App, sqs: &aws_sdk_sqs::Client, queue_url: &str, messages: Vec<Message>) {
    let batch: Vec<QueueMessage> = messages
        .iter()
        .map(|m| QueueMessage {
            sent_at_millis: None,
            message_id: m.message_id.clone().unwrap_or_default(),
            body: m.body.clone().unwrap_or_default(),
        })
        .collect();
    let failed = dispatch::handle_batch(app, batch).await;
    let done: Vec<DeleteMessageBatchRequestEntry> = messages
        .iter()
        .filter(|m| !failed.iter().any(|f| Some(f.as_str()) == m.message_id.as_deref()))
        .enumerate()
        .filter_map(|(i, m)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(m.receipt_handle.clone()?)
                .build()
                .ok()
        })
        .collect();
    if !done.is_empty() {
        if let Err(err) = sqs.delete_message_batch().queue_url(queue_url).set_entries(Some(done)).send().await {
            tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(&err), "delete from the delivery queue failed");
        }
    }
}

/// Runs the scheduler every `interval`, as the `rate(1 minute)` rule does.
pub async fn tick_schedule(app: Arc<App>, interval: Duration, mut shutdown: watch::Receiver<bool>) {
    // Like the rule, the first run comes one period after start, not at once.
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = shutdown.changed() => return,
        }
        match schedule::run(&app).await {
            Ok(report) => tracing::debug!(?report, "schedule ran"),
            Err(err) => tracing::warn!(error = %err, "schedule run failed"),
        }
    }
}
