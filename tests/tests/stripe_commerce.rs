//! The commerce group through the public API: products and prices into items, invoices into
//! transfers, subscriptions into agreements, whatever the order Stripe delivers them in.

use loop_tests::stripe::{event, fixture, now, object};
use loop_tests::{TestAccount, TestStack};
use serde_json::{json, Value};

fn product(id: &str, name: &str) -> Value {
    object("product", json!({"id": id, "name": name}))
}

fn price(id: &str, product: &str, amount: i64, currency: &str) -> Value {
    object(
        "price",
        json!({"id": id, "product": product, "unit_amount": amount, "unit_amount_decimal": amount.to_string(), "currency": currency}),
    )
}

async fn send(t: &TestStack, account: &TestAccount, id: &str, kind: &str, created: i64, object: Value) -> Value {
    let (status, answer) = t.send_stripe(account, &event(id, kind, created, object)).await;
    assert_eq!(status, 200, "{kind}: {answer}");
    answer
}

async fn items(t: &TestStack, account: &TestAccount) -> Vec<Value> {
    t.read(account, "/v1/items").await["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn products_and_prices_become_items_with_major_unit_amounts() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    send(&t, &acme, "evt_p", "product.created", now(), product("prod_1", "Gold plan")).await;
    send(&t, &acme, "evt_pr", "price.created", now(), price("price_usd", "prod_1", 2000, "usd")).await;
    let mut yen = price("price_jpy", "prod_1", 500, "jpy");
    yen["recurring"] = Value::Null;
    send(&t, &acme, "evt_pr2", "price.created", now(), yen).await;
    let listed = items(&t, &acme).await;
    assert_eq!(listed.len(), 2);
    let usd = listed.iter().find(|i| i["stripePriceId"] == "price_usd").unwrap();
    assert_eq!(usd["name"], "Gold plan");
    assert_eq!((usd["amount"].as_str(), usd["currency"].as_str()), (Some("20.00"), Some("USD")));
    assert_eq!((usd["frequencyNumber"].as_u64(), usd["frequencyUnit"].as_str()), (Some(1), Some("Month")));
    assert_eq!(usd["active"], true);
    let jpy = listed.iter().find(|i| i["stripePriceId"] == "price_jpy").unwrap();
    assert_eq!(jpy["amount"], "500");
    assert!(jpy["frequencyUnit"].is_null());
    let one = t.read(&acme, &format!("/v1/items/{}", usd["itemId"].as_str().unwrap())).await;
    assert_eq!(one, *usd);
    t.shutdown().await;
}

#[tokio::test]
async fn a_one_time_price_has_no_frequency_fields() {
    // GIVEN a product with a one-time price and a monthly one
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    send(&t, &acme, "evt_p", "product.created", now(), product("prod_1", "Gold plan")).await;
    let mut once = price("price_once", "prod_1", 4900, "usd");
    once["recurring"] = Value::Null;
    once["type"] = json!("one_time");
    send(&t, &acme, "evt_once", "price.created", now(), once).await;
    send(&t, &acme, "evt_monthly", "price.created", now(), price("price_monthly", "prod_1", 2000, "usd")).await;

    // WHEN the items are read, listed and one by one
    let listed = items(&t, &acme).await;
    let by_price = |id: &str| listed.iter().find(|i| i["stripePriceId"] == id).unwrap().clone();
    let (one_time, monthly) = (by_price("price_once"), by_price("price_monthly"));
    let one_time_alone = t.read(&acme, &format!("/v1/items/{}", one_time["itemId"].as_str().unwrap())).await;

    // THEN the one-time item has no frequencyNumber or frequencyUnit at all (not null)
    for item in [&one_time, &one_time_alone] {
        let fields = item.as_object().unwrap();
        assert!(!fields.contains_key("frequencyNumber") && !fields.contains_key("frequencyUnit"), "{item}");
    }
    // AND the recurring one has both
    assert_eq!((monthly["frequencyNumber"].as_u64(), monthly["frequencyUnit"].as_str()), (Some(1), Some("Month")));
    t.shutdown().await;
}

#[tokio::test]
async fn a_price_before_its_product_shows_once_both_are_known() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    send(&t, &acme, "evt_pr", "price.created", now(), price("price_early", "prod_late", 999, "eur")).await;
    assert!(items(&t, &acme).await.is_empty());
    send(&t, &acme, "evt_p", "product.created", now(), product("prod_late", "Late product")).await;
    let listed = items(&t, &acme).await;
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0]["name"].as_str(), listed[0]["amount"].as_str()), (Some("Late product"), Some("9.99")));
    // Renaming the product renames the item; the item id never changes.
    let id = listed[0]["itemId"].clone();
    send(&t, &acme, "evt_p2", "product.updated", now() + 1, product("prod_late", "Renamed")).await;
    let renamed = items(&t, &acme).await;
    assert_eq!((&renamed[0]["itemId"], renamed[0]["name"].as_str()), (&id, Some("Renamed")));
    t.shutdown().await;
}

