//! Everything a function needs, built once at cold start and shared by every invocation.

use std::sync::{Arc, OnceLock};

use thiserror::Error;

use crate::aws::AwsClients;
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
    /// Seals secrets Loop keeps for a while (a restricted Stripe key during a backfill).
    pub vault: Vault,
    /// Built on first use: only dispatch sends webhooks.
    http: OnceLock<reqwest::Client>,
    /// Built on first use: for Stripe's API (no SSRF guard: its address is the operator's).
    stripe_http: OnceLock<reqwest::Client>,
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
        Ok(App {
            store: Store::new(clients.dynamodb, names.table.clone()),
            queue: DeliveryQueue::new(clients.sqs, queue_url, dead_letter_url),
            clock: Arc::new(SystemClock { offset_seconds: config.clock_offset_seconds }),
            vault: Vault::new(clients.kms, names.kms_key_id.clone()),
            http: OnceLock::new(),
            stripe_http: OnceLock::new(),
            config,
        })
    }

    /// The client for outbound webhooks (timeouts, no redirects, the SSRF guard).
    pub fn http_client(&self) -> &reqwest::Client {
        self.http.get_or_init(|| crate::outbound_http::build(self.config.allow_private_endpoints))
    }

    /// The client for Stripe's API.
    pub fn stripe_http(&self) -> &reqwest::Client {
        self.stripe_http.get_or_init(crate::stripe_api::http_client)
    }

    /// Both dependencies answer: what `GET /health` reports.
    pub async fn health(&self) -> Result<(), StoreError> {
        self.store.ping().await?;
        self.queue.ping().await
    }
}
