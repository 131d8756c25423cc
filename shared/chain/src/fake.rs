//! [`FakeChain`]: an in-memory [`Chain`], so that the capabilities above this crate test their
//! payment paths without a network (the real client is tested against real answers). Feature
//! `fake`.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolEvent;

use crate::chain::{Chain, ChainFuture};
use crate::rpc::{Log, Receipt, RpcError};
use crate::transfer_log::erc20;

/// A network held in memory: receipts by hash, pending transactions, block timestamps and the
/// latest block, and a switch that makes every read [`RpcError::Unavailable`].
#[derive(Debug, Default)]
pub struct FakeChain {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    receipts: HashMap<B256, Receipt>,
    pending: HashSet<B256>,
    blocks: HashMap<u64, u64>,
    latest: u64,
    unavailable: bool,
}

impl FakeChain {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Mines `receipt` in its block at `block_timestamp` (the latest block moves up to it if it
    /// was below); the transaction is no longer pending.
    pub fn mine(&self, receipt: Receipt, block_timestamp: u64) {
        let mut state = self.state();
        state.pending.remove(&receipt.transaction_hash);
        state.blocks.insert(receipt.block_number, block_timestamp);
        state.latest = state.latest.max(receipt.block_number);
        state.receipts.insert(receipt.transaction_hash, receipt);
    }

    /// A transaction known to the network, not mined yet.
    pub fn add_pending(&self, hash: B256) {
        self.state().pending.insert(hash);
    }

    pub fn add_block(&self, number: u64, timestamp: u64) {
        self.state().blocks.insert(number, timestamp);
    }

    pub fn set_latest_block(&self, number: u64) {
        self.state().latest = number;
    }

    /// While set, every read fails as a timed-out node would.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.state().unavailable = unavailable;
    }

    fn read<T: Send + 'static>(
        &self,
        method: &'static str,
        answer: impl FnOnce(&State) -> Result<T, RpcError>,
    ) -> ChainFuture<'_, T> {
        let state = self.state();
        let outcome = if state.unavailable {
            Err(RpcError::Unavailable { method, reason: "timed out (fake)".to_owned() })
        } else {
            answer(&state)
        };
        Box::pin(std::future::ready(outcome))
    }
}

impl Chain for FakeChain {
    fn transaction_receipt(&self, hash: B256) -> ChainFuture<'_, Option<Receipt>> {
        self.read("eth_getTransactionReceipt", |s| Ok(s.receipts.get(&hash).cloned()))
    }

    fn transaction_exists(&self, hash: B256) -> ChainFuture<'_, bool> {
        self.read("eth_getTransactionByHash", |s| Ok(s.receipts.contains_key(&hash) || s.pending.contains(&hash)))
    }

    fn block_timestamp(&self, number: u64) -> ChainFuture<'_, u64> {
        const METHOD: &str = "eth_getBlockByNumber";
        self.read(METHOD, |s| {
            s.blocks.get(&number).copied().ok_or_else(|| RpcError::Unavailable {
                method: METHOD,
                reason: format!("block {number} is not known yet"),
            })
        })
    }

    fn block_number(&self) -> ChainFuture<'_, u64> {
        self.read("eth_blockNumber", |s| Ok(s.latest))
    }
}

/// The log an ERC-20 `token` emits for `transfer(to, value)` sent by `from`.
pub fn transfer_log(token: Address, from: Address, to: Address, value: U256, log_index: u64) -> Log {
    let data = erc20::Transfer { from, to, value }.encode_log_data();
    Log { address: token, topics: data.topics().to_vec(), data: data.data, log_index, removed: false }
}

/// A succeeded receipt of one ERC-20 transfer, at log index 0.
pub fn transfer_receipt(
    hash: B256,
    block_number: u64,
    token: Address,
    from: Address,
    to: Address,
    value: U256,
) -> Receipt {
    Receipt {
        transaction_hash: hash,
        block_number,
        succeeded: true,
        logs: vec![transfer_log(token, from, to, value, 0)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{observe, Observation};

    const HASH: B256 = B256::repeat_byte(7);

    fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
    }

    #[test]
    fn observe_tells_unknown_pending_and_mined_apart() {
        let chain = FakeChain::new();
        assert_eq!(block_on(observe(&chain, HASH)), Ok(Observation::Unknown));
        chain.add_pending(HASH);
        assert_eq!(block_on(observe(&chain, HASH)), Ok(Observation::Pending));
        let receipt = transfer_receipt(HASH, 12, Address::ZERO, Address::ZERO, Address::ZERO, U256::from(1u64));
        chain.mine(receipt.clone(), 1_700_000_000);
        chain.set_latest_block(14);
        assert_eq!(
            block_on(observe(&chain as &dyn Chain, HASH)),
            Ok(Observation::Mined { receipt, block_timestamp: 1_700_000_000, latest_block: 14 })
        );
    }

    #[test]
    fn an_unavailable_chain_fails_every_read() {
        let chain = FakeChain::new();
        chain.add_pending(HASH);
        chain.set_unavailable(true);
        let error = block_on(observe(&chain, HASH)).unwrap_err();
        assert!(error.is_transient(), "{error}");
        chain.set_unavailable(false);
        assert_eq!(block_on(observe(&chain, HASH)), Ok(Observation::Pending));
    }
}
