//! The store's delivery and circuit records, and its accounts and API keys (`accounts`), in
//! memory, on the conditions of their DynamoDB writes (`store::deliveries`, `store::circuit`,
//! `store::contacts`, `store::accounts`).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Mutex, MutexGuard};

mod accounts;

use super::ok;
use crate::ports::{CircuitStore, DeliveryStore, EndpointsStore, ParkedStore};
use crate::store::keys::parked_sk;
use crate::store::{AttemptRecord, DispatchView, KeyRecord, Parked, ReleaseView};
use loop_ground::domain::account::Account;
use loop_ground::domain::delivery::{
    Attempt, Delivery, DeliveryStatus, EndpointHealth, HealthChange, ProbeChange, OPEN_AFTER_FAILURES,
};
use loop_ground::domain::endpoint::EndpointSet;
use loop_ground::domain::outbound::OutboundEvent;
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

/// (account, event)
type EventKey = (AccountId, String);
/// (account, event, endpoint)
type DeliveryKey = (AccountId, String, String);
/// (account, endpoint)
type EndpointKey = (AccountId, String);

/// A delivery's record: the delivery and the claim on its next attempt, if any.
#[derive(Clone, Debug)]
struct DeliveryRecord {
    delivery: Delivery,
    /// (attempt, until)
    claim: Option<(u32, i64)>,
}

#[derive(Clone, Debug)]
struct HealthRecord {
    health: EndpointHealth,
    release_turn_until: Option<i64>,
}

#[derive(Default)]
struct Tables {
    events: HashMap<EventKey, OutboundEvent>,
    endpoints: HashMap<AccountId, EndpointSet>,
    deliveries: HashMap<DeliveryKey, DeliveryRecord>,
    attempts: BTreeMap<(DeliveryKey, u32), Attempt>,
    health: HashMap<EndpointKey, HealthRecord>,
    /// Oldest first, as the parked partition's sort key orders them.
    parked: HashMap<EndpointKey, BTreeMap<String, Parked>>,
    accounts: HashMap<AccountId, Account>,
    /// By (account, key hash), as the key's DynamoDB item is.
    keys: HashMap<(AccountId, String), KeyRecord>,
}

/// The store's dispatch and circuit tables, in memory.
#[derive(Default)]
pub struct FakeStore {
    tables: Mutex<Tables>,
}

fn delivery_key(account: &AccountId, event_id: &str, endpoint_id: &str) -> DeliveryKey {
    (account.clone(), event_id.to_owned(), endpoint_id.to_owned())
}

impl FakeStore {
    fn tables(&self) -> MutexGuard<'_, Tables> {
        self.tables.lock().expect("no test panics while holding the fake store")
    }

    pub fn put_event(&self, account: &AccountId, event: OutboundEvent) {
        self.tables().events.insert((account.clone(), event.id.clone()), event);
    }

    pub fn put_endpoints(&self, account: &AccountId, set: EndpointSet) {
        self.tables().endpoints.insert(account.clone(), set);
    }

    pub fn endpoints(&self, account: &AccountId) -> EndpointSet {
        self.tables().endpoints.get(account).cloned().unwrap_or_default()
    }

    pub fn delivery(&self, account: &AccountId, event_id: &str, endpoint_id: &str) -> Option<Delivery> {
        self.tables().deliveries.get(&delivery_key(account, event_id, endpoint_id)).map(|r| r.delivery.clone())
    }

    /// The attempts recorded for a delivery, in order.
    pub fn attempts(&self, account: &AccountId, event_id: &str, endpoint_id: &str) -> Vec<Attempt> {
        let key = delivery_key(account, event_id, endpoint_id);
        self.tables().attempts.iter().filter(|((k, _), _)| *k == key).map(|(_, a)| a.clone()).collect()
    }

    pub fn health(&self, account: &AccountId, endpoint_id: &str) -> Option<EndpointHealth> {
        self.tables().health.get(&(account.clone(), endpoint_id.to_owned())).map(|r| r.health.clone())
    }

    pub fn parked(&self, account: &AccountId, endpoint_id: &str) -> Vec<Parked> {
        let key = (account.clone(), endpoint_id.to_owned());
        self.tables().parked.get(&key).map(|p| p.values().cloned().collect()).unwrap_or_default()
    }
}

