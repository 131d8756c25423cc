//! The local runner: every Loop function in one process against a local AWS emulator, wired as
//! AWS would wire them (`template.yaml`): HTTP routes as API Gateway, the delivery queue polled as
//! the SQS event-source mapping, the schedule ticked as EventBridge.
//!
//! - [`provision`] — tables and queues from `template.yaml`.
//! - [`emulator`] — the moto server as a child process.
//! - [`chain`] — the local EVM chain (anvil) and its test token.
//! - [`server`] — the HTTP routes (`loop_edge::edge`) and `/health`.
//! - [`workers`] — the queue poller and the schedule.

pub mod chain;
pub mod emulator;
pub mod provision;
pub mod server;
pub mod workers;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use loop_adapters::aws::AwsClients;
use loop_adapters::App;
use loop_ground::config::Config;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct StackOptions {
    pub config: Config,
    pub http_addr: SocketAddr,
    pub schedule_interval: Duration,
    /// How long a received message stays hidden before SQS offers it again, overriding the
    /// queue's visibility timeout for this poller (tests: seconds instead of minutes).
    pub visibility_timeout: Option<Duration>,
}

/// A started local stack; [`RunningStack::shutdown`] stops every task it started.
pub struct RunningStack {
    pub addr: SocketAddr,
    pub app: Arc<App>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error(transparent)]
    Provision(#[from] provision::ProvisionError),
    #[error(transparent)]
    Startup(#[from] loop_adapters::app::StartupError),
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
}

/// Creates missing tables and queues, then serves.
pub async fn start(options: StackOptions) -> Result<RunningStack, StackError> {
    let clients = AwsClients::new(&options.config.aws).await;
    let resources = provision::read_template(provision::TEMPLATE)?;
    provision::provision(&clients, &options.config.resources, &resources).await?;
    let app = Arc::new(App::new(options.config).await?);
    let listener = TcpListener::bind(options.http_addr).await.map_err(|e| StackError::Listen(options.http_addr, e))?;
    let addr = listener.local_addr().map_err(|e| StackError::Listen(options.http_addr, e))?;
    let (shutdown, watcher) = watch::channel(false);
    let tasks = vec![
        tokio::spawn(server::serve(listener, app.clone(), watcher.clone())),
        tokio::spawn(workers::poll_deliveries(
            app.clone(),
            clients.sqs.clone(),
            options.visibility_timeout,
            watcher.clone(),
        )),
        tokio::spawn(workers::tick_schedule(app.clone(), options.schedule_interval, watcher)),
    ];
    Ok(RunningStack { addr, app, shutdown, tasks })
}

impl RunningStack {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
