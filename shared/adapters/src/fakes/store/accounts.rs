//! Accounts and API keys, in memory, on the conditions of their DynamoDB writes
//! (`store::accounts`): an account and its first key are created together or not at all, a key
//! is added only to an account that exists, and a key is found by its hash.

use std::future::Future;

use super::FakeStore;
use crate::fakes::ok;
use crate::ports::AccountStore;
use crate::store::KeyRecord;
use loop_ground::domain::account::Account;
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

impl FakeStore {
    /// Every key record stored, whatever its account: what a leak of the table would show.
    pub fn key_records(&self) -> Vec<KeyRecord> {
        self.tables().keys.values().cloned().collect()
    }
}

impl AccountStore for FakeStore {
    fn create_account(
        &self,
        account: &Account,
        key: &KeyRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let mut tables = self.tables();
        let key_at = (key.account_id.clone(), key.key_hash.clone());
        if tables.accounts.contains_key(&account.id) || tables.keys.contains_key(&key_at) {
            return std::future::ready(Err(StoreError::Fault("the account exists already".into())));
        }
        tables.accounts.insert(account.id.clone(), account.clone());
        tables.keys.insert(key_at, key.clone());
        ok(())
    }

    fn add_api_key(&self, key: &KeyRecord) -> impl Future<Output = Result<bool, StoreError>> + Send {
        let mut tables = self.tables();
        if !tables.accounts.contains_key(&key.account_id) {
            return ok(false);
        }
        tables.keys.insert((key.account_id.clone(), key.key_hash.clone()), key.clone());
        ok(true)
    }

    fn get_account(&self, id: &AccountId) -> impl Future<Output = Result<Option<Account>, StoreError>> + Send {
        ok(self.tables().accounts.get(id).cloned())
    }

    fn get_account_and_key(
        &self,
        id: &AccountId,
        key_hash: &str,
    ) -> impl Future<Output = Result<(Option<Account>, Option<KeyRecord>), StoreError>> + Send {
        let tables = self.tables();
        ok((tables.accounts.get(id).cloned(), tables.keys.get(&(id.clone(), key_hash.to_owned())).cloned()))
    }

    /// Oldest first: DynamoDB answers in the order of the keys' hashes, unrelated to when they
    /// were made, so a caller must sort; this order makes one that does not show.
    fn list_api_keys(&self, account: &AccountId) -> impl Future<Output = Result<Vec<KeyRecord>, StoreError>> + Send {
        let mut keys: Vec<KeyRecord> =
            self.tables().keys.values().filter(|k| k.account_id == *account).cloned().collect();
        keys.sort_by(|a, b| (a.created_at, &a.key_id).cmp(&(b.created_at, &b.key_id)));
        ok(keys)
    }

    fn revoke_api_key(
        &self,
        account: &AccountId,
        key_id: &str,
        at: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        let mut tables = self.tables();
        let key = tables.keys.values_mut().find(|k| k.account_id == *account && k.key_id == key_id);
        ok(key.map(|k| k.revoked_at = Some(at)).is_some())
    }
}
