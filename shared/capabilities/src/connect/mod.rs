//! Connecting a merchant's Stripe account with a restricted key: Loop makes its own webhook
//! endpoint there, keeps the signing secret Stripe returns, and backfills the catalogue.
//!
//! The key is checked before anything happens: a publishable or secret key is refused without a
//! call to Stripe, and the read permissions are probed before the endpoint is made, so a key
//! that cannot finish the job changes nothing. The key itself is kept only while the backfill
//! needs it, sealed with KMS (`vault`), and dropped when the backfill ends.

pub mod backfill;
pub mod key;

use loop_adapters::app::App;
use loop_adapters::stripe_api::{StripeApi, StripeApiError};
use loop_ground::domain::account::{stripe_webhook_path, Account};
use loop_ground::domain::connection::{Backfill, StripeConnection};
use loop_ground::domain::outbound::BackfillPointer;
use loop_ground::domain::stripe_event::EventType;
use loop_ground::error::StoreError;
use loop_ground::ids::new_id;
use loop_ground::secret::Secret;

pub use key::KeyProblem;

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Key(#[from] KeyProblem),
    #[error(transparent)]
    Stripe(#[from] StripeApiError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Recording the connection on the account failed as the API reports it.
    #[error(transparent)]
    Api(#[from] loop_ground::error::ApiError),
    /// Another connection of this account is under way.
    #[error("another connection of this Stripe account is under way")]
    InProgress,
}

/// What a successful connection left behind.
pub struct Connected {
    pub account: Account,
    pub backfill: Backfill,
}

/// `POST /v1/integrations/stripe/connect`, after the request was parsed. `base_url` is this
/// deployment's public URL, which Stripe will post to.
pub async fn connect(app: &App, account: Account, key: Secret, base_url: &str) -> Result<Connected, ConnectError> {
    key::check(key.expose())?;
    // One connection at a time per account: two at once would each make an endpoint at Stripe
    // (the Idempotency-Key covers retries of one request, not two requests).
    let now = app.clock.now_unix();
    if !app.store.take_lease(&account.id, LEASE, now, now + LEASE_SECONDS).await? {
        return Err(ConnectError::InProgress);
    }
    let account_id = account.id.clone();
    // Read again under the lease: a connection that ended just before may have changed it.
    let account = app.store.get_account(&account_id).await?.unwrap_or(account);
    let connected = connect_under_lease(app, account, key, base_url).await;
    if let Err(err) = app.store.release_lease(&account_id, LEASE).await {
        // It expires on its own.
        tracing::warn!(account = %account_id, error = %err, "stripe connect lease not released");
    }
    connected
}

const LEASE: &str = "stripe-connect";
/// Longer than the API function may run (29 s in `template.yaml`).
const LEASE_SECONDS: i64 = 60;

async fn connect_under_lease(
    app: &App,
    account: Account,
    key: Secret,
    base_url: &str,
) -> Result<Connected, ConnectError> {
    let api = StripeApi::new(app.stripe_http(), &app.config.stripe_api, &key);
    api.probe("products").await?;
    api.probe("prices").await?;

    let url = format!("{base_url}{}", stripe_webhook_path(&account.id));
    let events: Vec<&str> = EventType::all_names().collect();
    let existing = api.webhook_endpoints().await?.into_iter().find(|e| e.url == url);
    let ours = |id: &str| account.stripe.connection.as_ref().is_some_and(|c| c.webhook_endpoint_id == id);
    let (endpoint_id, new_secret) = match existing {
        // Made by an earlier connection, whose secret Loop holds: bring its event list up to date.
        Some(endpoint) if ours(&endpoint.id) && !account.stripe.signing_secrets.is_empty() => {
            api.update_webhook_endpoint(&endpoint.id, &url, &events).await?;
            (endpoint.id, None)
        }
        // Pointing at Loop but made elsewhere: Stripe never shows its secret again, so replace it.
        Some(endpoint) => {
            api.delete_webhook_endpoint(&endpoint.id).await?;
            created(api.create_webhook_endpoint(&url, &events, DESCRIPTION).await?)?
        }
        None => created(api.create_webhook_endpoint(&url, &events, DESCRIPTION).await?)?,
    };

    let now = app.clock.now_unix();
    let backfill = Backfill::start(new_id("bf_"), app.vault().seal(&account.id, &key).await?, now);
    app.store.save_backfill(&account.id, &backfill).await?;
    let connection = StripeConnection { webhook_endpoint_id: endpoint_id, webhook_url: url, connected_at: now };
    let account = crate::accounts::update_account(app, account, |a| {
        if let Some(secret) = &new_secret {
            // The previous secret stays valid beside the new one, as in a rotation, for events
            // Stripe signed with it before the switch.
            let previous = a.stripe.signing_secrets.first().filter(|s| *s != secret).cloned();
            a.stripe.signing_secrets = std::iter::once(secret.clone()).chain(previous).collect();
        }
        a.stripe.connection = Some(connection.clone());
        Ok(())
    })
    .await?;
    let pointer = BackfillPointer { backfill: 1, account_id: account.id.to_string(), job_id: backfill.job_id.clone() };
    backfill::continue_later(app, &pointer, std::time::Duration::ZERO).await?;
    tracing::info!(account = %account.id, endpoint = %connection.webhook_endpoint_id, job = %backfill.job_id, "stripe account connected; backfill queued");
    Ok(Connected { account, backfill })
}

const DESCRIPTION: &str = "Loop: contact sync, catalogue, transfers and agreements";

/// The id and secret of a newly made endpoint.
fn created(endpoint: loop_adapters::stripe_api::WebhookEndpoint) -> Result<(String, Option<Secret>), StripeApiError> {
    match endpoint.secret {
        Some(secret) if secret.expose().starts_with("whsec_") => Ok((endpoint.id, Some(secret))),
        _ => Err(StripeApiError::Refused {
            status: 200,
            message: "Stripe created the webhook endpoint without a signing secret".into(),
        }),
    }
}
