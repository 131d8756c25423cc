//! `loopctl`: the operator's CLI. It talks to DynamoDB and SQS with the operator's AWS
//! credentials and the same configuration as the functions (`AWS_ENDPOINT_URL`, region,
//! `LOOP_TABLE_NAME`, …). There is no admin HTTP API: this is the only way in.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use loop_adapters::aws::AwsClients;
use loop_adapters::store::Store;
use loop_adapters::App;
use loop_capabilities::accounts::{self, AccountError, NewAccount};
use loop_capabilities::publish::{self, RedeliverError};
use loop_capabilities::transfers::{self, ProcessError};
use loop_ground::clock::{rfc3339_from_unix, SystemClock};
use loop_ground::config::Config;
use loop_ground::domain::account::{stripe_webhook_path, Account};
use loop_ground::domain::payloads::ProcessingReport;
use loop_ground::ids::AccountId;
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "loopctl",
    version,
    about = "Operate a Loop deployment: accounts, API keys, redelivery, transfers, dead letters, dashboard links."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Merchant accounts.
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// API keys of an account.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Outbound events.
    #[command(subcommand)]
    Events(EventsCommand),
    /// Transfer requests.
    #[command(subcommand)]
    Transfers(TransfersCommand),
    /// Messages dispatch could not handle (unreadable, or pointing at nothing), in the
    /// delivery queue's dead-letter queue.
    #[command(subcommand, name = "dead-letters")]
    DeadLetters(DeadLettersCommand),
    /// The merchant dashboard.
    #[command(subcommand)]
    Dashboard(DashboardCommand),
}

#[derive(Subcommand)]
enum DashboardCommand {
    /// Prints a one-time sign-in link to an account's dashboard.
    Link {
        #[arg(long)]
        account: String,
        /// How long the link works: 30s, 15m, 1h (at most 24h).
        #[arg(long, default_value = "15m", value_parser = parse_ttl)]
        ttl: i64,
        #[arg(long)]
        json: bool,
    },
}

fn parse_ttl(raw: &str) -> Result<i64, String> {
    loop_capabilities::dashboard::parse_ttl(raw)
        .filter(|s| *s <= loop_capabilities::dashboard::MAX_LINK_TTL_SECONDS)
        .ok_or_else(|| format!("{raw:?} is not a duration of at most 24h such as 30s, 15m or 1h"))
}

#[derive(Subcommand)]
enum DeadLettersCommand {
    /// How many wait, and up to ten of them (left in place).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Moves every one back to the delivery queue, once what broke them is fixed.
    Redrive,
}

#[derive(Subcommand)]
enum AccountsCommand {
    /// Creates an account with its first API key and a Stripe signing secret (shown once).
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        support_email: Option<String>,
        /// A test-mode account: its keys are test-mode and may call the test helpers.
        #[arg(long)]
        test_mode: bool,
        #[arg(long)]
        json: bool,
    },
    /// Lists every account, newest first.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Creates an API key (shown once).
    Create {
        #[arg(long)]
        account: String,
        #[arg(long)]
        test_mode: bool,
        #[arg(long)]
        json: bool,
    },
    /// Revokes an API key: it answers 401 from then on.
    Revoke {
        #[arg(long)]
        account: String,
        #[arg(long)]
        key_id: String,
    },
}

#[derive(Subcommand)]
enum EventsCommand {
    /// Sends an event again to its endpoints, with the same event id.
    Redeliver {
        #[arg(long)]
        account: String,
        #[arg(long)]
        event: String,
    },
}

#[derive(Subcommand)]
enum TransfersCommand {
    /// Reports a transfer's outcome, as the payment processor would.
    Process(ProcessArgs),
}

