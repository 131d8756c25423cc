//! The local EVM chain: anvil (from the npm registry, installed into `local/chain/node_modules` on
//! first run) as a child process, chain id 31337, with the test token (`local/chain/TestUSD.sol`,
//! "Test USD", USDC, 6 decimals) deployed by anvil's first default account as the chain's first
//! transaction, so that it is always at [`TOKEN_ADDRESS`].
//!
//! [`ChainClient`] speaks plain JSON-RPC to such a chain (a started [`LocalChain`] derefs to one):
//! deploy, mint, transfer, `balanceOf`, mining control. Transactions are sent with
//! `eth_sendTransaction` from anvil's unlocked default accounts, so nothing here signs.

use std::net::SocketAddr;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use thiserror::Error;
use tokio::process::{Child, Command};

/// Anvil's chain id.
pub const CHAIN_ID: u64 = 31337;
/// Where the test token lands: the first contract deployed by [`DEV_ACCOUNTS`]`[0]` at nonce 0.
pub const TOKEN_ADDRESS: &str = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
pub const TOKEN_NAME: &str = "Test USD";
pub const TOKEN_SYMBOL: &str = "USDC";
pub const TOKEN_DECIMALS: u8 = 6;
/// The name `make dev` gives the network in the demo account's settings.
pub const NETWORK_NAME: &str = "Anvil";

/// The compiled test token (`npm --prefix local/chain run build-token` rebuilds it): its ABI, its
/// function selectors and its creation bytecode. Embedded, so the runner needs no source files.
pub const ARTIFACT: &str = include_str!("../chain/TestUSD.json");

/// Function selectors of the test token (checked against [`ARTIFACT`] by a unit test).
pub const SELECTOR_MINT: [u8; 4] = [0x40, 0xc1, 0x0f, 0x19];
pub const SELECTOR_TRANSFER: [u8; 4] = [0xa9, 0x05, 0x9c, 0xbb];
pub const SELECTOR_BALANCE_OF: [u8; 4] = [0x70, 0xa0, 0x82, 0x31];

/// One of anvil's default accounts: unlocked on the chain (so `eth_sendTransaction` from it works
/// without signing) and funded with 10,000 ETH for gas. The keys are public knowledge (anvil's
/// "test test … junk" mnemonic): for local chains only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DevAccount {
    pub address: &'static str,
    pub private_key: &'static str,
}

/// Anvil's ten default accounts, in anvil's order. `[0]` deploys the token and mints; `make dev`
/// funds `[1]` as the payer wallet and uses `[9]` as the demo account's treasury.
#[rustfmt::skip]
pub const DEV_ACCOUNTS: [DevAccount; 10] = [
    DevAccount { address: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", private_key: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80" },
    DevAccount { address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", private_key: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d" },
    DevAccount { address: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", private_key: "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a" },
    DevAccount { address: "0x90F79bf6EB2c4f870365E785982E1f101E93b906", private_key: "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6" },
    DevAccount { address: "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65", private_key: "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a" },
    DevAccount { address: "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc", private_key: "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba" },
    DevAccount { address: "0x976EA74026E726554dB657fA54763abd0C3a0aa9", private_key: "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e" },
    DevAccount { address: "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955", private_key: "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356" },
    DevAccount { address: "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f", private_key: "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97" },
    DevAccount { address: "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720", private_key: "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6" },
];

/// How long anvil may take to answer, and a transaction to be mined.
const START_TIMEOUT: Duration = Duration::from_secs(30);
const RECEIPT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Error)]
pub enum ChainError {
    #[error("the local chain needs Node.js and npm to install anvil (Debian: apt-get install nodejs npm)")]
    NodeMissing,
    #[error("`npm ci --prefix {0}` failed ({1}): run it by hand to see why")]
    Install(PathBuf, std::process::ExitStatus),
    #[error("anvil is not at {0} after installing (run `npm ci --prefix local/chain`)")]
    NotInstalled(PathBuf),
    #[error("anvil's npm package has no binary for {0}-{1}")]
    UnsupportedPlatform(&'static str, &'static str),
    #[error("cannot run {0}: {1}")]
    Spawn(&'static str, std::io::Error),
    #[error("port {0} is already in use: set LOOP_CHAIN_PORT to another port, or LOOP_CHAINS to use running chains")]
    PortInUse(u16),
    #[error("anvil exited at start-up ({0})")]
    Exited(std::process::ExitStatus),
    #[error("anvil did not answer on port {0} within 30 s")]
    Timeout(u16),
    #[error("JSON-RPC {method} failed: {message}")]
    Rpc { method: String, message: String },
    #[error("transaction {0} was not mined within 30 s (is automine off?)")]
    NotMined(String),
    #[error("transaction {0} reverted")]
    Reverted(String),
    #[error("the test token landed at {0}, not at {TOKEN_ADDRESS}: the chain was not fresh")]
    TokenAddress(String),
    #[error("not an address (0x and 40 hex digits): {0:?}")]
    BadAddress(String),
    #[error("the embedded TestUSD.json has no creation bytecode")]
    Artifact,
}

/// `local/chain` of this source tree (or `LOOP_CHAIN_DIR`): where anvil is installed.
pub fn default_dir() -> PathBuf {
    std::env::var_os("LOOP_CHAIN_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/chain")))
}

