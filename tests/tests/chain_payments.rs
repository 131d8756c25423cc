//! Payments seen on chain (`payments.md`): real transactions on a real local chain (anvil with
//! the test token), submitted through the public routes, verified by Loop through JSON-RPC.
//! Every row of the rule: exact, over- and underpayment; wrong token, wrong recipient, reverted,
//! too old, already used; one hash raced to two sessions; confirming, then confirmed by the
//! scheduler; the RPC cut, then back; a transfer paid through its pay page; another account's
//! treasury.

use std::time::Duration;

use loop_capabilities::schedule;
use loop_tests::chain::{own_chain, random_address, test_chain, usdc, ChainClient, DEV_ACCOUNTS, TOKEN_ADDRESS};
use loop_tests::proxy::FaultProxy;
use loop_tests::receiver::Receiver;
use loop_tests::stripe::{event, now, object};
use loop_tests::{TestAccount, TestStack};
use serde_json::{json, Value};

/// A stack that verifies on `chain`, an account paid in the test token to a treasury of its own.
struct Shop {
    t: TestStack,
    account: TestAccount,
    treasury: String,
    http: reqwest::Client,
}

impl Shop {
    async fn open(chain: &ChainClient, confirmations: u64, extra: &[(&str, &str)]) -> Shop {
        Self::open_at(&chain.loop_chains_json(confirmations).to_string(), extra).await
    }

    async fn open_at(chains: &str, extra: &[(&str, &str)]) -> Shop {
        let mut config = vec![("LOOP_CHAINS", chains)];
        config.extend_from_slice(extra);
        let t = TestStack::start_with(&config).await;
        let account = t.account("Acme", true).await;
        let shop = Shop { t, account, treasury: random_address(), http: reqwest::Client::new() };
        shop.point_at(&shop.account, &shop.treasury).await;
        shop
    }

    /// Sets an account's crypto settings to the test token on the local chain.
    async fn point_at(&self, account: &TestAccount, treasury: &str) {
        let response = self
            .http
            .patch(self.t.url("/v1/account"))
            .bearer_auth(&account.api_key)
            .json(&json!({"crypto": {
                "networkId": 31337, "networkName": "Anvil", "tokenAddress": TOKEN_ADDRESS,
                "tokenSymbol": "USDC", "tokenDecimals": 6, "treasuryAddresses": {"31337": treasury},
            }}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }

    /// A session of `account` for `amount` USDC.
    async fn session_of(&self, account: &TestAccount, amount: &str) -> Value {
        let (status, link) = self
            .t
            .post_json(account, "/v1/payment-links", &json!({"name": "Plan", "amount": amount, "currency": "USDC"}))
            .await;
        assert_eq!(status, 201, "{link}");
        let (status, session) =
            self.t.post_json(account, "/v1/checkout-sessions", &json!({"paymentLinkId": link["id"]})).await;
        assert_eq!(status, 201, "{session}");
        session
    }

    async fn session(&self, amount: &str) -> Value {
        self.session_of(&self.account, amount).await
    }

    async fn submit(&self, path: &str, hash: &str) -> (u16, Value) {
        let response = self.http.post(self.t.url(path)).json(&json!({"transactionHash": hash})).send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
    }

    async fn pay_session(&self, session: &Value, hash: &str) -> (u16, Value) {
        self.submit(&format!("/checkout/{}/payments", session["id"].as_str().unwrap()), hash).await
    }

    async fn status_of(&self, session: &Value) -> Value {
        let url = self.t.url(&format!("/checkout/{}/status", session["id"].as_str().unwrap()));
        self.http.get(url).send().await.unwrap().json().await.unwrap()
    }
}

/// A payer funded with `amount` base units; answers its address.
async fn payer(chain: &ChainClient, index: usize, amount: u128) -> &'static str {
    let address = DEV_ACCOUNTS[index].address;
    chain.mint(address, amount).await.expect("minted");
    address
}

/// Pays `amount` base units of the chain's token from `from` to `to`, mined; answers the hash.
async fn pay(chain: &ChainClient, from: &str, to: &str, amount: u128) -> String {
    let hash = chain.transfer(from, to, amount).await.expect("sent");
    chain.wait_for_receipt(&hash).await.expect("mined");
    hash
}

#[tokio::test]
async fn exact_over_and_under_payments_complete_complete_and_fail_the_session() {
    let chain = test_chain();
    let shop = Shop::open(chain, 1, &[]).await;
    let from = payer(chain, 2, usdc(100)).await;

    let exact = shop.session("10.00").await;
    let hash = pay(chain, from, &shop.treasury, usdc(10)).await;
    let (status, paid) = shop.pay_session(&exact, &hash).await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["status"], "completed");
    assert_eq!(paid["payment"]["transactionHash"], hash.to_lowercase());
    assert_eq!(paid["payment"]["amountPaid"], "10.00");
    assert_eq!(paid["payment"]["networkId"], 31337);
    assert_eq!(paid["payment"]["from"].as_str().unwrap().to_lowercase(), from.to_lowercase());
    assert!(paid["payment"]["blockNumber"].as_u64().unwrap() > 0);
    assert!(paid["payment"]["logIndex"].is_u64() && paid["payment"]["confirmedAt"].is_string());
    let read = shop.t.read(&shop.account, &format!("/v1/checkout-sessions/{}", exact["id"].as_str().unwrap())).await;
    assert_eq!((read["status"].as_str(), &read["payment"]), (Some("completed"), &paid["payment"]));
    assert_eq!(shop.status_of(&exact).await["status"], "completed");
    // Submitting it again answers the same session, and publishes nothing more.
    let (again, same) = shop.pay_session(&exact, &hash).await;
    assert_eq!((again, &same["payment"]), (200, &paid["payment"]));

