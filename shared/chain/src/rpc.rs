//! [`RpcClient`]: the four Ethereum JSON-RPC reads a payment's verification needs, over
//! `reqwest`, and [`RpcError`].
//!
//! The RPC URL is a secret (many carry an API key): it is never in a `Debug`, a `Display`, an
//! error or a log line. `reqwest` errors are described by their kind and their root cause
//! (never their own `Display`, which names the URL), and anything the node says back is scrubbed
//! of the URL's parts before it reaches an [`RpcError`].

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use alloy_primitives::{Address, Bytes, B256, U64};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::rpc_url::RpcUrl;

/// How long one JSON-RPC call may take, connection included, unless
/// [`RpcClient::with_timeout`] says otherwise. Short: a payment submission answers `503` (safe
/// to retry) rather than hold the customer's page.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest answer read (a receipt of a transaction with thousands of logs is a few MB).
const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// How much of a node's own words (a JSON-RPC error message, a decoding error) an error keeps.
const MAX_DETAIL_CHARS: usize = 200;

/// Why a read did not give an answer. None of them says anything about the payment: the caller
/// changes nothing and answers `503`, or keeps the payment `confirming` and reads again later.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpcError {
    /// Timeout, connection failure, HTTP 429 or 5xx, a JSON-RPC error, or a block the node does
    /// not know yet: reading again later may well work.
    #[error("chain RPC unavailable ({method}): {reason}")]
    Unavailable { method: &'static str, reason: String },
    /// Any other HTTP error status (401, 403, 404…): the network's `rpcUrl` or its key is most
    /// likely wrong, and an operator must fix it.
    #[error("chain RPC refused {method} with HTTP {status}; check the network's rpcUrl")]
    Refused { method: &'static str, status: u16 },
    /// An answer that is not what the JSON-RPC API specifies.
    #[error("chain RPC answered {method} with something malformed: {reason}")]
    Malformed { method: &'static str, reason: String },
}

impl RpcError {
    /// Whether reading again later may succeed without anyone fixing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, RpcError::Unavailable { .. })
    }
}

/// A mined transaction's receipt: what the rule reads of it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "WireReceipt")]
pub struct Receipt {
    pub transaction_hash: B256,
    pub block_number: u64,
    /// `status = 1`.
    pub succeeded: bool,
    pub logs: Vec<Log>,
}

/// One log of a [`Receipt`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    /// The contract that emitted it.
    pub address: Address,
    pub topics: Vec<B256>,
    pub data: Bytes,
    /// Its position in the block (the `logIndex` a payment records).
    pub log_index: u64,
    /// Dropped by a reorganisation (never set in a receipt read from the canonical chain).
    pub removed: bool,
}

/// `eth_getTransactionReceipt`'s result as the API spells it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireReceipt {
    transaction_hash: B256,
    block_number: Option<U64>,
    status: U64,
    logs: Vec<WireLog>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireLog {
    address: Address,
    topics: Vec<B256>,
    data: Bytes,
    log_index: Option<U64>,
    #[serde(default)]
    removed: bool,
}

impl TryFrom<WireReceipt> for Receipt {
    type Error = &'static str;

    fn try_from(wire: WireReceipt) -> Result<Self, Self::Error> {
        let block_number = wire.block_number.ok_or("a receipt without a blockNumber")?.to::<u64>();
        let logs = wire
            .logs
            .into_iter()
            .map(|log| {
                Ok(Log {
                    address: log.address,
                    topics: log.topics,
                    data: log.data,
                    log_index: log.log_index.ok_or("a mined log without a logIndex")?.to::<u64>(),
                    removed: log.removed,
                })
            })
            .collect::<Result<_, &'static str>>()?;
        let succeeded = match wire.status.to::<u64>() {
            1 => true,
            0 => false,
            _ => return Err("a receipt status other than 0 or 1"),
        };
        Ok(Receipt { transaction_hash: wire.transaction_hash, block_number, succeeded, logs })
    }
}

#[derive(Deserialize)]
struct WireBlock {
    timestamp: U64,
}

/// A JSON-RPC 2.0 answer: `result` is kept raw, so that `"result": null` (no such receipt) and
/// a missing `result` (a broken answer) stay apart.
#[derive(Deserialize)]
struct Answer<'a> {
    #[serde(default, borrow, deserialize_with = "present")]
    result: Option<&'a RawValue>,
    error: Option<AnswerError>,
}

/// `Some` for any value, `null` included (serde's `Option` would read `null` as `None`).
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(deserializer).map(Some)
}

#[derive(Deserialize)]
struct AnswerError {
    code: i64,
    #[serde(default)]
    message: String,
}

/// A JSON-RPC client for one network.
pub struct RpcClient {
    url: RpcUrl,
    /// The URL's parts that could be a key, scrubbed from anything the node or the HTTP stack
    /// says before it becomes an error.
    secrets: Vec<String>,
    http: reqwest::Client,
    timeout: Duration,
    next_id: AtomicU64,
}

