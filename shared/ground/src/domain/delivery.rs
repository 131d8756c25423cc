//! The delivery of one event to one endpoint, and its attempts.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::clock::rfc3339_from_unix;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Pending,
    Succeeded,
    Failed,
    /// Published while the endpoint was disabled: recorded, not sent.
    Skipped,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub endpoint_id: String,
    pub status: DeliveryStatus,
    /// The highest attempt made; a pointer for an attempt at or below it is a duplicate.
    pub last_attempt: u32,
    /// Retries stop `retry window` after this: publication, or the last manual redelivery.
    pub window_start: i64,
    pub updated_at: i64,
    #[serde(default)]
    pub reason: Option<String>,
    /// When the next attempt is due, once one is queued; its pointer counts as lost only past it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<i64>,
}

const ATTEMPT_ID_PREFIX: &str = "att_";

/// The endpoint and number an attempt id (`Attempt::id`) names; `None` if it is not one.
pub fn parse_attempt_id(id: &str) -> Option<(&str, u32)> {
    let (endpoint_id, number) = id.strip_prefix(ATTEMPT_ID_PREFIX)?.rsplit_once('_')?;
    if endpoint_id.is_empty() || number.len() != 6 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((endpoint_id, number.parse().ok()?))
}

/// One HTTP attempt, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub endpoint_id: String,
    pub attempt: u32,
    pub at: i64,
    pub response_status: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<String>,
    /// The first 1 KiB of the response.
    pub response_body: Option<String>,
}

impl Attempt {
    pub fn succeeded(&self) -> bool {
        self.error.is_none() && self.response_status.is_some_and(|s| (200..300).contains(&s))
    }

    /// The attempt's public id: `att_{endpointId}_{attempt:06}`, stable and derived from its
    /// sort key, so `startingAfter` resumes a page with a key condition and no lookup.
    pub fn id(&self) -> String {
        format!("{ATTEMPT_ID_PREFIX}{}_{:06}", self.endpoint_id, self.attempt)
    }

    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id(),
            "endpointId": self.endpoint_id,
            "attempt": self.attempt,
            "at": rfc3339_from_unix(self.at),
            "responseStatus": self.response_status,
            "durationMs": self.duration_ms,
            "error": self.error,
            "responseBody": self.response_body,
        })
    }
}

/// Failed attempts in a row that open an endpoint's circuit (`dispatch::breaker`).
pub const OPEN_AFTER_FAILURES: u32 = 5;

/// An endpoint's recent failures: its circuit breaker's state (`dispatch::breaker`). Absent
/// while its last attempt succeeded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EndpointHealth {
    /// Since when every attempt to the endpoint has failed.
    pub failing_since: Option<i64>,
    /// Failed attempts in a row, across its deliveries.
    pub failures: u32,
    /// The delivery that probes the endpoint while its circuit is open.
    pub probe: Option<Probe>,
    /// The circuit closed and its parked deliveries are being released: kept until the release
    /// job has sent them all, so that a release lost on the way is queued again.
    pub releasing: bool,
}

/// The one delivery allowed to try an open-circuit endpoint, on its own cadence, until `until`
/// (its next attempt's due time and a grace): if its chain dies, another delivery takes over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    pub event_id: String,
    pub until: i64,
}

/// What one attempt changes in its endpoint's health, written with the attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HealthChange {
    /// A success: the failing streak ends and the circuit closes. The record goes, or, when
    /// parked deliveries are to be released, stays as `releasing` until they are.
    Recovered { releasing: bool },
    /// A failure: one more in a row (the streak starts at `at` if it had not).
    Failed { at: i64, probe: ProbeChange },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProbeChange {
    Keep,
    Set(Probe),
    Clear,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(endpoint_id: &str, number: u32) -> Attempt {
        Attempt {
            endpoint_id: endpoint_id.into(),
            attempt: number,
            at: 0,
            response_status: None,
            duration_ms: 0,
            error: None,
            response_body: None,
        }
    }

    #[test]
    fn attempt_ids_name_their_endpoint_and_number_and_sort_by_number() {
        let seventh = attempt("we_abc_def", 7);
        assert_eq!(seventh.id(), "att_we_abc_def_000007");
        assert_eq!(parse_attempt_id(&seventh.id()), Some(("we_abc_def", 7)));
        assert!(attempt("we_x", 9).id() < attempt("we_x", 10).id());
    }

    #[test]
    fn strings_that_are_not_attempt_ids_are_refused() {
        for raw in ["", "att_", "att_we_x", "att__000001", "att_we_x_1", "att_we_x_00000a", "we_x_000001"] {
            assert_eq!(parse_attempt_id(raw), None, "{raw}");
        }
    }
}
