//! Contacts: the audience that Stripe ingest keeps in sync and the contacts API edits, keyed by
//! email. The rules both share live here: how a change is versioned, which `contact.*` event it
//! publishes, what a custom property may be, and the `event.triggered` payload.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

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
    /// The merchant's own id for the contact (contacts API), unique in the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Custom properties (contacts API): strings, numbers, booleans (dates as RFC 3339 strings).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, Value>,
    pub created_at: i64,
    pub updated_at: i64,
    /// `created` of the newest Stripe event applied: older events leave the contact alone.
    pub last_event_at: i64,
    pub version: u64,
}

impl Contact {
    /// A new contact at `email`, subscribed, at version 1.
    pub fn new(id: String, email: Email, source: &str, now: i64) -> Contact {
        Contact {
            id,
            email,
            first_name: None,
            last_name: None,
            user_group: None,
            source: source.to_owned(),
            subscribed: true,
            stripe_customer_id: None,
            user_id: None,
            properties: BTreeMap::new(),
            created_at: now,
            updated_at: now,
            last_event_at: 0,
            version: 1,
        }
    }

    /// The contact as the API and webhooks show it: its custom properties beside its fields.
    pub fn to_json(&self) -> Value {
        let mut shown = json!({
            "id": self.id,
            "email": self.email,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "userGroup": self.user_group,
            "source": self.source,
            "subscribed": self.subscribed,
            "stripeCustomerId": self.stripe_customer_id,
            "userId": self.user_id,
            "createdAt": rfc3339_from_unix(self.created_at),
            "updatedAt": rfc3339_from_unix(self.updated_at),
        });
        if let Value::Object(fields) = &mut shown {
            for (name, value) in &self.properties {
                fields.entry(name.clone()).or_insert_with(|| value.clone());
            }
        }
        shown
    }

    /// Same fields a user sees (ignoring bookkeeping): whether a write changes anything.
    pub fn same_as(&self, other: &Contact) -> bool {
        self.email == other.email
            && self.first_name == other.first_name
            && self.last_name == other.last_name
            && self.user_group == other.user_group
            && self.subscribed == other.subscribed
            && self.stripe_customer_id == other.stripe_customer_id
            && self.user_id == other.user_id
            && self.properties == other.properties
    }

    /// `edited` as the next version of `self` at `now`, and the event that announces it; `None`
    /// when the edit changes nothing a user sees (nothing is written, nothing published).
    pub fn revise(&self, mut edited: Contact, now: i64) -> Option<(Contact, ContactEvent)> {
        if edited.same_as(self) {
            return None;
        }
        let event = if self.subscribed
            && !edited.subscribed
            && edited.same_as(&Contact { subscribed: false, ..self.clone() })
        {
            ContactEvent::Unsubscribed
        } else {
            ContactEvent::Updated
        };
        edited.version = self.version + 1;
        edited.updated_at = now;
        Some((edited, event))
    }
}

/// The outbound events a contact change publishes (`webhooks.md`), whoever made the change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContactEvent {
    Created,
    Updated,
    Unsubscribed,
    Deleted,
}

impl ContactEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactEvent::Created => "contact.created",
            ContactEvent::Updated => "contact.updated",
            ContactEvent::Unsubscribed => "contact.unsubscribed",
            ContactEvent::Deleted => "contact.deleted",
        }
    }
}

/// Names a custom property may not take: the contact's own fields, the names the contacts API
/// and templates give a meaning to, and the bookkeeping the store keeps.
pub const RESERVED_PROPERTIES: &[&str] = &[
    "id",
    "email",
    "firstName",
    "lastName",
    "userGroup",
    "source",
    "subscribed",
    "userId",
    "stripeCustomerId",
    "createdAt",
    "updatedAt",
    "eventName",
    "eventProperties",
    "mailingLists",
    "transactionalId",
    "dataVariables",
    "addToAudience",
    "contact",
    "event",
    "account",
    "unsubscribeUrl",
    "version",
    "lastEventAt",
    "properties",
    "listId",
    "teamId",
    "optInStatus",
];

/// At most this many custom properties on one contact.
pub const MAX_PROPERTIES: usize = 50;
/// A property's name: 1 to this many characters.
pub const MAX_PROPERTY_NAME: usize = 40;
/// A string property's value: at most this many characters.
pub const MAX_PROPERTY_TEXT: usize = 500;

/// Why a custom property (or an event property) is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PropertyError {
    #[error("{0} is a reserved name and cannot be a custom property.")]
    Reserved(String),
    #[error("{0}: property names are 1 to 40 letters, digits or underscores, starting with a letter.")]
    BadName(String),
    #[error("{0} must be a string (up to 500 characters), a number, a boolean, an RFC 3339 date or null.")]
    BadValue(String),
    #[error("{0}: a contact has at most 50 custom properties.")]
    TooMany(String),
}

impl PropertyError {
    /// The property the error is about.
    pub fn name(&self) -> &str {
        match self {
            PropertyError::Reserved(n)
            | PropertyError::BadName(n)
            | PropertyError::BadValue(n)
            | PropertyError::TooMany(n) => n,
        }
    }
}

