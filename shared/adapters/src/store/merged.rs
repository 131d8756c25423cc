//! Newest-first pages merged from several `gsi1` partitions that share one sort order: the
//! shards of a listing and its unsharded legacy partition (`store::keys::Listing`).
//!
//! Every partition is queried with the same key condition (`gsi1sk < startingAfter`), so a page
//! is the `limit` greatest sort keys across all of them, and the next page's cursor continues
//! exactly where this one ended in every partition at once. Partitions are read concurrently and
//! lazily: each first gives a small slice (about its share of the page), and only a partition
//! whose slice runs out while it still has items is read again, so a page reads about `limit`
//! items however many shards there are, and at most a round more when one partition holds them
//! all (the legacy partition of an account listed before sharding).

use std::collections::VecDeque;
use std::future::Future;

use aws_sdk_dynamodb::types::AttributeValue;
use futures::future::try_join_all;

use super::keys::GSI1;
use super::pages::Page;
use super::{classify, s, Item, Store};
use loop_ground::error::StoreError;

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

impl MergedQuery<'_> {
    /// A listing's newest `limit` records below `before`, unfiltered.
    pub fn newest(partitions: Vec<String>, before: Option<String>, limit: usize) -> Self {
        MergedQuery { partitions, before, limit, filter: None }
    }
}

/// What one read of a partition gave: items newest first, and the key to go on from, `None` at
/// the partition's end. Under a filter, fewer items than asked for, maybe none, with a key.
pub(crate) struct Slice {
    pub items: Vec<Item>,
    pub resume: Option<Item>,
    /// Items the read examined, matching its filter or not.
    pub examined: usize,
}

/// One partition's place in the merge: what was read and not yet taken, and where to go on.
struct Source {
    unread: VecDeque<Item>,
    /// `None` once the partition has said there is nothing after what it gave.
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

/// The newest `limit` items of `sources` partitions and whether more follow, reading partition
/// `i` with `read(i, resume_from, at_most)`. Apart from DynamoDB so that the merge can be tested
/// against partitions in memory.
///
/// With `budget` (a filtered list: items examined may all fail the filter), the page reads about
/// that many items at most: each partition's reads are sized to its part of the budget, and once
/// it is spent the page ends short with `resume_after`, the highest sort key down to which some
/// open partition was read. Everything above it was examined in every partition, so the page
/// holds every match above it, and the next page goes on below it, skipping nothing.
pub(crate) async fn merge_newest_first<R, F>(
    sources: usize,
    limit: usize,
    budget: Option<usize>,
    read: R,
) -> Result<Page, StoreError>
where
    R: Fn(usize, Option<Item>, usize) -> F,
    F: Future<Output = Result<Slice, StoreError>>,
{
    let want = limit + 1;
    let mut share = want.div_ceil(sources.max(1)) + 1;
    if let Some(budget) = budget {
        // A filter may keep few: read a fair part of the budget at once, not round after round.
        share = share.max(budget / sources.max(1)).max(1);
    }
    let mut examined = 0;
    let mut open: Vec<Source> = (0..sources).map(|_| Source { unread: VecDeque::new(), resume: Some(None) }).collect();
    let mut items: Vec<Item> = Vec::with_capacity(want);
    let mut batch = share;
    loop {
        // A partition can be passed over only once something of it is in hand: until then its
        // next item might be the newest of all. So every open partition with nothing in hand is
        // read, all at once; after the first round, for as much as the page may still need.
        if let Some(budget) = budget {
            let reading = open.iter().filter(|source| source.unread.is_empty() && source.open()).count();
            batch = batch.min(budget.saturating_sub(examined) / reading.max(1)).max(1);
        }
        let reads = open.iter_mut().enumerate().filter(|(_, source)| source.unread.is_empty() && source.open()).map(
            |(i, source)| {
                let slice = read(i, source.resume.take().flatten(), batch);
                async move {
                    let slice = slice.await?;
                    source.unread.extend(slice.items);
                    source.resume = slice.resume.filter(|key| !key.is_empty()).map(Some);
                    Ok::<_, StoreError>(slice.examined)
                }
            },
        );
        examined += try_join_all(reads).await?.into_iter().sum::<usize>();
        while items.len() < want && open.iter().all(|source| !source.unread.is_empty() || !source.open()) {
            let newest = open
                .iter_mut()
                .filter_map(|source| source.unread.front().is_some().then_some(&mut source.unread))
                .max_by(|a, b| sort_key(&a[0]).cmp(sort_key(&b[0])));
            let Some(item) = newest.and_then(VecDeque::pop_front) else { break };
            // A record rewritten from the legacy partition onto its shard may show in both for
            // a moment (the index is updated asynchronously): list it once.
            if items.last().is_some_and(|last| sort_key(last) == sort_key(&item)) {
                continue;
            }
            items.push(item);
        }
        let exhausted = open.iter().all(|source| source.unread.is_empty() && !source.open());
        if items.len() >= want || exhausted {
            break;
        }
        if budget.is_some_and(|budget| examined >= budget) {
            return Ok(end_short(items, open, limit));
        }
        batch = (want - items.len()).max(share);
    }
    let has_more = items.len() > limit;
    items.truncate(limit);
    Ok(Page { items, has_more, resume_after: None })
}

/// The page of a merge whose budget ran out: what was merged, then every item in hand at or above
/// the cursor (the highest key down to which an open partition was read), and that cursor.
fn end_short(mut items: Vec<Item>, open: Vec<Source>, limit: usize) -> Page {
    let cursor = open
        .iter()
        .filter_map(|source| match &source.resume {
            Some(Some(key)) => Some(sort_key(key).to_owned()),
            _ => None,
        })
        .max();
    let mut in_hand: Vec<Item> = open
        .into_iter()
        .flat_map(|source| source.unread)
        .filter(|item| cursor.as_deref().is_none_or(|cursor| sort_key(item) >= cursor))
        .collect();
    in_hand.sort_by(|a, b| sort_key(b).cmp(sort_key(a)));
    for item in in_hand {
        if items.last().is_some_and(|last| sort_key(last) == sort_key(&item)) {
            continue;
        }
        items.push(item);
    }
    if items.len() > limit {
        // A full page after all: the next one goes on below its last item, as usual.
        items.truncate(limit);
        return Page { items, has_more: true, resume_after: None };
    }
    Page { items, has_more: cursor.is_some(), resume_after: cursor }
}

impl Store {
    /// At most `limit` items, newest first across `q.partitions`, and whether more follow.
    pub(crate) async fn query_merged(&self, q: MergedQuery<'_>) -> Result<Page, StoreError> {
        let budget = q.filter.is_some().then_some(super::pages::MAX_ITEMS_READ);
        merge_newest_first(q.partitions.len(), q.limit, budget, |i, start, at_most| {
            self.read_partition(&q.partitions[i], &q, start, at_most)
        })
        .await
    }