impl fmt::Debug for RpcClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RpcClient").field("url", &self.url).field("timeout", &self.timeout).finish_non_exhaustive()
    }
}

impl RpcClient {
    /// A client of the node at `rpc_url`, through `http` (share one `reqwest::Client` per
    /// process), with [`DEFAULT_TIMEOUT`].
    pub fn new(rpc_url: RpcUrl, http: reqwest::Client) -> Self {
        let secrets = secret_parts(rpc_url.expose());
        RpcClient { url: rpc_url, secrets, http, timeout: DEFAULT_TIMEOUT, next_id: AtomicU64::new(1) }
    }

    pub fn with_timeout(self, timeout: Duration) -> Self {
        RpcClient { timeout, ..self }
    }

    /// `eth_getTransactionReceipt`: `None` while the transaction is not mined, or if the node
    /// knows no such transaction (tell them apart with [`RpcClient::transaction_exists`]).
    pub async fn transaction_receipt(&self, hash: B256) -> Result<Option<Receipt>, RpcError> {
        const METHOD: &str = "eth_getTransactionReceipt";
        let wire: Option<WireReceipt> = self.call(METHOD, json!([hash])).await?;
        match wire {
            // Some nodes answer a receipt with no block for a transaction still pending: that is
            // "not mined yet", as `null` is.
            Some(wire) if wire.block_number.is_none() => Ok(None),
            Some(wire) => Receipt::try_from(wire)
                .map(Some)
                .map_err(|reason| RpcError::Malformed { method: METHOD, reason: reason.to_owned() }),
            None => Ok(None),
        }
    }

    /// `eth_getTransactionByHash`: whether the node knows the transaction at all, mined or
    /// pending.
    pub async fn transaction_exists(&self, hash: B256) -> Result<bool, RpcError> {
        let found: Option<IgnoredAny> = self.call("eth_getTransactionByHash", json!([hash])).await?;
        Ok(found.is_some())
    }

    /// `eth_getBlockByNumber(number, false)`'s `timestamp`, in unix seconds. A block the node
    /// does not know (yet: behind a load balancer, nodes lag each other) is
    /// [`RpcError::Unavailable`].
    pub async fn block_timestamp(&self, number: u64) -> Result<u64, RpcError> {
        const METHOD: &str = "eth_getBlockByNumber";
        let block: Option<WireBlock> = self.call(METHOD, json!([U64::from(number), false])).await?;
        match block {
            Some(block) => Ok(block.timestamp.to::<u64>()),
            None => Err(RpcError::Unavailable { method: METHOD, reason: format!("block {number} is not known yet") }),
        }
    }

    /// `eth_blockNumber`: the latest block's number.
    pub async fn block_number(&self) -> Result<u64, RpcError> {
        let number: U64 = self.call("eth_blockNumber", json!([])).await?;
        Ok(number.to::<u64>())
    }

    async fn call<T: DeserializeOwned>(&self, method: &'static str, params: Value) -> Result<T, RpcError> {
        let started = Instant::now();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let outcome = self.exchange(method, id, params).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &outcome {
            Ok(_) => tracing::debug!(method, elapsed_ms, "chain RPC call"),
            Err(error) => tracing::warn!(method, elapsed_ms, %error, "chain RPC call failed"),
        }
        outcome
    }

    async fn exchange<T: DeserializeOwned>(&self, method: &'static str, id: u64, params: Value) -> Result<T, RpcError> {
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let unavailable = |reason: String| RpcError::Unavailable { method, reason };
        let malformed = |reason: String| RpcError::Malformed { method, reason };
        let mut response = self
            .http
            .post(self.url.expose().clone())
            .timeout(self.timeout)
            .json(&body)
            .send()
            .await
            .map_err(|e| unavailable(self.describe(e)))?;
        let status = response.status();
        if status.as_u16() == 429 || status.is_server_error() {
            return Err(unavailable(format!("HTTP {}", status.as_u16())));
        }
        if !status.is_success() {
            return Err(RpcError::Refused { method, status: status.as_u16() });
        }
        if response.content_length().is_some_and(|n| n > MAX_ANSWER_BYTES as u64) {
            return Err(malformed(format!("an answer over {MAX_ANSWER_BYTES} bytes")));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| unavailable(self.describe(e)))? {
            if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(malformed(format!("an answer over {MAX_ANSWER_BYTES} bytes")));
            }
            bytes.extend_from_slice(&chunk);
        }
        let answer: Answer<'_> = serde_json::from_slice(&bytes)
            .map_err(|e| malformed(format!("not a JSON-RPC answer ({})", self.detail(&e.to_string()))))?;
        if let Some(error) = answer.error {
            return Err(unavailable(format!("JSON-RPC error {}: {}", error.code, self.detail(&error.message))));
        }
        let result = answer.result.ok_or_else(|| malformed("an answer with neither result nor error".to_owned()))?;
        serde_json::from_str(result.get()).map_err(|e| malformed(self.detail(&e.to_string())))
    }

    /// A `reqwest` error by its kind and root cause: its own `Display` names the URL.
    fn describe(&self, error: reqwest::Error) -> String {
        let error = error.without_url();
        let kind = if error.is_timeout() {
            format!("timed out after {} ms", self.timeout.as_millis())
        } else if error.is_connect() {
            "could not connect".to_owned()
        } else if error.is_body() || error.is_decode() {
            "the answer broke off".to_owned()
        } else {
            "the request failed".to_owned()
        };
        let mut root = std::error::Error::source(&error);
        while let Some(inner) = root.and_then(std::error::Error::source) {
            root = Some(inner);
        }
        match root {
            Some(root) => format!("{kind}: {}", self.detail(&root.to_string())),
            None => kind,
        }
    }

    /// Someone else's words, scrubbed of the URL's parts and cut short.
    fn detail(&self, text: &str) -> String {
        scrub(text, &self.secrets).chars().take(MAX_DETAIL_CHARS).collect()
    }
}

