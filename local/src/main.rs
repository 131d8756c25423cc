//! `make dev`: the emulator (unless `AWS_ENDPOINT_URL` names one), the local chain (unless
//! `LOOP_CHAINS` names chains), the tables and queues, a demo account, and every function, until
//! Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use loop_adapters::App;
use loop_capabilities::accounts::{self, NewAccount};
use loop_ground::config::Config;
use loop_ground::domain::account::stripe_webhook_path;
use loop_local::chain::{self, ChainClient, LocalChain, DEV_ACCOUNTS};
use loop_local::emulator::Emulator;
use loop_local::StackOptions;

const DEMO_ACCOUNT_NAME: &str = "Demo";
/// The demo's payer wallet (funded with [`PAYER_FUNDS`]) and treasury, among anvil's accounts.
const PAYER: usize = 1;
const TREASURY: usize = 9;
/// 1,000,000 USDC, in base units.
const PAYER_FUNDS: u128 = 1_000_000 * 10u128.pow(chain::TOKEN_DECIMALS as u32);

fn main() -> ExitCode {
    loop_ground::logging::init(true);
    let result = chain_port().and_then(|port| {
        if let Some(port) = port {
            // Set before any thread starts, so every reader of the environment sees it.
            let chains = ChainClient::new(chain_url(port)).loop_chains_json(1);
            std::env::set_var("LOOP_CHAINS", chains.to_string());
        }
        let runtime = tokio::runtime::Runtime::new().map_err(|e| format!("cannot start the runtime: {e}"))?;
        runtime.block_on(run(port))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("loop-local: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The port to start the local chain on, or `None` when `LOOP_CHAINS` names the chains to use.
fn chain_port() -> Result<Option<u16>, String> {
    if std::env::var("LOOP_CHAINS").is_ok_and(|v| !v.trim().is_empty()) {
        return Ok(None);
    }
    env_or("LOOP_CHAIN_PORT", "8545").parse::<u16>().map(Some).map_err(|e| format!("LOOP_CHAIN_PORT: {e}"))
}

fn chain_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned())
}

async fn run(chain_port: Option<u16>) -> Result<(), String> {
    let http_addr: SocketAddr =
        env_or("LOOP_HTTP_ADDR", "127.0.0.1:3000").parse().map_err(|e| format!("LOOP_HTTP_ADDR: {e}"))?;
    let schedule_interval = env_or("LOOP_SCHEDULE_INTERVAL_SECONDS", "60")
        .parse::<u64>()
        .map_err(|e| format!("LOOP_SCHEDULE_INTERVAL_SECONDS: {e}"))?;
    let mut config = Config::from_env().map_err(|e| e.to_string())?;
    let emulator = match &config.aws.endpoint_url {
        Some(url) => {
            eprintln!("Using the emulator at {url}");
            None
        }
        None => {
            let port =
                env_or("LOOP_EMULATOR_PORT", "4566").parse::<u16>().map_err(|e| format!("LOOP_EMULATOR_PORT: {e}"))?;
            let moto = PathBuf::from(env_or("LOOP_EMULATOR_PYTHON", ".venv/bin/python"));
            let emulator = Emulator::start(&moto, port).await.map_err(|e| e.to_string())?;
            eprintln!("Started the moto server on {} (state lives in memory only)", emulator.endpoint_url);
            config = Config::from_lookup(|name| match name {
                "AWS_ENDPOINT_URL" => Some(emulator.endpoint_url.clone()),
                other => std::env::var(other).ok(),
            })
            .map_err(|e| e.to_string())?;
            Some(emulator)
        }
    };
    let chain = match chain_port {
        None => {
            eprintln!("Using the chains in LOOP_CHAINS (no local chain started)");
            None
        }
        Some(port) => {
            let chain = LocalChain::start(port).await.map_err(|e| e.to_string())?;
            debug_assert_eq!(chain.rpc_url, chain_url(port));
            eprintln!(
                "Started anvil on {} (chain id {}, test token at {})",
                chain.rpc_url, chain.chain_id, chain.token
            );
            Some(chain)
        }
    };
    let interval = Duration::from_secs(schedule_interval.max(1));
    let result = serve(config, http_addr, interval, chain.as_ref().map(|c| c.client())).await;
    if let Some(chain) = chain {
        chain.stop().await;
        eprintln!("Stopped anvil");
    }
    if let Some(emulator) = emulator {
        emulator.stop().await;
        eprintln!("Stopped the moto server");
    }
    result
}

async fn serve(
    config: Config,
    http_addr: SocketAddr,
    schedule_interval: Duration,
    chain: Option<&ChainClient>,
) -> Result<(), String> {
    let stack = loop_local::start(StackOptions { config, http_addr, schedule_interval, visibility_timeout: None })
        .await
        .map_err(|e| e.to_string())?;
    let base = stack.base_url();
    print_demo(&stack.app, &base, chain).await?;
    wait_for_stop().await;
    eprintln!("Shutting down");
    stack.shutdown().await;
    Ok(())
}

/// Finds or creates the demo account, points it at the local chain (if one was started), and prints
/// a fresh test-mode key for it and the chain's payer wallet: the only secrets the runner ever
/// prints.
async fn print_demo(app: &App, base: &str, chain: Option<&ChainClient>) -> Result<(), String> {
    let existing = app.store.list_accounts().await.map_err(|e| e.to_string())?;
    let account = match existing.into_iter().find(|a| a.name == DEMO_ACCOUNT_NAME) {
        Some(account) => account,
        None => {
            accounts::create_account(
                &app.store,
                app.clock.as_ref(),
                NewAccount { name: DEMO_ACCOUNT_NAME, support_email: None, test_mode: true },
            )
            .await
            .map_err(|e| e.to_string())?
            .account
        }
    };
    let key =
        accounts::create_key(&app.store, app.clock.as_ref(), &account.id, true).await.map_err(|e| e.to_string())?;
    let secret = account.stripe.signing_secrets.first().map(|s| s.expose().to_owned()).unwrap_or_default();
    let chain_lines = match chain {
        Some(chain) => use_local_chain(app, key.api_key.expose(), chain).await?,
        None => {
            "\n  Chains:                from LOOP_CHAINS (the demo account's crypto settings are unchanged)".to_owned()
        }
    };
    let email_lines = use_demo_sender(app, key.api_key.expose()).await?;
    println!(
        "\nLoop is running on {base}\n\
         \n  Demo account:          {id}\
         \n  API key (test mode):   {key}\
         \n  Stripe signing secret: {secret}\
         \n  Stripe webhook URL:    {base}{path}\
         {email_lines}\
         {chain_lines}\
         \n\nTry it:\n  curl -H 'Authorization: Bearer {key}' {base}/v1/account\n\
         \nState lives in the emulator's and the chain's memory: stopping `make dev` forgets it. \
         Ctrl-C stops everything.\n",
        id = account.id,
        key = key.api_key.expose(),
        path = stripe_webhook_path(&account.id),
    );
    Ok(())
}

/// The demo account's sending identity: a domain verified in the emulator's SES.
const DEMO_EMAIL_DOMAIN: &str = "demo.loop.test";

/// Verifies the demo domain in the emulator's SES and makes it the demo account's sender with
/// `PATCH /v1/account` (by the API's own rules); answers the lines to print.
async fn use_demo_sender(app: &App, api_key: &str) -> Result<String, String> {
    app.mailer()
        .create_identity(DEMO_EMAIL_DOMAIN)
        .await
        .map_err(|e| format!("cannot verify {DEMO_EMAIL_DOMAIN} in the emulator's SES: {e}"))?;
    let (from, reply_to) = (format!("hello@{DEMO_EMAIL_DOMAIN}"), format!("support@{DEMO_EMAIL_DOMAIN}"));
    let body = serde_json::json!({"email": {"fromAddress": from, "fromName": "Loop Demo", "replyTo": reply_to}});
    patch_account(app, api_key, &body).await.map_err(|e| format!("cannot set the demo account's sender: {e}"))?;
    Ok(format!(
        "\n  Email sender (SES):    \"Loop Demo\" <{from}> (domain {DEMO_EMAIL_DOMAIN} verified in the emulator; \
         replies to {reply_to})"
    ))
}

/// `PATCH /v1/account` as the demo account, served in process (so by the API's own rules).
async fn patch_account(app: &App, api_key: &str, body: &serde_json::Value) -> Result<(), String> {
    let request = http::Request::builder()
        .method(Method::PATCH)
        .uri("/v1/account")
        .header("authorization", format!("Bearer {api_key}"))
        .header("content-type", "application/json")
        .body(Bytes::from(body.to_string()))
        .map_err(|e| e.to_string())?;
    let response = loop_edge::edge::handle(app, request).await;
    if !response.status().is_success() {
        return Err(format!("{} {}", response.status(), String::from_utf8_lossy(response.body())));
    }
    Ok(())
}

/// Points the demo account at the local chain with `PATCH /v1/account` (served in process, so by
/// the API's own rules), then funds the payer wallet; answers the lines to print.
async fn use_local_chain(app: &App, api_key: &str, chain: &ChainClient) -> Result<String, String> {
    let (payer, treasury) = (DEV_ACCOUNTS[PAYER], DEV_ACCOUNTS[TREASURY]);
    let body = serde_json::json!({"crypto": {
        "networkId": chain.chain_id,
        "networkName": chain::NETWORK_NAME,
        "tokenAddress": chain.token,
        "tokenSymbol": chain::TOKEN_SYMBOL,
        "tokenDecimals": chain::TOKEN_DECIMALS,
        "treasuryAddresses": {chain.chain_id.to_string(): treasury.address},
    }});
    patch_account(app, api_key, &body)
        .await
        .map_err(|e| format!("cannot point the demo account at the local chain: {e}"))?;
    chain.mint(payer.address, PAYER_FUNDS).await.map_err(|e| format!("cannot fund the payer wallet: {e}"))?;
    Ok(format!(
        "\n\
         \n  Local chain (anvil):   {url} (chain id {id}, network \"{network}\")\
         \n  Test token ({symbol}):     {token} ({decimals} decimals; anyone may call mint)\
         \n  Treasury (demo):       {treasury}\
         \n  Payer wallet:          {payer} (holds 1,000,000 {symbol} and ETH for gas)\
         \n  Payer private key:     {payer_key}",
        url = chain.rpc_url,
        id = chain.chain_id,
        network = chain::NETWORK_NAME,
        symbol = chain::TOKEN_SYMBOL,
        token = chain.token,
        decimals = chain::TOKEN_DECIMALS,
        treasury = treasury.address,
        payer = payer.address,
        payer_key = payer.private_key,
    ))
}

/// Ctrl-C, SIGTERM, or the parent going away (a `make` killed without passing the signal on).
async fn wait_for_stop() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let parent = std::os::unix::process::parent_id();
    let orphaned = async {
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if std::os::unix::process::parent_id() != parent {
                return;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
        _ = orphaned => {}
    }
}