    /// Up to `limit` more items of one partition, from `start` (fewer under a filter).
    async fn read_partition(
        &self,
        partition: &str,
        q: &MergedQuery<'_>,
        start: Option<Item>,
        limit: usize,
    ) -> Result<Slice, StoreError> {
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
            .expression_attribute_values(":p", s(partition))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start);
        if let Some(before) = &q.before {
            request = request.expression_attribute_values(":before", s(before));
        }
        let output = super::pages::with_filter(request, q.filter.as_ref()).send().await.map_err(classify)?;
        let examined = usize::try_from(output.scanned_count).unwrap_or_default();
        Ok(Slice { items: output.items.unwrap_or_default(), resume: output.last_evaluated_key, examined })
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::collections::HashMap;

    use super::*;

    fn item(key: &str) -> Item {
        HashMap::from([(SORT_KEY.to_owned(), AttributeValue::S(key.to_owned()))])
    }

    /// Partitions in memory, read as DynamoDB reads an index partition newest first: `limit`
    /// counts the items examined before the filter, and a read that stops at its limit gives a
    /// key to go on from even when nothing follows (DynamoDB may).
    struct Partitions {
        keys: Vec<Vec<String>>,
        before: Option<String>,
        keep: fn(&str) -> bool,
        examined: Cell<usize>,
        budget: Option<usize>,
    }

    impl Partitions {
        fn new(mut keys: Vec<Vec<String>>) -> Self {
            keys.iter_mut().for_each(|p| p.sort_unstable_by(|a, b| b.cmp(a)));
            Partitions { keys, before: None, keep: |_| true, examined: Cell::new(0), budget: None }
        }

        fn read(&self, i: usize, start: Option<Item>, limit: usize) -> Result<Slice, StoreError> {
            let below = |k: &&String| self.before.as_ref().is_none_or(|b| k.as_str() < b.as_str());
            let keys: Vec<&String> = self.keys[i].iter().filter(below).collect();
            let from = start.map_or(0, |s| keys.iter().position(|k| k.as_str() < sort_key(&s)).unwrap_or(keys.len()));
            let examined: Vec<&String> = keys[from..].iter().take(limit).copied().collect();
            self.examined.set(self.examined.get() + examined.len());
            let resume = (examined.len() == limit).then(|| item(examined.last().unwrap()));
            let count = examined.len();
            let items = examined.into_iter().filter(|k| (self.keep)(k)).map(|k| item(k)).collect();
            Ok(Slice { items, resume, examined: count })
        }

        async fn page(&self, limit: usize) -> Page {
            let sources = self.keys.len();
            merge_newest_first(sources, limit, self.budget, |i, start, at_most| {
                std::future::ready(self.read(i, start, at_most))
            })
            .await
            .unwrap()
        }

