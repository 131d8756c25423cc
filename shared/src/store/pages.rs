//! Newest-first pages over an index partition whose sort key is a time-sortable id.

use aws_sdk_dynamodb::types::AttributeValue;

use super::keys::GSI1;
use super::{classify, s, Item, Store};
use crate::error::StoreError;

/// One page: at most `limit` items, and whether more follow.
pub struct Page {
    pub items: Vec<Item>,
    pub has_more: bool,
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
        loop {
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression(&condition)
                .expression_attribute_values(":p", s(&q.partition))
                .scan_index_forward(false)
                .limit(want as i32)
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
            if let Some((expression, name, value)) = &q.filter {
                request = request
                    .filter_expression(*expression)
                    .expression_attribute_names("#f", *name)
                    .expression_attribute_values(":f", AttributeValue::S(value.clone()));
            }
            let output = request.send().await.map_err(classify)?;
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
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        let has_more = items.len() > q.limit;
        items.truncate(q.limit);
        Ok(Page { items, has_more })
    }
}

/// The index `gsi1`.
pub const BY_CREATION: Option<&str> = Some(GSI1);
