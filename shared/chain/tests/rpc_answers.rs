//! `RpcClient` over HTTP against the answers a real anvil chain gave (`fixtures/`, captured by
//! `fixtures/capture.py`), served back by a local mock server that also checks each request.
//! Tests on a live chain come with the project-wide local chain of `make test`.

use std::time::Duration;

use loop_chain::{
    observe, verify, Address, Expectation, Observation, RpcClient, RpcError, RpcUrl, Verdict, B256, U256,
};
use serde_json::{json, Value};
use wiremock::matchers::{body_partial_json, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const TREASURY: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const PAYER: &str = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const PAID: &str = "0xae65ea4679286ac8f36b5366771af2084012690c22fb94957eb975e046ce9983";
const REVERTED: &str = "0x012ed5f10830542a958e413256c365f6c3b3c7e37db4c9546176a72fdb1f384d";
const PENDING: &str = "0x6b14f31713c9395ceb0c97345b214f8152fa82bb5a9a95c53f082a6518596ac4";
const UNKNOWN: &str = "0xabababababababababababababababababababababababababababababababab";
/// The paid transfer's block (3) and its timestamp, as anvil answered.
const BLOCK: u64 = 3;
const BLOCK_TIMESTAMP: u64 = 0x6b16b72c;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn hash(raw: &str) -> B256 {
    raw.parse().unwrap()
}

/// A node that answers `method` with `params` by the fixture `name`.
async fn answer(server: &MockServer, rpc_method: &str, params: Value, name: &str) {
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"jsonrpc": "2.0", "method": rpc_method, "params": params})))
        .respond_with(ResponseTemplate::new(200).set_body_raw(fixture(name), "application/json"))
        .mount(server)
        .await;
}

/// A node with the whole captured chain: the paid, reverted, pending and unknown transactions.
async fn anvil_as_captured() -> MockServer {
    let server = MockServer::start().await;
    answer(&server, "eth_getTransactionReceipt", json!([PAID]), "receipt_transfer.json").await;
    answer(&server, "eth_getTransactionReceipt", json!([REVERTED]), "receipt_reverted.json").await;
    answer(&server, "eth_getTransactionReceipt", json!([PENDING]), "receipt_pending.json").await;
    answer(&server, "eth_getTransactionReceipt", json!([UNKNOWN]), "receipt_unknown.json").await;
    answer(&server, "eth_getTransactionByHash", json!([PENDING]), "transaction_pending.json").await;
    answer(&server, "eth_getTransactionByHash", json!([UNKNOWN]), "transaction_unknown.json").await;
    answer(&server, "eth_getBlockByNumber", json!(["0x3", false]), "block.json").await;
    answer(&server, "eth_getBlockByNumber", json!(["0x4", false]), "block_reverted.json").await;
    answer(&server, "eth_getBlockByNumber", json!(["0xffffff", false]), "block_unknown.json").await;
    answer(&server, "eth_blockNumber", json!([]), "block_number.json").await;
    server
}

fn client(server: &MockServer) -> RpcClient {
    RpcClient::new(RpcUrl::parse(&server.uri()).unwrap(), reqwest::Client::new())
}

/// A node that answers every request with `response`.
async fn node_answering(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(response).mount(&server).await;
    server
}

fn expectation(created_at: u64) -> Expectation {
    Expectation {
        token: TOKEN.parse().unwrap(),
        treasury: TREASURY.parse().unwrap(),
        amount: U256::from(12_500_000u64),
        created_at,
        expires_at: Some(created_at + 3600),
        confirmations: 1,
    }
}

#[tokio::test]
async fn a_mined_transfers_receipt_is_read() {
    let server = anvil_as_captured().await;
    let receipt = client(&server).transaction_receipt(hash(PAID)).await.unwrap().unwrap();
    assert_eq!(receipt.transaction_hash, hash(PAID));
    assert_eq!(receipt.block_number, BLOCK);
    assert!(receipt.succeeded);
    assert_eq!(receipt.logs.len(), 1);
    assert_eq!(receipt.logs[0].address, TOKEN.parse::<Address>().unwrap());
    assert_eq!(receipt.logs[0].log_index, 0);
}

#[tokio::test]
async fn a_reverted_transactions_receipt_says_so() {
    let server = anvil_as_captured().await;
    let receipt = client(&server).transaction_receipt(hash(REVERTED)).await.unwrap().unwrap();
    assert!(!receipt.succeeded);
    assert!(receipt.logs.is_empty());
}

#[tokio::test]
async fn pending_and_unknown_transactions_have_no_receipt_but_only_the_pending_one_exists() {
    let server = anvil_as_captured().await;
    let client = client(&server);
    assert_eq!(client.transaction_receipt(hash(PENDING)).await, Ok(None));
    assert_eq!(client.transaction_receipt(hash(UNKNOWN)).await, Ok(None));
    assert_eq!(client.transaction_exists(hash(PENDING)).await, Ok(true));
    assert_eq!(client.transaction_exists(hash(UNKNOWN)).await, Ok(false));
}

#[tokio::test]
async fn blocks_give_their_timestamp_and_the_latest_number() {
    let server = anvil_as_captured().await;
    let client = client(&server);
    assert_eq!(client.block_timestamp(BLOCK).await, Ok(BLOCK_TIMESTAMP));
    assert_eq!(client.block_number().await, Ok(4));
    // A block the node does not know yet is worth reading again later.
    let error = client.block_timestamp(0xffffff).await.unwrap_err();
    assert!(error.is_transient(), "{error}");
}

