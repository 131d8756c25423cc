//! Webhook endpoints: where an account's events are delivered, and with which secrets.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::clock::rfc3339_from_unix;
use crate::secret::Secret;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointStatus {
    #[default]
    Enabled,
    Disabled,
}

/// A signing secret; a rotated-out one keeps signing until `expires_at`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointSecret {
    pub secret: Secret,
    pub created_at: i64,
    #[serde(default)]
    pub expires_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    pub id: String,
    pub url: String,
    /// Outbound types, or `"*"` for all.
    pub events: Vec<String>,
    pub status: EndpointStatus,
    #[serde(default)]
    pub description: Option<String>,
    /// Why it was disabled, when Loop disabled it.
    #[serde(default)]
    pub disabled_reason: Option<String>,
    /// Newest first.
    #[serde(default)]
    pub secrets: Vec<EndpointSecret>,
    #[serde(default)]
    pub created_at: i64,
}

impl Endpoint {
    /// An endpoint with no secrets, for tests of filters and fan-out.
    #[doc(hidden)]
    pub fn for_test(id: &str, events: &[&str], status: EndpointStatus) -> Endpoint {
        Endpoint {
            id: id.into(),
            url: "https://example.com/hooks".into(),
            events: events.iter().map(|s| s.to_string()).collect(),
            status,
            description: None,
            disabled_reason: None,
            secrets: Vec::new(),
            created_at: 0,
        }
    }

    /// Whether an event of `kind` is delivered here now.
    pub fn wants(&self, kind: &str) -> bool {
        self.status == EndpointStatus::Enabled && self.subscribes_to(kind)
    }

    /// Whether the filter matches `kind`, enabled or not.
    pub fn subscribes_to(&self, kind: &str) -> bool {
        self.events.iter().any(|e| e == "*" || e == kind)
    }

    /// The secrets that sign at `now`, newest first.
    pub fn active_secrets(&self, now: i64) -> Vec<&Secret> {
        self.secrets.iter().filter(|s| s.expires_at.is_none_or(|at| at > now)).map(|s| &s.secret).collect()
    }

    /// As the API shows it: secrets never, except once at creation and rotation.
    pub fn to_json(&self, now: i64) -> Value {
        json!({
            "id": self.id,
            "url": self.url,
            "events": self.events,
            "description": self.description,
            "status": self.status,
            "disabledReason": self.disabled_reason,
            "secret": self.active_secrets(now).first().map(|s| s.masked()),
            "createdAt": rfc3339_from_unix(self.created_at),
        })
    }
}

/// All endpoints of an account, kept as one record so that publishing reads them with the
/// event's other state in a single request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointSet {
    pub endpoints: Vec<Endpoint>,
    pub version: u64,
}

impl EndpointSet {
    pub fn get(&self, id: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(events: &[&str], status: EndpointStatus) -> Endpoint {
        Endpoint::for_test("we_1", events, status)
    }

    #[test]
    fn filters_match_their_types_or_everything() {
        assert!(endpoint(&["*"], EndpointStatus::Enabled).wants("TransferCreated"));
        assert!(endpoint(&["contact.created"], EndpointStatus::Enabled).wants("contact.created"));
        assert!(!endpoint(&["contact.created"], EndpointStatus::Enabled).wants("contact.updated"));
        assert!(!endpoint(&["*"], EndpointStatus::Disabled).wants("contact.created"));
        assert!(endpoint(&["*"], EndpointStatus::Disabled).subscribes_to("contact.created"));
    }

    #[test]
    fn rotated_secrets_sign_until_they_expire() {
        let mut e = endpoint(&["*"], EndpointStatus::Enabled);
        e.secrets = vec![
            EndpointSecret { secret: Secret::new("whsec_new"), created_at: 100, expires_at: None },
            EndpointSecret { secret: Secret::new("whsec_old"), created_at: 0, expires_at: Some(200) },
        ];
        assert_eq!(e.active_secrets(150).len(), 2);
        assert_eq!(e.active_secrets(200).iter().map(|s| s.expose()).collect::<Vec<_>>(), ["whsec_new"]);
        assert_eq!(e.to_json(150)["secret"], "whsec_…_new");
    }
}