impl EndpointsStore for FakeStore {
    fn get_endpoints(&self, account: &AccountId) -> impl Future<Output = Result<EndpointSet, StoreError>> + Send {
        ok(self.endpoints(account))
    }
}

impl DeliveryStore for FakeStore {
    fn read_for_dispatch(
        &self,
        account: &AccountId,
        event_id: &str,
        endpoint_id: &str,
    ) -> impl Future<Output = Result<DispatchView, StoreError>> + Send {
        let tables = self.tables();
        ok(DispatchView {
            event: tables.events.get(&(account.clone(), event_id.to_owned())).cloned(),
            endpoints: tables.endpoints.get(account).cloned().unwrap_or_default(),
            delivery: tables.deliveries.get(&delivery_key(account, event_id, endpoint_id)).map(|r| r.delivery.clone()),
            health: tables.health.get(&(account.clone(), endpoint_id.to_owned())).map(|r| r.health.clone()),
        })
    }

    fn claim_attempt(
        &self,
        account: &AccountId,
        event_id: &str,
        delivery: &Delivery,
        attempt: u32,
        now: i64,
        claim_until: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        let mut tables = self.tables();
        let key = delivery_key(account, event_id, &delivery.endpoint_id);
        let record = tables.deliveries.entry(key).or_insert_with(|| DeliveryRecord {
            delivery: Delivery {
                status: DeliveryStatus::Pending,
                updated_at: now,
                reason: None,
                next_attempt_at: None,
                ..delivery.clone()
            },
            claim: None,
        });
        let recorded = record.delivery.last_attempt >= attempt;
        let held = record.claim.is_some_and(|(a, until)| a == attempt && until > now);
        let claimed = !recorded && !held;
        if claimed {
            record.claim = Some((attempt, claim_until));
        }
        ok(claimed)
    }

    fn record_attempt(
        &self,
        account: &AccountId,
        event_id: &str,
        attempt: &Attempt,
        delivery: &Delivery,
        health: Option<HealthChange>,
        _token: &str,
    ) -> impl Future<Output = Result<AttemptRecord, StoreError>> + Send {
        let mut tables = self.tables();
        let key = delivery_key(account, event_id, &attempt.endpoint_id);
        let attempt_exists = tables.attempts.contains_key(&(key.clone(), attempt.attempt));
        let delivery_newer = tables.deliveries.get(&key).is_some_and(|r| r.delivery.last_attempt >= attempt.attempt);
        if attempt_exists || delivery_newer {
            return ok(AttemptRecord::Duplicate);
        }
        let health_key = (account.clone(), attempt.endpoint_id.clone());
        match health {
            Some(HealthChange::Recovered { releasing: false }) => {
                // The record goes only while the circuit is still closed.
                let open =
                    tables.health.get(&health_key).is_some_and(|r| r.health.probe.is_some() || r.health.is_open());
                if open {
                    return ok(AttemptRecord::CircuitOpened);
                }
                tables.health.remove(&health_key);
            }
            Some(HealthChange::Recovered { releasing: true }) => {
                let closed = EndpointHealth { releasing: true, ..EndpointHealth::default() };
                tables.health.insert(health_key, HealthRecord { health: closed, release_turn_until: None });
            }
            Some(HealthChange::Failed { at, probe }) => {
                let record = tables
                    .health
                    .entry(health_key)
                    .or_insert_with(|| HealthRecord { health: EndpointHealth::default(), release_turn_until: None });
                record.health.failing_since.get_or_insert(at);
                record.health.failures += 1;
                match probe {
                    ProbeChange::Keep => {}
                    ProbeChange::Set(probe) => record.health.probe = Some(probe),
                    ProbeChange::Clear => record.health.probe = None,
                }
            }
            None => {}
        }
        tables.attempts.insert((key.clone(), attempt.attempt), attempt.clone());
        // A whole put: the claim goes with the old record.
        tables.deliveries.insert(key, DeliveryRecord { delivery: delivery.clone(), claim: None });
        ok(AttemptRecord::Recorded)
    }

