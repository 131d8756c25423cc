//! The SQS adapter: the delivery queue and its dead-letter queue.

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use crate::aws::classify;
use crate::error::StoreError;

#[derive(Clone, Debug)]
pub struct DeliveryQueue {
    client: aws_sdk_sqs::Client,
    url: String,
    dead_letter_url: Option<String>,
}

/// One message to send: its body and how long SQS should hold it back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingMessage {
    pub body: String,
    pub delay_seconds: u32,
}

impl DeliveryQueue {
    pub fn new(client: aws_sdk_sqs::Client, url: String, dead_letter_url: Option<String>) -> Self {
        DeliveryQueue { client, url, dead_letter_url }
    }

    /// Finds a queue's URL by name (the local stack and `loopctl`; Lambda gets URLs from SAM).
    pub async fn url_of(client: &aws_sdk_sqs::Client, name: &str) -> Result<String, StoreError> {
        client
            .get_queue_url()
            .queue_name(name)
            .send()
            .await
            .map_err(classify)?
            .queue_url
            .ok_or_else(|| StoreError::Fault(format!("queue {name} has no URL")))
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn dead_letter_url(&self) -> Option<&str> {
        self.dead_letter_url.as_deref()
    }

    /// Sends messages in batches of ten (SQS's limit); fails if any entry was refused.
    pub async fn send(&self, messages: &[OutgoingMessage]) -> Result<(), StoreError> {
        for chunk in messages.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(&m.body)
                        .delay_seconds(m.delay_seconds.min(900) as i32)
                        .build()
                        .map_err(|e| StoreError::Fault(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let output = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(classify)?;
            if let Some(failed) = output.failed.first() {
                return Err(StoreError::Unavailable(format!(
                    "SQS refused a message: {} {}",
                    failed.code,
                    failed.message.as_deref().unwrap_or("")
                )));
            }
        }
        Ok(())
    }

    /// Cheap reachability probe for `/health`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .map(|_| ())
            .map_err(classify)
    }
}
