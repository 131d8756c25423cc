//! Short leases on an account's one-at-a-time operations (connecting Stripe): a conditional
//! write that a second caller cannot make while the first holds it, and that expires by itself
//! if its holder dies without releasing it.

use aws_sdk_dynamodb::types::AttributeValue;

use super::keys::{account_pk, lease_sk};
use super::{put_if, Store};
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

impl Store {
    /// Takes the lease `name` on the account until `until` (unix seconds); `Ok(false)` if someone
    /// else holds it now.
    pub async fn take_lease(&self, account: &AccountId, name: &str, now: i64, until: i64) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", AttributeValue::S(account_pk(account)))
            .item("sk", AttributeValue::S(lease_sk(name)))
            .item("until", AttributeValue::N(until.to_string()))
            .condition_expression("attribute_not_exists(pk) OR #until <= :now")
            .expression_attribute_names("#until", "until")
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .send()
            .await;
        put_if(result)
    }

    pub async fn release_lease(&self, account: &AccountId, name: &str) -> Result<(), StoreError> {
        self.delete_key(account_pk(account), &lease_sk(name)).await
    }
}
