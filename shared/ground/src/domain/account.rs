//! A merchant account: its profile, its crypto settings, its Stripe integration.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::stripe_config::{CustomerDeleted, EventsConfig};
use crate::ids::AccountId;
use crate::secret::Secret;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    pub support_email: Option<String>,
    pub test_mode: bool,
    pub crypto: CryptoSettings,
    pub stripe: StripeIntegration,
    /// The sending identity (`email.md`): `None` until the merchant sets one; nothing is sent
    /// without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailSettings>,
    /// The automated emails it sends (`email.md`): none until the merchant turns them on.
    #[serde(default)]
    pub notifications: super::notifications::Notifications,
    /// Unix seconds.
    pub created_at: i64,
    /// Bumped on every write, so concurrent read-modify-writes cannot lose each other's changes.
    pub version: u64,
}

impl Account {
    /// A new account as `api.md` describes one: default crypto settings, no Stripe secret yet.
    pub fn new(name: &str, test_mode: bool, now: i64) -> Account {
        Account {
            id: AccountId::generate(),
            name: name.to_owned(),
            support_email: None,
            test_mode,
            crypto: CryptoSettings::default(),
            stripe: StripeIntegration::default(),
            email: None,
            notifications: Default::default(),
            created_at: now,
            version: 1,
        }
    }
}

/// Who the account's email comes from. `from_address` was a verified SES identity (or in one of
/// its verified domains) when it was set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailSettings {
    pub from_address: String,
    #[serde(default)]
    pub from_name: Option<String>,
    /// `None`: replies go to the account's `supportEmail`.
    #[serde(default)]
    pub reply_to: Option<String>,
}

impl Account {
    /// Where replies to the account's email go: its `replyTo`, else its `supportEmail`.
    pub fn reply_to(&self) -> Option<&str> {
        let settings = self.email.as_ref()?;
        settings.reply_to.as_deref().or(self.support_email.as_deref())
    }
}

/// Network, token and treasury: what every Loop-family payload carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CryptoSettings {
    pub network_id: u64,
    pub network_name: String,
    pub contract_address: Option<String>,
    pub token_symbol: String,
    pub token_address: String,
    pub token_decimals: u8,
    /// Network id (as a decimal string) → treasury address on that network.
    pub treasury_addresses: BTreeMap<String, String>,
}

impl Default for CryptoSettings {
    /// Ethereum mainnet and USDC, as `api.md` specifies for a new account.
    fn default() -> Self {
        CryptoSettings {
            network_id: 1,
            network_name: "Ethereum".to_owned(),
            contract_address: None,
            token_symbol: "USDC".to_owned(),
            token_address: "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48".to_owned(),
            token_decimals: 6,
            treasury_addresses: BTreeMap::new(),
        }
    }
}

impl CryptoSettings {
    /// The treasury address on the current network, or `"-"` as Loop's payloads say when unknown.
    pub fn treasury_address(&self) -> &str {
        self.treasury_addresses.get(&self.network_id.to_string()).map(String::as_str).unwrap_or("-")
    }
}

/// The merchant's Stripe webhook configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StripeIntegration {
    /// One, or two during a rotation. Plaintext because verifying needs it; never logged or read back.
    pub signing_secrets: Vec<Secret>,
    #[serde(default)]
    pub customer_deleted: CustomerDeleted,
    #[serde(default)]
    pub events: EventsConfig,
    /// Set once `POST /v1/integrations/stripe/connect` made Loop's endpoint in Stripe.
    #[serde(default)]
    pub connection: Option<super::connection::StripeConnection>,
}

/// `0x` followed by 40 hexadecimal digits.
pub fn is_evm_address(raw: &str) -> bool {
    raw.len() == 42 && raw.starts_with("0x") && raw[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// The path Stripe must post to for this account.
pub fn stripe_webhook_path(id: &AccountId) -> String {
    format!("/stripe/webhooks/{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_0x_and_40_hex_digits() {
        assert!(is_evm_address("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"));
        assert!(is_evm_address("0xA0B86991C6218B36C1D19D4A2E9EB0CE3606EB48"));
        assert!(!is_evm_address("a0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"));
        assert!(!is_evm_address("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb4"));
        assert!(!is_evm_address("0xg0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"));
    }

    #[test]
    fn unknown_treasury_reads_as_dash() {
        let mut c = CryptoSettings::default();
        assert_eq!(c.treasury_address(), "-");
        c.treasury_addresses.insert("1".into(), "0x0000000000000000000000000000000000000001".into());
        assert_eq!(c.treasury_address(), "0x0000000000000000000000000000000000000001");
    }
}