    fn put_delivery(
        &self,
        account: &AccountId,
        event_id: &str,
        delivery: &Delivery,
        read_last_attempt: Option<u32>,
        now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        let mut tables = self.tables();
        let key = delivery_key(account, event_id, &delivery.endpoint_id);
        let unchanged = match (tables.deliveries.get(&key), read_last_attempt) {
            (None, None) => true,
            (Some(record), Some(last)) => {
                record.delivery.last_attempt == last
                    && record.claim.is_none_or(|(attempt, until)| until < now || attempt <= last)
            }
            _ => false,
        };
        if unchanged {
            tables.deliveries.insert(key, DeliveryRecord { delivery: delivery.clone(), claim: None });
        }
        ok(unchanged)
    }

    fn save_endpoints(
        &self,
        account: &AccountId,
        set: &EndpointSet,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        let mut tables = self.tables();
        let stored = tables.endpoints.get(account).map(|s| s.version);
        let current = match stored {
            None => set.version <= 1,
            Some(version) => set.version > 1 && version == set.version - 1,
        };
        if current {
            tables.endpoints.insert(account.clone(), set.clone());
        }
        ok(current)
    }
}

impl ParkedStore for FakeStore {
    fn unpark(
        &self,
        account: &AccountId,
        endpoint_id: &str,
        released: &[Parked],
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let mut tables = self.tables();
        if let Some(parked) = tables.parked.get_mut(&(account.clone(), endpoint_id.to_owned())) {
            for gone in released {
                parked.remove(&gone.sk);
            }
        }
        ok(())
    }
}

impl CircuitStore for FakeStore {
    fn park(
        &self,
        account: &AccountId,
        endpoint_id: &str,
        event_id: &str,
        attempt: u32,
        (now, now_ms): (i64, i64),
        _window_ends_at: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        let mut tables = self.tables();
        let key = (account.clone(), endpoint_id.to_owned());
        let still_open = tables.health.get(&key).is_some_and(|r| {
            r.health.failures >= OPEN_AFTER_FAILURES
                && r.health.probe.as_ref().is_some_and(|p| p.until > now && p.event_id != event_id)
        });
        if still_open {
            let parked =
                Parked { sk: parked_sk(now_ms, event_id), event_id: event_id.to_owned(), attempt, parked_at: now };
            tables.parked.entry(key).or_default().insert(parked.sk.clone(), parked);
        }
        ok(still_open)
    }

    fn clear_probe(
        &self,
        account: &AccountId,
        endpoint_id: &str,
        event_id: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let mut tables = self.tables();
        if let Some(record) = tables.health.get_mut(&(account.clone(), endpoint_id.to_owned())) {
            if record.health.probe.as_ref().is_some_and(|p| p.event_id == event_id) {
                record.health.probe = None;
            }
        }
        ok(())
    }

    fn read_for_release(
        &self,
        account: &AccountId,
        endpoint_id: &str,
    ) -> impl Future<Output = Result<ReleaseView, StoreError>> + Send {
        ok(ReleaseView { endpoints: self.endpoints(account), health: self.health(account, endpoint_id) })
    }

    fn take_release_turn(
        &self,
        account: &AccountId,
        endpoint_id: &str,
        now: i64,
        until: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        let mut tables = self.tables();
        // Without a health record there is no turn to take, and none is written.
        let Some(record) = tables.health.get_mut(&(account.clone(), endpoint_id.to_owned())) else {
            return ok(true);
        };
        let free = record.release_turn_until.is_none_or(|held| held <= now);
        if free {
            record.release_turn_until = Some(until);
        }
        ok(free)
    }

    fn parked_page(
        &self,
        account: &AccountId,
        endpoint_id: &str,
        limit: u32,
    ) -> impl Future<Output = Result<(Vec<Parked>, bool), StoreError>> + Send {
        let parked = self.parked(account, endpoint_id);
        // DynamoDB says "more" whenever the limit stopped the query, even if nothing follows.
        let more = parked.len() >= limit as usize;
        ok((parked.into_iter().take(limit as usize).collect(), more))
    }

    fn released(&self, account: &AccountId, endpoint_id: &str) -> impl Future<Output = Result<(), StoreError>> + Send {
        let mut tables = self.tables();
        let key = (account.clone(), endpoint_id.to_owned());
        // Failing again since: the record is the new streak's.
        if tables.health.get(&key).is_some_and(|r| r.health.failures == 0) {
            tables.health.remove(&key);
        }
        ok(())
    }
}
