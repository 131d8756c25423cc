//! The local chain that payment tests pay on: anvil with the test token at its fixed address,
//! minting, transfers that emit the standard event, and a transfer held unconfirmed until mined.

use loop_tests::chain::{own_chain, random_address, test_chain, usdc, CHAIN_ID, DEV_ACCOUNTS, TOKEN_ADDRESS};
use serde_json::json;

/// keccak256("Transfer(address,address,uint256)"): the ERC-20 event every wallet and explorer reads.
const TRANSFER_TOPIC: &str = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";

const ZERO_ADDRESS: &str = "0x0000000000000000000000000000000000000000";

fn topic_of(address: &str) -> String {
    format!("0x{:0>64}", address[2..].to_ascii_lowercase())
}

#[tokio::test]
async fn the_token_is_deployed_where_the_spec_says() {
    let chain = test_chain();
    assert_eq!(chain.chain_id, CHAIN_ID);
    assert_eq!(chain.token, TOKEN_ADDRESS);
    assert_eq!(chain.request("eth_chainId", json!([])).await.unwrap(), "0x7a69");
    let code = chain.request("eth_getCode", json!([TOKEN_ADDRESS, "latest"])).await.unwrap();
    assert!(code.as_str().is_some_and(|c| c.len() > 2), "no code at the token's address: {code}");
    // decimals() and symbol()
    let call = |data: &str| chain.request("eth_call", json!([{"to": TOKEN_ADDRESS, "data": data}, "latest"]));
    let decimals = call("0x313ce567").await.unwrap();
    assert_eq!(loop_local::chain::decode_uint(decimals.as_str().unwrap()), Some(6));
    let symbol = call("0x95d89b41").await.unwrap();
    assert!(symbol.as_str().unwrap().contains(&hex::encode("USDC")), "{symbol}");
    assert_eq!(
        chain.loop_chains_json(1),
        json!({"31337": {"rpcUrl": chain.rpc_url, "confirmations": 1}}),
        "the LOOP_CHAINS entry for this chain"
    );
}

#[tokio::test]
async fn a_wallet_mints_and_pays_with_a_real_transfer() {
    let chain = test_chain();
    let payer = random_address();
    let mint = chain.mint(&payer, usdc(5)).await.unwrap();
    let receipt = chain.receipt(&mint).await.unwrap().expect("minting waits for the block");
    let log = &receipt["logs"][0];
    assert_eq!(log["topics"], json!([TRANSFER_TOPIC, topic_of(ZERO_ADDRESS), topic_of(&payer)]));
    assert_eq!(chain.balance_of(&payer).await.unwrap(), usdc(5));

    // A default account pays a fresh treasury: the transfer is mined at once (automine).
    let wallet = DEV_ACCOUNTS[2];
    chain.mint(wallet.address, usdc(100)).await.unwrap();
    let treasury = random_address();
    let hash = chain.transfer(wallet.address, &treasury, 12_345_678).await.unwrap();
    assert!(hash.starts_with("0x") && hash.len() == 66, "{hash}");
    let receipt = chain.wait_for_receipt(&hash).await.unwrap();
    assert_eq!(receipt["to"].as_str().unwrap().to_ascii_lowercase(), TOKEN_ADDRESS.to_ascii_lowercase());
    let log = &receipt["logs"][0];
    assert_eq!(log["address"].as_str().unwrap().to_ascii_lowercase(), TOKEN_ADDRESS.to_ascii_lowercase());
    assert_eq!(log["topics"], json!([TRANSFER_TOPIC, topic_of(wallet.address), topic_of(&treasury)]));
    assert_eq!(loop_local::chain::decode_uint(log["data"].as_str().unwrap()), Some(12_345_678));
    assert_eq!(chain.balance_of(&treasury).await.unwrap(), 12_345_678);
}

#[tokio::test]
async fn a_transfer_beyond_the_balance_is_mined_as_reverted() {
    let chain = test_chain();
    let treasury = random_address();
    let hash = chain.transfer(DEV_ACCOUNTS[3].address, &treasury, u128::MAX).await.unwrap();
    let err = chain.wait_for_receipt(&hash).await.unwrap_err();
    assert!(matches!(err, loop_local::chain::ChainError::Reverted(_)), "{err}");
    let receipt = chain.receipt(&hash).await.unwrap().expect("mined");
    assert_eq!(receipt["status"], "0x0");
    assert_eq!(receipt["logs"], json!([]));
    assert_eq!(chain.balance_of(&treasury).await.unwrap(), 0);
}

#[tokio::test]
async fn with_automine_off_a_transfer_waits_for_a_block() {
    let chain = own_chain().await;
    assert_eq!(chain.token, TOKEN_ADDRESS, "a fresh chain's token is at the same address");
    let wallet = DEV_ACCOUNTS[4];
    let treasury = random_address();
    chain.mint(wallet.address, usdc(10)).await.unwrap();

    chain.set_automine(false).await.unwrap();
    let before = chain.block_number().await.unwrap();
    let hash = chain.transfer(wallet.address, &treasury, usdc(3)).await.unwrap();
    assert_eq!(chain.receipt(&hash).await.unwrap(), None, "pending while no block is mined");
    assert_eq!(chain.balance_of(&treasury).await.unwrap(), 0);

    chain.mine(3).await.unwrap();
    let receipt = chain.receipt(&hash).await.unwrap().expect("mined");
    assert_eq!(receipt["blockNumber"], json!(format!("{:#x}", before + 1)));
    assert_eq!(chain.block_number().await.unwrap(), before + 3, "two confirmations on top");
    assert_eq!(chain.balance_of(&treasury).await.unwrap(), usdc(3));
    assert_eq!(chain.balance_of(wallet.address).await.unwrap(), usdc(7));

    chain.set_automine(true).await.unwrap();
    let hash = chain.transfer(wallet.address, &treasury, usdc(1)).await.unwrap();
    chain.wait_for_receipt(&hash).await.expect("mined without asking again");
    assert_eq!(chain.balance_of(&treasury).await.unwrap(), usdc(4));
    let url = chain.rpc_url.clone();
    chain.stop().await;
    assert!(loop_local::chain::ChainClient::new(url).block_number().await.is_err(), "stopped");
}
