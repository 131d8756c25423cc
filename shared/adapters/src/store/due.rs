//! The scheduler's reads: only what is due, from the sparse `due` index, never a scan; page by
//! page, so a run's memory and each request stay bounded however large a backlog grows.

use aws_sdk_dynamodb::types::AttributeValue;

use super::keys::*;
use super::records::*;
use super::{classify, from_item, s, Item, Store};
use loop_ground::domain::commerce::Transfer;
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

/// Where the next page of due records of one kind begins: a shard, the key to resume after in
/// it, and how many shards were begun. `DueCursor::default()` begins at shard 0;
/// `DueCursor::starting_at` elsewhere, and the walk wraps around, visiting each shard once.
#[derive(Clone, Debug, Default)]
pub struct DueCursor {
    shard: u8,
    after: Option<Item>,
    begun: u8,
}

impl DueCursor {
    /// A walk of every shard that begins at `shard` (modulo the shard count), so that runs
    /// which start at different shards share out their budget: records stuck in one shard
    /// (undecodable, or of an account that is gone) cannot starve the shards after it.
    pub fn starting_at(shard: u64) -> DueCursor {
        DueCursor { shard: (shard % u64::from(DUE_SHARDS)) as u8, after: None, begun: 0 }
    }
}

/// The cursors of the scripted store (`fakes`): the one after its `page`th page of a kind, so a
/// test sees which page each read resumed from.
#[cfg(feature = "fakes")]
impl DueCursor {
    const FAKE_PAGE: &'static str = "fakePage";

    pub(crate) fn after_fake_page(page: usize) -> DueCursor {
        let key = Item::from([(Self::FAKE_PAGE.to_owned(), AttributeValue::N(page.to_string()))]);
        DueCursor { after: Some(key), ..DueCursor::default() }
    }

    /// `None`: a walk's first read, not a cursor a fake handed out.
    pub(crate) fn fake_page(&self) -> Option<usize> {
        match self.after.as_ref()?.get(Self::FAKE_PAGE)? {
            AttributeValue::N(page) => page.parse().ok(),
            _ => None,
        }
    }
}

/// One page of due records of one kind: those that decoded, how many items the index returned
/// (the cost of the run), how many were undecodable (logged and skipped), and where the next
/// page begins (`None`: nothing more is due).
pub struct Due<T> {
    pub records: Vec<T>,
    pub items_read: usize,
    pub corrupt: usize,
    pub next: Option<DueCursor>,
}

impl Store {
    /// At most `page_size` items of one shard of `due#{kind}#…` that are due at `now`.
    pub(super) async fn due_page<T>(
        &self,
        kind: &str,
        now: i64,
        from: DueCursor,
        page_size: usize,
        decode: impl Fn(Item) -> Result<T, StoreError>,
    ) -> Result<Due<T>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(DUE_INDEX)
            .key_condition_expression("duePk = :p AND dueAt <= :now")
            .expression_attribute_values(":p", s(due_shard_partition(kind, from.shard)))
            .expression_attribute_values(":now", s(due_bound(now)))
            .limit(page_size.clamp(1, i32::MAX as usize) as i32)
            .set_exclusive_start_key(from.after)
            .send()
            .await
            .map_err(classify)?;
        let items = output.items.unwrap_or_default();
        let mut due = Due { records: Vec::with_capacity(items.len()), items_read: items.len(), corrupt: 0, next: None };
        for item in items {
            let key = (text(&item, "pk"), text(&item, "sk"));
            match decode(item) {
                Ok(record) => due.records.push(record),
                // One bad record must not stop the run: the others are handled, and it is logged
                // (keys only: they hold ids, never secrets) for an operator to repair.
                Err(err) => {
                    tracing::error!(kind, pk = %key.0, sk = %key.1, error = %err, "undecodable due record skipped");
                    due.corrupt += 1;
                }
            }
        }
        due.next = match output.last_evaluated_key {
            Some(key) if !key.is_empty() => Some(DueCursor { after: Some(key), ..from }),
            _ if from.begun + 1 < DUE_SHARDS => {
                Some(DueCursor { shard: (from.shard + 1) % DUE_SHARDS, after: None, begun: from.begun + 1 })
            }
            _ => None,
        };
        Ok(due)
    }

    /// A page of transfers whose late payment is due at `now`, with their accounts.
    pub async fn due_transfers(
        &self,
        now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> Result<Due<(AccountId, Transfer)>, StoreError> {
        self.due_page("transfer", now, from, page_size, |i| {
            from_item::<TransferItem>(i).map(|t| (t.account_id, t.transfer))
        })
        .await
    }

    /// A page of outboxes whose pointers may not have been sent.
    pub async fn due_outboxes(
        &self,
        now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> Result<Due<OutboxItem>, StoreError> {
        self.due_page("outbox", now, from, page_size, from_item::<OutboxItem>).await
    }

    /// A page of open checkout sessions past their expiry at `now`, with their accounts.
    pub async fn due_sessions(
        &self,
        now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> Result<Due<(AccountId, loop_ground::domain::checkout::CheckoutSession)>, StoreError> {
        self.due_page("session", now, from, page_size, |i| {
            from_item::<SessionItem>(i).map(|x| (x.account_id, x.session))
        })
        .await
    }

    /// A page of deliveries parked behind an open circuit whose retry window has ended, with
    /// their accounts and endpoints.
    pub async fn due_parked(
        &self,
        now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> Result<Due<(AccountId, String, super::circuit::Parked)>, StoreError> {
        self.due_page("parked", now, from, page_size, |i| {
            let item = from_item::<super::circuit::ParkedItem>(i)?;
            match (item.account_id, item.endpoint_id) {
                (Some(account), Some(endpoint)) => Ok((account, endpoint, item.parked)),
                _ => Err(StoreError::Corrupt("a due parked record without its account or endpoint".into())),
            }
        })
        .await
    }

    pub async fn delete_outbox(&self, account: &AccountId, id: &str) -> Result<(), StoreError> {
        self.delete_key(outbox_pk(account, id), OUTBOX_SK).await
    }
}

fn text(item: &Item, name: &str) -> String {
    match item.get(name) {
        Some(AttributeValue::S(value)) => value.clone(),
        _ => String::new(),
    }
}
