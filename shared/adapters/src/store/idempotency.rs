//! Idempotency keys: claimed atomically, then completed with the response to replay.

use aws_sdk_dynamodb::types::AttributeValue;

use super::keys::*;
use super::records::*;
use super::{classify, from_item, put_if, s, to_item, Store};
use loop_ground::error::StoreError;

/// What claiming a key found.
pub enum Claim {
    /// Nobody used it (in the last 24 h), or the request that claimed it died: handle the
    /// request.
    New,
    /// Somebody did: compare fingerprints, replay or refuse.
    Existing(IdempotencyItem),
}

impl Store {
    /// Claims the key for `record`'s request. A claim that expired is free; so is one that never
    /// got its response and was made before `abandoned_before` by the same request (same
    /// fingerprint): the request that made it died. The takeover is conditional on that claim's
    /// time, so of two requests taking it over at once only one wins.
    pub async fn claim_idempotency(
        &self,
        record: &IdempotencyItem,
        abandoned_before: i64,
    ) -> Result<Claim, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(record)?))
            .condition_expression(
                "attribute_not_exists(pk) OR expiresAt < :now \
                 OR (NOT attribute_type(#status, :number) AND createdAt < :abandoned AND fingerprint = :fingerprint)",
            )
            // No response yet: `status` is absent or stored as NULL (serde's `None`).
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":number", s("N"))
            .expression_attribute_values(":now", AttributeValue::N(record.created_at.to_string()))
            .expression_attribute_values(":abandoned", AttributeValue::N(abandoned_before.to_string()))
            .expression_attribute_values(":fingerprint", s(&record.fingerprint))
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
                Ok(Claim::Existing(from_item(existing)?))
            }
            Err(err) => Err(classify(err)),
        }
    }

    /// Stores the response on the claim, if the claim is still this request's (made at
    /// `record.created_at`). `Ok(false)` when another request took it over meanwhile, because
    /// this one was taken for dead: that one's response is the one to keep.
    pub async fn complete_idempotency(&self, record: &IdempotencyItem) -> Result<bool, StoreError> {
        let claimed = AttributeValue::N(record.created_at.to_string());
        self.put_where(to_item(record)?, "createdAt = :claimed", (":claimed", claimed)).await
    }

    /// Forgets a key whose request failed on our side, so that a retry is handled afresh; only
    /// if the claim is still this request's (made at `claimed_at`).
    pub async fn release_idempotency(&self, pk: &str, claimed_at: i64) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(IDEMPOTENCY_SK))
            .condition_expression("createdAt = :claimed")
            .expression_attribute_values(":claimed", AttributeValue::N(claimed_at.to_string()))
            .send()
            .await;
        // Not ours any more (taken over): nothing to release.
        put_if(result).map(|_| ())
    }
}
