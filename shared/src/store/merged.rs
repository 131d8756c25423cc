//! Newest-first pages merged from several `gsi1` partitions that share one sort order: the
//! shards of a listing and its unsharded legacy partition (`store::listing`).
//!
//! Every partition is queried with the same key condition (`gsi1sk < startingAfter`), so a page
//! is the `limit` greatest sort keys across all of them, and the next page's cursor continues
//! exactly where this one ended in every partition at once. Partitions are read concurrently and
//! lazily: each first gives a small slice (about its share of the page), and only a partition
//! whose slice runs out while it still has items is read again, so a page reads about `limit`
//! items however many shards there are, and at most a round more when one partition holds them
//! all (the legacy partition of an account listed before sharding).

use std::collections::VecDeque;

use aws_sdk_dynamodb::types::AttributeValue;
use futures::future::try_join_all;

use super::keys::GSI1;
use super::pages::Page;
use super::{classify, s, Item, Store};
use crate::error::StoreError;

const SORT_KEY: &str = "gsi1sk";

/// Which partitions to merge and how.
pub struct MergedQuery<'a> {
    pub partitions: Vec<String>,
    /// Sort keys strictly below this one: the `startingAfter` record's `gsi1sk`.
    pub before: Option<String>,
    pub limit: usize,
    /// A filter on one other attribute, written with `#f` and `:f`: `("#f = :f", "status", "open")`.
    pub filter: Option<(&'a str, &'a str, String)>,
}

/// One partition's place in the merge: what was read and not yet taken, and where to go on.
struct Source {
    partition: String,
    unread: VecDeque<Item>,
    /// `None` once DynamoDB has said there is nothing after the last item read.
    resume: Option<Option<Item>>,
}

impl Source {
    fn open(&self) -> bool {
        self.resume.is_some()
    }
}

fn sort_key(item: &Item) -> &str {
    match item.get(SORT_KEY) {
        Some(AttributeValue::S(key)) => key,
        _ => "",
    }
}

impl Store {
    /// At most `limit` items, newest first across `q.partitions`, and whether more follow.
    pub(crate) async fn query_merged(&self, q: MergedQuery<'_>) -> Result<Page, StoreError> {
        let want = q.limit + 1;
        let share = want.div_ceil(q.partitions.len().max(1)) + 1;
        let mut sources: Vec<Source> = q
            .partitions
            .iter()
            .map(|p| Source { partition: p.clone(), unread: VecDeque::new(), resume: Some(None) })
            .collect();
        let mut items: Vec<Item> = Vec::with_capacity(want);
        let mut first_round = true;
        loop {
            // A partition can be passed over only once something of it is in hand: until then
            // its next item might be the newest of all.
            let batch = if first_round { share } else { (want - items.len()).max(share) };
            first_round = false;
            let reads = sources
                .iter_mut()
                .filter(|source| source.unread.is_empty() && source.open())
                .map(|source| self.read_source(source, &q, batch));
            try_join_all(reads).await?;
            while items.len() < want && sources.iter().all(|source| !source.unread.is_empty() || !source.open()) {
                let newest = sources
                    .iter_mut()
                    .filter_map(|source| source.unread.front().is_some().then_some(&mut source.unread))
                    .max_by(|a, b| sort_key(&a[0]).cmp(sort_key(&b[0])));
                let Some(item) = newest.and_then(VecDeque::pop_front) else { break };
                // A record rewritten from the legacy partition onto its shard may show in both
                // for a moment (the index is updated asynchronously): list it once.
                if items.last().is_some_and(|last| sort_key(last) == sort_key(&item)) {
                    continue;
                }
                items.push(item);
            }
            let exhausted = sources.iter().all(|source| source.unread.is_empty() && !source.open());
            if items.len() >= want || exhausted {
                break;
            }
        }
        let has_more = items.len() > q.limit;
        items.truncate(q.limit);
        Ok(Page { items, has_more })
    }

    /// Reads up to `limit` more items of one partition (fewer under a filter) into its slice.
    async fn read_source(&self, source: &mut Source, q: &MergedQuery<'_>, limit: usize) -> Result<(), StoreError> {
        let start = source.resume.take().flatten();
        let mut condition = "gsi1pk = :p".to_owned();
        if q.before.is_some() {
            condition.push_str(" AND gsi1sk < :before");
        }
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression(condition)
            .expression_attribute_values(":p", s(&source.partition))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start);
        if let Some(before) = &q.before {
            request = request.expression_attribute_values(":before", s(before));
        }
        if let Some((expression, name, value)) = &q.filter {
            request = request
                .filter_expression(*expression)
                .expression_attribute_names("#f", *name)
                .expression_attribute_values(":f", AttributeValue::S(value.clone()));
        }
        let output = request.send().await.map_err(classify)?;
        source.unread.extend(output.items.unwrap_or_default());
        source.resume = output.last_evaluated_key.filter(|key| !key.is_empty()).map(Some);
        Ok(())
    }
}
