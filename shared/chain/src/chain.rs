//! [`Chain`]: the reads a payment's verification makes of a network, and [`observe`], which
//! makes them in order.
//!
//! The trait is object-safe (`&dyn Chain`, `Arc<dyn Chain>` per network) with boxed futures: the
//! project has no `async-trait`, and a heap allocation per network read costs nothing beside the
//! read itself.

use std::future::Future;
use std::pin::Pin;

use alloy_primitives::B256;

use crate::rpc::{Receipt, RpcClient, RpcError};

/// The future a [`Chain`] read returns.
pub type ChainFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, RpcError>> + Send + 'a>>;

/// A network, as far as verifying a payment needs to read it. [`RpcClient`] is the real one;
/// `fake::FakeChain` (feature `fake`) is an in-memory one for tests.
pub trait Chain: Send + Sync {
    /// The receipt of a mined transaction; `None` if it is pending or unknown.
    fn transaction_receipt(&self, hash: B256) -> ChainFuture<'_, Option<Receipt>>;
    /// Whether the network knows the transaction, pending or mined.
    fn transaction_exists(&self, hash: B256) -> ChainFuture<'_, bool>;
    /// A block's timestamp, in unix seconds.
    fn block_timestamp(&self, number: u64) -> ChainFuture<'_, u64>;
    /// The latest block's number.
    fn block_number(&self) -> ChainFuture<'_, u64>;
}

impl Chain for RpcClient {
    fn transaction_receipt(&self, hash: B256) -> ChainFuture<'_, Option<Receipt>> {
        Box::pin(RpcClient::transaction_receipt(self, hash))
    }

    fn transaction_exists(&self, hash: B256) -> ChainFuture<'_, bool> {
        Box::pin(RpcClient::transaction_exists(self, hash))
    }

    fn block_timestamp(&self, number: u64) -> ChainFuture<'_, u64> {
        Box::pin(RpcClient::block_timestamp(self, number))
    }

    fn block_number(&self) -> ChainFuture<'_, u64> {
        Box::pin(RpcClient::block_number(self))
    }
}

/// What the network says of a transaction: the input of [`verify`](crate::verify::verify).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// Neither mined nor pending: the network does not know it (yet: a transaction just sent may
    /// take a moment to reach the node Loop reads).
    Unknown,
    /// Known to the network, not mined yet.
    Pending,
    /// Mined: its receipt, its block's timestamp, and the latest block's number when it was read.
    Mined { receipt: Receipt, block_timestamp: u64, latest_block: u64 },
}

/// Reads what [`verify`](crate::verify::verify) needs of `hash`: the receipt; without one,
/// whether the transaction is pending; with one, its block's timestamp and the latest block.
/// Two reads for an unknown or pending transaction, three for a mined one.
pub async fn observe(chain: &(impl Chain + ?Sized), hash: B256) -> Result<Observation, RpcError> {
    let Some(receipt) = chain.transaction_receipt(hash).await? else {
        return Ok(if chain.transaction_exists(hash).await? { Observation::Pending } else { Observation::Unknown });
    };
    let block_timestamp = chain.block_timestamp(receipt.block_number).await?;
    let latest_block = chain.block_number().await?;
    Ok(Observation::Mined { receipt, block_timestamp, latest_block })
}
