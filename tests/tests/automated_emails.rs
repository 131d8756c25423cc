//! Loop Crypto's automated emails (`email.md`): a payment request when a transfer is finalized, a
//! late-payment notice, a receipt when it is paid — each once, to the customer, with the merchant's
//! support address to reply to, and none while the account has them off. Read from what the
//! emulator's SES really sent.

use std::time::{Duration, Instant};

use loop_capabilities::schedule;
use loop_tests::stripe::{event, now, object};
use loop_tests::{TestAccount, TestStack};
use serde_json::{json, Value};

/// A finalized invoice for `customer`, due at `due_date`: answers the transfer's id.
async fn finalized_invoice(
    t: &TestStack,
    account: &TestAccount,
    invoice_id: &str,
    customer: &str,
    due_date: i64,
) -> String {
    let invoice = object(
        "invoice",
        json!({"id": invoice_id, "status": "open", "customer_email": customer, "amount_due": 2500,
               "currency": "usd", "due_date": due_date, "created": due_date - 86_400, "parent": null, "subscription": null}),
    );
    let (status, answer) =
        t.send_stripe(account, &event(&format!("evt_{invoice_id}"), "invoice.finalized", now(), invoice)).await;
    assert_eq!(status, 200, "{answer}");
    let transfers = t.read(account, "/v1/transfers?limit=100").await["data"].as_array().unwrap().clone();
    transfers.iter().find(|x| x["invoiceId"] == invoice_id).unwrap()["id"].as_str().unwrap().to_owned()
}

/// What SES sent to `to`, unfolded; waits (10 s at most) until there are `at_least`.
async fn sent_to(t: &TestStack, to: &str, at_least: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let sent: Vec<String> = t
            .ses_raw_messages()
            .await
            .into_iter()
            .filter(|m| m["destinations"].as_array().is_some_and(|d| d.iter().any(|d| d == to)))
            .map(|m| m["raw_data"].as_str().unwrap().replace("\r\n ", " ").replace("=\r\n", "").replace("=3D", "="))
            .collect();
        if sent.len() >= at_least || Instant::now() > deadline {
            return sent;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}@example.com", loop_ground::ids::random_token(10).to_lowercase())
}

#[tokio::test]
async fn a_late_transfer_with_automated_emails_on_gets_one_request_one_late_notice_and_one_receipt() {
    let t = TestStack::start().await;
    let acme = t.sending_account("Acme", "billing.loop.test", "support@billing.loop.test").await;
    // GIVEN the three automated emails on (they start off)
    let (_, account) = t.call(&acme, "GET", "/v1/account", None).await;
    assert_eq!(account["notifications"]["latePayment"], false, "{account}");
    let on = json!({"notifications": {"paymentRequest": true, "latePayment": true, "receipt": true}});
    let (status, account) = t.call(&acme, "PATCH", "/v1/account", Some(&on)).await;
    assert_eq!((status, &account["notifications"]["latePayment"]), (200, &json!(true)), "{account}");

    // WHEN Stripe finalizes an invoice that was due 11 minutes ago
    let customer = unique("late");
    let transfer = finalized_invoice(&t, &acme, "in_auto_late", &customer, now() - 660).await;
    // THEN the customer gets the payment request, with the pay page, replying to support
    let sent = sent_to(&t, &customer, 1).await;
    assert_eq!(sent.len(), 1, "one payment request");
    assert!(sent[0].contains("Subject: Acme: payment request for 25.00"), "{}", sent[0]);
    assert!(sent[0].contains("Reply-To: support@billing.loop.test"), "{}", sent[0]);
    let (_, stored) = t.call(&acme, "GET", &format!("/v1/transfers/{transfer}"), None).await;
    let pay_url = stored["paymentUrl"].as_str().unwrap();
    assert!(sent[0].contains(pay_url), "the pay page is in the email: {pay_url} in {}", sent[0]);
    assert!(!sent[0].contains("List-Unsubscribe"), "automated emails are not marketing");

    // WHEN two scheduler runs race over the late transfer, and run again
    let (a, b) = tokio::join!(schedule::run(t.app()), schedule::run(t.app()));
    assert_eq!(a.unwrap().late_payments + b.unwrap().late_payments, 1);
    schedule::run(t.app()).await.unwrap();
    // THEN one late-payment notice
    let sent = sent_to(&t, &customer, 2).await;
    assert_eq!(sent.len(), 2, "request and one late notice");
    assert!(sent.iter().any(|m| m.contains("Subject: Acme: your payment of 25.00")), "{sent:?}");

    // WHEN the transfer is paid THEN a receipt with the transaction
    let tx = format!("0x{}", "ab".repeat(32));
    let (status, _) = t
        .call(
            &acme,
            "POST",
            &format!("/v1/test-helpers/transfers/{transfer}/process"),
            Some(&json!({"success": true, "transaction": tx})),
        )
        .await;
    assert_eq!(status, 200);
    let sent = sent_to(&t, &customer, 3).await;
    assert_eq!(sent.len(), 3);
    let receipt = sent.iter().find(|m| m.contains("Subject: Receipt from Acme")).expect("a receipt");
    assert!(receipt.contains(&tx), "{receipt}");
    // AND each is recorded as automated
    let (_, emails) = t.call(&acme, "GET", &format!("/v1/emails?email={customer}"), None).await;
    let kinds: Vec<&Value> = emails["data"].as_array().unwrap().iter().map(|e| &e["kind"]).collect();
    assert_eq!(kinds, [&json!("automated"); 3]);
    // AND a scheduler run after all that sends nothing more
    schedule::run(t.app()).await.unwrap();
    assert_eq!(sent_to(&t, &customer, 4).await.len(), 3);
    t.shutdown().await;
}

