//! The HTTP client for merchants' webhook endpoints: 15 s timeout, no redirects, no proxy, and
//! a resolver that refuses internal addresses at connect time (unless private endpoints are
//! allowed), so a host that re-resolves to a private address after registration is still
//! refused. An adapter: `App` builds it, dispatch posts on it, the API checks URLs with its guard.

pub mod guard;
pub mod post;

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use guard::is_forbidden;

/// One attempt's whole budget, connecting included.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(15);

struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = addrs.into_iter().filter(|a| !is_forbidden(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{host} resolves only to internal addresses").into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// The client for outbound webhooks; `allow_private` (`LOOP_ALLOW_PRIVATE_ENDPOINTS`) drops the
/// guarded resolver.
pub fn build(allow_private: bool) -> reqwest::Client {
    // One budget for the whole attempt, connecting included: the 15 s `webhooks.md` gives.
    let mut builder = reqwest::Client::builder()
        .timeout(DELIVERY_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Loop-Webhooks/", env!("CARGO_PKG_VERSION")))
        .no_proxy()
        .pool_idle_timeout(Duration::from_secs(30));
    if !allow_private {
        builder = builder.dns_resolver(GuardedResolver);
    }
    builder.build().expect("the HTTP client configuration is valid")
}

/// The real [`WebhookSender`](crate::ports::WebhookSender): the guarded client, and whether
/// private endpoints are allowed (IP-literal hosts are checked before the request).
pub struct WebhookClient {
    client: reqwest::Client,
    allow_private: bool,
}

impl WebhookClient {
    pub fn new(allow_private: bool) -> Self {
        WebhookClient { client: build(allow_private), allow_private }
    }
}

impl crate::ports::WebhookSender for WebhookClient {
    fn post(
        &self,
        url: &str,
        headers: &crate::ports::SignedHeaders,
        body: &str,
    ) -> impl std::future::Future<Output = crate::ports::WebhookResponse> + Send {
        post::post(&self.client, url, headers, body, self.allow_private)
    }
}
