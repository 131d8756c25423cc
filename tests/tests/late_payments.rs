//! The scheduler: `LatePayment` exactly once per transfer more than ten minutes past due and
//! unprocessed — also when two runs race — none for a transfer processed in time, and a run
//! that reads only what is due. Transfer processing publishes `TransferProcessed`.

use std::time::Duration;

use loop_adapters::aws::AwsClients;
use loop_adapters::App;
use loop_capabilities::schedule;
use loop_ground::domain::commerce::{Transfer, TransferStatus};
use loop_ground::ids::AccountId;
use loop_tests::receiver::{verify_with_standard_webhooks, Receiver};
use loop_tests::stripe::{event, now, object};
use loop_tests::{TestAccount, TestStack};
use serde_json::{json, Value};

async fn finalized_invoice(t: &TestStack, account: &TestAccount, invoice_id: &str, due_date: i64) -> String {
    let invoice = object(
        "invoice",
        json!({"id": invoice_id, "status": "open", "customer_email": "late@example.com", "amount_due": 2500,
               "currency": "usd", "due_date": due_date, "created": due_date - 86_400, "parent": null, "subscription": null}),
    );
    let answer =
        t.send_stripe(account, &event(&format!("evt_{invoice_id}"), "invoice.finalized", now(), invoice)).await;
    assert_eq!(answer.1["status"], "processed");
    let transfers = t.read(account, "/v1/transfers?limit=100").await["data"].as_array().unwrap().clone();
    transfers.iter().find(|x| x["invoiceId"] == invoice_id).unwrap()["id"].as_str().unwrap().to_owned()
}

/// An app like the stack's, with its clock moved by `offset` seconds.
async fn app_at(t: &TestStack, offset: i64) -> App {
    let mut config = t.app().config.clone();
    config.clock_offset_seconds = offset;
    App::with_clients(config.clone(), AwsClients::new(&config.aws).await).await.unwrap()
}