/// The anvil binary of this platform's npm package, under `dir/node_modules`. Run directly rather
/// than through the package's node wrapper, so that stopping it is one signal to one process.
pub fn anvil_binary(dir: &Path) -> Result<PathBuf, ChainError> {
    let platform = match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => "linux-amd64",
        ("linux", "aarch64") => "linux-arm64",
        ("macos", "x86_64") => "darwin-amd64",
        ("macos", "aarch64") => "darwin-arm64",
        (os, arch) => return Err(ChainError::UnsupportedPlatform(os, arch)),
    };
    Ok(dir.join(format!("node_modules/@foundry-rs/anvil-{platform}/bin/anvil")))
}

/// Installs the pinned packages of `dir` (`npm ci`, from its committed lockfile) unless anvil is
/// there already; answers the binary's path.
pub async fn install(dir: &Path) -> Result<PathBuf, ChainError> {
    // One `npm ci` at a time in this process (tests may start chains concurrently).
    static INSTALLING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let anvil = anvil_binary(dir)?;
    if anvil.exists() {
        return Ok(anvil);
    }
    let _installing = INSTALLING.lock().await;
    if anvil.exists() {
        return Ok(anvil);
    }
    tracing::info!(dir = %dir.display(), "installing anvil (npm ci)");
    let status = Command::new("npm")
        .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefix"])
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ChainError::NodeMissing,
            _ => ChainError::Spawn("npm", e),
        })?;
    if !status.success() {
        return Err(ChainError::Install(dir.to_owned(), status));
    }
    if !anvil.exists() {
        return Err(ChainError::NotInstalled(anvil));
    }
    Ok(anvil)
}

/// The test token's creation bytecode, from the embedded artifact.
pub fn token_bytecode() -> Result<String, ChainError> {
    let artifact: Value = serde_json::from_str(ARTIFACT).map_err(|_| ChainError::Artifact)?;
    artifact["bytecode"].as_str().filter(|b| b.len() > 2).map(str::to_owned).ok_or(ChainError::Artifact)
}

/// A running anvil with the test token deployed; stopped when dropped. Derefs to its
/// [`ChainClient`] (`rpc_url`, `chain_id`, `token`, `mint`, …).
pub struct LocalChain {
    child: Child,
    client: ChainClient,
}

impl Deref for LocalChain {
    type Target = ChainClient;

    fn deref(&self) -> &ChainClient {
        &self.client
    }
}

impl LocalChain {
    /// Starts anvil on `127.0.0.1:port` from [`default_dir`] (installing it first if needed) and
    /// deploys the test token.
    pub async fn start(port: u16) -> Result<LocalChain, ChainError> {
        Self::start_in(&default_dir(), port).await
    }