#[tokio::test]
async fn automated_emails_are_off_until_turned_on_and_take_the_merchants_template() {
    let t = TestStack::start().await;
    let quiet = t.sending_account("Quiet", "quiet.loop.test", "support@quiet.loop.test").await;
    let customer = unique("quiet");
    finalized_invoice(&t, &quiet, "in_quiet", &customer, now() + 86_400).await;

    let own = t.sending_account("Own", "own.loop.test", "support@own.loop.test").await;
    let template = json!({"name": "Ours", "subject": "Please pay {{ event.amount }}", "html": "<p>Pay at {{ event.paymentUrl }} by {{ event.dueDate }}</p>"});
    let (_, template) = t.call(&own, "POST", "/v1/email-templates", Some(&template)).await;
    let bad = json!({"notifications": {"templates": {"paymentRequest": "et_missing"}}});
    let (status, error) = t.call(&own, "PATCH", "/v1/account", Some(&bad)).await;
    assert_eq!((status, error["error"]["param"].as_str()), (400, Some("notifications.templates.paymentRequest")));
    let (status, error) =
        t.call(&own, "PATCH", "/v1/account", Some(&json!({"notifications": {"receipt": "yes"}}))).await;
    assert_eq!((status, error["error"]["param"].as_str()), (400, Some("notifications.receipt")));
    let on = json!({"notifications": {"paymentRequest": true, "templates": {"paymentRequest": template["id"]}}});
    assert_eq!(t.call(&own, "PATCH", "/v1/account", Some(&on)).await.0, 200);
    let other = unique("own");
    finalized_invoice(&t, &own, "in_own", &other, 1_900_000_000).await;

    let sent = sent_to(&t, &other, 1).await;
    assert_eq!(sent.len(), 1);
    assert!(sent[0].contains("Subject: Please pay 25.00"), "{}", sent[0]);
    assert!(sent[0].contains("by 2030-03-17"), "{}", sent[0]);
    // AND the account that left them off sent nothing, once its job is decided (here, or by the
    // stack's dispatch before: either way the decision is made when `send` returns)
    let quiet_id = loop_ground::ids::AccountId::parse(&quiet.id).unwrap();
    let finalized =
        t.read(&quiet, "/v1/events?type=TransferFinalized").await["data"][0]["id"].as_str().unwrap().to_owned();
    loop_capabilities::email::automated::send(t.app(), &quiet_id, &finalized).await.unwrap();
    assert!(sent_to(&t, &customer, 0).await.is_empty());
    assert_eq!(t.read(&quiet, &format!("/v1/emails?email={customer}")).await["data"], json!([]));
    t.shutdown().await;
}
