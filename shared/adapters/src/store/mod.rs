//! The DynamoDB adapter: one table, every key starting with the account (`ARCHITECTURE.md`).
//!
//! Each submodule stores one kind of record and speaks only domain types to its callers.

mod accounts;
mod backfill;
mod checkout;
mod circuit;
mod commerce;
mod contacts;
mod dashboard;
mod deliveries;
mod due;
mod email;
pub mod idempotency;
pub mod keys;
mod lease;
mod merged;
pub mod pages;
mod payments;
mod reads;
pub mod records;
mod single;
mod stripe_events;
mod workflows;
mod writes;

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{de::DeserializeOwned, Serialize};

pub(crate) use crate::aws::classify;
use loop_ground::error::StoreError;

pub use accounts::KeyRecord;
pub use circuit::{Parked, ReleaseView};
pub use contacts::{IngestRead, IngestView};
pub use dashboard::{DashboardGrant, GrantKind};
pub use deliveries::{AttemptRecord, DispatchView, EventDetail};
pub use due::{Due, DueCursor};
pub use merged::MergedQuery;
pub use pages::{Listed, Page, PageQuery, BY_CREATION};
pub use payments::{Confirming, PayTarget, SUBMISSIONS_PER_MINUTE};
pub use workflows::{StepClaim, CLAIM_SENDING, MAX_WORKFLOWS};
pub use writes::{Write, WriteError};

pub type Item = HashMap<String, AttributeValue>;

/// A conditional write's outcome (put, update or delete): `Ok(false)` when its condition failed
/// (someone else wrote first), an error only when DynamoDB did not answer or refused for now (a
/// conflict or a throttle, already retried by the SDK, is `Unavailable`, never a verdict).
fn put_if<O, E>(result: Result<O, aws_sdk_dynamodb::error::SdkError<E>>) -> Result<bool, StoreError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(err) if err.as_service_error().and_then(|e| e.code()) == Some("ConditionalCheckFailedException") => {
            Ok(false)
        }
        Err(err) => Err(classify(err)),
    }
}

/// Whether a transaction was cancelled because one of its conditions failed, read reason by
/// reason: a conflict or a throttle (which the SDK already retried) applied nothing either, but
/// it is no answer to the condition, so it must never pass for one.
fn condition_failed<R>(err: &aws_sdk_dynamodb::error::SdkError<TransactWriteItemsError, R>) -> bool {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(cancel)) => {
            cancel.cancellation_reasons().iter().any(|r| r.code() == Some(crate::aws::conflicts::CONDITION_FAILED))
        }
        _ => false,
    }
}

/// Whether the condition of the transaction's item `index` (in the order the items were given)
/// failed: for transactions whose items' conditions mean different things.
fn condition_failed_at<R>(err: &aws_sdk_dynamodb::error::SdkError<TransactWriteItemsError, R>, index: usize) -> bool {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(cancel)) => cancel
            .cancellation_reasons()
            .get(index)
            .is_some_and(|r| r.code() == Some(crate::aws::conflicts::CONDITION_FAILED)),
        _ => false,
    }
}

#[derive(Clone, Debug)]
pub struct Store {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl Store {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Store { client, table: table.into() }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Cheap reachability probe for `/health`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.client.describe_table().table_name(&self.table).send().await.map(|_| ()).map_err(classify)
    }
}

pub(crate) fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}