#[tokio::test]
async fn deletions_mark_items_deleted_and_stale_updates_change_nothing() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let t0 = now();
    send(&t, &acme, "evt_1", "product.created", t0, product("prod_d", "Doomed")).await;
    send(&t, &acme, "evt_2", "price.created", t0, price("price_d", "prod_d", 100, "usd")).await;
    send(&t, &acme, "evt_3", "price.updated", t0 + 20, price("price_d", "prod_d", 300, "usd")).await;
    send(&t, &acme, "evt_4", "price.updated", t0 + 10, price("price_d", "prod_d", 200, "usd")).await;
    assert_eq!(items(&t, &acme).await[0]["amount"], "3.00");
    send(
        &t,
        &acme,
        "evt_5",
        "price.deleted",
        t0 + 30,
        fixture("price.deleted")
            .as_object()
            .map(|o| {
                let mut o = o.clone();
                o.insert("id".into(), json!("price_d"));
                Value::Object(o)
            })
            .unwrap(),
    )
    .await;
    let deleted = &items(&t, &acme).await[0];
    assert_eq!((deleted["deleted"].as_bool(), deleted["amount"].as_str()), (Some(true), Some("3.00")));
    t.shutdown().await;
}

fn invoice(id: &str, status: &str, email: &str) -> Value {
    let mut invoice = object(
        "invoice",
        json!({"id": id, "status": status, "customer_email": email, "amount_due": 2500, "currency": "usd",
               "due_date": 1_900_000_000, "created": 1_899_000_000, "parent": null, "subscription": null}),
    );
    invoice["lines"]["data"][0]["description"] = json!("Gold plan");
    invoice
}

