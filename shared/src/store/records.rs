//! The items of the table, one struct per record kind, with their keys (`ARCHITECTURE.md`).

use serde::{Deserialize, Serialize};

use crate::domain::contact::{Contact, TriggerEvent};
use crate::domain::email::Email;
use crate::domain::outbound::{DeliveryPointer, OutboundEvent};
use crate::ids::AccountId;

pub use super::listing::Listing;

pub const ENDPOINTS_SK: &str = "ENDPOINTS";
pub const CONTACT_SK: &str = "CONTACT";
pub const SEEN_SK: &str = "SEEN";
pub const LINK_SK: &str = "LINK";
pub const EVENT_SK: &str = "EVENT";
pub const TRIGGER_PREFIX: &str = "TE#";

pub fn seen_pk(account: &AccountId, stripe_event_id: &str) -> String {
    format!("A#{account}#SE#{stripe_event_id}")
}

pub fn contact_pk(account: &AccountId, email: &Email) -> String {
    format!("A#{account}#C#{email}")
}

pub fn customer_link_pk(account: &AccountId, customer_id: &str) -> String {
    format!("A#{account}#CUS#{customer_id}")
}

pub fn event_pk(account: &AccountId, event_id: &str) -> String {
    format!("A#{account}#E#{event_id}")
}

/// Whether a Stripe event was fully published or still has pointers to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SeenStatus {
    Pending,
    Done,
}

/// A Stripe event that was applied (or deliberately ignored): the dedupe record and its outbox.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeenRecord {
    pub pk: String,
    pub sk: String,
    pub event_type: String,
    pub outcome: String,
    pub status: SeenStatus,
    #[serde(default)]
    pub outbox: Vec<DeliveryPointer>,
    pub received_at: i64,
    pub expires_at: i64,
}

#[derive(Serialize, Deserialize)]
pub struct ContactItem {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    #[serde(flatten)]
    pub contact: Contact,
}

impl ContactItem {
    pub fn new(account: &AccountId, contact: &Contact) -> Self {
        ContactItem {
            pk: contact_pk(account, &contact.email),
            sk: CONTACT_SK.to_owned(),
            gsi1pk: Listing::Contacts.partition(account, &contact.id),
            gsi1sk: contact.id.clone(),
            contact: contact.clone(),
        }
    }
}

/// A Stripe customer id's email (and wallet and reference, from the customer's metadata), so
/// that subscription and quote events, which carry only the id, find their contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerLink {
    pub email: Email,
    #[serde(default)]
    pub wallet_address: Option<String>,
    #[serde(default)]
    pub ref_id: Option<String>,
    /// When Stripe deleted the customer (the `customer.deleted` event's time), if its contact was
    /// deleted with it: a deleted customer id never comes back, so later or reordered events
    /// about it must not bring the contact back either.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<i64>,
}

#[derive(Serialize, Deserialize)]
pub struct LinkItem {
    pub pk: String,
    pub sk: String,
    #[serde(flatten)]
    pub link: CustomerLink,
}

#[derive(Serialize, Deserialize)]
pub struct TriggerItem {
    pub pk: String,
    pub sk: String,
    #[serde(flatten)]
    pub trigger: TriggerEvent,
}

impl TriggerItem {
    pub fn new(account: &AccountId, trigger: &TriggerEvent) -> Self {
        TriggerItem {
            pk: contact_pk(account, &trigger.email),
            sk: format!("{TRIGGER_PREFIX}{}", trigger.id),
            trigger: trigger.clone(),
        }
    }
}

#[derive(Serialize, Deserialize)]
pub struct EventItem {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    #[serde(flatten)]
    pub event: OutboundEvent,
}

impl EventItem {
    pub fn new(account: &AccountId, event: &OutboundEvent) -> Self {
        EventItem {
            pk: event_pk(account, &event.id),
            sk: EVENT_SK.to_owned(),
            gsi1pk: Listing::Events.partition(account, &event.id),
            gsi1sk: event.id.clone(),
            event: event.clone(),
        }
    }
}

#[derive(Serialize, Deserialize)]
pub struct EndpointsItem {
    pub pk: String,
    pub sk: String,
    #[serde(flatten)]
    pub set: crate::domain::endpoint::EndpointSet,
}

pub const PRODUCT_SK: &str = "PRODUCT";
pub const ITEM_SK: &str = "ITEM";
pub const TRANSFER_SK: &str = "TRANSFER";
pub const AGREEMENT_SK: &str = "AGREEMENT";

pub fn product_pk(account: &AccountId, product_id: &str) -> String {
    format!("A#{account}#PROD#{product_id}")
}

pub fn item_pk(account: &AccountId, item_id: &str) -> String {
    format!("A#{account}#ITEM#{item_id}")
}

pub fn transfer_pk(account: &AccountId, transfer_id: &str) -> String {
    format!("A#{account}#T#{transfer_id}")
}

pub fn agreement_pk(account: &AccountId, agreement_id: &str) -> String {
    format!("A#{account}#AG#{agreement_id}")
}

