//! Deliveries and attempts, in their event's partition; endpoint health.

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};

use super::keys::account_pk;
use super::keys::*;
use super::records::*;
use super::{classify, from_item, s, to_item, PageQuery, Store};
use loop_ground::domain::delivery::{
    Attempt, Delivery, EndpointHealth, HealthChange, ProbeChange, OPEN_AFTER_FAILURES,
};
use loop_ground::domain::endpoint::EndpointSet;
use loop_ground::domain::outbound::OutboundEvent;
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

/// What came of recording an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptRecord {
    Recorded,
    /// Another handler recorded this attempt (or a later one) first: nothing was written.
    Duplicate,
    /// The attempt succeeded, but the endpoint's circuit opened after its health was read:
    /// nothing was written; record it again as the success that closes the circuit.
    CircuitOpened,
}

/// What one delivery attempt needs, read in one request.
#[derive(Debug, Default)]
pub struct DispatchView {
    pub event: Option<OutboundEvent>,
    pub endpoints: EndpointSet,
    pub delivery: Option<Delivery>,
    pub health: Option<EndpointHealth>,
}

/// An event with every delivery and the latest attempts of each.
#[derive(Debug, Default)]
pub struct EventDetail {
    pub event: Option<OutboundEvent>,
    pub deliveries: Vec<Delivery>,
    pub attempts: Vec<Attempt>,
}

impl Store {
    pub async fn read_for_dispatch(
        &self,
        account: &AccountId,
        event_id: &str,
        endpoint_id: &str,
    ) -> Result<DispatchView, StoreError> {
        let event_key = (event_pk(account, event_id), EVENT_SK.to_owned());
        let endpoints_key = (account_pk(account), ENDPOINTS_SK.to_owned());
        let delivery_key = (event_pk(account, event_id), delivery_sk(endpoint_id));
        let health_key = (account_pk(account), health_sk(endpoint_id));
        let mut found = self
            .batch_get(&[event_key.clone(), endpoints_key.clone(), delivery_key.clone(), health_key.clone()])
            .await?;
        Ok(DispatchView {
            event: found.remove(&event_key).map(|i| from_item::<EventItem>(i).map(|e| e.event)).transpose()?,
            endpoints: found
                .remove(&endpoints_key)
                .map(|i| from_item::<EndpointsItem>(i).map(|e| e.set))
                .transpose()?
                .unwrap_or_default(),
            delivery: found
                .remove(&delivery_key)
                .map(|i| from_item::<DeliveryItem>(i).map(|d| d.delivery))
                .transpose()?,
            health: found
                .remove(&health_key)
                .map(|i| from_item::<HealthItem>(i).map(HealthItem::health))
                .transpose()?,
        })
    }

