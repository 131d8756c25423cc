//! Accounts and their API keys, in the account's own partition.

use aws_sdk_dynamodb::types::{ConditionCheck, KeysAndAttributes, Put, TransactWriteItem};
use serde::{Deserialize, Serialize};

use super::keys::{account_list_sk, session_pk, SESSION_SK};
use super::keys::{account_pk, api_key_sk, ACCOUNTS_GSI1PK, ACCOUNT_SK, API_KEY_SK_PREFIX, GSI1};
use super::records::SessionItem;
use super::{classify, from_item, s, to_item, Item, Store};
use loop_ground::domain::account::Account;
use loop_ground::domain::checkout::CheckoutSession;
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

#[derive(Serialize, Deserialize)]
struct AccountRecord {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    #[serde(flatten)]
    account: Account,
}

impl AccountRecord {
    fn new(account: &Account) -> Self {
        AccountRecord {
            pk: account_pk(&account.id),
            sk: ACCOUNT_SK.to_owned(),
            gsi1pk: ACCOUNTS_GSI1PK.to_owned(),
            gsi1sk: account_list_sk(account.created_at, &account.id),
            account: account.clone(),
        }
    }
}

/// Reads an account record fetched by some other query.
pub(crate) fn decode_account(item: Item) -> Result<Account, StoreError> {
    Ok(from_item::<AccountRecord>(item)?.account)
}

/// An API key as stored: its hash, never the key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRecord {
    pub key_id: String,
    pub account_id: AccountId,
    /// SHA-256 of the key, hex.
    pub key_hash: String,
    pub test_mode: bool,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    /// The key's last four characters, so a person can tell keys apart (keys made before it
    /// was kept have none). Never more: the rest of the key is known only to its holder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last4: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct KeyItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    key: KeyRecord,
}

impl KeyItem {
    fn new(key: &KeyRecord) -> Self {
        KeyItem { pk: account_pk(&key.account_id), sk: api_key_sk(&key.key_hash), key: key.clone() }
    }
}

impl Store {
    /// A transaction step that creates an item, failing if its key is taken.
    fn put_if_absent(&self, item: Item) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| StoreError::Fault(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}

fn primary_key(pk: String, sk: &str) -> Item {
    Item::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

impl Store {
    /// Creates the account and its first key together, or neither.
    pub async fn create_account(&self, account: &Account, key: &KeyRecord) -> Result<(), StoreError> {
        let put_account = self.put_if_absent(to_item(&AccountRecord::new(account))?)?;
        let put_key = self.put_if_absent(to_item(&KeyItem::new(key))?)?;
        self.client
            .transact_write_items()
            .transact_items(put_account)
            .transact_items(put_key)
            .send()
            .await
            .map(|_| ())
            .map_err(classify)
    }

    /// Adds a key to an existing account; `Ok(false)` when the account does not exist.
    pub async fn add_api_key(&self, key: &KeyRecord) -> Result<bool, StoreError> {
        let account_exists = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(primary_key(account_pk(&key.account_id), ACCOUNT_SK)))
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(|e| StoreError::Fault(e.to_string()))?;
        let put_key = self.put_if_absent(to_item(&KeyItem::new(key))?)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().condition_check(account_exists).build())
            .transact_items(put_key)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if super::condition_failed(&err) => Ok(false),
            Err(err) => Err(classify(err)),
        }
    }

    pub async fn get_account(&self, id: &AccountId) -> Result<Option<Account>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(primary_key(account_pk(id), ACCOUNT_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        output.item.map(|item| from_item::<AccountRecord>(item).map(|r| r.account)).transpose()
    }

    /// The account and the key with this hash, in one request (`BatchGetItem`).
    pub async fn get_account_and_key(
        &self,
        id: &AccountId,
        key_hash: &str,
    ) -> Result<(Option<Account>, Option<KeyRecord>), StoreError> {
        let keys = KeysAndAttributes::builder()
            .keys(primary_key(account_pk(id), ACCOUNT_SK))
            .keys(primary_key(account_pk(id), &api_key_sk(key_hash)))
            .consistent_read(true)
            .build()
            .map_err(|e| StoreError::Fault(e.to_string()))?;
        let output = self.client.batch_get_item().request_items(&self.table, keys).send().await.map_err(classify)?;
        if output.unprocessed_keys.as_ref().is_some_and(|u| !u.is_empty()) {
            return Err(StoreError::Unavailable("batch read throttled".into()));
        }
        let mut account = None;
        let mut key = None;
        for item in output.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
            match item.get("sk") {
                Some(aws_sdk_dynamodb::types::AttributeValue::S(sk)) if sk == ACCOUNT_SK => {
                    account = Some(from_item::<AccountRecord>(item)?.account)
                }
                _ => key = Some(from_item::<KeyItem>(item)?.key),
            }
        }
        Ok((account, key))
    }

    /// A checkout session and its account in one request (`BatchGetItem`): the session id names
    /// the account, so the public page needs no read before this one.
    pub async fn get_session_and_account(
        &self,
        account: &AccountId,
        session_id: &str,
    ) -> Result<(Option<CheckoutSession>, Option<Account>), StoreError> {
        let session_key = (session_pk(account, session_id), SESSION_SK.to_owned());
        let account_key = (account_pk(account), ACCOUNT_SK.to_owned());
        let mut found = self.batch_get(&[session_key.clone(), account_key.clone()]).await?;
        let session = found.remove(&session_key).map(|i| from_item::<SessionItem>(i).map(|x| x.session)).transpose()?;
        let account = found.remove(&account_key).map(decode_account).transpose()?;
        Ok((session, account))
    }

    /// Replaces the account if nobody else changed it since `account.version - 1` was read.
    /// `Ok(false)` means a concurrent write won: read again and retry.
    pub async fn update_account(&self, account: &Account) -> Result<bool, StoreError> {
        let previous = aws_sdk_dynamodb::types::AttributeValue::N(account.version.saturating_sub(1).to_string());
        let item = to_item(&AccountRecord::new(account))?;
        self.put_where(item, "attribute_exists(pk) AND version = :previous", (":previous", previous)).await
    }

    /// Every account, newest first (operators only: the `accounts` index partition).
    pub async fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        let mut accounts = Vec::new();
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("gsi1pk = :p")
            .expression_attribute_values(":p", s(ACCOUNTS_GSI1PK))
            .scan_index_forward(false)
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            accounts.push(from_item::<AccountRecord>(item.map_err(classify)?)?.account);
        }
        Ok(accounts)
    }

    pub async fn list_api_keys(&self, account: &AccountId) -> Result<Vec<KeyRecord>, StoreError> {
        let mut keys = Vec::new();
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :p AND begins_with(sk, :k)")
            .expression_attribute_values(":p", s(account_pk(account)))
            .expression_attribute_values(":k", s(API_KEY_SK_PREFIX))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            keys.push(from_item::<KeyItem>(item.map_err(classify)?)?.key);
        }
        Ok(keys)
    }

    /// Marks a key revoked; `Ok(false)` if the account has no such key.
    pub async fn revoke_api_key(&self, account: &AccountId, key_id: &str, at: i64) -> Result<bool, StoreError> {
        let Some(key) = self.list_api_keys(account).await?.into_iter().find(|k| k.key_id == key_id) else {
            return Ok(false);
        };
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(primary_key(account_pk(account), &api_key_sk(&key.key_hash))))
            .update_expression("SET revokedAt = :at")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":at", aws_sdk_dynamodb::types::AttributeValue::N(at.to_string()))
            .send()
            .await
            .map(|_| true)
            .map_err(classify)
    }
}
