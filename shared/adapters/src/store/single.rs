//! Writes of one item by its key, as every aggregate makes them: created or replaced at the
//! version before (optimistic concurrency), deleted at a version, or deleted outright.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{classify, put_if, s, Item, Store};
use loop_ground::error::StoreError;

impl Store {
    /// Creates the item (`version <= 1`: none may exist) or replaces the one at `version - 1`;
    /// `Ok(false)` when a concurrent change won.
    pub(crate) async fn put_versioned(&self, item: Item, version: u64) -> Result<bool, StoreError> {
        let request = self.client.put_item().table_name(&self.table).set_item(Some(item));
        let request = if version <= 1 {
            request.condition_expression("attribute_not_exists(pk)")
        } else {
            request
                .condition_expression("version = :v")
                .expression_attribute_values(":v", AttributeValue::N((version - 1).to_string()))
        };
        put_if(request.send().await)
    }

    /// Deletes the item if it is still at `version`; `Ok(false)` if it changed meanwhile.
    pub(crate) async fn delete_at_version(&self, pk: String, sk: &str, version: u64) -> Result<bool, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .condition_expression("version = :v")
            .expression_attribute_values(":v", AttributeValue::N(version.to_string()))
            .send()
            .await;
        put_if(result)
    }

    /// Deletes the item, whatever it holds (deleting one that is gone is no error).
    pub(crate) async fn delete_key(&self, pk: String, sk: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .send()
            .await
            .map(|_| ())
            .map_err(classify)
    }
}