async fn transfers(t: &TestStack, account: &TestAccount) -> Vec<Value> {
    t.read(account, "/v1/transfers").await["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_invoice_becomes_one_transfer_that_only_moves_forward() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let answer =
        send(&t, &acme, "evt_c", "invoice.created", now(), invoice("in_1", "draft", "payer@example.com")).await;
    assert_eq!(answer["effects"], json!(["TransferCreated"]));
    let created = transfers(&t, &acme).await;
    assert_eq!(created.len(), 1);
    assert_eq!((created[0]["status"].as_str(), created[0]["amount"].as_str()), (Some("draft"), Some("25.00")));
    assert!(created[0]["dueDate"].is_null());

    send(&t, &acme, "evt_f", "invoice.finalized", now(), invoice("in_1", "open", "payer@example.com")).await;
    let finalized = transfers(&t, &acme).await;
    assert_eq!(finalized.len(), 1);
    assert_eq!(finalized[0]["id"], created[0]["id"]);
    assert_eq!(finalized[0]["status"], "finalized");
    assert_eq!(finalized[0]["dueDate"], "2030-03-17T17:46:40Z");
    let one = t.read(&acme, &format!("/v1/transfers/{}", created[0]["id"].as_str().unwrap())).await;
    assert_eq!(one["invoiceId"], "in_1");

    // A late or repeated invoice.created never moves it back.
    send(&t, &acme, "evt_c2", "invoice.created", now(), invoice("in_1", "draft", "payer@example.com")).await;
    assert_eq!(transfers(&t, &acme).await[0]["status"], "finalized");
    assert_eq!(t.payloads_of(&acme, "TransferCreated").await.len(), 1);
    assert_eq!(t.payloads_of(&acme, "TransferFinalized").await.len(), 1);
    assert_eq!(t.read(&acme, "/v1/transfers?status=draft").await["data"], json!([]));
    t.shutdown().await;
}

#[tokio::test]
async fn finalized_before_created_still_yields_one_transfer_and_both_events() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let answer = send(&t, &acme, "evt_f", "invoice.finalized", now(), invoice("in_2", "open", "p@example.com")).await;
    assert_eq!(answer["effects"], json!(["TransferCreated", "TransferFinalized"]));
    let answer = send(&t, &acme, "evt_c", "invoice.created", now(), invoice("in_2", "draft", "p@example.com")).await;
    assert_eq!(answer["effects"], json!([]));
    let all = transfers(&t, &acme).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["status"], "finalized");
    let created = t.payloads_of(&acme, "TransferCreated").await;
    let finalized = t.payloads_of(&acme, "TransferFinalized").await;
    assert_eq!((created.len(), finalized.len()), (1, 1));
    // Both were published by one request, Created first: newest first lists Finalized on top.
    let events = t.read(&acme, "/v1/events").await;
    let types: Vec<&str> = events["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["TransferFinalized", "TransferCreated"]);
    t.shutdown().await;
}

#[tokio::test]
async fn transfers_made_within_one_second_list_newest_first() {
    // Given five invoices finalized one right after the other, well within one second.
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let mut made = Vec::new();
    for n in 0..5 {
        let id = format!("in_order_{n}");
        send(&t, &acme, &format!("evt_order_{n}"), "invoice.finalized", now(), invoice(&id, "open", "p@example.com"))
            .await;
        made.push(id);
    }
    // When the transfers are listed, then they come in exactly the reverse of that order.
    made.reverse();
    let listed: Vec<String> =
        transfers(&t, &acme).await.iter().map(|t| t["invoiceId"].as_str().unwrap().to_owned()).collect();
    assert_eq!(listed, made);
    t.shutdown().await;
}

#[tokio::test]
async fn transfer_payloads_carry_every_documented_field() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    send(&t, &acme, "evt_f", "invoice.finalized", now(), invoice("in_3", "open", "p@example.com")).await;
    let payload = &t.payloads_of(&acme, "TransferFinalized").await[0];
    let fields = "transaction, networkId, networkName, contractAddress, email, company, parent, id, invoiceId, billDate, toAddress, fromAddress, tokenSymbol, tokenAddress, paymentType, usd, amount, item, itemId, source, batchId, transferId, refId, agreementId";
    for field in fields.split(", ") {
        assert!(!payload[field].is_null(), "{field} missing from {payload}");
    }
    assert_eq!(payload["event"], "TransferFinalized");
    assert_eq!(payload["networkId"], 1);
    assert_eq!(payload["company"], "Acme");
    assert_eq!(payload["amount"], "25.00");
    assert_eq!(payload["source"], "Stripe");
    assert_eq!(payload["toAddress"], "-");
    assert_eq!(payload["billDate"], 1_899_000_000);
    t.shutdown().await;
}

