//! Idempotency keys: claimed atomically, then completed with the response to replay.

use aws_sdk_dynamodb::types::AttributeValue;

use super::records::*;
use super::{classify, from_item, s, to_item, Store};
use crate::error::StoreError;
use crate::ids::AccountId;

/// What claiming a key found.
pub enum Claim {
    /// Nobody used it (in the last 24 h): handle the request.
    New,
    /// Somebody did: compare fingerprints, replay or refuse.
    Existing(IdempotencyItem),
}

impl Store {
    pub async fn claim_idempotency(&self, account: &AccountId, record: &IdempotencyItem) -> Result<Claim, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(record)?))
            .condition_expression("attribute_not_exists(pk) OR expiresAt < :now")
            .expression_attribute_values(":now", AttributeValue::N(record.created_at.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Claim::New),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                let existing = self
                    .client
                    .get_item()
                    .table_name(&self.table)
                    .key("pk", s(&record.pk))
                    .key("sk", s(IDEMPOTENCY_SK))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(classify)?
                    .item
                    .ok_or_else(|| StoreError::Unavailable("idempotency record vanished".into()))?;
                let _ = account;
                Ok(Claim::Existing(from_item(existing)?))
            }
            Err(err) => Err(classify(err)),
        }
    }

    pub async fn complete_idempotency(&self, record: &IdempotencyItem) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(record)?))
            .send()
            .await
            .map(|_| ())
            .map_err(classify)
    }

    /// Forgets a key whose request failed on our side, so that a retry is handled afresh.
    pub async fn release_idempotency(&self, pk: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(IDEMPOTENCY_SK))
            .send()
            .await
            .map(|_| ())
            .map_err(classify)
    }
}
