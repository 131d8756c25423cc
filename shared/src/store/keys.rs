//! Key layout of the table. Every partition key begins with `A#<accountId>`, so a query built
//! from one account's id cannot reach another's records. Two index partitions are cross-tenant
//! on purpose and used only by operators and the scheduler: `accounts` (the account list) and
//! the `due` index.

use crate::ids::AccountId;

pub const ACCOUNT_SK: &str = "ACCOUNT";
/// The Stripe catalogue backfill of the account (one at a time).
pub const BACKFILL_SK: &str = "STRIPE_BACKFILL";
pub const API_KEY_SK_PREFIX: &str = "KEY#";
pub const GSI1: &str = "gsi1";
pub const ACCOUNTS_GSI1PK: &str = "accounts";

pub fn account_pk(account: &AccountId) -> String {
    format!("A#{account}")
}

pub fn api_key_sk(hash: &str) -> String {
    format!("{API_KEY_SK_PREFIX}{hash}")
}
