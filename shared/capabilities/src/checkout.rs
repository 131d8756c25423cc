//! Checkout: payment links, sessions, and the session lifecycle — `open`, then exactly one of
//! `completed`, `failed`, `expired`, each transition publishing its event once.
//!
//! Written against the ports (`loop_adapters::ports`): the links and sessions it reads
//! (`CheckoutStore`), the transaction its writes and a finish's event go in (`CommitStore`,
//! through `Publisher`), the queue, the clock. The `&App` functions are its callers' entry points.

#[cfg(test)]
mod scenarios;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::publish::Publisher;
use loop_adapters::app::App;
use loop_adapters::ports::{CheckoutStore, CommitStore, MessageQueue};
use loop_adapters::queue::DeliveryQueue;
use loop_adapters::store::{Store, Write, WriteError};
use loop_ground::clock::{unix_seconds, Clock};
use loop_ground::domain::account::Account;
use loop_ground::domain::checkout::{new_session_id, CheckoutSession, PaymentLink, SessionStatus};
use loop_ground::domain::outbound::OutboundEvent;
use loop_ground::error::StoreError;
use loop_ground::ids::new_sortable_id;

#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    #[error("no such payment link")]
    UnknownPaymentLink,
    #[error("the payment link is not active")]
    InactivePaymentLink,
    #[error("no such checkout session")]
    UnknownSession,
    #[error("the session is {0}, not open")]
    NotOpen(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<WriteError> for CheckoutError {
    fn from(err: WriteError) -> Self {
        match err {
            WriteError::Store(err) => CheckoutError::Store(err),
            other => CheckoutError::Store(StoreError::Fault(other.to_string())),
        }
    }
}

/// What checkout works with: the store, the queue (a finish's event), the clock, and how long a
/// session stays open. `Checkout::of` builds it on an `App`; unit tests on fakes.
pub struct Checkout<'a, S, Q> {
    pub store: &'a S,
    pub queue: &'a Q,
    pub clock: &'a dyn Clock,
    pub session_ttl: Duration,
}

impl<'a> Checkout<'a, Store, DeliveryQueue> {
    pub fn of(app: &'a App) -> Self {
        Checkout {
            store: &app.store,
            queue: &app.queue,
            clock: &*app.clock,
            session_ttl: app.config.checkout_session_ttl,
        }
    }
}

pub struct NewPaymentLink {
    pub name: String,
    pub item_id: Option<String>,
    pub amount: String,
    pub currency: String,
}

pub struct NewSession {
    pub payment_link_id: String,
    pub external_customer_id: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

/// [`Checkout::create_payment_link`] on an `App`.
pub async fn create_payment_link(
    app: &App,
    account: &Account,
    new: NewPaymentLink,
) -> Result<PaymentLink, CheckoutError> {
    Checkout::of(app).create_payment_link(account, new).await
}

/// [`Checkout::set_payment_link_active`] on an `App`.
pub async fn set_payment_link_active(
    app: &App,
    account: &Account,
    id: &str,
    active: bool,
) -> Result<PaymentLink, CheckoutError> {
    Checkout::of(app).set_payment_link_active(account, id, active).await
}

/// [`Checkout::create_session`] on an `App`.
pub async fn create_session(
    app: &App,
    account: &Account,
    base_url: &str,
    new: NewSession,
) -> Result<CheckoutSession, CheckoutError> {
    Checkout::of(app).create_session(account, base_url, new).await
}

/// [`Checkout::finish`] on an `App`.
pub async fn finish(
    app: &App,
    account: &Account,
    id: &str,
    to: SessionStatus,
) -> Result<CheckoutSession, CheckoutError> {
    Checkout::of(app).finish(account, id, to).await
}

impl<S: CheckoutStore + CommitStore, Q: MessageQueue> Checkout<'_, S, Q> {
    pub async fn create_payment_link(
        &self,
        account: &Account,
        new: NewPaymentLink,
    ) -> Result<PaymentLink, CheckoutError> {
        let now_ms = self.clock.now_millis();
        let now = unix_seconds(now_ms);
        let link = PaymentLink {
            id: new_sortable_id("pl_", now_ms),
            name: new.name,
            item_id: new.item_id,
            amount: new.amount,
            currency: new.currency,
            active: true,
            created_at: now,
            version: 1,
        };
        self.store.write(&account.id, &[Write::PutPaymentLink { link: link.clone(), expected_version: None }]).await?;
        Ok(link)
    }

