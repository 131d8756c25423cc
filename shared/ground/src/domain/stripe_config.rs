//! The merchant's per-type configuration of the contact group (`stripe-ingest.md`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::stripe_event::EventType;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CustomerDeleted {
    #[default]
    Unsubscribe,
    Delete,
}

/// Settings of one contact-group event type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventSettings {
    pub enabled: bool,
    /// The trigger event's name; `None` records no trigger.
    pub event_name: Option<String>,
    pub sync_name: bool,
    pub user_group: Option<String>,
}

impl EventSettings {
    pub fn default_for(kind: EventType) -> Self {
        EventSettings { enabled: true, event_name: Some(kind.as_str().to_owned()), sync_name: false, user_group: None }
    }
}

/// Stored settings by type name; types never configured have their defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventsConfig(pub BTreeMap<String, EventSettings>);

impl EventsConfig {
    pub fn settings(&self, kind: EventType) -> EventSettings {
        self.0.get(kind.as_str()).cloned().unwrap_or_else(|| EventSettings::default_for(kind))
    }
}