    let over = shop.session("10.00").await;
    let hash = pay(chain, from, &shop.treasury, usdc(15)).await;
    let (status, paid) = shop.pay_session(&over, &hash).await;
    assert_eq!(
        (status, paid["status"].as_str(), paid["payment"]["amountPaid"].as_str()),
        (200, Some("completed"), Some("15.00"))
    );

    let under = shop.session("10.00").await;
    let hash = pay(chain, from, &shop.treasury, usdc(4)).await;
    let (status, failed) = shop.pay_session(&under, &hash).await;
    assert_eq!(status, 200, "{failed}");
    assert_eq!((failed["status"].as_str(), failed["failureReason"].as_str()), (Some("failed"), Some("underpaid")));
    assert_eq!(failed["payment"]["amountPaid"], "4.00");

    // One webhook per session, each carrying its payment.
    let completed = shop.t.payloads_of(&shop.account, "checkout.session.completed").await;
    assert_eq!(completed.len(), 2);
    assert!(completed.iter().all(|p| p["data"]["payment"]["transactionHash"].is_string()));
    assert_eq!(shop.t.payloads_of(&shop.account, "checkout.session.failed").await.len(), 1);
    shop.t.shutdown().await;
}

#[tokio::test]
async fn payments_that_pay_nothing_are_refused_with_their_code_and_change_nothing() {
    let chain = test_chain();
    let shop = Shop::open(chain, 1, &[]).await;
    let from = payer(chain, 3, usdc(100)).await;
    let session = shop.session("10.00").await;
    let refused = |code: &'static str| {
        move |(status, body): (u16, Value)| {
            assert_eq!((status, body["error"]["code"].as_str()), (400, Some(code)), "{body}");
        }
    };

    // Another token: a second contract of the same kind, at another address.
    let other = chain.with_token(&chain.deploy_token().await.unwrap());
    other.mint(from, usdc(50)).await.unwrap();
    let hash = pay(&other, from, &shop.treasury, usdc(10)).await;
    refused("payment_mismatch")(shop.pay_session(&session, &hash).await);

    let hash = pay(chain, from, &random_address(), usdc(10)).await;
    refused("payment_mismatch")(shop.pay_session(&session, &hash).await);

    // More than the payer holds: mined, and reverted.
    let hash = chain.transfer(from, &shop.treasury, usdc(1_000_000_000)).await.unwrap();
    assert!(chain.wait_for_receipt(&hash).await.is_err(), "the transfer reverts");
    refused("payment_reverted")(shop.pay_session(&session, &hash).await);

    let unknown = format!("0x{}", "ab".repeat(32));
    refused("payment_not_found")(shop.pay_session(&session, &unknown).await);

    for bad in [json!("0x1234"), json!(12), json!(null)] {
        let url = shop.t.url(&format!("/checkout/{}/payments", session["id"].as_str().unwrap()));
        let response = shop.http.post(url).json(&json!({"transactionHash": bad})).send().await.unwrap();
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["param"], "transactionHash", "{body}");
    }

    // Used already: a transfer that paid one session pays no other.
    let first = shop.session("10.00").await;
    let hash = pay(chain, from, &shop.treasury, usdc(10)).await;
    assert_eq!(shop.pay_session(&first, &hash).await.0, 200);
    refused("payment_already_used")(shop.pay_session(&session, &hash).await);

    assert_eq!(shop.status_of(&session).await, json!({"status": "open"}));
    assert!(shop.t.payloads_of(&shop.account, "checkout.session.failed").await.is_empty());
    shop.t.shutdown().await;
}