/// Checks a property's name and value: a value is a string, a finite number or a boolean (an
/// RFC 3339 date travels as its string). `null` (removal) is checked by the caller.
pub fn check_property(name: &str, value: &Value, reserved: bool) -> Result<(), PropertyError> {
    if reserved && RESERVED_PROPERTIES.contains(&name) {
        return Err(PropertyError::Reserved(name.to_owned()));
    }
    let mut chars = name.chars();
    let well_named = name.chars().count() <= MAX_PROPERTY_NAME
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !well_named {
        return Err(PropertyError::BadName(name.to_owned()));
    }
    let fits = match value {
        Value::String(s) => s.chars().count() <= MAX_PROPERTY_TEXT && !s.chars().any(char::is_control),
        Value::Number(n) => n.as_f64().is_some_and(f64::is_finite),
        Value::Bool(_) => true,
        _ => false,
    };
    if !fits {
        return Err(PropertyError::BadValue(name.to_owned()));
    }
    Ok(())
}

/// Applies custom properties to `properties`: each is set, or removed when `null`; the result
/// holds at most [`MAX_PROPERTIES`].
pub fn apply_properties(
    properties: &mut BTreeMap<String, Value>,
    given: &Map<String, Value>,
) -> Result<(), PropertyError> {
    for (name, value) in given {
        if value.is_null() {
            check_property(name, &Value::Bool(true), true)?;
            properties.remove(name);
            continue;
        }
        check_property(name, value, true)?;
        properties.insert(name.clone(), value.clone());
        if properties.len() > MAX_PROPERTIES {
            return Err(PropertyError::TooMany(name.clone()));
        }
    }
    Ok(())
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
    /// The Stripe event that triggered it; `None` for events sent through the contacts API.
    #[serde(default)]
    pub stripe_event_id: Option<String>,
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

    /// The `event.triggered` payload: the trigger with the contact as it is after the event.
    pub fn payload(&self, contact: Option<&Contact>) -> Value {
        json!({
            "id": self.id,
            "eventName": self.event_name,
            "contact": contact.map(Contact::to_json),
            "eventProperties": self.event_properties,
            "stripeEventId": self.stripe_event_id,
        })
    }
}

/// An event name from the contacts API: 1 to 100 characters, no `:` and no control characters.
pub fn valid_event_name(name: &str) -> bool {
    let length = name.chars().count();
    (1..=100).contains(&length) && !name.contains(':') && !name.chars().any(char::is_control) && !name.trim().is_empty()
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

    fn jane() -> Contact {
        Contact::new("ct_1".into(), Email::parse("jane@example.com").unwrap(), "api", 10)
    }

    #[test]
    fn a_revision_bumps_the_version_and_says_which_event_it_is() {
        let before = jane();
        assert_eq!(before.revise(before.clone(), 20), None, "no change, no write");
        let (after, event) = before.revise(Contact { first_name: Some("Jane".into()), ..before.clone() }, 20).unwrap();
        assert_eq!((after.version, after.updated_at, event), (2, 20, ContactEvent::Updated));
        let (_, event) = before.revise(Contact { subscribed: false, ..before.clone() }, 20).unwrap();
        assert_eq!(event, ContactEvent::Unsubscribed);
        let both = Contact { subscribed: false, first_name: Some("J".into()), ..before.clone() };
        assert_eq!(before.revise(both, 20).unwrap().1, ContactEvent::Updated);
    }

    #[test]
    fn custom_properties_are_typed_named_counted_and_not_reserved() {
        let mut properties = BTreeMap::new();
        let given = |v: Value| v.as_object().unwrap().clone();
        apply_properties(&mut properties, &given(json!({"plan": "pro", "seats": 3, "vip": true}))).unwrap();
        assert_eq!(properties.len(), 3);
        apply_properties(&mut properties, &given(json!({"plan": null}))).unwrap();
        assert!(!properties.contains_key("plan"));
        let refused = |v: Value| apply_properties(&mut BTreeMap::new(), &given(v)).unwrap_err();
        assert_eq!(refused(json!({"email": "x"})), PropertyError::Reserved("email".into()));
        assert_eq!(refused(json!({"nested": {"a": 1}})), PropertyError::BadValue("nested".into()));
        assert_eq!(refused(json!({"list": [1]})), PropertyError::BadValue("list".into()));
        let long = "a".repeat(41);
        assert_eq!(refused(json!({ long.clone(): 1 })), PropertyError::BadName(long));
        assert!(check_property(&"a".repeat(40), &json!(1), true).is_ok());
        let many: Map<String, Value> = (0..51).map(|i| (format!("p{i:02}"), json!(i))).collect();
        assert!(matches!(apply_properties(&mut BTreeMap::new(), &many), Err(PropertyError::TooMany(_))));
    }

    #[test]
    fn custom_properties_show_beside_the_fields() {
        let mut contact = jane();
        contact.properties.insert("plan".into(), json!("pro"));
        let shown = contact.to_json();
        assert_eq!((shown["plan"].as_str(), shown["email"].as_str()), (Some("pro"), Some("jane@example.com")));
    }

    #[test]
    fn event_names_are_1_to_100_characters_without_colons() {
        assert!(valid_event_name("signup"));
        assert!(valid_event_name(&"e".repeat(100)));
        assert!(!valid_event_name(""));
        assert!(!valid_event_name(&"e".repeat(101)));
        assert!(!valid_event_name("a:b"));
    }
}
