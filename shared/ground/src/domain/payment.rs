//! A payment seen on chain (`payments.md`): what a verified transaction records on the session or
//! transfer it paid, and why a submitted one was refused.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::clock::rfc3339_from_unix;
use crate::ids::{random_token, AccountId, RANDOM_LEN};

/// The `Transfer` log that paid, as `payment` shows it in the API and the webhooks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainPayment {
    pub transaction_hash: String,
    pub log_index: u64,
    pub from: String,
    /// A decimal string in token units, like `amount`.
    pub amount_paid: String,
    pub block_number: u64,
    pub network_id: u64,
    /// Unix seconds: when Loop saw it confirmed.
    pub confirmed_at: i64,
}

impl ChainPayment {
    pub fn to_json(&self) -> Value {
        json!({
            "transactionHash": self.transaction_hash,
            "logIndex": self.log_index,
            "from": self.from,
            "amountPaid": self.amount_paid,
            "blockNumber": self.block_number,
            "networkId": self.network_id,
            "confirmedAt": rfc3339_from_unix(self.confirmed_at),
        })
    }
}

/// Why a submitted transaction pays nothing: each a `400` with its code, nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    /// No such transaction on the network (after the wait, for one that was confirming).
    NotFound,
    Reverted,
    /// No `Transfer` of the token to the treasury (or of nothing), or one mined after the end.
    Mismatch,
    TooOld,
    AlreadyUsed,
}

impl Rejection {
    pub fn code(self) -> &'static str {
        match self {
            Rejection::NotFound => "payment_not_found",
            Rejection::Reverted => "payment_reverted",
            Rejection::Mismatch => "payment_mismatch",
            Rejection::TooOld => "payment_too_old",
            Rejection::AlreadyUsed => "payment_already_used",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Rejection::NotFound => "no such transaction on this network",
            Rejection::Reverted => "the transaction failed on chain (reverted)",
            Rejection::Mismatch => "the transaction does not transfer this payment's token to the merchant's treasury",
            Rejection::TooOld => "the transaction was mined before this payment was requested",
            Rejection::AlreadyUsed => "this transfer has already paid for something else",
        }
    }
}

/// The failure reason of a session that was paid too little.
pub const UNDERPAID: &str = "underpaid";

/// Random characters of a pay token: 26 × 5 = 130 bits (`payments.md` asks for at least 128).
const PAY_TOKEN_RANDOM_LEN: usize = 26;

/// The public capability that opens a transfer's pay page: `pt_<account token><random>`. It
/// embeds the account so the page finds the transfer without a key, like a session id.
pub fn new_pay_token(account: &AccountId) -> String {
    format!("pt_{}{}", account.token(), random_token(PAY_TOKEN_RANDOM_LEN))
}

/// The account a pay token belongs to.
pub fn pay_token_account(token: &str) -> Option<AccountId> {
    let rest = token.strip_prefix("pt_")?;
    if rest.len() != RANDOM_LEN + PAY_TOKEN_RANDOM_LEN || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    AccountId::parse(&format!("{}{}", AccountId::PREFIX, &rest[..RANDOM_LEN]))
}

/// `0x` and 64 hexadecimal digits.
pub fn is_transaction_hash(raw: &str) -> bool {
    raw.len() == 66 && raw.starts_with("0x") && raw[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pay_tokens_name_their_account_and_carry_128_random_bits() {
        let account = AccountId::generate();
        let token = new_pay_token(&account);
        assert_eq!(pay_token_account(&token), Some(account));
        const { assert!(PAY_TOKEN_RANDOM_LEN * 5 >= 128) };
        assert!(token.len() <= 64);
        assert_eq!(pay_token_account("pt_short"), None);
        assert_eq!(pay_token_account("cs_x"), None);
    }

    #[test]
    fn hashes_are_0x_and_64_hex_digits() {
        assert!(is_transaction_hash(&format!("0x{}", "ab".repeat(32))));
        assert!(!is_transaction_hash(&format!("0x{}", "ab".repeat(31))));
        assert!(!is_transaction_hash(&format!("0x{}g", "a".repeat(63))));
        assert!(!is_transaction_hash(&"ab".repeat(33)));
    }
}
