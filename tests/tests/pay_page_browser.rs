//! The hosted payment page in a real browser: headless Chromium (Debian's package) driven by
//! `tests/browser/pay-page.mjs` (playwright-core, jsQR). Each test starts a stack and uses the
//! test chain, makes its data through the public API, pays with real transactions, runs the
//! driver with JSON arguments and asserts on its JSON answer.
//!
//! A browser test that cannot start its browser fails: it proves nothing by passing. The
//! driver's npm packages are installed on first use (`make test` installs them first).

use std::process::Stdio;
use std::time::Duration;

use loop_chain::{payment_request_uri, U256};
use loop_tests::browser::{driver_dir, install_driver};
use loop_tests::chain::{random_address, test_chain, usdc, CHAIN_ID, DEV_ACCOUNTS, TOKEN_ADDRESS};
use loop_tests::stripe::{event, now, object};
use loop_tests::{TestAccount, TestStack};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// What every session here costs: 42.50 USDC.
const AMOUNT: &str = "42.50";
const AMOUNT_BASE_UNITS: u128 = 42_500_000;

/// A running driver: its stdout's lines are JSON (events, then the answer last).
struct Driver {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    args: Value,
}

impl Driver {
    fn start(args: Value) -> Driver {
        install_driver();
        let mut child = Command::new("node")
            .arg(driver_dir().join("pay-page.mjs"))
            .arg(args.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs (the browser tests need Node.js: apt-get install nodejs)");
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Driver { child, lines, args }
    }

    /// The driver's next line: an event, or its answer if it ended (then this panics).
    async fn next_event(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(60), self.lines.next_line())
            .await
            .expect("the driver says something within a minute")
            .unwrap()
            .unwrap_or_default();
        let value: Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON from the driver: {line}"));
        assert!(value.get("event").is_some(), "the driver ended early: {value}");
        value
    }

    /// The driver's answer (its last line), which must be `ok`.
    async fn finish(mut self) -> Value {
        let mut last = String::new();
        let read = async {
            while let Some(line) = self.lines.next_line().await.unwrap() {
                last = line;
            }
        };
        tokio::time::timeout(Duration::from_secs(120), read).await.expect("the driver ends within two minutes");
        let status = self.child.wait().await.unwrap();
        let mut stderr = String::new();
        self.child.stderr.take().unwrap().read_to_string(&mut stderr).await.unwrap();
        let answer: Value = serde_json::from_str(&last)
            .unwrap_or_else(|_| panic!("the driver answered no JSON ({status}): {last}\nstderr: {stderr}"));
        assert!(
            answer["ok"] == true && status.success(),
            "the {} scenario failed ({status}): {}\nstderr: {stderr}",
            self.args["scenario"],
            answer["error"].as_str().unwrap_or(&answer.to_string())
        );
        answer
    }
}

async fn drive(args: Value) -> Value {
    Driver::start(args).finish().await
}

/// No Content-Security-Policy violation and no console error on the page.
fn assert_clean(answer: &Value) {
    assert_eq!(answer["cspViolations"], json!([]), "the policy blocked something the page needs");
    assert_eq!(answer["consoleErrors"], json!([]), "errors in the page's console");
}

fn same_hex(a: &Value, b: &str) -> bool {
    a.as_str().is_some_and(|a| a.eq_ignore_ascii_case(b))
}

/// A stack that verifies payments on the test chain, and a merchant paid there.
struct Shop {
    t: TestStack,
    merchant: TestAccount,
    treasury: String,
}

impl Shop {
    async fn open() -> Shop {
        let chain = test_chain();
        let t = TestStack::start_with(&[("LOOP_CHAINS", &chain.loop_chains_json(1).to_string())]).await;
        let merchant = t.account("Acme Coffee", true).await;
        let treasury = random_address();
        set_crypto(&t, &merchant, CHAIN_ID, "Anvil", &treasury).await;
        Shop { t, merchant, treasury }
    }

    /// A new open session for [`AMOUNT`]: its id and the page's URL.
    async fn session(&self) -> (String, String) {
        new_session(&self.t, &self.merchant, "Gold beans").await
    }

    async fn session_json(&self, id: &str) -> Value {
        self.t.read(&self.merchant, &format!("/v1/checkout-sessions/{id}")).await
    }

