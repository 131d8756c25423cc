//! The items of the table, one struct per record kind. Their keys are built in `store::keys`.

use serde::{Deserialize, Serialize};

use super::keys::*;
use loop_ground::domain::contact::{Contact, TriggerEvent};
use loop_ground::domain::email::Email;
use loop_ground::domain::outbound::{DeliveryPointer, OutboundEvent};
use loop_ground::ids::AccountId;

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
    /// Listed on the account's `stripe-events` listing by the time it was received (records
    /// from before the listing have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1sk: Option<String>,
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

/// A `userId`'s contact: one contact per `userId` in an account.
#[derive(Serialize, Deserialize)]
pub struct UserIdItem {
    pub pk: String,
    pub sk: String,
    pub email: Email,
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
        TriggerItem { pk: contact_pk(account, &trigger.email), sk: trigger_sk(&trigger.id), trigger: trigger.clone() }
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
    pub set: loop_ground::domain::endpoint::EndpointSet,
}

#[derive(Serialize, Deserialize)]
pub struct ProductItem {
    pub pk: String,
    pub sk: String,
    #[serde(flatten)]
    pub product: loop_ground::domain::commerce::Product,
}

#[derive(Serialize, Deserialize)]
pub struct CatalogueItem {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    #[serde(flatten)]
    pub item: loop_ground::domain::commerce::Item,
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
    pub transfer: loop_ground::domain::commerce::Transfer,
}

/// A late payment is due ten minutes after the due date of a finalized, unprocessed transfer.
pub const LATE_AFTER_SECONDS: i64 = 600;

impl TransferItem {
    pub fn new(account: &AccountId, t: &loop_ground::domain::commerce::Transfer) -> Self {
        use loop_ground::domain::commerce::TransferStatus::{Failed, Finalized};
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
    pub agreement: loop_ground::domain::commerce::Agreement,
}

/// Attempts are kept 30 days.
pub const ATTEMPT_TTL_SECONDS: i64 = 30 * 86_400;

#[derive(Serialize, Deserialize)]
pub struct DeliveryItem {
    pub pk: String,
    pub sk: String,
    #[serde(flatten)]
    pub delivery: loop_ground::domain::delivery::Delivery,
}

#[derive(Serialize, Deserialize)]
pub struct AttemptItem {
    pub pk: String,
    pub sk: String,
    #[serde(rename = "expiresAt")]
    pub expires_at: i64,
    #[serde(flatten)]
    pub attempt: loop_ground::domain::delivery::Attempt,
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
    pub fn health(self) -> loop_ground::domain::delivery::EndpointHealth {
        let probe = match (self.probe_event, self.probe_until) {
            (Some(event_id), Some(until)) => Some(loop_ground::domain::delivery::Probe { event_id, until }),
            _ => None,
        };
        loop_ground::domain::delivery::EndpointHealth {
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

#[derive(Serialize, Deserialize)]
pub struct PaymentLinkItem {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    #[serde(flatten)]
    pub link: loop_ground::domain::checkout::PaymentLink,
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
    pub session: loop_ground::domain::checkout::CheckoutSession,
}

impl SessionItem {
    pub fn new(account: &AccountId, s: &loop_ground::domain::checkout::CheckoutSession) -> Self {
        let open = s.status == loop_ground::domain::checkout::SessionStatus::Open;
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
    fn a_claimed_delivery_record_still_decodes() {
        use aws_sdk_dynamodb::types::AttributeValue::{N, S};
        let item = std::collections::HashMap::from([
            ("pk".to_owned(), S("A#acct#E#evt_1".into())),
            ("sk".to_owned(), S("D#we_1".into())),
            ("endpointId".to_owned(), S("we_1".into())),
            ("status".to_owned(), S("pending".into())),
            ("lastAttempt".to_owned(), N("3".into())),
            ("windowStart".to_owned(), N("100".into())),
            ("updatedAt".to_owned(), N("120".into())),
            ("claimAttempt".to_owned(), N("4".into())),
            ("claimUntil".to_owned(), N("180".into())),
        ]);
        let record: DeliveryItem = serde_dynamo::from_item(item).unwrap();
        assert_eq!(
            (record.delivery.last_attempt, record.delivery.status),
            (3, loop_ground::domain::delivery::DeliveryStatus::Pending)
        );
    }
}
