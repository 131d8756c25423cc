//! The items of the table, one struct per record kind, with their keys (`ARCHITECTURE.md`).

use serde::{Deserialize, Serialize};

use crate::domain::contact::{Contact, TriggerEvent};
use crate::domain::email::Email;
use crate::domain::outbound::{DeliveryPointer, OutboundEvent};
use crate::ids::AccountId;

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

/// The gsi1 partition that lists one kind of record of an account, newest first.
pub fn listing(account: &AccountId, kind: &str) -> String {
    format!("A#{account}#{kind}")
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
            gsi1pk: listing(account, "contacts"),
            gsi1sk: contact.id.clone(),
            contact: contact.clone(),
        }
    }
}

#[derive(Serialize, Deserialize)]
pub struct LinkItem {
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
            gsi1pk: listing(account, "events"),
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