    pub async fn start_in(dir: &Path, port: u16) -> Result<LocalChain, ChainError> {
        let anvil = install(dir).await?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Err(ChainError::PortInUse(port));
        }
        let mut command = Command::new(&anvil);
        command
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--chain-id", &CHAIN_ID.to_string(), "--silent"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true);
        // If the process (or thread) that started anvil dies without cleaning up, the kernel stops
        // anvil too.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let mut child = command.spawn().map_err(|e| ChainError::Spawn("anvil", e))?;
        let client = ChainClient::new(format!("http://127.0.0.1:{port}"));
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(ChainError::Exited(status));
            }
            if client.request("eth_chainId", json!([])).await.is_ok() {
                break;
            }
            if Instant::now() > deadline {
                return Err(ChainError::Timeout(port));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let token = client.deploy_token().await?;
        if !token.eq_ignore_ascii_case(TOKEN_ADDRESS) {
            return Err(ChainError::TokenAddress(token));
        }
        Ok(LocalChain { child, client })
    }

    pub fn client(&self) -> &ChainClient {
        &self.client
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// A local chain (chain id 31337, test token at [`TOKEN_ADDRESS`]) reached over JSON-RPC.
#[derive(Clone, Debug)]
pub struct ChainClient {
    pub rpc_url: String,
    pub chain_id: u64,
    /// The test token's address.
    pub token: String,
    http: reqwest::Client,
}

impl ChainClient {
    /// A client for an anvil chain at `rpc_url` whose test token is at [`TOKEN_ADDRESS`].
    pub fn new(rpc_url: String) -> ChainClient {
        // No pooled connections: a client shared by tests outlives each test's runtime, and a
        // connection left in the pool would die with the runtime that opened it.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(0)
            .build()
            .expect("an HTTP client");
        ChainClient { rpc_url, chain_id: CHAIN_ID, token: TOKEN_ADDRESS.to_owned(), http }
    }

    /// The same chain, for the token at `token`.
    pub fn with_token(&self, token: &str) -> ChainClient {
        ChainClient { token: token.to_owned(), ..self.clone() }
    }

    /// The value of `LOOP_CHAINS` for this chain: `{"31337": {"rpcUrl": …, "confirmations": n}}`.
    pub fn loop_chains_json(&self, confirmations: u64) -> Value {
        json!({ self.chain_id.to_string(): { "rpcUrl": self.rpc_url, "confirmations": confirmations } })
    }

    /// One JSON-RPC call; answers its `result`.
    pub async fn request(&self, method: &str, params: Value) -> Result<Value, ChainError> {
        let failed = |message: String| ChainError::Rpc { method: method.to_owned(), message };
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        let response = self.http.post(&self.rpc_url).json(&body).send().await.map_err(|e| failed(e.to_string()))?;
        let mut answer: Value = response.json().await.map_err(|e| failed(e.to_string()))?;
        if let Some(error) = answer.get("error") {
            return Err(failed(error.to_string()));
        }
        match answer.get_mut("result") {
            Some(result) => Ok(result.take()),
            None => Err(failed(format!("no result in {answer}"))),
        }
    }

    /// Sends a transaction from an unlocked account (`to: None` creates a contract); answers its
    /// hash without waiting for it to be mined (anvil assigns the nonce).
    pub async fn send_transaction(&self, from: &str, to: Option<&str>, data: &str) -> Result<String, ChainError> {
        let mut tx = json!({ "from": address(from)?, "data": data });
        if let Some(to) = to {
            tx["to"] = json!(address(to)?);
        }
        let hash = self.request("eth_sendTransaction", json!([tx])).await?;
        hash.as_str().map(str::to_owned).ok_or_else(|| ChainError::Rpc {
            method: "eth_sendTransaction".to_owned(),
            message: format!("not a transaction hash: {hash}"),
        })
    }

    /// The transaction's receipt, or `None` while it is pending.
    pub async fn receipt(&self, hash: &str) -> Result<Option<Value>, ChainError> {
        let receipt = self.request("eth_getTransactionReceipt", json!([hash])).await?;
        Ok(Some(receipt).filter(|r| !r.is_null()))
    }

    /// Waits (30 s at most) for the transaction to be mined; an error if it reverted.
    pub async fn wait_for_receipt(&self, hash: &str) -> Result<Value, ChainError> {
        let deadline = Instant::now() + RECEIPT_TIMEOUT;
        loop {
            if let Some(receipt) = self.receipt(hash).await? {
                if receipt["status"] != "0x1" {
                    return Err(ChainError::Reverted(hash.to_owned()));
                }
                return Ok(receipt);
            }
            if Instant::now() > deadline {
                return Err(ChainError::NotMined(hash.to_owned()));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Deploys the test token from [`DEV_ACCOUNTS`]`[0]`; answers the contract's address (which is
    /// [`TOKEN_ADDRESS`] only as the chain's first transaction).
    pub async fn deploy_token(&self) -> Result<String, ChainError> {
        let hash = self.send_transaction(DEV_ACCOUNTS[0].address, None, &token_bytecode()?).await?;
        let receipt = self.wait_for_receipt(&hash).await?;
        Ok(receipt["contractAddress"].as_str().unwrap_or_default().to_owned())
    }

    /// Mints `amount` base units of the test token to `to` (from [`DEV_ACCOUNTS`]`[0]`) and waits
    /// for it to be mined; answers the transaction's hash.
    pub async fn mint(&self, to: &str, amount: u128) -> Result<String, ChainError> {
        let data = encode_call(SELECTOR_MINT, &[address_word(to)?, uint_word(amount)]);
        let hash = self.send_transaction(DEV_ACCOUNTS[0].address, Some(&self.token), &data).await?;
        self.wait_for_receipt(&hash).await?;
        Ok(hash)
    }

    /// Sends an ERC-20 `transfer` of `amount` base units of the test token from an unlocked
    /// account (one of [`DEV_ACCOUNTS`]) to `to`; answers the transaction's hash as soon as the
    /// chain accepts it, before it is mined: [`ChainClient::wait_for_receipt`] waits for the block
    /// (even with automine on, anvil mines just after answering), and with automine off it stays
    /// pending until [`ChainClient::mine`]. A transfer beyond the balance is mined as reverted.
    pub async fn transfer(&self, from: &str, to: &str, amount: u128) -> Result<String, ChainError> {
        let data = encode_call(SELECTOR_TRANSFER, &[address_word(to)?, uint_word(amount)]);
        self.send_transaction(from, Some(&self.token), &data).await
    }

    /// The test token's `balanceOf(owner)`, in base units.
    pub async fn balance_of(&self, owner: &str) -> Result<u128, ChainError> {
        let data = encode_call(SELECTOR_BALANCE_OF, &[address_word(owner)?]);
        let answer = self.request("eth_call", json!([{ "to": self.token, "data": data }, "latest"])).await?;
        answer.as_str().and_then(decode_uint).ok_or_else(|| ChainError::Rpc {
            method: "eth_call".to_owned(),
            message: format!("balanceOf answered {answer}"),
        })
    }

    /// Mines `blocks` blocks now (`anvil_mine`), with or without pending transactions.
    pub async fn mine(&self, blocks: u64) -> Result<(), ChainError> {
        self.request("anvil_mine", json!([format!("{blocks:#x}")])).await.map(drop)
    }

    /// Automine on (every transaction mined at once, anvil's default) or off (transactions wait
    /// for [`ChainClient::mine`]). Chain-wide: affects everyone using this chain.
    pub async fn set_automine(&self, on: bool) -> Result<(), ChainError> {
        self.request("evm_setAutomine", json!([on])).await.map(drop)
    }

    pub async fn block_number(&self) -> Result<u64, ChainError> {
        let answer = self.request("eth_blockNumber", json!([])).await?;
        answer.as_str().and_then(|h| u64::from_str_radix(h.trim_start_matches("0x"), 16).ok()).ok_or_else(|| {
            ChainError::Rpc { method: "eth_blockNumber".to_owned(), message: format!("answered {answer}") }
        })
    }
}

/// Checks an address's form (`0x` and 40 hex digits, any case).
fn address(raw: &str) -> Result<&str, ChainError> {
    let ok = raw.len() == 42 && raw.starts_with("0x") && raw[2..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(raw)
    } else {
        Err(ChainError::BadAddress(raw.to_owned()))
    }
}

/// An address as an ABI word: 12 zero bytes, then its 20 bytes.
pub fn address_word(raw: &str) -> Result<[u8; 32], ChainError> {
    let bytes = hex::decode(&address(raw)?[2..]).map_err(|_| ChainError::BadAddress(raw.to_owned()))?;
    let mut word = [0u8; 32];
    word[12..].copy_from_slice(&bytes);
    Ok(word)
}

/// A `uint256` ABI word.
pub fn uint_word(value: u128) -> [u8; 32] {
    let mut word = [0u8; 32];
    word[16..].copy_from_slice(&value.to_be_bytes());
    word
}

/// Call data: the selector, then the static arguments' words, as `0x…` hex.
pub fn encode_call(selector: [u8; 4], words: &[[u8; 32]]) -> String {
    let mut data = Vec::with_capacity(4 + 32 * words.len());
    data.extend_from_slice(&selector);
    for word in words {
        data.extend_from_slice(word);
    }
    format!("0x{}", hex::encode(data))
}

/// A `uint256` return value (`0x` and 64 hex digits) that fits in a `u128`.
pub fn decode_uint(raw: &str) -> Option<u128> {
    let digits = raw.strip_prefix("0x")?;
    if digits.len() != 64 || !digits[..32].bytes().all(|b| b == b'0') {
        return None;
    }
    u128::from_str_radix(&digits[32..], 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_are_the_compiled_tokens() {
        let artifact: Value = serde_json::from_str(ARTIFACT).unwrap();
        let ids = &artifact["methodIdentifiers"];
        assert_eq!(ids["mint(address,uint256)"], hex::encode(SELECTOR_MINT));
        assert_eq!(ids["transfer(address,uint256)"], hex::encode(SELECTOR_TRANSFER));
        assert_eq!(ids["balanceOf(address)"], hex::encode(SELECTOR_BALANCE_OF));
        assert!(token_bytecode().unwrap().starts_with("0x6080"));
    }

    #[test]
    fn mint_call_data_is_selector_and_two_words() {
        let data = encode_call(SELECTOR_MINT, &[address_word(DEV_ACCOUNTS[1].address).unwrap(), uint_word(1_000_000)]);
        assert_eq!(
            data,
            "0x40c10f19\
             00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8\
             00000000000000000000000000000000000000000000000000000000000f4240"
        );
    }

    #[test]
    fn words_and_addresses() {
        assert_eq!(uint_word(u128::MAX)[..16], [0u8; 16]);
        assert_eq!(uint_word(u128::MAX)[16..], [0xff; 16]);
        assert!(address_word("0x12").is_err());
        assert!(address_word("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266").is_err());
        assert!(address_word("0xg39Fd6e51aad88F6F4ce6aB8827279cffFb92266").is_err());
        let word = address_word(TOKEN_ADDRESS).unwrap();
        assert_eq!(hex::encode(&word[12..]), TOKEN_ADDRESS[2..].to_ascii_lowercase());
    }

    #[test]
    fn uints_decode_when_they_fit() {
        let word = |s: &str| format!("0x{s:0>64}");
        assert_eq!(decode_uint(&word("f4240")), Some(1_000_000));
        assert_eq!(decode_uint(&word("0")), Some(0));
        assert_eq!(decode_uint(&format!("0x{}", "f".repeat(64))), None);
        assert_eq!(decode_uint("0x"), None);
        assert_eq!(decode_uint(&word("f4240")[2..]), None);
    }

    #[test]
    fn loop_chains_names_the_chain_by_id() {
        let chain = ChainClient::new("http://127.0.0.1:8545".to_owned());
        assert_eq!(
            chain.loop_chains_json(1),
            json!({"31337": {"rpcUrl": "http://127.0.0.1:8545", "confirmations": 1}})
        );
    }

    #[test]
    fn every_dev_account_is_well_formed() {
        for account in DEV_ACCOUNTS {
            assert!(address(account.address).is_ok(), "{account:?}");
            assert_eq!(account.private_key.len(), 66, "{account:?}");
        }
    }
}