    pub async fn set_payment_link_active(
        &self,
        account: &Account,
        id: &str,
        active: bool,
    ) -> Result<PaymentLink, CheckoutError> {
        for _ in 0..5 {
            let current =
                self.store.get_payment_link(&account.id, id).await?.ok_or(CheckoutError::UnknownPaymentLink)?;
            let mut updated = current.clone();
            updated.active = active;
            updated.version += 1;
            let put = Write::PutPaymentLink { link: updated.clone(), expected_version: Some(current.version) };
            match self.store.write(&account.id, &[put]).await {
                Ok(()) => return Ok(updated),
                Err(WriteError::Conflict) => continue,
                Err(err) => return Err(err.into()),
            }
        }
        Err(StoreError::Unavailable("the payment link kept changing".into()).into())
    }

    pub async fn create_session(
        &self,
        account: &Account,
        base_url: &str,
        new: NewSession,
    ) -> Result<CheckoutSession, CheckoutError> {
        let link = self
            .store
            .get_payment_link(&account.id, &new.payment_link_id)
            .await?
            .ok_or(CheckoutError::UnknownPaymentLink)?;
        if !link.active {
            return Err(CheckoutError::InactivePaymentLink);
        }
        let now_ms = self.clock.now_millis();
        let now = unix_seconds(now_ms);
        let id = new_session_id(&account.id, now_ms);
        let session = CheckoutSession {
            url: format!("{base_url}/checkout/{id}"),
            id,
            payment_link_id: link.id,
            external_customer_id: new.external_customer_id,
            status: SessionStatus::Open,
            metadata: new.metadata,
            amount: link.amount,
            currency: link.currency,
            created_at: now,
            expires_at: now + self.session_ttl.as_secs() as i64,
            finished_at: None,
            payment: None,
            failure_reason: None,
            version: 1,
        };
        self.store
            .write(&account.id, &[Write::PutSession { session: session.clone(), expected_version: None }])
            .await?;
        Ok(session)
    }

    /// Moves an open session to `to` and publishes `checkout.session.<to>` in the same write; a
    /// concurrent transition wins or loses as a whole, so each session publishes exactly one.
    pub async fn finish(
        &self,
        account: &Account,
        id: &str,
        to: SessionStatus,
    ) -> Result<CheckoutSession, CheckoutError> {
        let publisher = Publisher { store: self.store, queue: self.queue, clock: self.clock };
        for _ in 0..5 {
            let current = self.store.get_session(&account.id, id).await?.ok_or(CheckoutError::UnknownSession)?;
            if current.status != SessionStatus::Open {
                return Err(CheckoutError::NotOpen(current.status.as_str()));
            }
            let now_ms = self.clock.now_millis();
            let mut finished = current.clone();
            finished.status = to;
            finished.finished_at = Some(unix_seconds(now_ms));
            finished.version += 1;
            let kind = format!("checkout.session.{}", to.as_str());
            let event = OutboundEvent::envelope(&kind, finished.to_json(), now_ms);
            let endpoints = self.store.get_endpoints(&account.id).await?;
            let writes = vec![Write::PutSession { session: finished.clone(), expected_version: Some(current.version) }];
            match publisher.commit(&account.id, &endpoints, writes, vec![event]).await {
                Ok(()) => return Ok(finished),
                Err(WriteError::Conflict | WriteError::AlreadySeen | WriteError::LogAlreadyUsed) => continue,
                Err(WriteError::Store(err)) => return Err(err.into()),
            }
        }
        Err(StoreError::Unavailable("the session kept changing".into()).into())
    }
}
