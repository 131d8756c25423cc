//! The DynamoDB adapter for accounts and keys, through the real SDK against the emulator.

use loop_capabilities::accounts::{self, NewAccount};
use loop_ground::clock::FixedClock;
use loop_ground::ids::AccountId;
use loop_tests::TestStack;
use time::OffsetDateTime;

fn at(seconds: i64) -> FixedClock {
    FixedClock(OffsetDateTime::from_unix_timestamp(seconds).unwrap())
}

#[tokio::test]
async fn accounts_are_listed_newest_first() {
    let t = TestStack::start().await;
    let store = &t.app().store;
    for (name, when) in [("First", 1_700_000_000), ("Second", 1_700_000_100), ("Third", 1_700_000_050)] {
        accounts::create_account(store, &at(when), NewAccount { name, support_email: None, test_mode: false })
            .await
            .unwrap();
    }
    let names: Vec<String> = store.list_accounts().await.unwrap().into_iter().map(|a| a.name).collect();
    assert_eq!(names, ["Second", "Third", "First"]);
    t.shutdown().await;
}

#[tokio::test]
async fn keys_of_a_test_mode_account_are_test_mode_and_unknown_accounts_get_none() {
    let t = TestStack::start().await;
    let store = &t.app().store;
    let clock = at(1_700_000_000);
    let created =
        accounts::create_account(store, &clock, NewAccount { name: "T", support_email: None, test_mode: true })
            .await
            .unwrap();
    let key = accounts::create_key(store, &clock, &created.account.id, false).await.unwrap();
    assert!(key.test_mode);
    assert!(key.api_key.expose().starts_with("lk_test_"));
    let keys = store.list_api_keys(&created.account.id).await.unwrap();
    assert_eq!(keys.len(), 2);

    let stranger = AccountId::generate();
    assert!(matches!(
        accounts::create_key(store, &clock, &stranger, false).await,
        Err(accounts::AccountError::UnknownAccount(_))
    ));
    assert!(store.list_api_keys(&stranger).await.unwrap().is_empty());
    assert!(!store.revoke_api_key(&stranger, &key.key_id, 1).await.unwrap());
    t.shutdown().await;
}

#[tokio::test]
async fn a_stale_account_write_loses_to_the_newer_one() {
    let t = TestStack::start().await;
    let store = &t.app().store;
    let created =
        accounts::create_account(store, &at(1), NewAccount { name: "V", support_email: None, test_mode: false })
            .await
            .unwrap();
    let mut first = created.account.clone();
    first.name = "first".into();
    first.version += 1;
    let mut second = created.account.clone();
    second.name = "second".into();
    second.version += 1;
    assert!(store.update_account(&first).await.unwrap());
    assert!(!store.update_account(&second).await.unwrap(), "read at the same version: must not overwrite");
    assert_eq!(store.get_account(&created.account.id).await.unwrap().unwrap().name, "first");
    t.shutdown().await;
}

#[tokio::test]
async fn invalid_account_details_store_nothing() {
    let t = TestStack::start().await;
    let store = &t.app().store;
    for (name, email) in [("", None), ("  ", None), ("Acme", Some("nope"))] {
        let result =
            accounts::create_account(store, &at(1), NewAccount { name, support_email: email, test_mode: false }).await;
        assert!(matches!(result, Err(accounts::AccountError::Invalid(_))), "{name:?} {email:?}");
    }
    assert!(store.list_accounts().await.unwrap().is_empty());
    t.shutdown().await;
}
