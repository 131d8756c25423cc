//! Outbound events: what Loop publishes to merchants' endpoints, and the pointer messages that
//! carry a delivery through the queue.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::clock::{rfc3339_from_unix, unix_seconds};
use crate::ids::new_sortable_id;

/// A published event. `payload` is the exact body every delivery sends, fixed at publication
/// so that retries and redeliveries are byte-identical.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboundEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub created: i64,
    pub payload: String,
}

impl OutboundEvent {
    /// The envelope family: `{"id", "type", "created", "data"}`.
    pub fn envelope(kind: &str, data: Value, now_ms: i64) -> OutboundEvent {
        let id = new_sortable_id("evt_", now_ms);
        let created = unix_seconds(now_ms);
        let payload = json!({"id": id, "type": kind, "created": rfc3339_from_unix(created), "data": data}).to_string();
        OutboundEvent { id, kind: kind.to_owned(), created, payload }
    }

    /// The Loop family: a flat object whose `"event"` names the type.
    pub fn loop_family(kind: &str, mut fields: Map<String, Value>, now_ms: i64) -> OutboundEvent {
        let mut body = Map::with_capacity(fields.len() + 1);
        body.insert("event".to_owned(), Value::String(kind.to_owned()));
        body.append(&mut fields);
        OutboundEvent {
            id: new_sortable_id("evt_", now_ms),
            kind: kind.to_owned(),
            created: unix_seconds(now_ms),
            payload: Value::Object(body).to_string(),
        }
    }
}

/// The SQS message body: a pointer to an event and an endpoint; the payload stays in DynamoDB.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeliveryPointer {
    pub v: u8,
    pub account_id: String,
    pub event_id: String,
    pub endpoint_id: String,
    pub attempt: u32,
}

/// The SQS message that continues a Stripe catalogue backfill (`connect::backfill`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackfillPointer {
    /// The message's format version; its presence tells the message from a delivery pointer.
    pub backfill: u8,
    pub account_id: String,
    pub job_id: String,
}

/// The SQS message that sends the deliveries parked behind an endpoint again, a page at a time,
/// once its circuit closed (`dispatch::release`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReleasePointer {
    /// The message's format version; its presence tells the message from the others.
    pub release: u8,
    pub account_id: String,
    pub endpoint_id: String,
}

/// The SQS message that moves a workflow run on (`email.md`): sent when the run starts and after
/// each wait of up to 15 minutes; longer waits are found on the due index by the scheduler.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunPointer {
    /// The message's format version; its presence tells the message from the others.
    pub run: u8,
    pub account_id: String,
    pub run_id: String,
}

/// The SQS message that sends the automated email of an outbound event (`email.md`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MailPointer {
    /// The message's format version; its presence tells the message from the others.
    pub mail: u8,
    pub account_id: String,
    pub event_id: String,
}

/// Every message the delivery queue carries. Each kind is told by a field only it has (`v`,
/// `backfill`, `release`, `run`, `mail`) and refuses unknown fields, so a body matches one kind at most.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum QueueJob {
    Delivery(DeliveryPointer),
    Backfill(BackfillPointer),
    Release(ReleasePointer),
    Run(RunPointer),
    Mail(MailPointer),
}

/// Every outbound event type, in its own spelling.
pub const OUTBOUND_TYPES: [&str; 14] = [
    "checkout.session.completed",
    "checkout.session.failed",
    "checkout.session.expired",
    "contact.created",
    "contact.updated",
    "contact.unsubscribed",
    "contact.deleted",
    "event.triggered",
    "AgreementSignedUp",
    "AgreementCancelled",
    "TransferCreated",
    "TransferFinalized",
    "TransferProcessed",
    "LatePayment",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_events_carry_their_id_type_and_time() {
        let e = OutboundEvent::envelope("contact.created", json!({"email": "a@b.co"}), 1_736_937_000_250);
        let body: Value = serde_json::from_str(&e.payload).unwrap();
        assert_eq!(body["id"], e.id);
        assert_eq!(body["type"], "contact.created");
        assert_eq!((body["created"].as_str(), e.created), (Some("2025-01-15T10:30:00Z"), 1_736_937_000));
        assert_eq!(body["data"]["email"], "a@b.co");
    }

    #[test]
    fn each_queue_message_reads_as_its_own_kind() {
        let release = r#"{"release":1,"accountId":"acct_1","endpointId":"we_1"}"#;
        assert!(matches!(serde_json::from_str(release), Ok(QueueJob::Release(p)) if p.endpoint_id == "we_1"));
        let pointer = r#"{"v":1,"accountId":"acct_1","eventId":"evt_1","endpointId":"we_1","attempt":2}"#;
        assert!(matches!(serde_json::from_str(pointer), Ok(QueueJob::Delivery(p)) if p.attempt == 2));
        let backfill = r#"{"backfill":1,"accountId":"acct_1","jobId":"job_1"}"#;
        assert!(matches!(serde_json::from_str(backfill), Ok(QueueJob::Backfill(_))));
        assert!(serde_json::from_str::<QueueJob>(r#"{"release":1,"accountId":"acct_1"}"#).is_err());
        let run = r#"{"run":1,"accountId":"acct_1","runId":"wr_1"}"#;
        assert!(matches!(serde_json::from_str(run), Ok(QueueJob::Run(p)) if p.run_id == "wr_1"));
    }

    #[test]
    fn loop_family_events_are_flat_and_named_by_event() {
        let mut fields = Map::new();
        fields.insert("amount".into(), json!("10.00"));
        let e = OutboundEvent::loop_family("TransferCreated", fields, 1);
        let body: Value = serde_json::from_str(&e.payload).unwrap();
        assert_eq!(body, json!({"event": "TransferCreated", "amount": "10.00"}));
        assert!(e.id.starts_with("evt_"));
    }
}
