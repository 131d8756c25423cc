//! Dispatch: one delivery attempt per SQS message (`webhooks.md`, "Delivery and retries").

use crate::app::App;
pub use crate::domain::outbound::DeliveryPointer;

/// One received SQS message.
#[derive(Clone, Debug)]
pub struct QueueMessage {
    pub message_id: String,
    pub body: String,
}

/// Handles a batch and answers the ids of the messages that must come back
/// (`ReportBatchItemFailures`); every other message is deleted by the caller.
pub async fn handle_batch(_app: &App, messages: Vec<QueueMessage>) -> Vec<String> {
    messages
        .into_iter()
        .map(|message| match serde_json::from_str::<DeliveryPointer>(&message.body) {
            Ok(pointer) => {
                tracing::warn!(event_id = %pointer.event_id, "delivery is not implemented yet");
                message.message_id
            }
            Err(err) => {
                // Left to fail: after three receives SQS moves it to the dead-letter queue.
                tracing::error!(message_id = %message.message_id, error = %err, "unreadable delivery message");
                message.message_id
            }
        })
        .collect()
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
