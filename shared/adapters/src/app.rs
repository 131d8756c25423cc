//! Everything a function needs, built once at cold start and shared by every invocation.

use std::sync::{Arc, OnceLock};

use thiserror::Error;

use crate::aws::AwsClients;
use crate::mailer::Mailer;
use crate::outbound_http::WebhookClient;
use crate::queue::DeliveryQueue;
use crate::store::Store;
use crate::vault::Vault;
use loop_ground::clock::{Clock, SystemClock};
use loop_ground::config::{Config, ConfigError};
use loop_ground::error::StoreError;

pub struct App {
    pub config: Config,
    pub store: Store,
    pub queue: DeliveryQueue,
    pub clock: Arc<dyn Clock>,
    /// Seals secrets Loop keeps for a while (a restricted Stripe key during a backfill), built
    /// on first use ([`App::vault`]): only the functions that connect Stripe link KMS.
    vault: OnceLock<Vault>,
    /// SES, built on first use ([`App::mailer`]): only the functions that send email call it,
    /// and only they link it.
    mailer: OnceLock<Mailer>,
    /// The clients, kept for the KMS and SES clients built on first use.
    clients: AwsClients,
    /// Built on first use: only dispatch sends webhooks.
    http: OnceLock<WebhookClient>,
    /// Built on first use: for Stripe's API (no SSRF guard: its address is the operator's).
    stripe_http: OnceLock<reqwest::Client>,
    /// The networks of `LOOP_CHAINS`, each read through its JSON-RPC client.
    chains: std::collections::BTreeMap<u64, Network>,
}

/// A network Loop verifies payments on: its client and its required confirmations.
pub struct Network {
    pub chain: Arc<dyn loop_chain::Chain>,
    pub confirmations: u64,
}

#[derive(Debug, Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot reach the delivery queue: {0}")]
    Queue(#[from] StoreError),
}

impl App {
    pub async fn from_env() -> Result<Arc<App>, StartupError> {
        Ok(Arc::new(App::new(Config::from_env()?).await?))
    }

    pub async fn new(config: Config) -> Result<App, StartupError> {
        let clients = AwsClients::new(&config.aws).await;
        Self::with_clients(config, clients).await
    }

    pub async fn with_clients(config: Config, clients: AwsClients) -> Result<App, StartupError> {
        let names = &config.resources;
        let queue_url = match &names.delivery_queue_url {
            Some(url) => url.clone(),
            None => DeliveryQueue::url_of(&clients.sqs, &names.delivery_queue_name).await?,
        };
        let dead_letter_url = match &names.dead_letter_queue_url {
            Some(url) => Some(url.clone()),
            None => DeliveryQueue::url_of(&clients.sqs, &names.dead_letter_queue_name).await.ok(),
        };
        let chains = networks(&config)?;
        Ok(App {
            chains,
            store: Store::new(clients.dynamodb.clone(), names.table.clone()),
            queue: DeliveryQueue::new(clients.sqs.clone(), queue_url, dead_letter_url),
            clock: Arc::new(SystemClock { offset_seconds: config.clock_offset_seconds }),
            vault: OnceLock::new(),
            mailer: OnceLock::new(),
            http: OnceLock::new(),
            stripe_http: OnceLock::new(),
            clients,
            config,
        })
    }

    /// KMS, as the functions that keep a merchant's restricted Stripe key use it.
    pub fn vault(&self) -> &Vault {
        self.vault.get_or_init(|| Vault::new(self.clients.kms(), self.config.resources.kms_key_id.clone()))
    }

    /// SES, as the functions that send email use it.
    pub fn mailer(&self) -> &Mailer {
        self.mailer
            .get_or_init(|| Mailer::new(self.clients.sesv2(), self.config.resources.ses_configuration_set.clone()))
    }

    /// The sender of outbound webhooks (timeouts, no redirects, the SSRF guard).
    pub fn webhooks(&self) -> &WebhookClient {
        self.http.get_or_init(|| WebhookClient::new(self.config.allow_private_endpoints))
    }

    /// The client for Stripe's API.
    pub fn stripe_http(&self) -> &reqwest::Client {
        self.stripe_http.get_or_init(crate::stripe_api::http_client)
    }

    /// The network `network_id`, if Loop verifies payments on it.
    pub fn network(&self, network_id: u64) -> Option<&Network> {
        self.chains.get(&network_id)
    }

    /// Replaces a network's client: for tests that read a chain through a fake or a proxy.
    pub fn set_network(&mut self, network_id: u64, network: Network) {
        self.chains.insert(network_id, network);
    }

    /// Both dependencies answer: what `GET /health` reports.
    pub async fn health(&self) -> Result<(), StoreError> {
        self.store.ping().await?;
        self.queue.ping().await
    }
}

/// One JSON-RPC client per configured network, sharing one HTTP client (no SSRF guard: the RPC
/// URLs are the operator's).
fn networks(config: &Config) -> Result<std::collections::BTreeMap<u64, Network>, StartupError> {
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|_| ConfigError { name: "LOOP_CHAINS", reason: "cannot build the RPC client".into() })?;
    config
        .chains
        .0
        .iter()
        .map(|(id, settings)| {
            let url = loop_chain::RpcUrl::parse(settings.rpc_url.expose())
                .map_err(|e| ConfigError { name: "LOOP_CHAINS", reason: format!("network {id}: {e}") })?;
            let chain: Arc<dyn loop_chain::Chain> = Arc::new(loop_chain::RpcClient::new(url, http.clone()));
            Ok((*id, Network { chain, confirmations: settings.confirmations }))
        })
        .collect()
}
