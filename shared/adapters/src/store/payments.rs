//! What on-chain payments keep (`payments.md`): the logs that paid (written in the transaction
//! that completes what they paid, see `Write::ClaimPaymentLog`), submissions still confirming
//! on the `due` index, the per-minute submission counter, and transfers' pay tokens.

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::{from_item, put_if, s, to_item, Due, DueCursor, Store};
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

/// What a payment is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "lowercase")]
pub enum PayTarget {
    Session(String),
    Transfer(String),
}

impl PayTarget {
    pub fn id(&self) -> &str {
        match self {
            PayTarget::Session(id) | PayTarget::Transfer(id) => id,
        }
    }
}

/// A submitted transaction that was not confirmed yet: checked again every minute until
/// `until` (an hour after it was first submitted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Confirming {
    pub target: PayTarget,
    pub transaction_hash: String,
    pub network_id: u64,
    pub submitted_at: i64,
    pub until: i64,
}

#[derive(Serialize, Deserialize)]
struct ConfirmingItem {
    pk: String,
    sk: String,
    #[serde(rename = "duePk")]
    due_pk: String,
    #[serde(rename = "dueAt")]
    due_at: String,
    #[serde(rename = "accountId")]
    account_id: AccountId,
    #[serde(flatten)]
    confirming: Confirming,
    #[serde(rename = "expiresAt")]
    expires_at: i64,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct PaymentLogItem {
    pub pk: String,
    pub sk: String,
    /// What it paid.
    pub paid: PayTarget,
    #[serde(rename = "paidAt")]
    pub paid_at: i64,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct PayTokenItem {
    pub pk: String,
    pub sk: String,
    #[serde(rename = "transferId")]
    pub transfer_id: String,
}

/// At most this many submissions per session or transfer per minute (`payments.md`).
pub const SUBMISSIONS_PER_MINUTE: u32 = 10;

impl Store {
    /// Counts one submission; `false` when the minute's allowance is used up (a `429`).
    pub async fn count_submission(&self, account: &AccountId, target_id: &str, now: i64) -> Result<bool, StoreError> {
        let minute = now / 60;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(submissions_pk(account, target_id, minute)))
            .key("sk", s(SUBMISSIONS_SK))
            .update_expression("ADD n :one SET expiresAt = :ttl")
            .condition_expression("attribute_not_exists(n) OR n < :max")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":max", AttributeValue::N(SUBMISSIONS_PER_MINUTE.to_string()))
            .expression_attribute_values(":ttl", AttributeValue::N((minute * 60 + 120).to_string()))
            .send()
            .await;
        put_if(result)
    }

    /// What the log paid, if it paid something in this account.
    pub async fn payment_log(
        &self,
        account: &AccountId,
        network_id: u64,
        transaction_hash: &str,
        log_index: u64,
    ) -> Result<Option<PayTarget>, StoreError> {
        let item =
            self.get_one(payment_log_pk(account, network_id, transaction_hash, log_index), PAYMENT_LOG_SK).await?;
        item.map(|i| from_item::<PaymentLogItem>(i).map(|l| l.paid)).transpose()
    }

    /// Keeps (or refreshes) a confirming submission, next checked at `next_check`.
    pub async fn put_confirming(
        &self,
        account: &AccountId,
        confirming: &Confirming,
        next_check: i64,
    ) -> Result<(), StoreError> {
        let id = format!("{}#{}", confirming.target.id(), confirming.transaction_hash);
        let item = ConfirmingItem {
            pk: confirming_pk(account, confirming.target.id(), &confirming.transaction_hash),
            sk: CONFIRMING_SK.to_owned(),
            due_pk: due_partition("confirming", &id),
            due_at: due_key(next_check, &id),
            account_id: account.clone(),
            confirming: confirming.clone(),
            expires_at: confirming.until + 86_400,
        };
        self.put(to_item(&item)?).await
    }

    /// The confirming submission of this hash for this target, if one is kept.
    pub async fn get_confirming(
        &self,
        account: &AccountId,
        target_id: &str,
        transaction_hash: &str,
    ) -> Result<Option<Confirming>, StoreError> {
        let item = self.get_one(confirming_pk(account, target_id, transaction_hash), CONFIRMING_SK).await?;
        item.map(|i| from_item::<ConfirmingItem>(i).map(|c| c.confirming)).transpose()
    }

    pub async fn delete_confirming(
        &self,
        account: &AccountId,
        target_id: &str,
        transaction_hash: &str,
    ) -> Result<(), StoreError> {
        self.delete_key(confirming_pk(account, target_id, transaction_hash), CONFIRMING_SK).await
    }

    /// A page of confirming submissions due for a check at `now`, with their accounts.
    pub async fn due_confirmings(
        &self,
        now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> Result<Due<(AccountId, Confirming)>, StoreError> {
        self.due_page("confirming", now, from, page_size, |i| {
            from_item::<ConfirmingItem>(i).map(|c| (c.account_id, c.confirming))
        })
        .await
    }

    /// The transfer a pay token opens.
    pub async fn transfer_of_pay_token(&self, account: &AccountId, token: &str) -> Result<Option<String>, StoreError> {
        let item = self.get_one(pay_token_pk(account, token), PAY_TOKEN_SK).await?;
        item.map(|i| from_item::<PayTokenItem>(i).map(|t| t.transfer_id)).transpose()
    }
}