#[derive(Args)]
struct ProcessArgs {
    #[arg(long)]
    account: String,
    #[arg(long)]
    transfer: String,
    /// The transfer was paid: final.
    #[arg(long, conflicts_with = "failure", required_unless_present = "failure")]
    success: bool,
    /// The payment failed (it may still succeed later).
    #[arg(long)]
    failure: bool,
    #[arg(long)]
    reason: Option<String>,
    #[arg(long)]
    transaction: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("loopctl: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let clients = AwsClients::new(&config.aws).await;
    let store = Store::new(clients.dynamodb.clone(), config.resources.table.clone());
    let clock = SystemClock { offset_seconds: config.clock_offset_seconds };
    let explain = |err: AccountError| explain(&config, err);
    match command {
        Command::Accounts(AccountsCommand::Create { name, support_email, test_mode, json }) => {
            let created = accounts::create_account(
                &store,
                &clock,
                NewAccount { name: &name, support_email: support_email.as_deref(), test_mode },
            )
            .await
            .map_err(explain)?;
            let account = &created.account;
            let secret = account.stripe.signing_secrets.first().map(|s| s.expose()).unwrap_or_default();
            if json {
                let mut out = account_json(account);
                out["apiKey"] = json!(created.key.api_key.expose());
                out["keyId"] = json!(created.key.key_id);
                out["stripeSigningSecret"] = json!(secret);
                println!("{out}");
            } else {
                println!("Created account {} ({})", account.id, account.name);
                println!("  API key ({}): {}", mode(created.key.test_mode), created.key.api_key.expose());
                println!("  Key id: {}", created.key.key_id);
                println!("  Stripe signing secret: {secret}");
                println!("  Stripe webhook path: {}", stripe_webhook_path(&account.id));
                println!("The API key is shown only now: store it safely.");
            }
        }
        Command::Accounts(AccountsCommand::List { json }) => {
            let list = store.list_accounts().await.map_err(|e| explain(e.into()))?;
            if json {
                println!("{}", serde_json::Value::Array(list.iter().map(account_json).collect()));
            } else if list.is_empty() {
                println!("No accounts.");
            } else {
                for account in &list {
                    println!(
                        "{}  {}  {}  {}",
                        account.id,
                        rfc3339_from_unix(account.created_at),
                        mode(account.test_mode),
                        account.name
                    );
                }
            }
        }
        Command::Keys(KeysCommand::Create { account, test_mode, json }) => {
            let id = parse_account(&account)?;
            let key = accounts::create_key(&store, &clock, &id, test_mode).await.map_err(explain)?;
            if json {
                println!("{}", json!({"id": key.key_id, "apiKey": key.api_key.expose(), "testMode": key.test_mode}));
            } else {
                println!("Created key {} ({}) for {id}: {}", key.key_id, mode(key.test_mode), key.api_key.expose());
                println!("The API key is shown only now: store it safely.");
            }
        }
        Command::Dashboard(DashboardCommand::Link { account, ttl, json }) => {
            let id = parse_account(&account)?;
            let link = loop_capabilities::dashboard::create_link_for_account(&store, &clock, &id, ttl)
                .await
                .map_err(explain)?;
            let base = config.public_base_url.as_deref().unwrap_or("http://127.0.0.1:3000");
            let url = loop_edge::api::dashboard_link_url(base, &link.token);
            let expires_at = rfc3339_from_unix(link.expires_at);
            if json {
                println!("{}", json!({"url": url, "expiresAt": expires_at}));
            } else {
                println!("{url}");
                println!("Works once, until {expires_at}.");
            }
        }
        Command::Keys(KeysCommand::Revoke { account, key_id }) => {
            let id = parse_account(&account)?;
            if !accounts::revoke_key(&store, &clock, &id, &key_id).await.map_err(|e| explain(e.into()))? {
                return Err(format!("account {id} has no key {key_id}"));
            }
            println!("Revoked key {key_id} of {id}");
        }
        Command::Events(EventsCommand::Redeliver { account, event }) => {
            let id = parse_account(&account)?;
            let app = App::with_clients(config.clone(), clients.clone()).await.map_err(|e| e.to_string())?;
            let count = publish::redeliver(&app, &id, &event, None).await.map_err(|err| match err {
                RedeliverError::Store(store) => explain(store.into()),
                other => format!("{other} ({event} of {id})"),
            })?;
            println!("Redelivering {event} to {count} endpoint(s)");
        }
        Command::DeadLetters(command) => {
            let app = App::with_clients(config.clone(), clients.clone()).await.map_err(|e| e.to_string())?;
            let unavailable = |e: loop_ground::error::StoreError| format!("dead-letter queue: {e}");
            match command {
                DeadLettersCommand::List { json } => {
                    let (count, letters) = app.queue.peek_dead_letters().await.map_err(unavailable)?;
                    if json {
                        let letters: Vec<_> = letters
                            .iter()
                            .map(|l| {
                                json!({"messageId": l.message_id, "body": l.body, "receiveCount": l.receive_count,
                                    "sentAt": l.sent_at_millis.map(|ms| rfc3339_from_unix(ms / 1000))})
                            })
                            .collect();
                        println!("{}", json!({"count": count, "messages": letters}));
                    } else {
                        println!("{count} message(s) in the dead-letter queue");
                        for l in &letters {
                            let sent = l.sent_at_millis.map(|ms| rfc3339_from_unix(ms / 1000)).unwrap_or_default();
                            println!("  {}  sent {sent}  received {}x  {}", l.message_id, l.receive_count, l.body);
                        }
                    }
                }
                DeadLettersCommand::Redrive => {
                    let moved = app.queue.redrive_dead_letters().await.map_err(unavailable)?;
                    println!("Moved {moved} message(s) back to the delivery queue");
                }
            }
        }
        Command::Transfers(TransfersCommand::Process(args)) => {
            let id = parse_account(&args.account)?;
            let app = App::with_clients(config.clone(), clients.clone()).await.map_err(|e| e.to_string())?;
            let account =
                store.get_account(&id).await.map_err(|e| explain(e.into()))?.ok_or(format!("no account {id}"))?;
            let report = ProcessingReport {
                success: args.success,
                transaction: args.transaction,
                amount_paid: None,
                reason: args.reason,
            };
            let transfer =
                transfers::process(&app, &account, &args.transfer, &report).await.map_err(|err| match err {
                    ProcessError::Store(store) => explain(store.into()),
                    other => other.to_string(),
                })?;
            println!("{}", transfer.to_json());
        }
    }
    Ok(())
}

fn mode(test_mode: bool) -> &'static str {
    if test_mode {
        "test mode"
    } else {
        "live mode"
    }
}

fn parse_account(raw: &str) -> Result<AccountId, String> {
    AccountId::parse(raw).ok_or_else(|| format!("{raw:?} is not an account id (acct_ followed by 20 characters)"))
}

fn account_json(account: &Account) -> serde_json::Value {
    json!({
        "id": account.id,
        "name": account.name,
        "supportEmail": account.support_email,
        "testMode": account.test_mode,
        "stripeWebhookPath": stripe_webhook_path(&account.id),
        "createdAt": rfc3339_from_unix(account.created_at),
    })
}

fn explain(config: &Config, err: AccountError) -> String {
    match err {
        AccountError::Store(store) => {
            let target = config.aws.endpoint_url.as_deref().unwrap_or("AWS");
            format!("cannot use table {} at {target} in {}: {store}", config.resources.table, config.aws.region)
        }
        other => other.to_string(),
    }
}