#[tokio::test]
async fn a_transfer_mined_before_the_session_was_made_is_too_old() {
    let chain = test_chain();
    let from = payer(chain, 4, usdc(20)).await;
    let treasury = random_address();
    let hash = pay(chain, from, &treasury, usdc(10)).await;
    // Loop's clock ten minutes ahead: the session is made ten minutes after the transfer.
    let shop = Shop::open(chain, 1, &[("LOOP_CLOCK_OFFSET_SECONDS", "600")]).await;
    shop.point_at(&shop.account, &treasury).await;
    let session = shop.session("10.00").await;
    let (status, body) = shop.pay_session(&session, &hash).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("payment_too_old")), "{body}");
    shop.t.shutdown().await;
}

#[tokio::test]
async fn one_transfer_submitted_to_two_sessions_at_once_pays_one() {
    let chain = test_chain();
    let shop = Shop::open(chain, 1, &[]).await;
    let from = payer(chain, 5, usdc(20)).await;
    for _ in 0..3 {
        let (a, b) = (shop.session("10.00").await, shop.session("10.00").await);
        let hash = pay(chain, from, &shop.treasury, usdc(10)).await;
        let (first, second) = tokio::join!(shop.pay_session(&a, &hash), shop.pay_session(&b, &hash));
        let mut statuses = [first.0, second.0];
        statuses.sort();
        assert_eq!(statuses, [200, 400], "{first:?} {second:?}");
        let loser = if first.0 == 400 { &first.1 } else { &second.1 };
        assert_eq!(loser["error"]["code"], "payment_already_used");
        chain.mint(from, usdc(10)).await.unwrap();
    }
    assert_eq!(shop.t.payloads_of(&shop.account, "checkout.session.completed").await.len(), 3);
    shop.t.shutdown().await;
}

#[tokio::test]
async fn a_payment_without_its_confirmations_is_confirming_until_the_scheduler_sees_them() {
    let chain = own_chain().await;
    let shop = Shop::open(chain.client(), 3, &[]).await;
    let from = payer(chain.client(), 1, usdc(20)).await;
    let session = shop.session("10.00").await;
    let hash = pay(chain.client(), from, &shop.treasury, usdc(10)).await;
    let (status, body) = shop.pay_session(&session, &hash).await;
    assert_eq!((status, body["status"].as_str()), (202, Some("confirming")), "{body}");
    assert_eq!(shop.status_of(&session).await["status"], "open");

    // Not enough yet: the scheduler keeps it.
    schedule::run(shop.t.app()).await.unwrap();
    assert_eq!(shop.status_of(&session).await["status"], "open");

    // Two more blocks make three confirmations: the scheduler's next look completes it, and
    // a later look publishes nothing more.
    chain.client().mine(2).await.unwrap();
    settle_by_scheduler(&shop).await;
    assert_eq!(shop.status_of(&session).await["status"], "completed");
    schedule::run(shop.t.app()).await.unwrap();
    assert_eq!(shop.t.payloads_of(&shop.account, "checkout.session.completed").await.len(), 1);

    // Not mined at all yet: confirming too, then completed once mined and confirmed.
    chain.client().set_automine(false).await.unwrap();
    let later = shop.session("10.00").await;
    let hash = chain.client().transfer(from, &shop.treasury, usdc(10)).await.unwrap();
    let (status, _) = shop.pay_session(&later, &hash).await;
    assert_eq!(status, 202);
    chain.client().mine(3).await.unwrap();
    settle_by_scheduler(&shop).await;
    assert_eq!(shop.status_of(&later).await["status"], "completed");
    shop.t.shutdown().await;
    chain.stop().await;
}

