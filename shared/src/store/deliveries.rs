//! Deliveries and attempts, in their event's partition; endpoint health.

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};

use super::keys::account_pk;
use super::records::*;
use super::{classify, from_item, s, to_item, Store};
use crate::domain::delivery::{Attempt, Delivery};
use crate::domain::endpoint::EndpointSet;
use crate::domain::outbound::OutboundEvent;
use crate::error::StoreError;
use crate::ids::AccountId;

/// What one delivery attempt needs, read in one request.
#[derive(Debug, Default)]
pub struct DispatchView {
    pub event: Option<OutboundEvent>,
    pub endpoints: EndpointSet,
    pub delivery: Option<Delivery>,
    pub failing_since: Option<i64>,
}

/// An event with every delivery and attempt.
#[derive(Debug, Default)]
pub struct EventDetail {
    pub event: Option<OutboundEvent>,
    pub deliveries: Vec<Delivery>,
    pub attempts: Vec<Attempt>,
}

/// A change of the endpoint's failing streak that an attempt makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Streak {
    /// The first failure after a success (or ever), at this time.
    Started(i64),
    /// A success ended a streak.
    Ended,
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
            failing_since: found
                .remove(&health_key)
                .map(|i| from_item::<HealthItem>(i).map(|h| h.failing_since))
                .transpose()?,
        })
    }

    /// Records an attempt and the delivery's new state together. `Ok(false)` if this attempt
    /// (or a later one) was already recorded: a duplicate pointer raced this one.
    /// Records an attempt with the delivery's new state and, when the endpoint's failing
    /// streak starts or ends with it, that too: one transaction, so a failure path costs one
    /// read and one write. `Ok(false)` when a duplicate recorded this attempt first.
    pub async fn record_attempt(
        &self,
        account: &AccountId,
        event_id: &str,
        attempt: &Attempt,
        delivery: &Delivery,
        streak: Option<Streak>,
    ) -> Result<bool, StoreError> {
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
            .transact_items(TransactWriteItem::builder().put(put_attempt).build())
            .transact_items(TransactWriteItem::builder().put(put_delivery).build());
        let health_key = |pk: String, sk: String| {
            std::collections::HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
        };
        match streak {
            Some(Streak::Started(at)) => {
                let update = Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(health_key(account_pk(account), health_sk(&attempt.endpoint_id))))
                    .update_expression("SET failingSince = if_not_exists(failingSince, :at)")
                    .expression_attribute_values(":at", AttributeValue::N(at.to_string()))
                    .build()
                    .map_err(fault)?;
                request = request.transact_items(TransactWriteItem::builder().update(update).build());
            }
            Some(Streak::Ended) => {
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(health_key(account_pk(account), health_sk(&attempt.endpoint_id))))
                    .build()
                    .map_err(fault)?;
                request = request.transact_items(TransactWriteItem::builder().delete(delete).build());
            }
            None => {}
        }
        let result = request.send().await;
        match result {
            Ok(_) => Ok(true),
            // Only a failed condition means another handler recorded this attempt first; a
            // conflict or a throttle (already retried by the SDK) applied nothing, and the
            // message must come back.
            Err(err) if super::condition_failed(&err) => Ok(false),
            Err(err) => Err(classify(err)),
        }
    }

    /// Sets a delivery's state without an attempt (given up, skipped, redelivered).
    pub async fn put_delivery(
        &self,
        account: &AccountId,
        event_id: &str,
        delivery: &Delivery,
    ) -> Result<(), StoreError> {
        let item = to_item(&DeliveryItem {
            pk: event_pk(account, event_id),
            sk: delivery_sk(&delivery.endpoint_id),
            delivery: delivery.clone(),
        })?;
        self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map(|_| ()).map_err(classify)
    }

    /// The event, its deliveries and their attempts: one query of its partition.
    pub async fn event_detail(&self, account: &AccountId, event_id: &str) -> Result<EventDetail, StoreError> {
        let mut detail = EventDetail::default();
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s(event_pk(account, event_id)))
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
            } else if sk.starts_with(ATTEMPT_PREFIX) {
                detail.attempts.push(from_item::<AttemptItem>(item)?.attempt);
            }
        }
        Ok(detail)
    }
}
