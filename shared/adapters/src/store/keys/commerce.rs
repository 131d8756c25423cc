//! Keys of the Stripe catalogue and billing records (products, items, transfers, agreements) and
//! of checkout (payment links, sessions).

use loop_ground::ids::AccountId;

pub const PRODUCT_SK: &str = "PRODUCT";
pub const ITEM_SK: &str = "ITEM";
pub const TRANSFER_SK: &str = "TRANSFER";
pub const AGREEMENT_SK: &str = "AGREEMENT";

pub fn product_pk(account: &AccountId, product_id: &str) -> String {
    format!("A#{account}#PROD#{product_id}")
}

pub fn item_pk(account: &AccountId, item_id: &str) -> String {
    format!("A#{account}#ITEM#{item_id}")
}

pub fn transfer_pk(account: &AccountId, transfer_id: &str) -> String {
    format!("A#{account}#T#{transfer_id}")
}

pub fn agreement_pk(account: &AccountId, agreement_id: &str) -> String {
    format!("A#{account}#AG#{agreement_id}")
}

pub const LINK_RECORD_SK: &str = "PAYMENT_LINK";
pub const SESSION_SK: &str = "SESSION";

pub fn payment_link_pk(account: &AccountId, id: &str) -> String {
    format!("A#{account}#PL#{id}")
}

pub fn session_pk(account: &AccountId, id: &str) -> String {
    format!("A#{account}#CS#{id}")
}

/// One per `Transfer` log that paid something (`payments.md`: a log pays at most one thing, ever).
pub fn payment_log_pk(account: &AccountId, network_id: u64, transaction_hash: &str, log_index: u64) -> String {
    format!("A#{account}#PAYLOG#{network_id}#{}#{log_index}", transaction_hash.to_ascii_lowercase())
}
pub const PAYMENT_LOG_SK: &str = "PAYLOG";

/// A submitted transaction still confirming, for what it would pay (a session or transfer id).
pub fn confirming_pk(account: &AccountId, target_id: &str, transaction_hash: &str) -> String {
    format!("A#{account}#CONFIRM#{target_id}#{}", transaction_hash.to_ascii_lowercase())
}
pub const CONFIRMING_SK: &str = "CONFIRM";

/// Submissions to one session or transfer in one minute (the rate limit).
pub fn submissions_pk(account: &AccountId, target_id: &str, minute: i64) -> String {
    format!("A#{account}#SUBMITS#{target_id}#{minute}")
}
pub const SUBMISSIONS_SK: &str = "SUBMITS";

/// A transfer's pay token → the transfer.
pub fn pay_token_pk(account: &AccountId, token: &str) -> String {
    format!("A#{account}#PAYTOKEN#{token}")
}
pub const PAY_TOKEN_SK: &str = "PAYTOKEN";
