//! Keys of the outbound side: an event's partition (the event, its deliveries and attempts), the
//! account's webhook endpoints and their health, deliveries parked behind an open circuit, and
//! the outbox of pointers not yet sent.

use super::account_pk;
use loop_ground::ids::AccountId;

pub const EVENT_SK: &str = "EVENT";
pub const ENDPOINTS_SK: &str = "ENDPOINTS";
pub const DELIVERY_PREFIX: &str = "D#";
pub const ATTEMPT_PREFIX: &str = "AT#";

pub fn event_pk(account: &AccountId, event_id: &str) -> String {
    format!("A#{account}#E#{event_id}")
}

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

pub const PARKED_PREFIX: &str = "P#";

/// An endpoint's own partition, where deliveries wait behind its open circuit.
pub fn parked_pk(account: &AccountId, endpoint_id: &str) -> String {
    format!("{}#WEP#{endpoint_id}", account_pk(account))
}

/// `P#{parkedAtMs}#{eventId}`: time-ordered, and new at every parking.
pub fn parked_sk(parked_at_ms: i64, event_id: &str) -> String {
    format!("{PARKED_PREFIX}{parked_at_ms:013}#{event_id}")
}

pub const OUTBOX_SK: &str = "OUTBOX";

pub fn outbox_pk(account: &AccountId, id: &str) -> String {
    format!("A#{account}#OB#{id}")
}