/// The sort key of records listed by creation time whose ids do not sort by time: Loop's
/// creation instant in milliseconds (`createdMs`), then the id. Records written before
/// `createdMs` existed keep their key in seconds, `{seconds:012}#{id}`: it shares its first 12
/// characters with the millisecond keys of that second and then sorts below them (`#` before
/// every digit), so old and new keys list in time order without rewriting the old ones.
pub fn by_created(created_at: i64, created_ms: Option<i64>, id: &str) -> String {
    match created_ms {
        Some(ms) => format!("{:015}#{id}", ms.max(0)),
        None => format!("{:012}#{id}", created_at.max(0)),
    }
}

/// Partitions of the `due` index per kind, so that no single partition takes every write: one
/// account finalizing and paying 1,000 invoices a second puts about 2,000 write units a second
/// on `due#transfer` (an entry of up to 2 KB in, then out), and every account shares these keys;
/// 16 shards keep each near 125. Records written when there were 4 sit on shards 0 to 3, which
/// the scheduler still reads, and move to their new shard when next rewritten.
pub const DUE_SHARDS: u8 = 16;

/// The `due` index's sort key: the due time, then the id — time-ordered, and unique per record.
pub fn due_key(due_at: i64, id: &str) -> String {
    format!("{:012}#{id}", due_at.max(0))
}

/// Sorts after every `due_key` of second `now`: `dueAt <= due_bound(now)` is "due by now".
pub fn due_bound(now: i64) -> String {
    format!("{:012}#~", now.max(0))
}

pub fn due_partition(kind: &str, id: &str) -> String {
    let shard = id.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32)) % DUE_SHARDS as u32;
    format!("due#{kind}#{shard}")
}

#[derive(Serialize, Deserialize)]
pub struct ProductItem {
    pub pk: String,
    pub sk: String,
    #[serde(flatten)]
    pub product: crate::domain::commerce::Product,
}

#[derive(Serialize, Deserialize)]
pub struct CatalogueItem {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    #[serde(flatten)]
    pub item: crate::domain::commerce::Item,
}

#[derive(Serialize, Deserialize)]
pub struct TransferItem {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    /// Present while a late payment may still be due: the scheduler finds it by `dueAt`.
    #[serde(rename = "duePk", skip_serializing_if = "Option::is_none", default)]
    pub due_pk: Option<String>,
    #[serde(rename = "dueAt", skip_serializing_if = "Option::is_none", default)]
    pub due_at: Option<String>,
    #[serde(rename = "accountId")]
    pub account_id: AccountId,
    #[serde(flatten)]
    pub transfer: crate::domain::commerce::Transfer,
}

/// A late payment is due ten minutes after the due date of a finalized, unprocessed transfer.
pub const LATE_AFTER_SECONDS: i64 = 600;

impl TransferItem {
    pub fn new(account: &AccountId, t: &crate::domain::commerce::Transfer) -> Self {
        use crate::domain::commerce::TransferStatus::{Failed, Finalized};
        let watching = matches!(t.status, Finalized | Failed) && t.late_payment_notified_at.is_none();
        let due_at = t.due_date.filter(|_| watching).map(|d| d + LATE_AFTER_SECONDS);
        TransferItem {
            pk: transfer_pk(account, &t.id),
            sk: TRANSFER_SK.to_owned(),
            gsi1pk: Listing::Transfers.partition(account, &t.id),
            gsi1sk: by_created(t.created_at, t.created_ms, &t.id),
            due_pk: due_at.map(|_| due_partition("transfer", &t.id)),
            due_at: due_at.map(|at| due_key(at, &t.id)),
            account_id: account.clone(),
            transfer: t.clone(),
        }
    }
}

#[derive(Serialize, Deserialize)]
pub struct AgreementItem {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    #[serde(flatten)]
    pub agreement: crate::domain::commerce::Agreement,
}

pub const DELIVERY_PREFIX: &str = "D#";
pub const ATTEMPT_PREFIX: &str = "AT#";
/// Attempts are kept 30 days.
pub const ATTEMPT_TTL_SECONDS: i64 = 30 * 86_400;

pub fn delivery_sk(endpoint_id: &str) -> String {
    format!("{DELIVERY_PREFIX}{endpoint_id}")
}

/// Zero-padded, so an endpoint's attempts sort by number (attempts never reach a million: the
/// retry window ends long before).
pub fn attempt_sk(endpoint_id: &str, attempt: u32) -> String {
    format!("{ATTEMPT_PREFIX}{endpoint_id}#{attempt:06}")
}

/// The sort-key prefix of every attempt to one endpoint.
pub fn attempts_prefix(endpoint_id: &str) -> String {
    format!("{ATTEMPT_PREFIX}{endpoint_id}#")
}

pub fn health_sk(endpoint_id: &str) -> String {
    format!("WEH#{endpoint_id}")
}

#[derive(Serialize, Deserialize)]
pub struct DeliveryItem {
    pub pk: String,
    pub sk: String,
    #[serde(flatten)]
    pub delivery: crate::domain::delivery::Delivery,
}