    /// Records an attempt with the delivery's new state and what it changes in the endpoint's
    /// health (`dispatch::breaker`): one transaction, so a failure path costs one
    /// read and one write. A cancellation for any reason but a failed condition is
    /// `Unavailable`, to be tried again, with the same `token` (DynamoDB's idempotency token:
    /// a try whose answer was lost but which was applied then answers success again, not a
    /// failed condition that would pass for a duplicate).
    pub async fn record_attempt(
        &self,
        account: &AccountId,
        event_id: &str,
        attempt: &Attempt,
        delivery: &Delivery,
        health: Option<HealthChange>,
        token: &str,
    ) -> Result<AttemptRecord, StoreError> {
        let fault = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Fault(e.to_string());
        let attempt_item = to_item(&AttemptItem {
            pk: event_pk(account, event_id),
            sk: attempt_sk(&attempt.endpoint_id, attempt.attempt),
            expires_at: attempt.at + ATTEMPT_TTL_SECONDS,
            attempt: attempt.clone(),
        })?;
        let delivery_item = to_item(&DeliveryItem {
            pk: event_pk(account, event_id),
            sk: delivery_sk(&delivery.endpoint_id),
            delivery: delivery.clone(),
        })?;
        let put_attempt = Put::builder()
            .table_name(&self.table)
            .set_item(Some(attempt_item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(fault)?;
        let put_delivery = Put::builder()
            .table_name(&self.table)
            .set_item(Some(delivery_item))
            .condition_expression("attribute_not_exists(pk) OR lastAttempt < :n")
            .expression_attribute_values(":n", AttributeValue::N(attempt.attempt.to_string()))
            .build()
            .map_err(fault)?;
        let mut request = self
            .client
            .transact_write_items()
            .client_request_token(token)
            .transact_items(TransactWriteItem::builder().put(put_attempt).build())
            .transact_items(TransactWriteItem::builder().put(put_delivery).build());
        let health_key = |pk: String, sk: String| {
            std::collections::HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
        };
        match health {
            Some(HealthChange::Failed { at, probe }) => {
                let n = |v: i64| AttributeValue::N(v.to_string());
                let mut update = Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(health_key(account_pk(account), health_sk(&attempt.endpoint_id))))
                    .expression_attribute_values(":at", n(at))
                    .expression_attribute_values(":one", n(1));
                let streak = "SET failingSince = if_not_exists(failingSince, :at)";
                update = match probe {
                    ProbeChange::Keep => update.update_expression(format!("{streak} ADD failures :one")),
                    ProbeChange::Set(probe) => update
                        .update_expression(format!(
                            "{streak}, probeEvent = :probe, probeUntil = :until ADD failures :one"
                        ))
                        .expression_attribute_values(":probe", s(probe.event_id))
                        .expression_attribute_values(":until", n(probe.until)),
                    ProbeChange::Clear => {
                        update.update_expression(format!("{streak} REMOVE probeEvent, probeUntil ADD failures :one"))
                    }
                };
                let update = update.build().map_err(fault)?;
                request = request.transact_items(TransactWriteItem::builder().update(update).build());
            }
            Some(HealthChange::Recovered { releasing: true }) => {
                let closed = to_item(&HealthItem {
                    pk: account_pk(account),
                    sk: health_sk(&attempt.endpoint_id),
                    failing_since: None,
                    failures: 0,
                    probe_event: None,
                    probe_until: None,
                    releasing: true,
                })?;
                let put = Put::builder().table_name(&self.table).set_item(Some(closed)).build().map_err(fault)?;
                request = request.transact_items(TransactWriteItem::builder().put(put).build());
            }
            Some(HealthChange::Recovered { releasing: false }) => {
                // Only while the circuit is still closed: if it opened since it was read (other
                // deliveries failed meanwhile, some parked), deleting the record would strand
                // the parked; the condition fails and the success closes the circuit instead.
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(health_key(account_pk(account), health_sk(&attempt.endpoint_id))))
                    .condition_expression(
                        "attribute_not_exists(probeEvent) AND (attribute_not_exists(failures) OR failures < :open)",
                    )
                    .expression_attribute_values(":open", AttributeValue::N(OPEN_AFTER_FAILURES.to_string()))
                    .build()
                    .map_err(fault)?;
                request = request.transact_items(TransactWriteItem::builder().delete(delete).build());
            }
            None => {}
        }
        match request.send().await {
            Ok(_) => Ok(AttemptRecord::Recorded),
            // Read by item: the attempt's and the delivery's conditions (items 0 and 1) say
            // "recorded already"; the health record's (item 2) that the circuit opened since it
            // was read. A conflict or a throttle, which the SDK has retried, applied nothing and
            // is `Unavailable`, never a duplicate.
            Err(err) if super::condition_failed_at(&err, 0) || super::condition_failed_at(&err, 1) => {
                Ok(AttemptRecord::Duplicate)
            }
            Err(err) if super::condition_failed_at(&err, 2) => Ok(AttemptRecord::CircuitOpened),
            Err(err) => Err(classify(err)),
        }
    }

