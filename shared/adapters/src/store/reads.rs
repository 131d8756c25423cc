//! Reads of several records in one request (`BatchGetItem`), by primary key.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};

use super::{classify, s, Item, Store};
use loop_ground::error::StoreError;

/// Requests made for one batch of keys before its unprocessed rest is answered as unavailable.
const UNPROCESSED_ROUNDS: u32 = 6;

impl Store {
    /// One item by its key, read consistently.
    pub(crate) async fn get_one(&self, pk: String, sk: &str) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        Ok(output.item)
    }

    /// Fetches items by `(pk, sk)`, consistently, 100 keys per request (DynamoDB's limit); absent
    /// ones are simply missing.
    pub(crate) async fn batch_get(
        &self,
        keys: &[(String, String)],
    ) -> Result<HashMap<(String, String), Item>, StoreError> {
        let mut found = HashMap::new();
        let mut unique = std::collections::HashSet::new();
        let all: Vec<Item> = keys
            .iter()
            .filter(|key| unique.insert(*key))
            .map(|(pk, sk)| Item::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))]))
            .collect();
        for chunk in all.chunks(100) {
            let mut pending = chunk.to_vec();
            // Unprocessed keys come back under throttling: try them again a few times, after a
            // jittered backoff, as AWS advises (a retry at once meets the same throttling).
            for round in 0..UNPROCESSED_ROUNDS {
                if pending.is_empty() {
                    break;
                }
                if round > 0 {
                    tokio::time::sleep(loop_ground::backoff::jittered(round)).await;
                }
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut pending)))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| StoreError::Fault(e.to_string()))?;
                let output =
                    self.client.batch_get_item().request_items(&self.table, request).send().await.map_err(classify)?;
                for item in output.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
                    if let (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) = (item.get("pk"), item.get("sk"))
                    {
                        found.insert((pk.clone(), sk.clone()), item);
                    }
                }
                pending =
                    output.unprocessed_keys.and_then(|mut u| u.remove(&self.table)).map(|k| k.keys).unwrap_or_default();
            }
            if !pending.is_empty() {
                return Err(StoreError::Unavailable("batch read throttled".into()));
            }
        }
        Ok(found)
    }
}
