//! Test harness: a whole local stack per test, in-process, on its own freshly provisioned table
//! and queues in the emulator that `make test` started (`AWS_ENDPOINT_URL`), serving real HTTP on
//! a free port. Tests then act as a user would: over HTTP, and through the real AWS SDK. Payments
//! go over a local EVM chain ([`chain::test_chain`]).

pub mod browser;
pub mod chain;
pub mod faults;
pub mod proxy;
pub mod receiver;
pub mod stripe;
pub mod stripe_api;

pub use chain::test_chain;

use std::sync::Arc;
use std::time::Duration;

use loop_adapters::App;
use loop_capabilities::accounts::{self, NewAccount};
use loop_ground::config::Config;
use loop_ground::ids::random_token;
use loop_local::{RunningStack, StackOptions};

/// The emulator's URL. Tests need one: `make test` starts it.
pub fn emulator_endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .expect("AWS_ENDPOINT_URL is not set: run the tests with `make test`, which starts the emulator")
}

/// Configuration pointing at the emulator, with table and queue names no other test uses.
pub fn isolated_config(extra: &[(&str, &str)]) -> Config {
    let endpoint = emulator_endpoint();
    let suffix = random_token(12);
    let names = [
        ("LOOP_TABLE_NAME", format!("loop-{suffix}")),
        ("LOOP_DELIVERY_QUEUE_NAME", format!("loop-{suffix}-delivery")),
        ("LOOP_DEAD_LETTER_QUEUE_NAME", format!("loop-{suffix}-dlq")),
    ];
    Config::from_lookup(|name| {
        if let Some((_, v)) = extra.iter().find(|(k, _)| *k == name) {
            return Some(v.to_string());
        }
        if name == "AWS_ENDPOINT_URL" {
            return Some(endpoint.clone());
        }
        if let Some((_, v)) = names.iter().find(|(k, _)| *k == name) {
            return Some(v.clone());
        }
        std::env::var(name).ok()
    })
    .expect("test configuration is valid")
}

pub struct TestStack {
    pub stack: RunningStack,
    pub http: reqwest::Client,
}

/// An account created as `loopctl accounts create` would.
#[derive(Clone, Debug)]
pub struct TestAccount {
    pub id: String,
    pub api_key: String,
    pub key_id: String,
    pub signing_secret: String,
}

impl TestStack {
    pub async fn start() -> TestStack {
        Self::start_with(&[]).await
    }

    /// A stack with extra configuration. `LOOP_LOCAL_VISIBILITY_SECONDS` (tests only) makes the
    /// queue poller receive with that visibility timeout, so that unhandled messages come back in
    /// seconds rather than the queue's three minutes.
    pub async fn start_with(extra: &[(&str, &str)]) -> TestStack {
        let visibility_timeout = extra
            .iter()
            .find(|(k, _)| *k == "LOOP_LOCAL_VISIBILITY_SECONDS")
            .map(|(_, v)| Duration::from_secs(v.parse().expect("LOOP_LOCAL_VISIBILITY_SECONDS is a number")));
        let stack = loop_local::start(StackOptions {
            config: isolated_config(extra),
            http_addr: "127.0.0.1:0".parse().unwrap(),
            schedule_interval: Duration::from_secs(3600),
            visibility_timeout,
        })
        .await
        .expect("local stack starts");
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        TestStack { stack, http }
    }

    /// This stack's configuration with a delivery queue of its own, created now, which no poller
    /// reads: a test then plays the event source, or counts what dispatch sends.
    pub async fn config_with_own_queue(&self, suffix: &str) -> Config {
        let mut config = self.app().config.clone();
        config.resources.delivery_queue_name = format!("{}-{suffix}", config.resources.delivery_queue_name);
        config.resources.delivery_queue_url = None;
        let template = loop_local::provision::read_template(loop_local::provision::TEMPLATE).unwrap();
        let clients = loop_adapters::aws::AwsClients::new(&config.aws).await;
        loop_local::provision::provision(&clients, &config.resources, &template).await.expect("the queue is created");
        config
    }

