//! Webhook endpoints, as fan-out sees them.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointStatus {
    #[default]
    Enabled,
    Disabled,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    pub id: String,
    pub url: String,
    /// Outbound types, or `"*"` for all.
    pub events: Vec<String>,
    pub status: EndpointStatus,
}

impl Endpoint {
    /// Whether an event of `kind` is delivered here now.
    pub fn wants(&self, kind: &str) -> bool {
        self.status == EndpointStatus::Enabled && self.events.iter().any(|e| e == "*" || e == kind)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(events: &[&str], status: EndpointStatus) -> Endpoint {
        Endpoint {
            id: "we_1".into(),
            url: "https://x".into(),
            events: events.iter().map(|s| s.to_string()).collect(),
            status,
        }
    }

    #[test]
    fn filters_match_their_types_or_everything() {
        assert!(endpoint(&["*"], EndpointStatus::Enabled).wants("TransferCreated"));
        assert!(endpoint(&["contact.created"], EndpointStatus::Enabled).wants("contact.created"));
        assert!(!endpoint(&["contact.created"], EndpointStatus::Enabled).wants("contact.updated"));
        assert!(!endpoint(&["*"], EndpointStatus::Disabled).wants("contact.created"));
    }
}