async fn process(t: &TestStack, account: &TestAccount, transfer: &str, body: Value) -> (u16, Value) {
    let response = t
        .http
        .post(t.url(&format!("/v1/test-helpers/transfers/{transfer}/process")))
        .bearer_auth(&account.api_key)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn a_late_transfer_gets_exactly_one_late_payment_even_when_runs_race() {
    // GIVEN a transfer due 11 minutes ago, and an endpoint for late payments
    let t = TestStack::start_with(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1")]).await;
    let acme = t.account("Acme", true).await;
    let receiver = Receiver::start(0).await;
    t.create_endpoint(&acme, &receiver.url, &["LatePayment"]).await;
    let transfer = finalized_invoice(&t, &acme, "in_late", now() - 660).await;
    // WHEN two scheduler runs overlap
    let (a, b) = (app_at(&t, 0).await, app_at(&t, 0).await);
    let (first, second) = tokio::join!(schedule::run(&a), schedule::run(&b));
    let total = first.unwrap().late_payments + second.unwrap().late_payments;
    // THEN one LatePayment is published and delivered, and later runs add none
    assert_eq!(total, 1);
    assert_eq!(schedule::run(&a).await.unwrap().late_payments, 0);
    let late = t.payloads_of(&acme, "LatePayment").await;
    assert_eq!(late.len(), 1);
    let payload = &late[0];
    assert_eq!(payload["transferId"], transfer);
    assert_eq!(payload["amountDue"], 25_000_000, "25.00 USDC in base units");
    assert_eq!(payload["lateReason"], "Payment not processed by due date");
    assert_eq!(payload["email"], "late@example.com");
    let delivered = receiver.wait_for(Duration::from_secs(30), |r| !r.is_empty()).await;
    assert_eq!(delivered.len(), 1);
    let stored = t.read(&acme, &format!("/v1/transfers/{transfer}")).await;
    assert!(stored["latePaymentNotifiedAt"].is_string());
    t.shutdown().await;
}

#[tokio::test]
async fn with_the_clock_offset_signatures_still_carry_the_real_time() {
    // GIVEN a stack whose clock runs 15 minutes ahead (LOOP_CLOCK_OFFSET_SECONDS), as a test of
    // late payments would start it, and an endpoint for late payments
    let t = TestStack::start_with(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1"), ("LOOP_CLOCK_OFFSET_SECONDS", "900")]).await;
    let acme = t.account("Acme", true).await;
    let receiver = Receiver::start(0).await;
    let endpoint = t.create_endpoint(&acme, &receiver.url, &["LatePayment"]).await;
    // WHEN Stripe signs an invoice at the real time, due a minute ago by the real clock
    let transfer = finalized_invoice(&t, &acme, "in_offset", now() - 60).await;
    // AND the scheduler runs on the shifted clock, for which it is 16 minutes overdue
    assert_eq!(schedule::run(t.app()).await.unwrap().late_payments, 1);
    // THEN the Stripe event was accepted (above), and the LatePayment delivery verifies with the
    // official library, which checks webhook-timestamp against the real clock
    let delivered = receiver.wait_for(Duration::from_secs(30), |r| !r.is_empty()).await;
    assert_eq!(serde_json::from_slice::<Value>(&delivered[0].body).unwrap()["transferId"], transfer);
    assert_eq!(verify_with_standard_webhooks(endpoint["secret"].as_str().unwrap(), &delivered), 1);
    t.shutdown().await;
}

#[tokio::test]
async fn a_transfer_processed_within_ten_minutes_gets_no_late_payment() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let transfer = finalized_invoice(&t, &acme, "in_ontime", now() - 300).await;
    let (status, processed) = process(&t, &acme, &transfer, json!({"success": true, "transaction": "0xabc"})).await;
    assert_eq!(status, 200, "{processed}");
    assert_eq!((processed["status"].as_str(), processed["transaction"].as_str()), (Some("processed"), Some("0xabc")));
    // An hour later, the scheduler finds nothing to do.
    let report = schedule::run(&app_at(&t, 3600).await).await.unwrap();
    assert_eq!(report.late_payments, 0);
    assert!(t.payloads_of(&acme, "LatePayment").await.is_empty());
    let processed_events = t.payloads_of(&acme, "TransferProcessed").await;
    assert_eq!(processed_events.len(), 1);
    assert_eq!(
        (processed_events[0]["success"].as_bool(), processed_events[0]["transferId"].as_str()),
        (Some(true), Some(transfer.as_str()))
    );
    // Processed is final.
    let (status, error) = process(&t, &acme, &transfer, json!({"success": false})).await;
    assert_eq!((status, error["error"]["code"].as_str()), (400, Some("transfer_already_processed")));
    t.shutdown().await;
}

#[tokio::test]
async fn a_failed_payment_reports_its_reason_when_late_and_may_still_be_processed() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let transfer = finalized_invoice(&t, &acme, "in_fail", now() - 300).await;
    let (status, failed) =
        process(&t, &acme, &transfer, json!({"success": false, "reason": "insufficient funds"})).await;
    assert_eq!(
        (status, failed["status"].as_str(), failed["lastFailureReason"].as_str()),
        (200, Some("failed"), Some("insufficient funds"))
    );
    assert_eq!(schedule::run(&app_at(&t, 3600).await).await.unwrap().late_payments, 1);
    assert_eq!(t.payloads_of(&acme, "LatePayment").await[0]["lateReason"], "insufficient funds");
    let (status, _) = process(&t, &acme, &transfer, json!({"success": true})).await;
    assert_eq!(status, 200);
    assert_eq!(t.payloads_of(&acme, "TransferProcessed").await.len(), 2);
    t.shutdown().await;
}

#[tokio::test]
async fn a_failure_reported_without_a_reason_is_late_for_the_default_reason() {
    // GIVEN a transfer whose payment failed with no reason given
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let transfer = finalized_invoice(&t, &acme, "in_quiet", now() - 300).await;
    let (status, failed) = process(&t, &acme, &transfer, json!({"success": false})).await;
    assert_eq!((status, failed["status"].as_str()), (200, Some("failed")));
    assert!(failed["lastFailureReason"].is_null(), "{failed}");
    // WHEN it becomes late
    assert_eq!(schedule::run(&app_at(&t, 3600).await).await.unwrap().late_payments, 1);
    // THEN LatePayment gives the documented default, not a reason nobody reported
    let late = &t.payloads_of(&acme, "LatePayment").await[0];
    assert_eq!(late["lateReason"], "Payment not processed by due date");
    assert_eq!(t.payloads_of(&acme, "TransferProcessed").await[0]["reason"], "-");
    t.shutdown().await;
}

#[tokio::test]
async fn the_test_helper_refuses_live_keys_unknown_transfers_and_bad_reports() {
    let t = TestStack::start().await;
    let live = t.account("Live", false).await;
    let test = t.account("Test", true).await;
    let transfer = finalized_invoice(&t, &test, "in_x", now() + 86_400).await;
    let (status, error) = process(&t, &live, &transfer, json!({"success": true})).await;
    assert_eq!((status, error["error"]["type"].as_str()), (403, Some("permission_error")));
    // Another account's transfer does not exist for it.
    let other = t.account("Other", true).await;
    assert_eq!(process(&t, &other, &transfer, json!({"success": true})).await.0, 404);
    for (body, param) in [
        (json!({}), "success"),
        (json!({"success": "yes"}), "success"),
        (json!({"success": true, "amountPaid": "ten"}), "amountPaid"),
        (json!({"success": true, "color": 1}), "color"),
    ] {
        let (status, error) = process(&t, &test, &transfer, body.clone()).await;
        assert_eq!((status, error["error"]["param"].as_str()), (400, Some(param)), "{body}");
    }
    assert_eq!(t.read(&test, &format!("/v1/transfers/{transfer}")).await["status"], "finalized");
    t.shutdown().await;
}

fn transfer(id: usize, due_date: i64, now: i64) -> Transfer {
    Transfer {
        invoice_id: format!("in_bulk_{id}"),
        bill_date: Some(now),
        due_date: Some(due_date),
        ..Transfer::for_test(&format!("00000000-0000-4000-8000-{id:012}"), TransferStatus::Finalized, now)
    }
}

#[tokio::test]
async fn a_run_reads_only_the_due_transfers_among_ten_thousand_not_due() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let account = AccountId::parse(&acme.id).unwrap();
    let now = now();
    let store = &t.app().store;
    // 10 000 transfers due tomorrow, and 3 that are late, all due at the same second.
    let transfers: Vec<Transfer> =
        (0..10_003).map(|i| transfer(i, if i < 3 { now - 3600 } else { now + 86_400 }, now)).collect();
    store.load_transfers(&account, &transfers).await.unwrap();
    let report = schedule::run(t.app()).await.unwrap();
    assert_eq!(report.late_payments, 3);
    assert_eq!(report.items_read, 3, "only the due transfers are read");
    t.shutdown().await;
}