#[derive(Serialize, Deserialize)]
pub struct AttemptItem {
    pub pk: String,
    pub sk: String,
    #[serde(rename = "expiresAt")]
    pub expires_at: i64,
    #[serde(flatten)]
    pub attempt: crate::domain::delivery::Attempt,
}

/// An endpoint's failing streak and circuit breaker (absent while it is healthy).
#[derive(Serialize, Deserialize)]
pub struct HealthItem {
    pub pk: String,
    pub sk: String,
    #[serde(rename = "failingSince", default)]
    pub failing_since: Option<i64>,
    /// Failed attempts in a row (records from before the breaker have none: closed).
    #[serde(default)]
    pub failures: u32,
    #[serde(rename = "probeEvent", default, skip_serializing_if = "Option::is_none")]
    pub probe_event: Option<String>,
    #[serde(rename = "probeUntil", default, skip_serializing_if = "Option::is_none")]
    pub probe_until: Option<i64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub releasing: bool,
}

impl HealthItem {
    pub fn health(self) -> crate::domain::delivery::EndpointHealth {
        let probe = match (self.probe_event, self.probe_until) {
            (Some(event_id), Some(until)) => Some(crate::domain::delivery::Probe { event_id, until }),
            _ => None,
        };
        crate::domain::delivery::EndpointHealth {
            failing_since: self.failing_since,
            failures: self.failures,
            probe,
            releasing: self.releasing,
        }
    }
}

/// Pointers not yet handed to the queue: found by the scheduler's sweep if sending failed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OutboxItem {
    pub pk: String,
    pub sk: String,
    #[serde(rename = "duePk")]
    pub due_pk: String,
    #[serde(rename = "dueAt")]
    pub due_at: String,
    #[serde(rename = "accountId")]
    pub account_id: AccountId,
    pub pointers: Vec<DeliveryPointer>,
}

pub const OUTBOX_SK: &str = "OUTBOX";

pub fn outbox_pk(account: &AccountId, id: &str) -> String {
    format!("A#{account}#OB#{id}")
}

pub const LINK_RECORD_SK: &str = "PAYMENT_LINK";
pub const SESSION_SK: &str = "SESSION";

pub fn payment_link_pk(account: &AccountId, id: &str) -> String {
    format!("A#{account}#PL#{id}")
}

pub fn session_pk(account: &AccountId, id: &str) -> String {
    format!("A#{account}#CS#{id}")
}

#[derive(Serialize, Deserialize)]
pub struct PaymentLinkItem {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    #[serde(flatten)]
    pub link: crate::domain::checkout::PaymentLink,
}

#[derive(Serialize, Deserialize)]
pub struct SessionItem {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    /// Present while open: the scheduler expires it at `dueAt`.
    #[serde(rename = "duePk", skip_serializing_if = "Option::is_none", default)]
    pub due_pk: Option<String>,
    #[serde(rename = "dueAt", skip_serializing_if = "Option::is_none", default)]
    pub due_at: Option<String>,
    #[serde(rename = "accountId")]
    pub account_id: AccountId,
    #[serde(flatten)]
    pub session: crate::domain::checkout::CheckoutSession,
}

impl SessionItem {
    pub fn new(account: &AccountId, s: &crate::domain::checkout::CheckoutSession) -> Self {
        let open = s.status == crate::domain::checkout::SessionStatus::Open;
        SessionItem {
            pk: session_pk(account, &s.id),
            sk: SESSION_SK.to_owned(),
            gsi1pk: Listing::CheckoutSessions.partition(account, &s.id),
            gsi1sk: s.id.clone(),
            due_pk: open.then(|| due_partition("session", &s.id)),
            due_at: open.then(|| due_key(s.expires_at, &s.id)),
            account_id: account.clone(),
            session: s.clone(),
        }
    }
}

pub const IDEMPOTENCY_SK: &str = "IDEM";

/// Keys are hashed into the partition key: any printable key is safe there.
pub fn idempotency_pk(account: &AccountId, key_hash: &str) -> String {
    format!("A#{account}#IDEM#{key_hash}")
}

/// A request made with an `Idempotency-Key`: its fingerprint, then its response.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdempotencyItem {
    pub pk: String,
    pub sk: String,
    pub fingerprint: String,
    /// `None` while the first request is still being handled.
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creation_keys_in_seconds_and_in_milliseconds_list_in_time_order() {
        let mut keys = [
            by_created(1_700_000_001, Some(1_700_000_001_500), "a"),
            by_created(1_700_000_001, None, "b"),
            by_created(1_700_000_000, Some(1_700_000_000_999), "c"),
            by_created(1_700_000_001, Some(1_700_000_001_000), "d"),
            by_created(1_700_000_002, None, "e"),
            by_created(1_700_000_000, None, "f"),
        ];
        keys.sort();
        let order: Vec<&str> = keys.iter().map(|k| k.rsplit('#').next().unwrap()).collect();
        assert_eq!(order, ["f", "c", "b", "d", "a", "e"]);
    }
}
