//! `make dev`: the emulator (unless `AWS_ENDPOINT_URL` names one), the tables and queues, a demo
//! account, and every function, until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use loop_adapters::App;
use loop_capabilities::accounts::{self, NewAccount};
use loop_ground::config::Config;
use loop_ground::domain::account::stripe_webhook_path;
use loop_local::emulator::Emulator;
use loop_local::StackOptions;

const DEMO_ACCOUNT_NAME: &str = "Demo";

#[tokio::main]
async fn main() -> ExitCode {
    loop_ground::logging::init(true);
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("loop-local: {message}");
            ExitCode::FAILURE
        }
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned())
}

async fn run() -> Result<(), String> {
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
    let result = serve(config, http_addr, Duration::from_secs(schedule_interval.max(1))).await;
    if let Some(emulator) = emulator {
        emulator.stop().await;
        eprintln!("Stopped the moto server");
    }
    result
}

async fn serve(config: Config, http_addr: SocketAddr, schedule_interval: Duration) -> Result<(), String> {
    let stack = loop_local::start(StackOptions { config, http_addr, schedule_interval, visibility_timeout: None })
        .await
        .map_err(|e| e.to_string())?;
    let base = stack.base_url();
    print_demo(&stack.app, &base).await?;
    wait_for_stop().await;
    eprintln!("Shutting down");
    stack.shutdown().await;
    Ok(())
}

/// Finds or creates the demo account and prints a fresh test-mode key for it: the only secrets
/// the runner ever prints.
async fn print_demo(app: &App, base: &str) -> Result<(), String> {
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
    println!(
        "\nLoop is running on {base}\n\
         \n  Demo account:          {id}\
         \n  API key (test mode):   {key}\
         \n  Stripe signing secret: {secret}\
         \n  Stripe webhook URL:    {base}{path}\
         \n\nTry it:\n  curl -H 'Authorization: Bearer {key}' {base}/v1/account\n\
         \nState lives in the emulator's memory: stopping `make dev` forgets it. Ctrl-C stops everything.\n",
        id = account.id,
        key = key.api_key.expose(),
        path = stripe_webhook_path(&account.id),
    );
    Ok(())
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
