//! The one publishing path. A capability stores its events in the same transaction as the state
//! change that caused them, together with an outbox of pointer messages; then [`send`] hands
//! the pointers to the delivery queue. If that fails, the outbox is still stored and is sent
//! again (by the Stripe retry, or the scheduler's outbox sweep), and dispatch ignores a pointer
//! for an attempt already made.

use crate::domain::endpoint::EndpointSet;
use crate::domain::outbound::{DeliveryPointer, OutboundEvent};
use crate::error::StoreError;
use crate::ids::AccountId;
use crate::queue::{DeliveryQueue, OutgoingMessage};

/// One pointer per (event, endpoint that wants it): the first attempt of each delivery.
pub fn fan_out(account: &AccountId, endpoints: &EndpointSet, events: &[OutboundEvent]) -> Vec<DeliveryPointer> {
    events
        .iter()
        .flat_map(|event| {
            endpoints.endpoints.iter().filter(|e| e.wants(&event.kind)).map(|endpoint| DeliveryPointer {
                v: 1,
                account_id: account.to_string(),
                event_id: event.id.clone(),
                endpoint_id: endpoint.id.clone(),
                attempt: 1,
            })
        })
        .collect()
}

/// Sends first attempts at once (batched by ten).
pub async fn send(queue: &DeliveryQueue, pointers: &[DeliveryPointer]) -> Result<(), StoreError> {
    let messages: Vec<OutgoingMessage> = pointers
        .iter()
        .map(|p| OutgoingMessage { body: serde_json::to_string(p).expect("pointers serialize"), delay_seconds: 0 })
        .collect();
    queue.send(&messages).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::endpoint::{Endpoint, EndpointStatus};

    #[test]
    fn each_event_goes_to_each_endpoint_that_wants_it() {
        let account = AccountId::generate();
        let endpoint = |id: &str, events: &[&str]| Endpoint {
            id: id.into(),
            url: "https://example.com".into(),
            events: events.iter().map(|s| s.to_string()).collect(),
            status: EndpointStatus::Enabled,
        };
        let endpoints = EndpointSet {
            endpoints: vec![endpoint("we_all", &["*"]), endpoint("we_contacts", &["contact.created"])],
            version: 1,
        };
        let events = [
            OutboundEvent::envelope("contact.created", serde_json::json!({}), 1),
            OutboundEvent::envelope("event.triggered", serde_json::json!({}), 1),
        ];
        let pointers = fan_out(&account, &endpoints, &events);
        let pairs: Vec<(&str, &str)> = pointers.iter().map(|p| (p.event_id.as_str(), p.endpoint_id.as_str())).collect();
        assert_eq!(
            pairs,
            [
                (events[0].id.as_str(), "we_all"),
                (events[0].id.as_str(), "we_contacts"),
                (events[1].id.as_str(), "we_all")
            ]
        );
        assert!(pointers.iter().all(|p| p.attempt == 1));
    }
}
