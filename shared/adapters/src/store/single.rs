//! Writes of one item by its key, as every aggregate makes them: created, replaced at the
//! version before (optimistic concurrency) or on another condition, put outright; deleted at a
//! version, on a condition, or outright.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::{classify, put_if, s, Item, Store};
use loop_ground::error::StoreError;

impl Store {
    /// Creates the item (`version <= 1`: none may exist) or replaces the one at `version - 1`;
    /// `Ok(false)` when a concurrent change won.
    pub(crate) async fn put_versioned(&self, item: Item, version: u64) -> Result<bool, StoreError> {
        if version <= 1 {
            self.put_new(item).await
        } else {
            self.put_where(item, "version = :v", (":v", AttributeValue::N((version - 1).to_string()))).await
        }
    }

    /// Creates the item if no item has its key; `Ok(false)` if one has.
    pub(crate) async fn put_new(&self, item: Item) -> Result<bool, StoreError> {
        let request = self.client.put_item().table_name(&self.table).set_item(Some(item));
        put_if(request.condition_expression("attribute_not_exists(pk)").send().await)
    }

    /// Puts the item if `condition` (with its one value) holds; `Ok(false)` if it does not.
    pub(crate) async fn put_where(
        &self,
        item: Item,
        condition: &str,
        (name, value): (&str, AttributeValue),
    ) -> Result<bool, StoreError> {
        let request = self.client.put_item().table_name(&self.table).set_item(Some(item));
        put_if(request.condition_expression(condition).expression_attribute_values(name, value).send().await)
    }

    /// Puts the item, whatever was under its key.
    pub(crate) async fn put(&self, item: Item) -> Result<(), StoreError> {
        let request = self.client.put_item().table_name(&self.table).set_item(Some(item));
        request.send().await.map(|_| ()).map_err(classify)
    }

    /// Deletes the item if it is still at `version`; `Ok(false)` if it changed meanwhile.
    pub(crate) async fn delete_at_version(&self, pk: String, sk: &str, version: u64) -> Result<bool, StoreError> {
        let at_version = AttributeValue::N(version.to_string());
        Ok(self.delete_where(pk, sk, "version = :v", (":v", at_version)).await?.is_some())
    }

    /// Deletes the item if `condition` (with its one value) holds, answering what it held; `None`
    /// when the condition failed (or there was nothing): of two concurrent deletes, one gets it.
    pub(crate) async fn delete_where(
        &self,
        pk: String,
        sk: &str,
        condition: &str,
        (name, value): (&str, AttributeValue),
    ) -> Result<Option<Item>, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .condition_expression(condition)
            .expression_attribute_values(name, value)
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => Ok(output.attributes),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(None),
            Err(err) => Err(classify(err)),
        }
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
