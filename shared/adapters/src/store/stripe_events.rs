//! How many Stripe events an account received lately, from the `stripe-events` listing (each
//! dedupe record is listed there by when it was received, in the ingest's own transaction).

use aws_sdk_dynamodb::types::Select;

use super::keys::*;
use super::{classify, s, Store};
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

impl Store {
    /// The Stripe events received since `since` (Unix seconds), counted with `Select=COUNT`
    /// (one query per shard), at most `cap_per_shard` a shard: `(count, capped)`.
    pub async fn count_stripe_events_since(
        &self,
        account: &AccountId,
        since: i64,
        cap_per_shard: usize,
    ) -> Result<(usize, bool), StoreError> {
        let queries = Listing::StripeEvents.partitions(account).into_iter().map(|partition| {
            self.client
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .key_condition_expression("gsi1pk = :p AND gsi1sk >= :since")
                .expression_attribute_values(":p", s(partition))
                .expression_attribute_values(":since", s(format!("{:012}", since.max(0))))
                .select(Select::Count)
                .limit(cap_per_shard.clamp(1, i32::MAX as usize) as i32)
                .send()
        });
        let mut total = (0, false);
        for output in futures::future::try_join_all(queries).await.map_err(classify)? {
            total.0 += output.count.max(0) as usize;
            total.1 |= output.last_evaluated_key.is_some_and(|k| !k.is_empty());
        }
        Ok(total)
    }
}
