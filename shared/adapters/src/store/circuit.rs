//! Deliveries parked behind an open-circuit endpoint (`dispatch::breaker`), in the endpoint's
//! own partition (`A#{acct}#WEP#{endpointId}`), oldest first. A parked delivery has no queue
//! message: its record is the only trace of it until a release job sends its pointer again.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, DeleteRequest, Put, TransactWriteItem, WriteRequest};
use serde::{Deserialize, Serialize};

use super::keys::{account_pk, due_key, due_partition, health_sk, parked_pk, parked_sk, ENDPOINTS_SK, PARKED_PREFIX};
use super::records::{EndpointsItem, HealthItem};
use super::{classify, from_item, s, to_item, Item, Store};
use loop_ground::domain::delivery::{EndpointHealth, OPEN_AFTER_FAILURES};
use loop_ground::domain::endpoint::EndpointSet;
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

/// One waiting delivery: the attempt it will make when released.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parked {
    /// `P#{parkedAtMs}#{eventId}`: time-ordered, and new at every parking, so that removing a
    /// released record never removes the record of the same delivery parked again since.
    pub sk: String,
    pub event_id: String,
    pub attempt: u32,
    pub parked_at: i64,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct ParkedItem {
    pk: String,
    #[serde(flatten)]
    pub(crate) parked: Parked,
    /// In the `due` index until the delivery's retry window ends: the scheduler then sends its
    /// pointer, and dispatch ends it (`retry window ended`) even while the circuit stays open.
    /// Records parked before the sweep existed have none.
    #[serde(rename = "duePk", default, skip_serializing_if = "Option::is_none")]
    due_pk: Option<String>,
    #[serde(rename = "dueAt", default, skip_serializing_if = "Option::is_none")]
    due_at: Option<String>,
    #[serde(rename = "accountId", default, skip_serializing_if = "Option::is_none")]
    pub(crate) account_id: Option<AccountId>,
    #[serde(rename = "endpointId", default, skip_serializing_if = "Option::is_none")]
    pub(crate) endpoint_id: Option<String>,
}

/// What a release job reads first, in one request.
#[derive(Debug, Default)]
pub struct ReleaseView {
    pub endpoints: EndpointSet,
    pub health: Option<EndpointHealth>,
}