/// The parts of an RPC URL that may be (or contain) a key: the whole URL, the host, the user
/// and password, and the longer path segments, query values and fragment.
fn secret_parts(url: &reqwest::Url) -> Vec<String> {
    let mut parts = vec![url.as_str().to_owned(), url.as_str().trim_end_matches('/').to_owned()];
    parts.extend(url.host_str().map(str::to_owned));
    parts.push(url.username().to_owned());
    parts.extend(url.password().map(str::to_owned));
    parts.extend(url.path_segments().into_iter().flatten().map(str::to_owned));
    parts.extend(url.query_pairs().map(|(_, value)| value.into_owned()));
    parts.extend(url.fragment().map(str::to_owned));
    parts.retain(|p| p.len() >= 6);
    // Longest first, so that the whole URL goes before any of its parts.
    parts.sort_by_key(|p| std::cmp::Reverse(p.len()));
    parts.dedup();
    parts
}

fn scrub(text: &str, secrets: &[String]) -> String {
    secrets.iter().fold(text.to_owned(), |text, secret| text.replace(secret.as_str(), "[redacted]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECEIPT: &str = include_str!("../tests/fixtures/receipt_transfer.json");

    fn client(raw: &str) -> RpcClient {
        RpcClient::new(RpcUrl::parse(raw).unwrap(), reqwest::Client::new())
    }

    #[tokio::test]
    async fn a_connection_failure_never_shows_the_url_or_its_key() {
        // GIVEN a node that is not there, behind a URL that carries a key
        let client = client("http://user:apikey123@127.0.0.1:1/v3/0123456789abcdef");
        // WHEN a read fails
        let error = client.block_number().await.unwrap_err();
        // THEN it is unavailable, and neither its Display nor its Debug carries the URL
        assert!(error.is_transient(), "{error:?}");
        for shown in [error.to_string(), format!("{error:?}"), format!("{client:?}")] {
            assert!(!shown.contains("apikey123"), "{shown}");
            assert!(!shown.contains("0123456789abcdef"), "{shown}");
            assert!(!shown.contains("127.0.0.1"), "{shown}");
        }
        assert!(error.to_string().starts_with("chain RPC unavailable (eth_blockNumber): could not connect"), "{error}");
    }

    #[test]
    fn every_part_of_the_url_that_may_be_a_key_is_scrubbed() {
        let client = client("https://rpc.example.net/v2/KEYKEYKEY?token=QUERYKEY#FRAGMENT");
        let said = "bad key KEYKEYKEY from https://rpc.example.net/v2/KEYKEYKEY?token=QUERYKEY#FRAGMENT (QUERYKEY)";
        let shown = client.detail(said);
        for secret in ["KEYKEYKEY", "QUERYKEY", "FRAGMENT", "rpc.example.net"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.starts_with("bad key [redacted] from [redacted]"), "{shown}");
    }

    #[test]
    fn a_real_receipt_decodes() {
        // A receipt anvil answered for an ERC-20 transfer (tests/fixtures/README.md).
        let answer: Value = serde_json::from_str(RECEIPT).unwrap();
        let receipt: Receipt = serde_json::from_value(answer["result"].clone()).unwrap();
        assert!(receipt.succeeded);
        assert!(receipt.block_number > 0);
        assert_eq!(receipt.logs.len(), 1);
        assert_eq!(receipt.logs[0].topics.len(), 3);
        assert_eq!(receipt.logs[0].data.len(), 32);
    }

    #[test]
    fn a_receipt_with_an_unknown_status_is_refused() {
        let mut answer: Value = serde_json::from_str(RECEIPT).unwrap();
        answer["result"]["status"] = json!("0x2");
        assert!(serde_json::from_value::<Receipt>(answer["result"].clone()).is_err());
    }
}
