//! How deliveries went over the last 24 hours, for the dashboard's Overview chart and the
//! Webhooks page's success rates.
//!
//! Deliveries live in their event's partition, so there is no account-wide list of them. The
//! read is bounded instead: the account's events of the last day, newest first, at most
//! [`MAX_EVENTS`] of them (paged as `/v1/events` pages), then the delivery of each to each of the
//! account's endpoints by exact key (`BatchGetItem`). What went beyond the bound is said
//! (`capped`), never read.

use std::collections::BTreeMap;

use loop_adapters::store::Store;
use loop_ground::domain::delivery::{Delivery, DeliveryStatus};
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

/// The window: a day.
pub const WINDOW_SECONDS: i64 = 24 * 3600;
/// The most events read for one view.
pub const MAX_EVENTS: usize = 200;
const EVENTS_PER_PAGE: usize = 100;

/// Deliveries that succeeded and that failed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub succeeded: u32,
    /// Given up, or retrying after a failed attempt: either way the endpoint did not take it.
    pub failed: u32,
}

impl Tally {
    /// The share that succeeded, in percent; `None` when nothing was attempted.
    pub fn success_rate(&self) -> Option<f64> {
        let total = self.succeeded + self.failed;
        (total > 0).then(|| f64::from(self.succeeded) * 100.0 / f64::from(total))
    }

    fn add(&mut self, delivery: &Delivery) {
        match delivery.status {
            DeliveryStatus::Succeeded => self.succeeded += 1,
            DeliveryStatus::Failed => self.failed += 1,
            DeliveryStatus::Pending if delivery.last_attempt > 0 => self.failed += 1,
            // Not tried yet, or not sent (the endpoint was disabled): no outcome to count.
            DeliveryStatus::Pending | DeliveryStatus::Skipped => {}
        }
    }
}

/// The last day's deliveries.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeliveryStats {
    /// 24 hours, oldest first; a delivery counts in the hour of its last change.
    pub hours: Vec<Tally>,
    /// By endpoint id.
    pub endpoints: BTreeMap<String, Tally>,
    /// How many events were read.
    pub events: usize,
    /// Whether the day had more events than were read.
    pub capped: bool,
}

impl DeliveryStats {
    pub fn total(&self) -> Tally {
        self.hours.iter().fold(Tally::default(), |sum, h| Tally {
            succeeded: sum.succeeded + h.succeeded,
            failed: sum.failed + h.failed,
        })
    }
}

/// Counts deliveries into the hours ending at `now` and by endpoint (pure).
pub fn tally(deliveries: &[Delivery], now: i64) -> (Vec<Tally>, BTreeMap<String, Tally>) {
    let mut hours = vec![Tally::default(); 24];
    let mut endpoints: BTreeMap<String, Tally> = BTreeMap::new();
    let since = now - WINDOW_SECONDS;
    for delivery in deliveries {
        if delivery.updated_at <= since || delivery.updated_at > now {
            continue;
        }
        // Hour 23 is the one ending now.
        let hour = 23 - ((now - delivery.updated_at) / 3600).clamp(0, 23) as usize;
        hours[hour].add(delivery);
        endpoints.entry(delivery.endpoint_id.clone()).or_default().add(delivery);
    }
    (hours, endpoints)
}

/// The account's deliveries of the last day, read within the bound.
pub async fn last_day(store: &Store, account: &AccountId, now: i64) -> Result<DeliveryStats, StoreError> {
    let since = now - WINDOW_SECONDS;
    let mut event_ids = Vec::new();
    let mut after: Option<String> = None;
    let mut capped = false;
    'pages: loop {
        let page = store.list_events(account, None, EVENTS_PER_PAGE, after.as_deref()).await?;
        for event in page.items {
            if event.created <= since {
                break 'pages;
            }
            if event_ids.len() == MAX_EVENTS {
                capped = true;
                break 'pages;
            }
            event_ids.push(event.id);
        }
        match page.resume_after {
            Some(next) if page.has_more => after = Some(next),
            _ => break,
        }
    }
    let endpoints = store.get_endpoints(account).await?;
    let endpoint_ids: Vec<&str> = endpoints.endpoints.iter().map(|e| e.id.as_str()).collect();
    let events: Vec<&str> = event_ids.iter().map(String::as_str).collect();
    let deliveries: Vec<Delivery> =
        store.deliveries_of(account, &events, &endpoint_ids).await?.into_iter().map(|(_, d)| d).collect();
    let (hours, by_endpoint) = tally(&deliveries, now);
    Ok(DeliveryStats { hours, endpoints: by_endpoint, events: event_ids.len(), capped })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(endpoint: &str, status: DeliveryStatus, last_attempt: u32, updated_at: i64) -> Delivery {
        Delivery {
            endpoint_id: endpoint.into(),
            status,
            last_attempt,
            window_start: updated_at,
            updated_at,
            reason: None,
            next_attempt_at: None,
        }
    }

    #[test]
    fn deliveries_count_in_the_hour_of_their_last_change_by_outcome_and_endpoint() {
        let now = 100 * 3600;
        let deliveries = [
            delivery("we_a", DeliveryStatus::Succeeded, 1, now),
            delivery("we_a", DeliveryStatus::Succeeded, 2, now - 3599),
            delivery("we_a", DeliveryStatus::Failed, 5, now - 3600),
            delivery("we_b", DeliveryStatus::Pending, 2, now - 23 * 3600 - 1),
            // not yet tried, not sent, or outside the day: not counted
            delivery("we_b", DeliveryStatus::Pending, 0, now - 10),
            delivery("we_b", DeliveryStatus::Skipped, 0, now - 10),
            delivery("we_a", DeliveryStatus::Succeeded, 1, now - 24 * 3600),
            delivery("we_a", DeliveryStatus::Succeeded, 1, now + 1),
        ];
        let (hours, endpoints) = tally(&deliveries, now);
        assert_eq!(hours.len(), 24);
        assert_eq!(hours[23], Tally { succeeded: 2, failed: 0 });
        assert_eq!(hours[22], Tally { succeeded: 0, failed: 1 });
        assert_eq!(hours[0], Tally { succeeded: 0, failed: 1 });
        assert_eq!(hours[1..22].iter().map(|h| h.succeeded + h.failed).sum::<u32>(), 0);
        assert_eq!(endpoints["we_a"], Tally { succeeded: 2, failed: 1 });
        assert_eq!(endpoints["we_b"], Tally { succeeded: 0, failed: 1 });
    }

    #[test]
    fn the_success_rate_is_of_what_was_attempted() {
        assert_eq!(Tally { succeeded: 3, failed: 1 }.success_rate(), Some(75.0));
        assert_eq!(Tally::default().success_rate(), None);
    }
}
