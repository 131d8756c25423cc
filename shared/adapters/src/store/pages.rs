//! Newest-first pages over an index partition whose sort key is a time-sortable id.

use aws_sdk_dynamodb::types::AttributeValue;

use super::keys::GSI1;
use super::{classify, s, Item, Store};
use loop_ground::error::StoreError;

/// Items one page request reads at most, matching its filter or not: a filter that matches
/// rarely must not make one request read a whole partition.
pub const MAX_ITEMS_READ: usize = 500;
/// Items a filtered query asks for at a time (the filter applies after DynamoDB's `Limit`).
const FILTERED_QUERY_SIZE: usize = 100;

/// One page: at most `limit` items, and whether more follow.
pub struct Page {
    pub items: Vec<Item>,
    pub has_more: bool,
    /// When the page stopped at `MAX_ITEMS_READ` before `limit` items matched: the sort key of
    /// the last item read, where the next page goes on (`has_more` is then `true`).
    pub resume_after: Option<String>,
}

/// A page of records as a list route answers it: the records, whether more follow, and where a
/// filtered read that stopped at its bound goes on (the id to pass as `startingAfter`).
pub struct Listed<T> {
    pub items: Vec<T>,
    pub has_more: bool,
    pub resume_after: Option<String>,
}

impl Page {
    /// Decodes the items, answering them with whether more follow: what an unfiltered list
    /// answers (it never stops before `limit`, so it needs no resume key).
    pub(crate) fn records<T>(
        self,
        decode: impl Fn(Item) -> Result<T, StoreError>,
    ) -> Result<(Vec<T>, bool), StoreError> {
        Ok((self.items.into_iter().map(decode).collect::<Result<_, _>>()?, self.has_more))
    }

    /// Decodes the items; `id_of_key` turns the sort key where the read stopped into the id a
    /// client passes as `startingAfter`.
    pub(crate) fn decode<T>(
        self,
        decode: impl Fn(Item) -> Result<T, StoreError>,
        id_of_key: impl Fn(&str) -> &str,
    ) -> Result<Listed<T>, StoreError> {
        Ok(Listed {
            items: self.items.into_iter().map(decode).collect::<Result<_, _>>()?,
            has_more: self.has_more,
            resume_after: self.resume_after.as_deref().map(|key| id_of_key(key).to_owned()),
        })
    }
}

/// Which partition to page through and how.
pub struct PageQuery<'a> {
    /// `None` queries the table's `pk`/`sk`; `Some(index)` an index with `gsi1pk`/`gsi1sk`.
    pub index: Option<&'a str>,
    pub partition: String,
    /// Only sort keys starting with this (table queries), e.g. `TE#`.
    pub sort_prefix: Option<&'a str>,
    /// Sort keys strictly below this one: the `startingAfter` id, with its prefix.
    pub before: Option<String>,
    pub limit: usize,
    /// A filter on one other attribute, written with `#f` and `:f`: `("#f = :f", "status", "open")`.
    pub filter: Option<(&'a str, &'a str, String)>,
}

impl<'a> PageQuery<'a> {
    /// The newest `limit` items of a table partition (those under `sort_prefix`) below `before`.
    pub fn in_partition(partition: String, sort_prefix: Option<&'a str>, before: Option<String>, limit: usize) -> Self {
        PageQuery { index: None, partition, sort_prefix, before, limit, filter: None }
    }

    /// The newest `limit` items of a partition of the `gsi1` index below `before`.
    pub fn in_index(partition: String, before: Option<String>, limit: usize) -> Self {
        PageQuery { index: Some(GSI1), partition, sort_prefix: None, before, limit, filter: None }
    }
}

impl Store {
    pub(crate) async fn page(&self, q: PageQuery<'_>) -> Result<Page, StoreError> {
        let (pk, sk) = match q.index {
            Some(_) => ("gsi1pk", "gsi1sk"),
            None => ("pk", "sk"),
        };
        let mut condition = format!("{pk} = :p");
        match (&q.before, q.sort_prefix) {
            (Some(_), Some(_)) => condition.push_str(&format!(" AND {sk} BETWEEN :prefix AND :before")),
            (Some(_), None) => condition.push_str(&format!(" AND {sk} < :before")),
            (None, Some(_)) => condition.push_str(&format!(" AND begins_with({sk}, :prefix)")),
            (None, None) => {}
        }
        let want = q.limit + 1;
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        let mut read = 0;
        let mut resume_after = None;
        loop {
            let size = match q.filter {
                Some(_) => want.max(FILTERED_QUERY_SIZE),
                None => want,
            };
            let size = size.min(MAX_ITEMS_READ - read);
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression(&condition)
                .expression_attribute_values(":p", s(&q.partition))
                .scan_index_forward(false)
                .limit(size as i32)
                .set_exclusive_start_key(start.take());
            if let Some(index) = q.index {
                request = request.index_name(index);
            } else {
                request = request.consistent_read(true);
            }
            if let Some(prefix) = q.sort_prefix {
                request = request.expression_attribute_values(":prefix", s(prefix));
            }
            if let Some(before) = &q.before {
                request = request.expression_attribute_values(":before", s(before));
            }
            let output = with_filter(request, q.filter.as_ref()).send().await.map_err(classify)?;
            read += output.scanned_count.max(0) as usize;
            for item in output.items.unwrap_or_default() {
                // Inclusive BETWEEN may return the cursor itself.
                if let (Some(before), Some(AttributeValue::S(key))) = (&q.before, item.get(sk)) {
                    if key >= before {
                        continue;
                    }
                }
                items.push(item);
            }
            if items.len() >= want {
                break;
            }
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() && read >= MAX_ITEMS_READ => {
                    resume_after = match key.get(sk) {
                        Some(AttributeValue::S(last_read)) => Some(last_read.clone()),
                        _ => return Err(StoreError::Fault(format!("a page of {pk} ended without {sk}"))),
                    };
                    break;
                }
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        let has_more = items.len() > q.limit || resume_after.is_some();
        items.truncate(q.limit);
        Ok(Page { items, has_more, resume_after })
    }
}

/// The index `gsi1`.
pub const BY_CREATION: Option<&str> = Some(GSI1);

/// A query of `request` narrowed by `filter` (one other attribute, written with `#f` and `:f`:
/// `("#f = :f", "status", "open")`), which DynamoDB applies after reading.
pub(crate) fn with_filter(
    request: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    filter: Option<&(&str, &str, String)>,
) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
    match filter {
        Some((expression, name, value)) => request
            .filter_expression(*expression)
            .expression_attribute_names("#f", *name)
            .expression_attribute_values(":f", AttributeValue::S(value.clone())),
        None => request,
    }
}
