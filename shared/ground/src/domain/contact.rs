//! Contacts: the audience that Stripe ingest keeps in sync, keyed by email.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::email::Email;
use crate::clock::rfc3339_from_unix;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub id: String,
    pub email: Email,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub user_group: Option<String>,
    pub source: String,
    pub subscribed: bool,
    pub stripe_customer_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// `created` of the newest Stripe event applied: older events leave the contact alone.
    pub last_event_at: i64,
    pub version: u64,
}

impl Contact {
    /// The contact as the API and webhooks show it.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "email": self.email,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "userGroup": self.user_group,
            "source": self.source,
            "subscribed": self.subscribed,
            "stripeCustomerId": self.stripe_customer_id,
            "createdAt": rfc3339_from_unix(self.created_at),
            "updatedAt": rfc3339_from_unix(self.updated_at),
        })
    }

    /// Same fields a user sees (ignoring bookkeeping): whether a write changes anything.
    pub fn same_as(&self, other: &Contact) -> bool {
        self.email == other.email
            && self.first_name == other.first_name
            && self.last_name == other.last_name
            && self.user_group == other.user_group
            && self.subscribed == other.subscribed
            && self.stripe_customer_id == other.stripe_customer_id
    }
}

/// `"Jane Q Public"` → `("Jane", Some("Q Public"))`; one word is a first name only.
pub fn split_name(full: &str) -> Option<(String, Option<String>)> {
    let full = full.trim();
    if full.is_empty() {
        return None;
    }
    Some(match full.split_once(' ') {
        Some((first, last)) => (first.to_owned(), Some(last.trim().to_owned()).filter(|l| !l.is_empty())),
        None => (full.to_owned(), None),
    })
}

/// A trigger event recorded for a contact's email.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerEvent {
    pub id: String,
    pub event_name: String,
    pub email: Email,
    pub event_properties: Value,
    pub stripe_event_id: String,
    pub created_at: i64,
}

impl TriggerEvent {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "eventName": self.event_name,
            "email": self.email,
            "eventProperties": self.event_properties,
            "stripeEventId": self.stripe_event_id,
            "createdAt": rfc3339_from_unix(self.created_at),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_names_split_at_the_first_space() {
        assert_eq!(split_name("Jane Q Public"), Some(("Jane".into(), Some("Q Public".into()))));
        assert_eq!(split_name(" Cher "), Some(("Cher".into(), None)));
        assert_eq!(split_name("   "), None);
    }
}
