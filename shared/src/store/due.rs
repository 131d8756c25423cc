//! The scheduler's reads: only what is due, from the sparse `due` index, never a scan.

use super::records::*;
use super::{classify, from_item, s, Item, Store};
use crate::domain::commerce::Transfer;
use crate::error::StoreError;
use crate::ids::AccountId;

pub const DUE_INDEX: &str = "due";

/// Due records of one kind, and how many items the index returned (the cost of the run).
pub struct Due<T> {
    pub records: Vec<T>,
    pub items_read: usize,
}

impl Store {
    pub(crate) async fn due_items(&self, kind: &str, now: i64) -> Result<(Vec<Item>, usize), StoreError> {
        let mut items = Vec::new();
        for shard in 0..DUE_SHARDS {
            let mut pages = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(DUE_INDEX)
                .key_condition_expression("duePk = :p AND dueAt <= :now")
                .expression_attribute_values(":p", s(format!("due#{kind}#{shard}")))
                .expression_attribute_values(":now", s(due_bound(now)))
                .into_paginator()
                .items()
                .send();
            while let Some(item) = pages.next().await {
                items.push(item.map_err(classify)?);
            }
        }
        let read = items.len();
        Ok((items, read))
    }

    /// Transfers whose late payment is due at `now`, with their accounts.
    pub async fn due_transfers(&self, now: i64) -> Result<Due<(AccountId, Transfer)>, StoreError> {
        let (items, items_read) = self.due_items("transfer", now).await?;
        let records = items
            .into_iter()
            .map(|i| from_item::<TransferItem>(i).map(|t| (t.account_id, t.transfer)))
            .collect::<Result<_, _>>()?;
        Ok(Due { records, items_read })
    }

    /// Outboxes whose pointers may not have been sent.
    pub async fn due_outboxes(&self, now: i64) -> Result<Due<OutboxItem>, StoreError> {
        let (items, items_read) = self.due_items("outbox", now).await?;
        Ok(Due { records: items.into_iter().map(from_item).collect::<Result<_, _>>()?, items_read })
    }

    pub async fn delete_outbox(&self, account: &AccountId, id: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(outbox_pk(account, id)))
            .key("sk", s(OUTBOX_SK))
            .send()
            .await
            .map(|_| ())
            .map_err(classify)
    }
}
