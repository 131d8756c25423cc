//! The account's Stripe catalogue backfill: one record, replaced by each new connection and
//! advanced page by page under optimistic concurrency.

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use super::keys::{account_pk, BACKFILL_SK};
use super::{from_item, put_if, to_item, Store};
use loop_ground::domain::connection::Backfill;
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

#[derive(Serialize, Deserialize)]
struct BackfillItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    backfill: Backfill,
}

impl Store {
    pub async fn get_backfill(&self, account: &AccountId) -> Result<Option<Backfill>, StoreError> {
        let item = self.get_one(account_pk(account), BACKFILL_SK).await?;
        item.map(|i| from_item::<BackfillItem>(i).map(|b| b.backfill)).transpose()
    }

    /// Stores `backfill`. A new job (`version` 1) replaces whatever was there; a later version
    /// is written only over the version before it, so two runs of one job cannot both advance
    /// it: `Ok(false)` tells the loser.
    pub async fn save_backfill(&self, account: &AccountId, backfill: &Backfill) -> Result<bool, StoreError> {
        let item = BackfillItem { pk: account_pk(account), sk: BACKFILL_SK.to_owned(), backfill: backfill.clone() };
        let mut put = self.client.put_item().table_name(&self.table).set_item(Some(to_item(&item)?));
        if backfill.version > 1 {
            put = put
                .condition_expression("jobId = :job AND version = :previous")
                .expression_attribute_values(":job", AttributeValue::S(backfill.job_id.clone()))
                .expression_attribute_values(":previous", AttributeValue::N((backfill.version - 1).to_string()));
        }
        put_if(put.send().await)
    }
}
