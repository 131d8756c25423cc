//! Accounts and API keys: creation (for `loopctl`), and authentication of every `/v1` request.
//!
//! Written against a port (`loop_adapters::ports::AccountStore`) passed in with the clock, as
//! `loopctl` holds a store but no `App`: callers pass `&app.store`; unit tests a fake.

#[cfg(test)]
mod scenarios;

use thiserror::Error;

use loop_adapters::ports::AccountStore;
use loop_adapters::store::KeyRecord;
use loop_ground::clock::Clock;
use loop_ground::domain::account::Account;
use loop_ground::domain::api_key::{self, KeyMode};
use loop_ground::domain::email::Email;
use loop_ground::error::{ApiError, StoreError};
use loop_ground::ids::{new_id, random_token, AccountId};
use loop_ground::secret::{constant_time_eq, Secret};

#[derive(Debug, Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(String),
    #[error("no account {0}")]
    UnknownAccount(AccountId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What `loopctl accounts create` shows once.
#[derive(Debug)]
pub struct CreatedAccount {
    pub account: Account,
    pub key: CreatedKey,
}

/// What `loopctl keys create` shows once.
#[derive(Debug)]
pub struct CreatedKey {
    pub key_id: String,
    pub api_key: Secret,
    pub test_mode: bool,
}

pub struct NewAccount<'a> {
    pub name: &'a str,
    pub support_email: Option<&'a str>,
    pub test_mode: bool,
}

/// A Stripe-style signing secret, generated so a merchant can start before pasting Stripe's own.
pub fn generate_signing_secret() -> Secret {
    Secret::new(format!("whsec_{}", random_token(32)))
}

pub async fn create_account(
    store: &impl AccountStore,
    clock: &dyn Clock,
    new: NewAccount<'_>,
) -> Result<CreatedAccount, AccountError> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AccountError::Invalid("name must be 1 to 200 characters".into()));
    }
    let support_email = new
        .support_email
        .map(|raw| Email::parse(raw).ok_or_else(|| AccountError::Invalid(format!("invalid support email {raw:?}"))))
        .transpose()?;
    let now = clock.now_unix();
    let mut account = Account::new(name, new.test_mode, now);
    account.support_email = support_email.map(String::from);
    account.stripe.signing_secrets = vec![generate_signing_secret()];
    let (record, key) = new_key(&account.id, new.test_mode, now);
    store.create_account(&account, &record).await?;
    Ok(CreatedAccount { account, key })
}

/// Adds a key; test-mode when asked or when the account itself is a test-mode account.
pub async fn create_key(
    store: &impl AccountStore,
    clock: &dyn Clock,
    account_id: &AccountId,
    test_mode: bool,
) -> Result<CreatedKey, AccountError> {
    let account =
        store.get_account(account_id).await?.ok_or_else(|| AccountError::UnknownAccount(account_id.clone()))?;
    let (record, key) = new_key(account_id, test_mode || account.test_mode, clock.now_unix());
    if !store.add_api_key(&record).await? {
        return Err(AccountError::UnknownAccount(account_id.clone()));
    }
    Ok(key)
}

fn new_key(account: &AccountId, test_mode: bool, now: i64) -> (KeyRecord, CreatedKey) {
    let mode = if test_mode { KeyMode::Test } else { KeyMode::Live };
    let generated = api_key::generate(account, mode);
    let key_id = new_id("key_");
    let record = KeyRecord {
        key_id: key_id.clone(),
        account_id: account.clone(),
        key_hash: generated.hash,
        test_mode,
        created_at: now,
        revoked_at: None,
        last4: Some(last4(&generated.plaintext)),
    };
    (record, CreatedKey { key_id, api_key: Secret::new(generated.plaintext), test_mode })
}

fn last4(key: &str) -> String {
    key.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect()
}

/// The account's keys, newest first, as stored: never the key itself, only its hash and last
/// four characters — a page or route showing them must leave the hash out (the dashboard's keys
/// page shows id, mode, dates and the last four).
pub async fn list_keys(store: &impl AccountStore, account: &AccountId) -> Result<Vec<KeyRecord>, StoreError> {
    let mut keys = store.list_api_keys(account).await?;
    keys.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.key_id.cmp(&a.key_id)));
    Ok(keys)
}

/// Revokes a key: it answers `401` from now on, and the dashboard sessions signed in with it
/// end (they hold the key's hash and read it on every request). `Ok(false)`: no such key.
pub async fn revoke_key(
    store: &impl AccountStore,
    clock: &dyn Clock,
    account: &AccountId,
    key_id: &str,
) -> Result<bool, StoreError> {
    store.revoke_api_key(account, key_id, clock.now_unix()).await
}

/// The caller of a `/v1` request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub account: Account,
    pub key_id: String,
    pub test_mode: bool,
}

/// Checks `Authorization: Bearer <key>`: one `BatchGetItem` for the account and the key.
pub async fn authenticate(store: &impl AccountStore, authorization: Option<&str>) -> Result<Caller, ApiError> {
    let header = authorization
        .ok_or_else(|| ApiError::unauthenticated("No API key provided. Send it as 'Authorization: Bearer <key>'."))?;
    let token = api_key::bearer(header).ok_or_else(|| {
        ApiError::unauthenticated("Malformed Authorization header. Send 'Authorization: Bearer <key>'.")
    })?;
    let invalid = || ApiError::unauthenticated("Invalid API key.");
    let presented = api_key::parse(token).ok_or_else(invalid)?;
    let (account, key) = store.get_account_and_key(&presented.account, &presented.hash).await?;
    let (Some(account), Some(key)) = (account, key) else {
        return Err(invalid());
    };
    if !constant_time_eq(key.key_hash.as_bytes(), presented.hash.as_bytes()) {
        return Err(invalid());
    }
    if key.revoked_at.is_some() {
        return Err(ApiError::unauthenticated("This API key has been revoked."));
    }
    Ok(Caller { account, key_id: key.key_id, test_mode: key.test_mode })
}

/// Read-modify-write of the account with optimistic concurrency: a concurrent change makes the
/// conditional write fail, and the change is applied again to what is stored now. A change may
/// refuse what is stored (an error), and then nothing is written.
pub async fn update_account(
    app: &loop_adapters::app::App,
    mut current: Account,
    change: impl Fn(&mut Account) -> Result<(), ApiError>,
) -> Result<Account, ApiError> {
    for _ in 0..5 {
        let mut updated = current.clone();
        change(&mut updated)?;
        updated.version = current.version + 1;
        if app.store.update_account(&updated).await? {
            return Ok(updated);
        }
        current = app.store.get_account(&current.id).await?.ok_or_else(|| ApiError::not_found("account"))?;
    }
    Err(ApiError::Unavailable)
}