        /// Every page, following the cursor, as a client does.
        async fn page_through(&mut self, limit: usize) -> Vec<String> {
            let mut all = Vec::new();
            self.before = None;
            loop {
                let page = self.page(limit).await;
                let keys: Vec<String> = page.items.iter().map(|i| sort_key(i).to_owned()).collect();
                assert!(keys.len() <= limit);
                if page.has_more && page.resume_after.is_none() {
                    assert_eq!(keys.len(), limit, "a page that says more follow is full, or says where to go on");
                }
                all.extend(keys);
                if !page.has_more {
                    return all;
                }
                self.before = page.resume_after.clone().or_else(|| all.last().cloned());
            }
        }
    }

    fn block_on<T>(future: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
    }

    /// `count` keys spread over `partitions` by a fixed pseudo-random rule.
    fn spread(count: usize, partitions: usize) -> Vec<Vec<String>> {
        let mut keys = vec![Vec::new(); partitions];
        let mut seed: u64 = 7;
        for n in 0..count {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            keys[(seed >> 33) as usize % partitions].push(format!("evt_{n:08}"));
        }
        keys
    }

    fn newest_first(partitions: &[Vec<String>]) -> Vec<String> {
        let mut all: Vec<String> = partitions.concat();
        all.sort_unstable_by(|a, b| b.cmp(a));
        all
    }

    #[test]
    fn pages_over_many_partitions_are_the_whole_list_newest_first_each_item_once() {
        for limit in [1, 7, 10, 100] {
            let mut partitions = Partitions::new(spread(250, 17));
            let expected = newest_first(&partitions.keys);
            assert_eq!(block_on(partitions.page_through(limit)), expected, "limit {limit}");
        }
    }

    #[test]
    fn a_partition_holding_every_item_is_paged_like_a_single_one() {
        // The legacy partition of an account listed before sharding: every shard empty.
        let mut keys = vec![Vec::new(); 17];
        keys[16] = (0..60).map(|n| format!("evt_{n:08}")).collect();
        let mut partitions = Partitions::new(keys);
        let expected = newest_first(&partitions.keys);
        assert_eq!(block_on(partitions.page_through(7)), expected);
    }

    #[test]
    fn a_filter_that_skips_most_items_still_pages_every_match_once() {
        let mut partitions = Partitions::new(spread(300, 17));
        partitions.keep = |k| k.ends_with('7');
        let expected: Vec<String> = newest_first(&partitions.keys).into_iter().filter(|k| k.ends_with('7')).collect();
        assert_eq!(block_on(partitions.page_through(4)), expected);
    }

    #[test]
    fn a_rare_filter_under_a_budget_pages_every_match_once_reading_about_the_budget_a_page() {
        let mut partitions = Partitions::new(spread(3000, 17));
        partitions.keep = |k| k.ends_with("07");
        partitions.budget = Some(500);
        let expected: Vec<String> = newest_first(&partitions.keys).into_iter().filter(|k| k.ends_with("07")).collect();
        assert_eq!(expected.len(), 30);
        // Page by page, following the cursor a short page names: every match, once, in order.
        assert_eq!(block_on(partitions.page_through(10)), expected);
        // And one page stops near its budget with a cursor, however rare the matches.
        partitions.examined.set(0);
        partitions.before = None;
        let page = block_on(partitions.page(10));
        assert!(page.has_more && page.resume_after.is_some());
        assert!(partitions.examined.get() <= 500 + 17, "{} items read", partitions.examined.get());
    }

    #[test]
    fn a_record_seen_in_two_partitions_is_listed_once() {
        let keys = vec![vec!["evt_3".into(), "evt_2".into()], vec!["evt_2".into(), "evt_1".into()]];
        let mut partitions = Partitions::new(keys);
        assert_eq!(block_on(partitions.page_through(10)), ["evt_3", "evt_2", "evt_1"]);
    }

    #[test]
    fn a_page_reads_about_its_limit_not_a_limit_per_partition() {
        let partitions = Partitions::new(spread(1000, 17));
        let page = block_on(partitions.page(10));
        assert_eq!(page.items.len(), 10);
        assert!(page.has_more);
        // Each partition's first share is (10 + 1) / 17 + 1 = 2 items, and only partitions whose
        // share ran out are read again: far below the 17 × 11 a limit per partition would read.
        assert!(partitions.examined.get() <= 17 * 2 + 11, "{} items read", partitions.examined.get());
    }

    #[test]
    fn an_empty_list_has_no_page_and_nothing_more() {
        let page = block_on(Partitions::new(vec![Vec::new(); 17]).page(10));
        assert!(page.items.is_empty());
        assert!(!page.has_more);
    }
}