impl Store {
    /// Parks a delivery behind its endpoint, if the circuit is still open with a live probe
    /// other than this delivery (`failures >= OPEN_AFTER_FAILURES`): `Ok(false)` when it is not (it
    /// closed or lost its probe since it was read), and the delivery should make its attempt.
    /// One transaction, so a delivery never parks behind a circuit that has just closed (whose
    /// release job would not see it).
    pub async fn park(
        &self,
        account: &AccountId,
        endpoint_id: &str,
        event_id: &str,
        attempt: u32,
        (now, now_ms): (i64, i64),
        window_ends_at: i64,
    ) -> Result<bool, StoreError> {
        let fault = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Fault(e.to_string());
        let n = |v: i64| AttributeValue::N(v.to_string());
        let parked = Parked { sk: parked_sk(now_ms, event_id), event_id: event_id.to_owned(), attempt, parked_at: now };
        let item = to_item(&ParkedItem {
            pk: parked_pk(account, endpoint_id),
            parked,
            due_pk: Some(due_partition("parked", event_id)),
            due_at: Some(due_key(window_ends_at, event_id)),
            account_id: Some(account.clone()),
            endpoint_id: Some(endpoint_id.to_owned()),
        })?;
        let put = Put::builder().table_name(&self.table).set_item(Some(item)).build().map_err(fault)?;
        let still_open = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", s(account_pk(account)))
            .key("sk", s(health_sk(endpoint_id)))
            .condition_expression("failures >= :open AND probeUntil > :now AND probeEvent <> :me")
            .expression_attribute_values(":open", n(i64::from(OPEN_AFTER_FAILURES)))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":me", s(event_id))
            .build()
            .map_err(fault)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(TransactWriteItem::builder().condition_check(still_open).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) => match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancel)) => {
                    let codes: Vec<&str> =
                        cancel.cancellation_reasons().iter().map(|r| r.code().unwrap_or("None")).collect();
                    if codes.get(1) == Some(&"ConditionalCheckFailed") {
                        Ok(false)
                    } else {
                        Err(StoreError::Unavailable(format!("parking cancelled: {}", codes.join(", "))))
                    }
                }
                _ => Err(classify(err)),
            },
        }
    }

    /// The account's endpoints and the endpoint's health: one `BatchGetItem`.
    pub async fn read_for_release(&self, account: &AccountId, endpoint_id: &str) -> Result<ReleaseView, StoreError> {
        let endpoints_key = (account_pk(account), ENDPOINTS_SK.to_owned());
        let health_key = (account_pk(account), health_sk(endpoint_id));
        let mut found = self.batch_get(&[endpoints_key.clone(), health_key.clone()]).await?;
        Ok(ReleaseView {
            endpoints: found
                .remove(&endpoints_key)
                .map(|i| from_item::<EndpointsItem>(i).map(|e| e.set))
                .transpose()?
                .unwrap_or_default(),
            health: found
                .remove(&health_key)
                .map(|i| from_item::<HealthItem>(i).map(HealthItem::health))
                .transpose()?,
        })
    }

    /// The oldest `limit` deliveries parked behind an endpoint, and whether more wait.
    pub async fn parked_page(
        &self,
        account: &AccountId,
        endpoint_id: &str,
        limit: u32,
    ) -> Result<(Vec<Parked>, bool), StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :p AND begins_with(sk, :prefix)")
            .expression_attribute_values(":p", s(parked_pk(account, endpoint_id)))
            .expression_attribute_values(":prefix", s(PARKED_PREFIX))
            .consistent_read(true)
            .limit(limit as i32)
            .send()
            .await
            .map_err(classify)?;
        let more = output.last_evaluated_key.is_some_and(|k| !k.is_empty());
        let page = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|i| from_item::<ParkedItem>(i).map(|p| p.parked))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((page, more))
    }

    /// Removes released records, 25 per `BatchWriteItem`; what DynamoDB leaves unprocessed is
    /// sent again a few times, then reported `Unavailable` (the release job runs again, and its
    /// pointers, sent twice, are duplicates that dispatch drops).
    pub async fn unpark(&self, account: &AccountId, endpoint_id: &str, released: &[Parked]) -> Result<(), StoreError> {
        let pk = parked_pk(account, endpoint_id);
        for chunk in released.chunks(25) {
            let mut requests = chunk
                .iter()
                .map(|p| {
                    let key = Item::from([("pk".to_owned(), s(pk.clone())), ("sk".to_owned(), s(p.sk.clone()))]);
                    let delete = DeleteRequest::builder()
                        .set_key(Some(key))
                        .build()
                        .map_err(|e| StoreError::Fault(e.to_string()))?;
                    Ok(WriteRequest::builder().delete_request(delete).build())
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            for tried in 0..4u32 {
                if requests.is_empty() {
                    break;
                }
                if tried > 0 {
                    tokio::time::sleep(loop_ground::backoff::jittered(tried)).await;
                }
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .map_err(classify)?;
                requests = output.unprocessed_items.and_then(|mut u| u.remove(&self.table)).unwrap_or_default();
            }
            if !requests.is_empty() {
                return Err(StoreError::Unavailable(format!("{} parked records left unprocessed", requests.len())));
            }
        }
        Ok(())
    }

    /// The probe `event_id` stopped without an attempt (its window ended): another delivery
    /// takes the role. No change if another holds it already.
    pub async fn clear_probe(&self, account: &AccountId, endpoint_id: &str, event_id: &str) -> Result<(), StoreError> {
        let result = self
            .update_health(account, endpoint_id)
            .update_expression("REMOVE probeEvent, probeUntil")
            .condition_expression("probeEvent = :me")
            .expression_attribute_values(":me", s(event_id))
            .send()
            .await;
        // Another holds the role already: nothing to clear.
        super::put_if(result).map(|_| ())
    }

    /// Takes the release of an endpoint's parked deliveries for one page, until `until`: `false`
    /// when another release job holds the turn (a second chain, from a duplicate message or a
    /// release queued again after a lost send), which then stops, so parked deliveries go at
    /// one chain's rate. Without a health record there is no turn to take: `true`.
    pub async fn take_release_turn(
        &self,
        account: &AccountId,
        endpoint_id: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError> {
        let result = self
            .update_health(account, endpoint_id)
            .update_expression("SET releaseTurnUntil = :until")
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(releaseTurnUntil) OR releaseTurnUntil <= :now)",
            )
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .expression_attribute_values(":until", AttributeValue::N(until.to_string()))
            .return_values_on_condition_check_failure(
                aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
            )
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) => match err.as_service_error() {
                Some(aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(
                    failed,
                )) => Ok(failed.item().is_none()),
                _ => Err(classify(err)),
            },
        }
    }

    /// Every parked delivery was sent again: the health record of a closed circuit goes (kept
    /// if the endpoint has failed again since: it is the new streak's).
    pub async fn released(&self, account: &AccountId, endpoint_id: &str) -> Result<(), StoreError> {
        let zero = (":zero", AttributeValue::N("0".into()));
        // Failing again (the condition fails): the record is the new streak's.
        self.delete_where(account_pk(account), &health_sk(endpoint_id), "failures = :zero", zero).await.map(|_| ())
    }

    /// An update of the endpoint's health record.
    fn update_health(&self, account: &AccountId, endpoint_id: &str) -> UpdateItemFluentBuilder {
        let update = self.client.update_item().table_name(&self.table);
        update.key("pk", s(account_pk(account))).key("sk", s(health_sk(endpoint_id)))
    }
}