/// Runs the scheduler until a run settles a payment (a kept submission is due at the next run,
/// a second later), within a deadline.
async fn settle_by_scheduler(shop: &Shop) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let report = schedule::run(shop.t.app()).await.unwrap();
        if report.payments_settled == 1 {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "no run settled the payment: {report:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn an_unreachable_rpc_answers_503_and_the_same_submission_succeeds_once_it_is_back() {
    let chain = test_chain();
    let proxy = FaultProxy::start(&chain.rpc_url).await;
    let chains = json!({"31337": {"rpcUrl": proxy.url, "confirmations": 1}}).to_string();
    let shop = Shop::open_at(&chains, &[]).await;
    let from = payer(chain, 6, usdc(20)).await;
    let session = shop.session("10.00").await;
    let hash = pay(chain, from, &shop.treasury, usdc(10)).await;

    proxy.cut_after(0);
    let (status, body) = shop.pay_session(&session, &hash).await;
    assert_eq!((status, body["error"]["code"].as_str()), (503, Some("service_unavailable")), "{body}");
    assert_eq!(shop.status_of(&session).await["status"], "open");
    let body = body.to_string();
    assert!(!body.contains(&proxy.url) && !body.contains("127.0.0.1"), "the RPC URL is a secret: {body}");

    proxy.restore();
    let (status, body) = shop.pay_session(&session, &hash).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("completed")), "{body}");
    shop.t.shutdown().await;
}

#[tokio::test]
async fn submissions_are_limited_to_ten_a_minute_per_session() {
    let chain = test_chain();
    let shop = Shop::open(chain, 1, &[]).await;
    let from = payer(chain, 7, usdc(5)).await;
    let session = shop.session("10.00").await;
    let elsewhere = pay(chain, from, &random_address(), usdc(1)).await;
    for _ in 0..10 {
        assert_eq!(shop.pay_session(&session, &elsewhere).await.0, 400);
    }
    let (status, body) = shop.pay_session(&session, &elsewhere).await;
    assert_eq!((status, body["error"]["code"].as_str()), (429, Some("rate_limited")), "{body}");
    shop.t.shutdown().await;
}

#[tokio::test]
async fn another_accounts_treasury_pays_nothing_here() {
    let chain = test_chain();
    let shop = Shop::open(chain, 1, &[]).await;
    let other = shop.t.account("Other", true).await;
    let other_treasury = random_address();
    shop.point_at(&other, &other_treasury).await;
    let from = payer(chain, 8, usdc(20)).await;
    // Paid to the other account's treasury, submitted to this account's session.
    let session = shop.session("10.00").await;
    let hash = pay(chain, from, &other_treasury, usdc(10)).await;
    let (status, body) = shop.pay_session(&session, &hash).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("payment_mismatch")), "{body}");
    // It still pays the other account's own session.
    let theirs = shop.session_of(&other, "10.00").await;
    assert_eq!(shop.pay_session(&theirs, &hash).await.0, 200);
    shop.t.shutdown().await;
}

#[tokio::test]
async fn a_transfer_paid_through_its_pay_page_publishes_one_transfer_processed() {
    let chain = test_chain();
    let shop = Shop::open(chain, 1, &[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1")]).await;
    let receiver = Receiver::start(0).await;
    shop.t.create_endpoint(&shop.account, &receiver.url, &["TransferProcessed", "TransferFinalized"]).await;
    let mut invoice = object(
        "invoice",
        json!({"id": "in_pay", "status": "open", "customer_email": "payer@example.com", "amount_due": 2500,
               "currency": "usd", "due_date": now() + 86_400, "created": now(), "parent": null, "subscription": null}),
    );
    invoice["lines"]["data"][0]["description"] = json!("Gold plan");
    let (status, _) = shop.t.send_stripe(&shop.account, &event("evt_pay", "invoice.finalized", now(), invoice)).await;
    assert_eq!(status, 200);
    let transfers = shop.t.read(&shop.account, "/v1/transfers").await;
    let transfer = transfers["data"][0].clone();
    let url = transfer["paymentUrl"].as_str().expect("the transfer has a pay page").to_owned();
    let token = url.rsplit("/pay/").next().unwrap().to_owned();
    assert!(token.len() >= 30 && !url.contains(transfer["id"].as_str().unwrap()), "{url}");
    let finalized = shop.t.payloads_of(&shop.account, "TransferFinalized").await;
    assert_eq!(finalized[0]["paymentUrl"], url);
    let page = shop.http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);

    let from = payer(chain, 9, usdc(30)).await;
    let hash = pay(chain, from, &shop.treasury, usdc(25)).await;
    let (status, body) = shop.submit(&format!("/pay/{token}/payments"), &hash).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("processed")), "{body}");
    let (status, _) = shop.submit(&format!("/pay/{token}/payments"), &hash).await;
    assert_eq!(status, 200, "the same payment submitted again");

    let read = shop.t.read(&shop.account, &format!("/v1/transfers/{}", transfer["id"].as_str().unwrap())).await;
    assert_eq!(read["status"], "processed");
    assert_eq!(read["payment"]["transactionHash"], hash.to_lowercase());
    let delivered = receiver
        .wait_for(Duration::from_secs(20), |r| {
            r.iter().any(|d| String::from_utf8_lossy(&d.body).contains("TransferProcessed"))
        })
        .await;
    let processed: Vec<Value> = delivered
        .iter()
        .map(|d| serde_json::from_slice::<Value>(&d.body).unwrap())
        .filter(|p| p["event"] == "TransferProcessed")
        .collect();
    assert_eq!(processed.len(), 1, "{processed:?}");
    let p = &processed[0];
    assert_eq!(p["success"], true);
    assert_eq!(p["transaction"], hash.to_lowercase());
    assert_eq!(p["endUser"].as_str().unwrap().to_lowercase(), from.to_lowercase());
    assert_eq!((p["amountPaid"].as_str(), p["usdAmount"].as_str()), (Some("25.00"), Some("25.00")));
    assert_eq!(shop.t.payloads_of(&shop.account, "TransferProcessed").await.len(), 1);

    // A made-up token opens nothing.
    let response = shop.http.get(shop.t.url("/pay/pt_nothing")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    shop.t.shutdown().await;
}

