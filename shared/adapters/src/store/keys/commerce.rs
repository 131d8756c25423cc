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
