//! API keys' promises, on the in-memory store (`loop_adapters::fakes::FakeStore`, which keeps the
//! conditions of the accounts' DynamoDB writes) and a fixed clock: what a merchant or an
//! operator relies on of a key, without the emulator.

use super::{authenticate, create_account, create_key, list_keys, revoke_key, AccountError, NewAccount};
use loop_adapters::fakes::FakeStore;
use loop_ground::clock::FixedClock;
use loop_ground::domain::account::Account;
use loop_ground::domain::api_key;
use loop_ground::error::ApiError;
use loop_ground::ids::AccountId;
use loop_ground::secret::Secret;

const NOW: i64 = 1_800_000_000;

fn at(seconds: i64) -> FixedClock {
    FixedClock(time::OffsetDateTime::from_unix_timestamp(seconds).unwrap())
}

/// A new account, live or test, and its first key.
async fn account(store: &FakeStore, test_mode: bool) -> (Account, Secret) {
    let new = NewAccount { name: "Shop", support_email: None, test_mode };
    let created = create_account(store, &at(NOW), new).await.unwrap();
    (created.account, created.key.api_key)
}

async fn authenticate_with(store: &FakeStore, key: &Secret) -> Result<super::Caller, ApiError> {
    authenticate(store, Some(&format!("Bearer {}", key.expose()))).await
}

/// The message of a `401`, or what else was answered.
fn refusal(answer: Result<super::Caller, ApiError>) -> String {
    match answer {
        Err(ApiError::Authentication { message, .. }) => message,
        other => panic!("not a 401: {other:?}"),
    }
}

#[tokio::test]
async fn a_key_is_stored_only_by_its_hash_and_last_four_characters_never_in_clear() {
    let store = FakeStore::default();
    let (_, key) = account(&store, false).await;

    let records = store.key_records();
    let [record] = &records[..] else { panic!("one key: {records:?}") };
    assert_eq!(record.key_hash, api_key::hash(key.expose()));
    assert_eq!(record.last4.as_deref(), Some(&key.expose()[key.expose().len() - 4..]));
    let stored = serde_json::to_string(record).unwrap();
    let secret_part = key.expose().rsplit('_').next().unwrap();
    assert!(!stored.contains(secret_part), "the key's secret is nowhere in its record: {stored}");
}

#[tokio::test]
async fn a_key_authenticates_as_its_account_and_mode() {
    let store = FakeStore::default();
    let (account, key) = account(&store, false).await;

    let caller = authenticate_with(&store, &key).await.unwrap();

    assert_eq!((caller.account.id, caller.test_mode), (account.id, false));
    assert!(key.expose().starts_with("lk_live_"));
}

#[tokio::test]
async fn a_revoked_key_no_longer_authenticates_and_the_accounts_other_keys_still_do() {
    let store = FakeStore::default();
    let (account, first) = account(&store, false).await;
    let second = create_key(&store, &at(NOW + 1), &account.id, false).await.unwrap();
    let first_id = authenticate_with(&store, &first).await.unwrap().key_id;

    assert!(revoke_key(&store, &at(NOW + 2), &account.id, &first_id).await.unwrap());

    assert_eq!(refusal(authenticate_with(&store, &first).await), "This API key has been revoked.");
    assert_eq!(authenticate_with(&store, &second.api_key).await.unwrap().key_id, second.key_id);
}

#[tokio::test]
async fn revoking_a_key_the_account_does_not_have_answers_no_such_key() {
    let store = FakeStore::default();
    let (account, key) = account(&store, false).await;
    let (stranger, _) = self::account(&store, false).await;
    let key_id = authenticate_with(&store, &key).await.unwrap().key_id;

    assert!(!revoke_key(&store, &at(NOW), &account.id, "key_unknown").await.unwrap());
    assert!(!revoke_key(&store, &at(NOW), &stranger.id, &key_id).await.unwrap(), "not another account's key");
    authenticate_with(&store, &key).await.expect("still valid");
}

#[tokio::test]
async fn a_key_of_a_test_mode_account_is_a_test_key_whatever_was_asked_and_a_live_account_may_have_one() {
    let store = FakeStore::default();
    let (test_account, _) = account(&store, true).await;
    let (live_account, _) = account(&store, false).await;

    let asked_live = create_key(&store, &at(NOW), &test_account.id, false).await.unwrap();
    let asked_test = create_key(&store, &at(NOW), &live_account.id, true).await.unwrap();

    assert!(asked_live.test_mode && asked_live.api_key.expose().starts_with("lk_test_"));
    assert!(asked_test.test_mode && asked_test.api_key.expose().starts_with("lk_test_"));
    assert!(authenticate_with(&store, &asked_test.api_key).await.unwrap().test_mode);
}

#[tokio::test]
async fn a_key_for_an_account_that_does_not_exist_is_refused() {
    let store = FakeStore::default();
    let nobody = AccountId::generate();

    let refused = create_key(&store, &at(NOW), &nobody, false).await;

    assert!(matches!(refused, Err(AccountError::UnknownAccount(id)) if id == nobody));
    assert!(store.key_records().is_empty());
}

#[tokio::test]
async fn a_key_that_is_not_stored_or_not_sent_does_not_authenticate() {
    let store = FakeStore::default();
    let (account, _) = account(&store, false).await;
    let forged = api_key::generate(&account.id, api_key::KeyMode::Live).plaintext;

    assert_eq!(refusal(authenticate_with(&store, &Secret::new(forged)).await), "Invalid API key.");
    assert!(refusal(authenticate(&store, None).await).starts_with("No API key provided."));
    assert!(refusal(authenticate(&store, Some("Basic abc")).await).starts_with("Malformed Authorization header."));
}

#[tokio::test]
async fn keys_are_listed_newest_first() {
    let store = FakeStore::default();
    let (account, _) = account(&store, false).await;
    let later = create_key(&store, &at(NOW + 60), &account.id, false).await.unwrap();

    let listed = list_keys(&store, &account.id).await.unwrap();

    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].key_id, later.key_id);
    assert!(listed[0].created_at > listed[1].created_at);
}

#[tokio::test]
async fn an_account_without_a_name_is_refused_and_nothing_is_stored() {
    let store = FakeStore::default();

    let refused =
        create_account(&store, &at(NOW), NewAccount { name: "  ", support_email: None, test_mode: false }).await;

    assert!(matches!(refused, Err(AccountError::Invalid(_))), "{refused:?}");
    assert!(store.key_records().is_empty());
}
