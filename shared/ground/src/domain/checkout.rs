//! Payment links and checkout sessions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::payment::ChainPayment;
use crate::clock::rfc3339_from_unix;
use crate::ids::{new_sortable_id_with_random, AccountId, RANDOM_LEN, TIME_LEN};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentLink {
    pub id: String,
    pub name: String,
    pub item_id: Option<String>,
    pub amount: String,
    pub currency: String,
    pub active: bool,
    pub created_at: i64,
    pub version: u64,
}

impl PaymentLink {
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id, "name": self.name, "amount": self.amount, "currency": self.currency,
            "active": self.active, "createdAt": rfc3339_from_unix(self.created_at),
        });
        if let Some(item) = &self.item_id {
            v["itemId"] = json!(item);
        }
        v
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionStatus {
    Open,
    Completed,
    Failed,
    Expired,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Open => "open",
            SessionStatus::Completed => "completed",
            SessionStatus::Failed => "failed",
            SessionStatus::Expired => "expired",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [SessionStatus::Open, SessionStatus::Completed, SessionStatus::Failed, SessionStatus::Expired]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutSession {
    pub id: String,
    /// The hosted page, fixed at creation (the deployment's public base URL then).
    pub url: String,
    pub payment_link_id: String,
    pub external_customer_id: Option<String>,
    pub status: SessionStatus,
    pub metadata: BTreeMap<String, String>,
    pub amount: String,
    pub currency: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// When it left `open` (completed, failed or expired).
    pub finished_at: Option<i64>,
    /// The on-chain payment that completed it, or that paid too little (`failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<ChainPayment>,
    /// Why it failed (`underpaid`), when Loop knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    pub version: u64,
}

/// Random characters of a session id: 26 × 5 = 130 bits, since the id alone opens the public
/// page (a capability), where other ids are only ever presented with an API key.
pub const SESSION_RANDOM_LEN: usize = 26;
/// The length after `cs_` of the ids made before sessions had 130 random bits (50 then): they
/// still resolve.
const OLD_SESSION_ID_LEN: usize = RANDOM_LEN + TIME_LEN + 10;

/// Session ids embed the account, so the public checkout page finds a session without a key:
/// `cs_<account token><time><random>`. The time comes before the random part, so an account's
/// sessions sort by creation, old ids and new alike.
pub fn new_session_id(account: &AccountId, now_millis: i64) -> String {
    let sortable = new_sortable_id_with_random("", now_millis, SESSION_RANDOM_LEN);
    format!("cs_{}{sortable}", account.token())
}

/// The account a session id belongs to.
pub fn session_account(id: &str) -> Option<AccountId> {
    let rest = id.strip_prefix("cs_")?;
    let known_length = rest.len() == RANDOM_LEN + TIME_LEN + SESSION_RANDOM_LEN || rest.len() == OLD_SESSION_ID_LEN;
    if !known_length || !rest.is_ascii() {
        return None;
    }
    AccountId::parse(&format!("{}{}", AccountId::PREFIX, &rest[..RANDOM_LEN]))
}

impl CheckoutSession {
    /// As `GET /v1/checkout-sessions/{id}` and the `checkout.session.*` webhooks show it.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "url": self.url,
            "paymentLinkId": self.payment_link_id,
            "externalCustomerId": self.external_customer_id,
            "status": self.status.as_str(),
            "metadata": self.metadata,
            "amount": self.amount,
            "currency": self.currency,
            "createdAt": rfc3339_from_unix(self.created_at),
            "expiresAt": rfc3339_from_unix(self.expires_at),
        });
        let field = match self.status {
            SessionStatus::Open => None,
            SessionStatus::Completed => Some("completedAt"),
            SessionStatus::Failed => Some("failedAt"),
            SessionStatus::Expired => Some("expiredAt"),
        };
        if let (Some(field), Some(at)) = (field, self.finished_at) {
            v[field] = json!(rfc3339_from_unix(at));
        }
        if let Some(payment) = &self.payment {
            v["payment"] = payment.to_json();
        }
        if let Some(reason) = &self.failure_reason {
            v["failureReason"] = json!(reason);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_carry_at_least_128_random_bits_after_the_account_and_time() {
        let account = AccountId::generate();
        let id = new_session_id(&account, 1_700_000_000_000);
        let random = &id["cs_".len() + RANDOM_LEN + TIME_LEN..];
        assert_eq!(random.len(), SESSION_RANDOM_LEN);
        assert!(random.len() * 5 >= 128, "{} random bits", random.len() * 5);
        assert!(id.len() <= 64, "startingAfter takes ids of at most 64 characters");
    }

    #[test]
    fn session_ids_sort_by_creation_and_old_ones_still_resolve() {
        let account = AccountId::generate();
        let earlier = new_session_id(&account, 1_700_000_000_000);
        let later = new_session_id(&account, 1_700_000_000_001);
        assert!(earlier < later);
        // An id of the old form (10 random characters), made before it.
        let old = format!("cs_{}{}", account.token(), &earlier["cs_".len() + RANDOM_LEN..][..TIME_LEN + 10]);
        assert_eq!(session_account(&old), Some(account.clone()));
        assert!(old < later);
    }

    #[test]
    fn session_ids_name_their_account() {
        let account = AccountId::generate();
        let id = new_session_id(&account, 1_700_000_000_000);
        assert_eq!(session_account(&id), Some(account));
        assert_eq!(session_account("cs_abc123"), None);
        assert_eq!(session_account("pl_x"), None);
    }
}