#[tokio::test]
async fn transfers_page_newest_first_with_starting_after() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let account = AccountId::parse(&acme.id).unwrap();
    let now = now();
    let transfers: Vec<Transfer> = (0..5).map(|i| transfer(i, now + 86_400, now + i as i64)).collect();
    t.app().store.load_transfers(&account, &transfers).await.unwrap();
    let first = t.read(&acme, "/v1/transfers?limit=2").await;
    let ids = |page: &Value| {
        page["data"].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    assert_eq!(ids(&first), [transfers[4].id.clone(), transfers[3].id.clone()]);
    assert_eq!(first["hasMore"], true);
    let next = t.read(&acme, &format!("/v1/transfers?limit=2&startingAfter={}", transfers[3].id)).await;
    assert_eq!(ids(&next), [transfers[2].id.clone(), transfers[1].id.clone()]);
    let last = t.read(&acme, &format!("/v1/transfers?limit=2&startingAfter={}", transfers[1].id)).await;
    assert_eq!((ids(&last), last["hasMore"].as_bool()), (vec![transfers[0].id.clone()], Some(false)));
    let unknown = t.read(&acme, "/v1/transfers?startingAfter=nope").await;
    assert_eq!(unknown["data"], json!([]));
    t.shutdown().await;
}

/// Writes an item into the due index, due an hour ago, that is no transfer the scheduler can read.
async fn corrupt_due_transfer(t: &TestStack, account: &AccountId, shard: u8) {
    use aws_sdk_dynamodb::types::AttributeValue::S;
    let due_at = format!("{:012}#corrupt-{shard}", now() - 3600);
    loop_tests::dynamodb_client()
        .await
        .put_item()
        .table_name(t.app().store.table())
        .item("pk", S(format!("A#{account}#T#corrupt-{shard}")))
        .item("sk", S("TRANSFER".into()))
        .item("duePk", S(format!("due#transfer#{shard}")))
        .item("dueAt", S(due_at))
        .item("status", S("no such status".into()))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn an_undecodable_due_record_is_skipped_and_the_rest_of_the_run_goes_on() {
    // GIVEN three late transfers, and an undecodable item in front of them in every due shard
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let account = AccountId::parse(&acme.id).unwrap();
    let now = now();
    for shard in 0..loop_adapters::store::keys::DUE_SHARDS {
        corrupt_due_transfer(&t, &account, shard).await;
    }
    let late: Vec<Transfer> = (0..3).map(|i| transfer(i, now - 600, now)).collect();
    t.app().store.load_transfers(&account, &late).await.unwrap();
    // WHEN the scheduler runs
    let report = schedule::run(t.app()).await.expect("a bad record does not fail the run");
    // THEN every late transfer is notified, and the bad records are counted as skipped
    let shards = usize::from(loop_adapters::store::keys::DUE_SHARDS);
    assert_eq!((report.late_payments, report.corrupt_skipped), (3, shards), "{report:?}");
    assert_eq!(t.payloads_of(&acme, "LatePayment").await.len(), 3);
    t.shutdown().await;
}

#[tokio::test]
async fn the_due_index_is_read_page_by_page_until_nothing_more_is_due() {
    // GIVEN 30 late transfers and 5 not yet due
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let account = AccountId::parse(&acme.id).unwrap();
    let now = now();
    let transfers: Vec<Transfer> =
        (0..35).map(|i| transfer(i, if i < 30 { now - 3600 } else { now + 86_400 }, now)).collect();
    t.app().store.load_transfers(&account, &transfers).await.unwrap();
    // WHEN the due transfers are read 4 at a time
    let mut found = Vec::new();
    let mut pages = 0;
    let mut cursor = Some(loop_adapters::store::DueCursor::default());
    while let Some(from) = cursor.take() {
        let page = t.app().store.due_transfers(now, from, 4).await.unwrap();
        assert!(page.items_read <= 4, "a page reads at most its size");
        found.extend(page.records.into_iter().map(|(_, transfer)| transfer.id));
        cursor = page.next;
        pages += 1;
        assert!(pages < 100, "the pages end");
    }
    // THEN every late transfer comes exactly once, over several pages
    found.sort();
    let mut expected: Vec<String> = transfers[..30].iter().map(|x| x.id.clone()).collect();
    expected.sort();
    assert_eq!(found, expected);
    assert!(pages >= 30 / 4, "{pages} pages");
    t.shutdown().await;
}