    /// Claims attempt `attempt` of a delivery for the handler about to POST it, until
    /// `claim_until`: `Ok(false)` when the attempt is recorded already or another handler holds
    /// a live claim on it. Recording the attempt (a whole put of the delivery) drops the claim.
    /// A delivery record that does not exist yet is created, decodable, as `pending`.
    pub async fn claim_attempt(
        &self,
        account: &AccountId,
        event_id: &str,
        delivery: &Delivery,
        attempt: u32,
        now: i64,
        claim_until: i64,
    ) -> Result<bool, StoreError> {
        let n = |v: i64| AttributeValue::N(v.to_string());
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(event_pk(account, event_id)))
            .key("sk", s(delivery_sk(&delivery.endpoint_id)))
            .update_expression(
                "SET claimAttempt = :a, claimUntil = :until, endpointId = if_not_exists(endpointId, :e), \
                 #status = if_not_exists(#status, :pending), lastAttempt = if_not_exists(lastAttempt, :last), \
                 windowStart = if_not_exists(windowStart, :ws), updatedAt = if_not_exists(updatedAt, :now)",
            )
            .condition_expression(
                "(attribute_not_exists(lastAttempt) OR lastAttempt < :a) \
                 AND (attribute_not_exists(claimUntil) OR claimUntil <= :now OR claimAttempt <> :a)",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":a", n(i64::from(attempt)))
            .expression_attribute_values(":until", n(claim_until))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":e", s(delivery.endpoint_id.clone()))
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":last", n(i64::from(delivery.last_attempt)))
            .expression_attribute_values(":ws", n(delivery.window_start))
            .send()
            .await;
        // Only a failed condition means the attempt is recorded or claimed; a conflict (the item
        // is inside another transaction: an attempt being recorded) is no verdict.
        super::put_if(result)
    }

    /// One delivery's record, read consistently.
    pub async fn get_delivery(
        &self,
        account: &AccountId,
        event_id: &str,
        endpoint_id: &str,
    ) -> Result<Option<Delivery>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(event_pk(account, event_id)))
            .key("sk", s(delivery_sk(endpoint_id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        output.item.map(|i| from_item::<DeliveryItem>(i).map(|d| d.delivery)).transpose()
    }

    /// The deliveries of some events to some endpoints, each pair's record where there is one:
    /// exact keys (`BatchGetItem`, 100 to a request), so the read is bounded by what the caller
    /// asks for and never walks an event's attempts.
    pub async fn deliveries_of(
        &self,
        account: &AccountId,
        event_ids: &[&str],
        endpoint_ids: &[&str],
    ) -> Result<Vec<(String, Delivery)>, StoreError> {
        let keys: Vec<(String, String)> = event_ids
            .iter()
            .flat_map(|event| {
                endpoint_ids.iter().map(move |endpoint| (event_pk(account, event), delivery_sk(endpoint)))
            })
            .collect();
        let mut found = self.batch_get(&keys).await?;
        let mut deliveries = Vec::with_capacity(found.len());
        for event in event_ids {
            for endpoint in endpoint_ids {
                if let Some(item) = found.remove(&(event_pk(account, event), delivery_sk(endpoint))) {
                    deliveries.push(((*event).to_owned(), from_item::<DeliveryItem>(item)?.delivery));
                }
            }
        }
        Ok(deliveries)
    }

    /// Sets a delivery's state without an attempt (given up, redelivered), on condition that no
    /// attempt was recorded or claimed since it was read with `read_last_attempt` (`None`: it
    /// was not there): `Ok(false)` otherwise. A whole put over a newer record would undo an
    /// attempt's outcome or drop a live claim, so that its attempt is POSTed a second time.
    pub async fn put_delivery(
        &self,
        account: &AccountId,
        event_id: &str,
        delivery: &Delivery,
        read_last_attempt: Option<u32>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let item = to_item(&DeliveryItem {
            pk: event_pk(account, event_id),
            sk: delivery_sk(&delivery.endpoint_id),
            delivery: delivery.clone(),
        })?;
        let request = self.client.put_item().table_name(&self.table).set_item(Some(item));
        let request = match read_last_attempt {
            None => request.condition_expression("attribute_not_exists(pk)"),
            Some(last) => request
                .condition_expression(
                    "lastAttempt = :last AND (attribute_not_exists(claimUntil) OR claimUntil < :now OR claimAttempt <= :last)",
                )
                .expression_attribute_values(":last", AttributeValue::N(last.to_string()))
                .expression_attribute_values(":now", AttributeValue::N(now.to_string())),
        };
        super::put_if(request.send().await)
    }

    /// The event, its deliveries and the latest `latest_attempts` attempts of each (oldest of
    /// them first): one query for the event and its deliveries (an account has at most a few
    /// endpoints), then one bounded query per delivery, concurrently. The partition may hold
    /// thousands of attempts; they are never read whole.
    pub async fn event_detail(
        &self,
        account: &AccountId,
        event_id: &str,
        latest_attempts: usize,
    ) -> Result<EventDetail, StoreError> {
        let mut detail = EventDetail::default();
        // `AT#…` < `D#…` < `EVENT`: the deliveries and the event sort after every attempt.
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :p AND sk >= :d")
            .expression_attribute_values(":p", s(event_pk(account, event_id)))
            .expression_attribute_values(":d", s(DELIVERY_PREFIX))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            let item = item.map_err(classify)?;
            let sk = match item.get("sk") {
                Some(AttributeValue::S(sk)) => sk.clone(),
                _ => continue,
            };
            if sk == EVENT_SK {
                detail.event = Some(from_item::<EventItem>(item)?.event);
            } else if sk.starts_with(DELIVERY_PREFIX) {
                detail.deliveries.push(from_item::<DeliveryItem>(item)?.delivery);
            }
        }
        if detail.event.is_none() || latest_attempts == 0 {
            return Ok(detail);
        }
        let latest = detail.deliveries.iter().map(|d| async move {
            let page = self.attempts_page(account, event_id, Some(&d.endpoint_id), None, latest_attempts).await?;
            Ok::<_, StoreError>(page.0)
        });
        for mut attempts in futures::future::try_join_all(latest).await? {
            attempts.reverse();
            detail.attempts.extend(attempts);
        }
        Ok(detail)
    }

    /// A page of an event's attempts, newest first: those to `endpoint_id` (or to every
    /// endpoint, one endpoint after another), strictly before `before` (an attempt's endpoint
    /// and number, from `startingAfter`). Answers the attempts and whether more follow.
    pub async fn attempts_page(
        &self,
        account: &AccountId,
        event_id: &str,
        endpoint_id: Option<&str>,
        before: Option<(&str, u32)>,
        limit: usize,
    ) -> Result<(Vec<Attempt>, bool), StoreError> {
        let prefix = match endpoint_id {
            Some(endpoint) => attempts_prefix(endpoint),
            None => ATTEMPT_PREFIX.to_owned(),
        };
        let page = self
            .page(PageQuery {
                index: None,
                partition: event_pk(account, event_id),
                sort_prefix: Some(&prefix),
                before: before.map(|(endpoint, attempt)| attempt_sk(endpoint, attempt)),
                limit,
                filter: None,
            })
            .await?;
        let attempts =
            page.items.into_iter().map(|i| from_item::<AttemptItem>(i).map(|a| a.attempt)).collect::<Result<_, _>>()?;
        Ok((attempts, page.has_more))
    }

    /// Whether the event exists and, when `endpoint_id` is given, whether it has a delivery to
    /// that endpoint (`true` when it is not given): one request.
    pub async fn event_and_delivery_exist(
        &self,
        account: &AccountId,
        event_id: &str,
        endpoint_id: Option<&str>,
    ) -> Result<(bool, bool), StoreError> {
        let event_key = (event_pk(account, event_id), EVENT_SK.to_owned());
        let Some(endpoint_id) = endpoint_id else {
            return Ok((self.get_one(event_key.0, &event_key.1).await?.is_some(), true));
        };
        let delivery_key = (event_pk(account, event_id), delivery_sk(endpoint_id));
        let found = self.batch_get(&[event_key.clone(), delivery_key.clone()]).await?;
        Ok((found.contains_key(&event_key), found.contains_key(&delivery_key)))
    }
}
