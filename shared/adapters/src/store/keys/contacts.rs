//! Keys of what ingest records per Stripe event and per contact: the dedupe record, the contact,
//! the Stripe customer's link to it, and the contact's trigger events.

use loop_ground::domain::email::Email;
use loop_ground::ids::AccountId;

pub const CONTACT_SK: &str = "CONTACT";
pub const SEEN_SK: &str = "SEEN";
pub const LINK_SK: &str = "LINK";
pub const TRIGGER_PREFIX: &str = "TE#";
/// A merchant's `userId` for a contact (contacts API) → the contact's email.
pub const USER_ID_SK: &str = "USERID";

/// A trigger event's sort key in its contact's partition: ids sort by time, so these do too.
pub fn trigger_sk(trigger_id: &str) -> String {
    format!("{TRIGGER_PREFIX}{trigger_id}")
}

pub fn seen_pk(account: &AccountId, stripe_event_id: &str) -> String {
    format!("A#{account}#SE#{stripe_event_id}")
}

pub fn contact_pk(account: &AccountId, email: &Email) -> String {
    format!("A#{account}#C#{email}")
}

pub fn customer_link_pk(account: &AccountId, customer_id: &str) -> String {
    format!("A#{account}#CUS#{customer_id}")
}

pub fn user_id_pk(account: &AccountId, user_id: &str) -> String {
    format!("A#{account}#UID#{user_id}")
}
