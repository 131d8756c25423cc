//! A filtered list reads a bounded number of records per request: when few records match, a
//! page may come back short (even empty) with `hasMore` and a `nextStartingAfter` to go on from.

use loop_adapters::store::pages::MAX_ITEMS_READ;
use loop_ground::domain::commerce::{Transfer, TransferStatus};
use loop_ground::ids::AccountId;
use loop_tests::stripe::now;
use loop_tests::TestStack;
use serde_json::Value;

fn transfer(n: usize, status: TransferStatus, created_at: i64) -> Transfer {
    Transfer {
        invoice_id: format!("in_filtered_{n}"),
        bill_date: Some(created_at),
        due_date: Some(created_at + 86_400),
        ..Transfer::for_test(&format!("00000000-0000-4000-8000-{n:012}"), status, created_at)
    }
}

#[tokio::test]
async fn a_rare_status_is_found_across_short_pages_that_each_read_a_bounded_number() {
    // GIVEN two processed transfers, older than 1.5 × the read bound of finalized ones
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let account = AccountId::parse(&acme.id).unwrap();
    let now = now();
    let newer = MAX_ITEMS_READ * 3 / 2;
    let mut transfers: Vec<Transfer> =
        (0..newer).map(|n| transfer(n, TransferStatus::Finalized, now - 10 + (n % 5) as i64)).collect();
    transfers.push(transfer(newer, TransferStatus::Processed, now - 100));
    transfers.push(transfer(newer + 1, TransferStatus::Processed, now - 200));
    t.app().store.load_transfers(&account, &transfers).await.unwrap();

    // WHEN the processed ones are listed, following nextStartingAfter
    let mut found = Vec::new();
    let mut cursors: Vec<String> = Vec::new();
    let mut path = "/v1/transfers?status=processed&limit=10".to_owned();
    loop {
        let page = t.read(&acme, &path).await;
        found.extend(page["data"].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_owned()));
        if page["hasMore"] == Value::Bool(false) {
            assert!(page.get("nextStartingAfter").is_none(), "{page}");
            break;
        }
        // THEN a page that stopped at the bound says where to go on, and each goes further
        let cursor = page["nextStartingAfter"].as_str().expect("a cursor while hasMore").to_owned();
        assert!(!cursors.contains(&cursor), "the cursor {cursor} came twice");
        cursors.push(cursor.clone());
        assert!(cursors.len() <= 10, "the pages end");
        path = format!("/v1/transfers?status=processed&limit=10&startingAfter={cursor}");
    }
    // AND every match comes once, newest first, after at least one short page
    assert_eq!(found, [transfers[newer].id.clone(), transfers[newer + 1].id.clone()]);
    assert!(!cursors.is_empty(), "the first page stopped at the bound");

    // AND an unfiltered page still fills up and names its last id as the cursor
    let all = t.read(&acme, "/v1/transfers?limit=3").await;
    assert_eq!(all["data"].as_array().unwrap().len(), 3);
    assert_eq!(all["nextStartingAfter"], all["data"][2]["id"]);
    t.shutdown().await;
}