#[tokio::test]
async fn a_real_payment_observed_through_the_client_verifies_as_paid() {
    // GIVEN the captured chain, and a session created a minute before the transfer's block
    let server = anvil_as_captured().await;
    let client = client(&server);
    // WHEN the transfer is observed and verified
    let observation = observe(&client, hash(PAID)).await.unwrap();
    let verdict = verify(&observation, &expectation(BLOCK_TIMESTAMP - 60));
    // THEN it paid 12.5 USDC from the payer, at log 0 of block 3 (4 is the latest: 2 blocks deep)
    let Verdict::Paid(payment) = verdict else { panic!("{verdict:?}") };
    assert_eq!(payment.transaction_hash, hash(PAID));
    assert_eq!(payment.log_index, 0);
    assert_eq!(payment.from, PAYER.parse::<Address>().unwrap());
    assert_eq!(payment.value, U256::from(12_500_000u64));
    assert_eq!((payment.block_number, payment.block_timestamp), (BLOCK, BLOCK_TIMESTAMP));
    // and it needs 2 confirmations to pay, not 3
    let three = Expectation { confirmations: 3, ..expectation(BLOCK_TIMESTAMP - 60) };
    assert_eq!(verify(&observation, &three), Verdict::Confirming);
}

#[tokio::test]
async fn reverted_pending_and_unknown_transactions_are_observed_as_such() {
    let server = anvil_as_captured().await;
    let client = client(&server);
    let reverted = observe(&client, hash(REVERTED)).await.unwrap();
    assert_eq!(verify(&reverted, &expectation(BLOCK_TIMESTAMP)), Verdict::Reverted);
    assert_eq!(observe(&client, hash(PENDING)).await, Ok(Observation::Pending));
    assert_eq!(observe(&client, hash(UNKNOWN)).await, Ok(Observation::Unknown));
}

#[tokio::test]
async fn a_json_rpc_error_is_unavailable_with_its_code() {
    let server = node_answering(
        ResponseTemplate::new(200).set_body_raw(fixture("error_invalid_params.json"), "application/json"),
    )
    .await;
    let error = client(&server).transaction_receipt(hash(PAID)).await.unwrap_err();
    assert!(error.is_transient(), "{error}");
    assert_eq!(
        error.to_string(),
        "chain RPC unavailable (eth_getTransactionReceipt): JSON-RPC error -32602: invalid string length"
    );
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_unavailable() {
    for status in [429, 500, 502, 503] {
        let server = node_answering(ResponseTemplate::new(status)).await;
        let error = client(&server).block_number().await.unwrap_err();
        assert_eq!(
            error,
            RpcError::Unavailable { method: "eth_blockNumber", reason: format!("HTTP {status}") },
            "{status}"
        );
    }
}

#[tokio::test]
async fn other_http_errors_are_refusals() {
    for status in [400, 401, 403, 404] {
        let server = node_answering(ResponseTemplate::new(status)).await;
        let error = client(&server).block_number().await.unwrap_err();
        assert_eq!(error, RpcError::Refused { method: "eth_blockNumber", status }, "{status}");
        assert!(!error.is_transient());
    }
}

#[tokio::test]
async fn answers_that_are_not_json_rpc_are_malformed() {
    for body in [
        "<html>Bad gateway</html>",
        r#"{"jsonrpc":"2.0","id":1}"#,
        r#"{"jsonrpc":"2.0","id":1,"result":"not a number"}"#,
        r#"{"jsonrpc":"2.0","id":1,"result":{"transactionHash":"0x12"}}"#,
    ] {
        let server = node_answering(ResponseTemplate::new(200).set_body_raw(body, "application/json")).await;
        let client = client(&server);
        let errors =
            [client.block_number().await.unwrap_err(), client.transaction_receipt(hash(PAID)).await.unwrap_err()];
        for error in errors {
            assert!(matches!(error, RpcError::Malformed { .. }), "{body}: {error:?}");
        }
    }
}

#[tokio::test]
async fn a_slow_node_times_out_as_unavailable() {
    let server = node_answering(
        ResponseTemplate::new(200)
            .set_body_raw(fixture("block_number.json"), "application/json")
            .set_delay(Duration::from_secs(5)),
    )
    .await;
    let client = client(&server).with_timeout(Duration::from_millis(200));
    let error = client.block_number().await.unwrap_err();
    assert!(error.is_transient(), "{error}");
    assert!(error.to_string().contains("timed out after 200 ms"), "{error}");
}

#[tokio::test]
async fn a_connection_failure_to_a_url_with_a_key_does_not_show_the_key() {
    let client = RpcClient::new(RpcUrl::parse("http://user:apikey123@127.0.0.1:1/").unwrap(), reqwest::Client::new());
    let error = client.transaction_receipt(hash(PAID)).await.unwrap_err();
    assert!(matches!(error, RpcError::Unavailable { .. }), "{error:?}");
    assert!(!error.to_string().contains("apikey123"), "{error}");
    assert!(!format!("{error:?}").contains("apikey123"), "{error:?}");
    assert!(!format!("{client:?}").contains("apikey123"), "{client:?}");
}

#[tokio::test]
async fn a_node_quoting_the_url_back_is_scrubbed() {
    // GIVEN a node whose error message repeats the key of the URL it was called at
    let server = node_answering(ResponseTemplate::new(200).set_body_json(json!({
        "jsonrpc": "2.0", "id": 1,
        "error": {"code": -32000, "message": "rate limited for key apikey123456; see /v3/apikey123456"},
    })))
    .await;
    let url = format!("{}/v3/apikey123456", server.uri());
    let client = RpcClient::new(RpcUrl::parse(&url).unwrap(), reqwest::Client::new());
    // WHEN a read fails
    let error = client.block_number().await.unwrap_err();
    // THEN the key is not in the error
    assert!(!error.to_string().contains("apikey123456"), "{error}");
    assert!(error.to_string().contains("rate limited for key [redacted]"), "{error}");
}
