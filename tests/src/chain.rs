//! The local EVM chain for tests: anvil with the test token (`loop_local::chain`), started once per
//! test process on a free port and shared by its tests, or one of a test's own.
//!
//! Tests pay with real transactions: [`ChainClient::transfer`] sends the token from one of anvil's
//! unlocked default accounts ([`DEV_ACCOUNTS`]) and answers the transaction's hash. The chain is
//! shared, so a test reads balances only of addresses it alone uses ([`random_address`]), and
//! switches automine off only on a chain of its own ([`own_chain`]).

use std::sync::{mpsc, OnceLock};

use sha2::{Digest, Sha256};

pub use loop_local::chain::{
    ChainClient, ChainError, DevAccount, LocalChain, CHAIN_ID, DEV_ACCOUNTS, TOKEN_ADDRESS, TOKEN_DECIMALS,
    TOKEN_SYMBOL,
};

/// This test process's chain, started on first use and stopped when the process ends. A test
/// that cannot start it fails (it never skips): anvil is installed on first use if missing, which
/// needs Node.js and npm.
pub fn test_chain() -> &'static ChainClient {
    static CHAIN: OnceLock<ChainClient> = OnceLock::new();
    CHAIN.get_or_init(|| {
        // Anvil is stopped by the kernel when the thread that started it ends (PR_SET_PDEATHSIG),
        // so it is started from a thread that lives as long as the process, and its runtime (which
        // reaps it) with it.
        let (started, receive) = mpsc::channel();
        std::thread::Builder::new()
            .name("loop-test-chain".to_owned())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                runtime.block_on(async move {
                    match LocalChain::start(free_port()).await {
                        Ok(chain) => {
                            let _ = started.send(Ok(chain.client().clone()));
                            std::future::pending::<()>().await;
                            drop(chain);
                        }
                        Err(err) => {
                            let _ = started.send(Err(err.to_string()));
                        }
                    }
                })
            })
            .expect("a thread for the test chain");
        match receive.recv() {
            Ok(Ok(client)) => client,
            Ok(Err(err)) => panic!("cannot start the test chain: {err}"),
            Err(_) => panic!("cannot start the test chain: its thread ended"),
        }
    })
}

/// A chain of the calling test's own, on a free port: stopped when dropped.
pub async fn own_chain() -> LocalChain {
    LocalChain::start(free_port()).await.unwrap_or_else(|err| panic!("cannot start a chain: {err}"))
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().unwrap().port()
}

/// A fresh address no other test uses (nobody holds its key).
pub fn random_address() -> String {
    let digest = Sha256::digest(loop_ground::ids::random_token(32).as_bytes());
    format!("0x{}", hex::encode(&digest[..20]))
}

/// `amount` whole tokens in base units (6 decimals: `usdc(5)` is 5,000,000).
pub fn usdc(amount: u128) -> u128 {
    amount * 10u128.pow(TOKEN_DECIMALS as u32)
}