    /// The EIP-681 request the page should show for [`AMOUNT`].
    fn request_uri(&self) -> String {
        payment_request_uri(
            TOKEN_ADDRESS.parse().unwrap(),
            CHAIN_ID,
            self.treasury.parse().unwrap(),
            U256::from(AMOUNT_BASE_UNITS),
        )
    }
}

async fn set_crypto(t: &TestStack, account: &TestAccount, network_id: u64, network_name: &str, treasury: &str) {
    let body = json!({"crypto": {
        "networkId": network_id,
        "networkName": network_name,
        "tokenAddress": TOKEN_ADDRESS,
        "tokenSymbol": "USDC",
        "tokenDecimals": 6,
        "treasuryAddresses": {network_id.to_string(): treasury},
    }});
    let response = t.http.patch(t.url("/v1/account")).bearer_auth(&account.api_key).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

async fn new_session(t: &TestStack, account: &TestAccount, item: &str) -> (String, String) {
    let (status, link) =
        t.post_json(account, "/v1/payment-links", &json!({"name": item, "amount": AMOUNT, "currency": "USDC"})).await;
    assert_eq!(status, 201, "{link}");
    let (status, session) = t.post_json(account, "/v1/checkout-sessions", &json!({"paymentLinkId": link["id"]})).await;
    assert_eq!(status, 201, "{session}");
    (session["id"].as_str().unwrap().to_owned(), session["url"].as_str().unwrap().to_owned())
}

/// A real transfer of [`AMOUNT`] from `payer` (funded first) to `treasury`, mined: its hash.
async fn pay_on_chain(payer: &str, treasury: &str) -> String {
    pay_on_chain_exactly(payer, treasury, AMOUNT_BASE_UNITS).await
}

async fn pay_on_chain_exactly(payer: &str, treasury: &str, base_units: u128) -> String {
    let chain = test_chain();
    chain.wait_for_receipt(&chain.mint(payer, usdc(100)).await.unwrap()).await.unwrap();
    let hash = chain.transfer(payer, treasury, base_units).await.unwrap();
    chain.wait_for_receipt(&hash).await.unwrap();
    hash
}

/// A finished page offers no payment.
fn assert_offers_nothing(page: &Value) {
    assert_eq!(
        page["offers"],
        json!({"qr": false, "form": false, "walletButton": false, "paymentOptions": false}),
        "{}",
        page["html"]
    );
    assert!(!page["html"].as_str().unwrap().contains("ethereum:"));
}

#[tokio::test]
async fn the_qr_code_decodes_to_the_eip681_payment_request() {
    let shop = Shop::open().await;
    let (_, url) = shop.session().await;
    let answer = drive(json!({"scenario": "qr", "url": url})).await;
    let expected = shop.request_uri();
    assert!(expected.starts_with(&format!("ethereum:{TOKEN_ADDRESS}@31337/transfer?address=")), "{expected}");
    assert!(expected.ends_with("&uint256=42500000"));
    assert_eq!(answer["decoded"], expected, "what a phone's camera reads ({})", answer["image"]);
    assert_eq!(answer["dataEip681"], expected);
    assert_eq!(answer["walletLink"], expected, "the same request as a link");
    assert_clean(&answer);
    shop.t.shutdown().await;
}

#[tokio::test]
async fn without_javascript_the_pasted_hash_form_completes_the_payment() {
    let shop = Shop::open().await;
    let (id, url) = shop.session().await;
    let hash = pay_on_chain(DEV_ACCOUNTS[5].address, &shop.treasury).await;

    let answer = drive(json!({"scenario": "paste", "url": url, "hash": hash})).await;
    assert_eq!(answer["before"]["status"], "open");
    assert_eq!(answer["before"]["offers"]["form"], true);
    assert_eq!(answer["before"]["offers"]["walletButton"], false, "no wallet button without JavaScript");
    assert_eq!(answer["method"], "POST");
    assert!(
        answer["contentType"].as_str().is_some_and(|c| c.starts_with("application/x-www-form-urlencoded")),
        "a plain form post: {}",
        answer["contentType"]
    );
    assert_eq!(answer["postedTo"], format!("/checkout/{id}/payments"));
    assert_eq!(answer["pageStatus"], 200);
    let page = &answer["page"];
    assert_eq!(page["status"], "paid", "{}", page["html"]);
    assert!(same_hex(&page["paymentTx"], &hash), "{}", page["paymentTx"]);
    assert_offers_nothing(page);

    let session = shop.session_json(&id).await;
    assert_eq!(session["status"], "completed");
    assert!(same_hex(&session["payment"]["transactionHash"], &hash), "{session}");
    shop.t.shutdown().await;
}

#[tokio::test]
async fn the_page_shows_paid_without_a_reload_once_the_payment_is_submitted() {
    let shop = Shop::open().await;
    let (id, url) = shop.session().await;
    let mut driver = Driver::start(json!({"scenario": "poll", "url": url, "until": "paid"}));
    assert_eq!(driver.next_event().await["event"], "ready");

    // The customer pays from elsewhere and the hash reaches Loop through the API.
    let hash = pay_on_chain(DEV_ACCOUNTS[6].address, &shop.treasury).await;
    let response = shop
        .t
        .http
        .post(shop.t.url(&format!("/checkout/{id}/payments")))
        .json(&json!({"transactionHash": hash}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert_eq!(status, 200, "{}", response.text().await.unwrap());

    let answer = driver.finish().await;
    assert_eq!(answer["before"], "open");
    assert_eq!(answer["mark"], "same document", "the page was reloaded");
    assert_eq!(answer["navigations"], 1);
    let page = &answer["page"];
    assert_eq!(page["status"], "paid");
    assert_eq!(page["statusText"], "Paid");
    assert!(same_hex(&page["paymentTx"], &hash), "{}", page["paymentTx"]);
    assert_offers_nothing(page);
    assert_clean(&answer);
    shop.t.shutdown().await;
}

#[tokio::test]
async fn pay_with_wallet_sends_the_transfer_and_the_page_reaches_paid() {
    let shop = Shop::open().await;
    let (id, url) = shop.session().await;
    let chain = test_chain();
    let wallet = DEV_ACCOUNTS[7].address;
    chain.wait_for_receipt(&chain.mint(wallet, usdc(100)).await.unwrap()).await.unwrap();

    let answer = drive(json!({"scenario": "wallet", "url": url, "rpcUrl": chain.rpc_url, "account": wallet})).await;
    assert_eq!(answer["before"], json!({"status": "open", "walletButton": true}));
    let calls = answer["calls"].as_array().unwrap();
    let methods: Vec<&str> = calls.iter().map(|c| c["method"].as_str().unwrap()).collect();
    assert_eq!(methods, ["eth_requestAccounts", "wallet_switchEthereumChain", "eth_sendTransaction"]);
    assert_eq!(calls[1]["params"], json!([{"chainId": "0x7a69"}]));
    let tx = &calls[2]["params"][0];
    assert!(same_hex(&tx["from"], wallet) && same_hex(&tx["to"], TOKEN_ADDRESS), "{tx}");
    let data = format!(
        "0xa9059cbb{:0>64}{:064x}",
        shop.treasury.trim_start_matches("0x").to_ascii_lowercase(),
        AMOUNT_BASE_UNITS
    );
    assert_eq!(tx["data"], data, "transfer(treasury, amount)");

    assert_eq!(answer["mark"], "same document");
    let page = &answer["page"];
    assert_eq!(page["status"], "paid");
    assert_offers_nothing(page);
    assert_clean(&answer);
    assert_eq!(chain.balance_of(&shop.treasury).await.unwrap(), AMOUNT_BASE_UNITS);
    let session = shop.session_json(&id).await;
    assert_eq!(session["status"], "completed");
    assert!(same_hex(&session["payment"]["from"], wallet), "{session}");
    assert!(same_hex(&page["paymentTx"], session["payment"]["transactionHash"].as_str().unwrap()));
    shop.t.shutdown().await;
}

#[tokio::test]
async fn a_transfer_requests_pay_page_takes_a_pasted_hash_without_a_reload() {
    // GIVEN a Stripe invoice for 25.00 USD: a transfer request with a pay page
    let shop = Shop::open().await;
    let invoice = object(
        "invoice",
        json!({"id": "in_page", "status": "open", "customer_email": "payer@example.com", "amount_due": 2500,
               "currency": "usd", "due_date": now() + 86_400, "created": now(), "parent": null, "subscription": null}),
    );
    let (status, _) = shop.t.send_stripe(&shop.merchant, &event("evt_page", "invoice.finalized", now(), invoice)).await;
    assert_eq!(status, 200);
    let transfer = shop.t.read(&shop.merchant, "/v1/transfers").await["data"][0].clone();
    let url = transfer["paymentUrl"].as_str().expect("a pay page").to_owned();
    assert!(url.contains("/pay/pt_"), "{url}");

    // THEN its QR code asks for 25.00 USDC to the treasury
    let qr = drive(json!({"scenario": "qr", "url": url})).await;
    let expected = payment_request_uri(
        TOKEN_ADDRESS.parse().unwrap(),
        CHAIN_ID,
        shop.treasury.parse().unwrap(),
        U256::from(usdc(25)),
    );
    assert_eq!(qr["decoded"], expected);
    assert_clean(&qr);

    // AND a hash pasted with JavaScript on is posted by the script and the page shows paid in place
    let hash = pay_on_chain_exactly(DEV_ACCOUNTS[8].address, &shop.treasury, usdc(25)).await;
    let answer = drive(json!({"scenario": "typed", "url": url, "hash": hash})).await;
    assert_eq!(answer["mark"], "same document", "the page was reloaded");
    assert_eq!(answer["navigations"], 1);
    let page = &answer["page"];
    assert_eq!(page["amount"], "25.00");
    assert_eq!(page["status"], "paid");
    assert!(same_hex(&page["paymentTx"], &hash), "{}", page["paymentTx"]);
    assert_offers_nothing(page);
    assert_clean(&answer);
    let read = shop.t.read(&shop.merchant, &format!("/v1/transfers/{}", transfer["id"].as_str().unwrap())).await;
    assert_eq!(read["status"], "processed");
    shop.t.shutdown().await;
}

#[tokio::test]
async fn the_page_renders_the_amount_and_status_and_shows_markup_as_text() {
    // No LOOP_CHAINS: the page says Loop cannot verify, and offers no wallet button or form.
    let t = TestStack::start().await;
    let name = "<script>document.title='pwned'</script>Acme";
    let acme = t.account(name, true).await;
    set_crypto(&t, &acme, 1, "Ethereum", &random_address()).await;
    let (id, url) = new_session(&t, &acme, "<img src=x onerror=alert(1)>Gold").await;

    let answer = drive(json!({"scenario": "inspect", "url": url})).await;
    assert_eq!(answer["httpStatus"], 200);
    let csp = answer["csp"].as_str().unwrap();
    assert!(csp.contains("script-src 'nonce-") && !csp.contains("unsafe"), "{csp}");
    let page = &answer["page"];
    assert_eq!(page["amount"], AMOUNT);
    assert_eq!(page["status"], "open");
    assert_eq!(page["statusText"], "Awaiting payment");
    // Shown as text, never as elements: no script ran, no image was made.
    assert_eq!(page["merchant"], name);
    assert_eq!(page["item"], "<img src=x onerror=alert(1)>Gold");
    assert!(page["title"].as_str().unwrap().starts_with("Pay <script>"), "{}", page["title"]);
    let html = page["html"].as_str().unwrap();
    assert!(html.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;Acme"), "{html}");
    assert_eq!(html.matches("<script").count(), 1, "only the page's own script");
    assert!(!html.contains("<img"));
    assert!(page["verificationUnavailable"].as_str().unwrap().contains("not available for Ethereum (network 1)"));
    assert_eq!(page["offers"]["walletButton"], false);
    assert_eq!(page["offers"]["form"], false);
    assert_eq!(page["offers"]["qr"], true, "the merchant can still be paid, and confirms it");
    assert_clean(&answer);

    // A fresh nonce per response.
    let again = drive(json!({"scenario": "inspect", "url": url, "javaScript": false})).await;
    assert_ne!(again["csp"], answer["csp"]);
    assert_eq!(again["page"]["status"], "open");

    let complete = format!("/v1/test-helpers/checkout-sessions/{id}/complete");
    assert_eq!(t.post_json(&acme, &complete, &json!({})).await.0, 200);
    let done = drive(json!({"scenario": "inspect", "url": url})).await;
    assert_eq!(done["page"]["status"], "paid");
    assert_eq!(done["page"]["statusText"], "Paid");
    assert_offers_nothing(&done["page"]);
    assert_clean(&done);
    t.shutdown().await;
}