/// Submits until the answer is not `503` (as the page's script, or any client, retries).
async fn submit_until_answered(shop: &Shop, session: &Value, hash: &str) -> (u16, Value) {
    let until = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = shop.pay_session(session, hash).await;
        if status != 503 || tokio::time::Instant::now() > until {
            return (status, body);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn under_the_emulators_faults_one_transfer_still_pays_exactly_one_of_two_sessions() {
    let chain = test_chain();
    let chains = chain.loop_chains_json(1).to_string();
    let t = TestStack::start_for_faults(&[("LOOP_CHAINS", chains.as_str())]).await;
    let account = t.account("Acme", true).await;
    let shop = Shop { t, account, treasury: random_address(), http: reqwest::Client::new() };
    shop.point_at(&shop.account, &shop.treasury).await;
    let from = payer(chain, 1, usdc(40)).await;
    let pairs = [
        (shop.session("10.00").await, shop.session("10.00").await),
        (shop.session("10.00").await, shop.session("10.00").await),
    ];
    shop.t.start_faults().await;
    for (a, b) in &pairs {
        let hash = pay(chain, from, &shop.treasury, usdc(10)).await;
        let (first, second) =
            tokio::join!(submit_until_answered(&shop, a, &hash), submit_until_answered(&shop, b, &hash));
        let mut statuses = [first.0, second.0];
        statuses.sort();
        assert_eq!(statuses, [200, 400], "{first:?} {second:?}");
        let loser = if first.0 == 400 { &first.1 } else { &second.1 };
        assert_eq!(loser["error"]["code"], "payment_already_used");
    }
    shop.t.set_faults(json!({})).await;
    let completed = shop.t.payloads_of(&shop.account, "checkout.session.completed").await;
    assert_eq!(completed.len(), 2, "one completion per transfer");
    shop.t.shutdown().await;
}

#[tokio::test]
async fn the_hash_form_without_javascript_answers_with_the_page_and_what_happened() {
    let chain = test_chain();
    let shop = Shop::open(chain, 1, &[]).await;
    let from = payer(chain, 2, usdc(20)).await;
    let session = shop.session("10.00").await;
    let url = shop.t.url(&format!("/checkout/{}/payments", session["id"].as_str().unwrap()));
    let post = |hash: String| {
        let url = url.clone();
        let http = shop.http.clone();
        async move {
            let response = http
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("transactionHash={hash}"))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
            (status, response.text().await.unwrap())
        }
    };
    let (status, html) = post("0x12".into()).await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"data-code="invalid_transaction_hash""#), "{html}");
    let elsewhere = pay(chain, from, &random_address(), usdc(1)).await;
    let (_, html) = post(elsewhere).await;
    assert!(html.contains(r#"data-code="payment_mismatch""#), "{html}");
    let hash = pay(chain, from, &shop.treasury, usdc(10)).await;
    let (_, html) = post(hash.clone()).await;
    assert!(html.contains(r#"data-status="paid""#) && html.contains(&hash.to_lowercase()), "{html}");
    shop.t.shutdown().await;
}
