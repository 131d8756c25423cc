//! Loop's chain adapter and the rule that says whether a transaction pays (`payments.md`, "The
//! rule: pay, then prove"). An adapter beside `loop-adapters`, below the capabilities: it knows nothing of accounts,
//! sessions or stores, only of what a network's JSON-RPC says.
//!
//! The modules, each with one job:
//!
//! - [`rpc_url`] — a network's RPC URL, a secret: redacted in every `Debug` and `Display`
//! - [`rpc`] — [`RpcClient`], the four JSON-RPC reads over `reqwest`, and [`RpcError`].
//! - [`chain`] — the narrow [`Chain`] trait those reads form, which [`RpcClient`] implements, and
//!   [`observe`], which makes the reads one verification needs.
//! - `fake` (feature `fake`) — `fake::FakeChain`, an in-memory [`Chain`] for the tests of the
//!   capabilities above this crate.
//! - [`transfer_log`] — ERC-20 `Transfer` logs decoded from a receipt.
//! - [`verify`](mod@verify) — the pure rule: what was read and what was expected in, a [`Verdict`] out.
//! - [`eip681`] — the payment request URI of the hosted page's QR code, amounts between decimal
//!   strings and base units, and transaction hashes parsed at the edge.
//!
//! A payment walks: the edge parses the hash ([`parse_tx_hash`]), the payments capability calls
//! [`observe`] on the network's [`Chain`], then [`verify`](verify::verify) with its
//! [`Expectation`], and records the [`Payment`] of a `Paid` or `Underpaid` verdict.

pub mod chain;
pub mod eip681;
#[cfg(any(test, feature = "fake"))]
pub mod fake;
pub mod rpc;
pub mod rpc_url;
pub mod transfer_log;
pub mod verify;

pub use alloy_primitives::{Address, B256, U256};
pub use chain::{observe, Chain, ChainFuture, Observation};

pub use eip681::{amount_to_base_units, base_units_to_decimal, parse_tx_hash, payment_request_uri, AmountError};
pub use rpc::{Log, Receipt, RpcClient, RpcError};
pub use rpc_url::{InvalidRpcUrl, RpcUrl};
pub use transfer_log::{transfers_to, Transfer};
pub use verify::{verify, Expectation, Payment, Verdict};