    pub fn app(&self) -> &Arc<App> {
        &self.stack.app
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.stack.base_url())
    }

    pub async fn account(&self, name: &str, test_mode: bool) -> TestAccount {
        let app = self.app();
        let created = accounts::create_account(
            &app.store,
            app.clock.as_ref(),
            NewAccount { name, support_email: None, test_mode },
        )
        .await
        .expect("account is created");
        TestAccount {
            id: created.account.id.to_string(),
            api_key: created.key.api_key.expose().to_owned(),
            key_id: created.key.key_id,
            signing_secret: created.account.stripe.signing_secrets[0].expose().to_owned(),
        }
    }

    /// Registers an endpoint through the API; answers its JSON (with the secret, shown once).
    pub async fn create_endpoint(&self, account: &TestAccount, url: &str, events: &[&str]) -> serde_json::Value {
        let response = self
            .http
            .post(self.url("/v1/webhook-endpoints"))
            .bearer_auth(&account.api_key)
            .json(&serde_json::json!({"url": url, "events": events}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(status, 201, "{body}");
        body
    }

    /// Stores an endpoint directly (for hosts the API would refuse or cannot resolve here).
    pub async fn store_endpoint(&self, account: &TestAccount, url: &str) {
        use loop_ground::domain::endpoint::{Endpoint, EndpointSecret, EndpointStatus};
        let account_id = loop_ground::ids::AccountId::parse(&account.id).unwrap();
        let store = &self.app().store;
        let mut set = store.get_endpoints(&account_id).await.unwrap();
        set.endpoints.push(Endpoint {
            id: loop_ground::ids::new_id("we_"),
            url: url.to_owned(),
            events: vec!["*".to_owned()],
            status: EndpointStatus::Enabled,
            description: None,
            disabled_reason: None,
            secrets: vec![EndpointSecret {
                secret: loop_ground::secret::Secret::new("whsec_dGVzdC1zZWNyZXQtZm9yLWxvb3AtdGVzdHM="),
                created_at: 0,
                expires_at: None,
            }],
            created_at: 0,
        });
        set.version += 1;
        assert!(store.save_endpoints(&account_id, &set).await.unwrap());
    }

    pub fn get(&self, path: &str, key: &str) -> reqwest::RequestBuilder {
        self.http.get(self.url(path)).bearer_auth(key)
    }

    /// `method path` with `account`'s key and a JSON body, if any: the status and the JSON answer.
    pub async fn call(
        &self,
        account: &TestAccount,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = self.http.request(method.parse().unwrap(), self.url(path)).bearer_auth(&account.api_key);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// A test-mode account named `name` whose sender is `hello@{domain}` (named `name`), a domain
    /// verified in the emulator's SES now, and whose support email is `support`.
    pub async fn sending_account(&self, name: &str, domain: &str, support: &str) -> TestAccount {
        let account = self.account(name, true).await;
        self.app().mailer().create_identity(domain).await.unwrap();
        let body = serde_json::json!({"supportEmail": support,
                                      "email": {"fromAddress": format!("hello@{domain}"), "fromName": name}});
        let (status, answer) = self.call(&account, "PATCH", "/v1/account", Some(&body)).await;
        assert_eq!(status, 200, "{answer}");
        account
    }

    /// Every raw message the emulator's SES has sent (`{source, destinations, raw_data}`), from
    /// its `GET /moto-api/data.json`: what really went out, whole MIME included.
    /// (moto dumps every service's state for it, and answers `500` when another test changes
    /// some state while it does: asked again then, within 10 s.)
    pub async fn ses_raw_messages(&self) -> Vec<serde_json::Value> {
        let url = format!("{}/moto-api/data.json", emulator_endpoint());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let response = self.http.get(&url).send().await.unwrap();
            let status = response.status();
            match response.json::<serde_json::Value>().await {
                Ok(data) if status.is_success() => {
                    return data["ses"]["RawMessage"].as_array().cloned().unwrap_or_default();
                }
                answer => assert!(std::time::Instant::now() < deadline, "moto's data.json: {status} {answer:?}"),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn shutdown(self) {
        self.stack.shutdown().await;
    }
}

/// Every attribute value of every item in the table, as text: for "no secret at rest" checks.
pub async fn dump_table(app: &App) -> String {
    let client = dynamodb_client().await;
    let mut out = String::new();
    let mut pages = client.scan().table_name(app.store.table()).into_paginator().items().send();
    while let Some(item) = pages.next().await {
        out.push_str(&format!("{:?}\n", item.expect("scan works")));
    }
    out
}

pub async fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    let config = isolated_config(&[]);
    loop_adapters::aws::AwsClients::new(&config.aws).await.dynamodb
}