#[tokio::test]
async fn a_processing_report_keeps_its_strings_as_given_even_when_empty() {
    // GIVEN a finalized transfer
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    send(&t, &acme, "evt_f", "invoice.finalized", now(), invoice("in_4", "open", "p@example.com")).await;
    let id = transfers(&t, &acme).await[0]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/test-helpers/transfers/{id}/process");

    // WHEN the processor reports a failure with an empty reason and an empty transaction
    let (status, failed) = t.post_json(&acme, &path, &json!({"success": false, "reason": "", "transaction": ""})).await;

    // THEN the report is accepted and the transfer records both as given
    assert_eq!(status, 200, "{failed}");
    assert_eq!(
        (failed["status"].as_str(), failed["lastFailureReason"].as_str(), failed["transaction"].as_str()),
        (Some("failed"), Some(""), Some(""))
    );
    assert_eq!(t.read(&acme, &format!("/v1/transfers/{id}")).await, failed);
    // AND a value of the wrong type is still refused, naming the parameter
    let (status, error) = t.post_json(&acme, &path, &json!({"success": true, "reason": 5})).await;
    assert_eq!((status, error["error"]["param"].as_str()), (400, Some("reason")));
    t.shutdown().await;
}

fn subscription(id: &str, customer: &str) -> Value {
    object(
        "subscription",
        json!({"id": id, "customer": customer, "metadata": {"plan": "gold"}, "start_date": 1_800_000_000}),
    )
}

#[tokio::test]
async fn subscriptions_become_agreements_signed_up_then_cancelled() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let wallet = "0x1234567890abcdef1234567890abcdef12345678";
    let customer =
        object("customer", json!({"id": "cus_w", "email": "w@example.com", "metadata": {"walletAddress": wallet}}));
    send(&t, &acme, "evt_cus", "customer.created", now(), customer).await;
    send(&t, &acme, "evt_p", "product.created", now(), product("prod_QXg1hqf4jFNsqG", "Gold plan")).await;
    let answer = send(&t, &acme, "evt_s", "customer.subscription.created", now(), subscription("sub_1", "cus_w")).await;
    assert!(answer["effects"].as_array().unwrap().contains(&json!("AgreementSignedUp")), "{answer}");
    let agreements = t.read(&acme, "/v1/agreements").await["data"].as_array().unwrap().clone();
    assert_eq!(agreements.len(), 1);
    let a = &agreements[0];
    assert_eq!(
        (a["status"].as_str(), a["subscriber"].as_str(), a["email"].as_str()),
        (Some("active"), Some(wallet), Some("w@example.com"))
    );
    assert_eq!(
        (a["amount"].as_str(), a["frequencyUnit"].as_str(), a["item"].as_str()),
        (Some("20.00"), Some("Month"), Some("Gold plan"))
    );
    assert_eq!(a["refId"], "cus_w");
    let signed = &t.payloads_of(&acme, "AgreementSignedUp").await[0];
    assert_eq!(signed["agreementId"], a["id"]);
    assert_eq!(signed["metadata"], r#"{"plan":"gold"}"#);

    send(&t, &acme, "evt_d", "customer.subscription.deleted", now(), subscription("sub_1", "cus_w")).await;
    let cancelled = t.read(&acme, &format!("/v1/agreements/{}", a["id"].as_str().unwrap())).await;
    assert_eq!(cancelled["status"], "cancelled");
    let event = &t.payloads_of(&acme, "AgreementCancelled").await[0];
    assert_eq!((event["agreementId"].as_str(), event["entityId"].as_str()), (a["id"].as_str(), Some(acme.id.as_str())));

    // An invoice of that subscription links its transfer to the agreement.
    let mut invoice = invoice("in_sub", "open", "w@example.com");
    invoice["parent"] = json!({"subscription_details": {"subscription": "sub_1"}});
    send(&t, &acme, "evt_i", "invoice.finalized", now(), invoice).await;
    assert_eq!(transfers(&t, &acme).await[0]["agreementId"], a["id"]);
    t.shutdown().await;
}

#[tokio::test]
async fn a_subscription_of_an_unknown_customer_still_makes_its_agreement() {
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    let answer =
        send(&t, &acme, "evt_s", "customer.subscription.created", now(), subscription("sub_x", "cus_nobody")).await;
    assert_eq!(answer, json!({"status": "processed", "effects": ["AgreementSignedUp"]}));
    let a = &t.read(&acme, "/v1/agreements").await["data"][0];
    assert_eq!((a["subscriber"].as_str(), a["email"].is_null()), (Some("-"), true));
    t.shutdown().await;
}
