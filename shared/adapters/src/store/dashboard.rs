//! Dashboard sign-in links and sessions. Each is stored under the SHA-256 of its token, never the
//! token, in a partition of its own account (the token names the account, so finding it needs
//! no scan); both carry `expiresAt`, the table's TTL, and are checked against it on every read
//! since TTL deletes lazily.

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::{from_item, to_item, Store};
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

/// A one-time sign-in link, or a signed-in session, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DashboardGrant {
    pub account_id: AccountId,
    pub test_mode: bool,
    /// The session's CSRF token (sessions only): every form of the session carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
    /// The SHA-256 of the API key a session was signed in with (sessions from a key only): the
    /// session lasts only as long as the key does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_hash: Option<String>,
    pub created_at: i64,
    /// Unix seconds; the table's TTL attribute.
    pub expires_at: i64,
}

#[derive(Serialize, Deserialize)]
struct GrantItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    grant: DashboardGrant,
}

/// Which of the two a grant is: they live under different keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantKind {
    Link,
    Session,
}

fn key_of(kind: GrantKind, account: &AccountId, hash: &str) -> (String, String) {
    match kind {
        GrantKind::Link => (dashboard_link_pk(account, hash), DASHBOARD_LINK_SK.to_owned()),
        GrantKind::Session => (dashboard_session_pk(account, hash), DASHBOARD_SESSION_SK.to_owned()),
    }
}

impl Store {
    /// Stores a new grant under its token's hash; `Ok(false)` if that hash is taken.
    pub async fn put_dashboard_grant(
        &self,
        kind: GrantKind,
        hash: &str,
        grant: &DashboardGrant,
    ) -> Result<bool, StoreError> {
        let (pk, sk) = key_of(kind, &grant.account_id, hash);
        let item = GrantItem { pk, sk, grant: grant.clone() };
        // Version 1: a put that no item may be under.
        self.put_versioned(to_item(&item)?, 1).await
    }

    /// Deletes the grant if it is there and unexpired at `now`, answering what it was: of two
    /// requests presenting the same link at once, only one gets it.
    pub async fn take_dashboard_grant(
        &self,
        kind: GrantKind,
        account: &AccountId,
        hash: &str,
        now: i64,
    ) -> Result<Option<DashboardGrant>, StoreError> {
        let (pk, sk) = key_of(kind, account, hash);
        let now = AttributeValue::N(now.to_string());
        let taken = self.delete_where(pk, &sk, "attribute_exists(pk) AND expiresAt > :now", (":now", now)).await?;
        taken.map(|item| from_item::<GrantItem>(item).map(|i| i.grant)).transpose()
    }

    /// The grant, if there and unexpired at `now`.
    pub async fn get_dashboard_grant(
        &self,
        kind: GrantKind,
        account: &AccountId,
        hash: &str,
        now: i64,
    ) -> Result<Option<DashboardGrant>, StoreError> {
        let (pk, sk) = key_of(kind, account, hash);
        let item = self.get_one(pk, &sk).await?;
        let grant = item.map(|item| from_item::<GrantItem>(item).map(|i| i.grant)).transpose()?;
        Ok(grant.filter(|g| g.expires_at > now && &g.account_id == account))
    }
}
