//! The SQS adapter: the delivery queue and its dead-letter queue.

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use crate::aws::classify;
use loop_ground::error::StoreError;

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

/// A message in the dead-letter queue, as an operator inspects it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadLetter {
    pub message_id: String,
    pub body: String,
    pub receive_count: i64,
    pub sent_at_millis: Option<i64>,
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

    /// How many messages wait in the dead-letter queue (SQS's approximate count), and up to ten
    /// of them, left in the queue.
    pub async fn peek_dead_letters(&self) -> Result<(u64, Vec<DeadLetter>), StoreError> {
        let url = self.dead_letter_url.as_deref().ok_or_else(|| StoreError::Fault("no dead-letter queue".into()))?;
        let attributes = self
            .client
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .map_err(classify)?;
        let count = attributes
            .attributes
            .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages).cloned())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        // A zero visibility timeout leaves what is looked at in place for the next look.
        let received = self
            .client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(classify)?;
        let letters = received
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|m| {
                let attribute = |name: aws_sdk_sqs::types::MessageSystemAttributeName| {
                    m.attributes.as_ref().and_then(|a| a.get(&name)).and_then(|v| v.parse::<i64>().ok())
                };
                DeadLetter {
                    message_id: m.message_id.clone().unwrap_or_default(),
                    receive_count: attribute(aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount)
                        .unwrap_or(0),
                    sent_at_millis: attribute(aws_sdk_sqs::types::MessageSystemAttributeName::SentTimestamp),
                    body: m.body.unwrap_or_default(),
                }
            })
            .collect();
        Ok((count, letters))
    }

    /// Moves every dead-lettered message back to the delivery queue (after its cause is fixed);
    /// answers how many moved.
    pub async fn redrive_dead_letters(&self) -> Result<usize, StoreError> {
        let url = self.dead_letter_url.clone().ok_or_else(|| StoreError::Fault("no dead-letter queue".into()))?;
        let mut moved = 0;
        loop {
            let received = self
                .client
                .receive_message()
                .queue_url(&url)
                .max_number_of_messages(10)
                .visibility_timeout(60)
                .send()
                .await
                .map_err(classify)?;
            let messages = received.messages.unwrap_or_default();
            if messages.is_empty() {
                return Ok(moved);
            }
            let outgoing: Vec<OutgoingMessage> = messages
                .iter()
                .map(|m| OutgoingMessage { body: m.body.clone().unwrap_or_default(), delay_seconds: 0 })
                .collect();
            self.send(&outgoing).await?;
            for message in &messages {
                if let Some(handle) = &message.receipt_handle {
                    self.client
                        .delete_message()
                        .queue_url(&url)
                        .receipt_handle(handle)
                        .send()
                        .await
                        .map_err(classify)?;
                }
            }
            moved += messages.len();
        }
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
