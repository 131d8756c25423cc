//! Stripe ingest: `POST /stripe/webhooks/{accountId}` (`stripe-ingest.md`).
//!
//! One request reads everything the decision needs (account, endpoints, the dedupe record,
//! the contacts involved; a second only for a contact known through its customer link); the
//! decision (`decide`) is pure; one transaction writes the dedupe record, the
//! effects and the events with their outbox; then the outbox goes to the delivery queue. A
//! retry after any failure finds either nothing written (and redoes it all) or the dedupe
//! record (and at most re-sends its outbox).

pub mod commerce;
pub mod contacts;
pub mod decide;
pub mod event;
#[cfg(test)]
mod scenarios;
pub mod signature;

use http::StatusCode;
use serde::Serialize;

use crate::publish;
use commerce::PayPage;
use event::Parsed;
use loop_adapters::app::App;
use loop_adapters::ports::{CommitStore, IngestStore, MessageQueue, WorkflowStore};
use loop_adapters::queue::DeliveryQueue;
use loop_adapters::store::records::{SeenRecord, SeenStatus};
use loop_adapters::store::{IngestRead, IngestView, Store, Write, WriteError};
use loop_ground::clock::Clock;
use loop_ground::domain::account::Account;
use loop_ground::domain::email::Email;
use loop_ground::domain::outbound::OutboundEvent;
use loop_ground::domain::stripe_event::EventType;
use loop_ground::domain::stripe_object::StripeEvent;
use loop_ground::error::ApiError;
use loop_ground::http::{self as h, Request, Response, MAX_BODY_BYTES};
use loop_ground::ids::AccountId;
use signature::SignatureError;

/// Writes, events to publish and the effect names for the response.
#[derive(Debug, Default)]
pub struct Outcome {
    pub writes: Vec<Write>,
    pub events: Vec<OutboundEvent>,
    pub effects: Vec<&'static str>,
}

impl Outcome {
    pub(crate) fn publish(&mut self, kind: &'static str, data: serde_json::Value, now_ms: i64) {
        self.events.push(OutboundEvent::envelope(kind, data, now_ms));
        self.effects.push(kind);
    }
}

/// The body of every `200`.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Answer {
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effects: Option<Vec<&'static str>>,
}

impl Answer {
    fn ignored(reason: &'static str) -> Self {
        Answer { status: "ignored", reason: Some(reason), effects: None }
    }
}

/// What ingest works with: the store (its one read, its one transaction, the contact behind a
/// customer link, the workflows a trigger starts), the queue, the clock, and the settings it
/// reads. `Ingest::of` builds it on an `App`; unit tests on fakes.
pub struct Ingest<'a, S, Q> {
    pub store: &'a S,
    pub queue: &'a Q,
    pub clock: &'a dyn Clock,
    /// How far a signature's timestamp may be from now (`LOOP_STRIPE_TOLERANCE`), in seconds.
    pub stripe_tolerance_seconds: i64,
    /// The base of the links Loop makes (`LOOP_PUBLIC_BASE_URL`); `None`: the request's host.
    pub public_base_url: Option<&'a str>,
}

impl<'a> Ingest<'a, Store, DeliveryQueue> {
    pub fn of(app: &'a App) -> Self {
        Ingest {
            store: &app.store,
            queue: &app.queue,
            clock: &*app.clock,
            stripe_tolerance_seconds: app.config.stripe_tolerance.as_secs() as i64,
            public_base_url: app.config.public_base_url.as_deref(),
        }
    }
}

/// The entry point for `POST /stripe/webhooks/{accountId}`.
pub async fn handle(app: &App, request: Request) -> Response {
    Ingest::of(app).handle(request).await
}

fn answer(answer: Answer) -> Response {
    h::json(StatusCode::OK, &answer)
}

impl<S, Q> Ingest<'_, S, Q>
where
    S: IngestStore + CommitStore + WorkflowStore,
    Q: MessageQueue,
{
    /// Answers one POST of a Stripe event.
    pub async fn handle(&self, request: Request) -> Response {
        let result = self.serve(request).await;
        loop_ground::metrics::stripe_event(match &result {
            Ok(answer) => answer.status,
            Err(err) if err.status().is_server_error() => "unavailable",
            Err(_) => "rejected",
        });
        h::finish(result.map(answer))
    }

    async fn serve(&self, request: Request) -> Result<Answer, ApiError> {
        let account_id = request
            .uri()
            .path()
            .strip_prefix("/stripe/webhooks/")
            .and_then(|id| AccountId::parse(id.trim_end_matches('/')))
            .ok_or_else(|| ApiError::not_found("account"))?;
        tracing::Span::current().record("account", account_id.as_str());
        let body = request.body();
        if body.len() > MAX_BODY_BYTES {
            return Err(ApiError::PayloadTooLarge);
        }
        // Parsed before it is verified, so that the one read can fetch the state the event names;
        // nothing is written before the signature holds.
        let parsed = event::parse(body);
        let supported = match &parsed {
            Ok(Parsed::Supported(event)) => Some(event),
            _ => None,
        };
        let read = reads_for(supported);
        let view = self.store.read_for_ingest(&account_id, &read).await?;
        let account = view.account.as_ref().ok_or_else(|| ApiError::not_found("account"))?;
        self.verify(account, &request)?;
        let event = match parsed {
            Err(invalid) => return Err(ApiError::invalid("invalid_event", invalid.to_string())),
            Ok(Parsed::Unsupported { id, kind }) => {
                tracing::info!(account = %account_id, stripe_event = %id, kind = %kind, "ignored: unsupported type");
                return Ok(Answer::ignored("unsupported_event_type"));
            }
            Ok(Parsed::Supported(event)) => event,
        };
        tracing::Span::current().record("stripe_event", &*event.id);
        // A transfer made by this event gets its pay page here (`/pay/{payToken}`, `payments.md`):
        // the token is random, so it is drawn outside the pure decision.
        let base_url = h::public_base_url(self.public_base_url, &request);
        let pay_page = (event.kind == EventType::InvoiceCreated || event.kind == EventType::InvoiceFinalized)
            .then(|| PayPage::new(&account_id, &base_url));
        let answer = self.apply(&account_id, &event, view, pay_page.as_ref(), &base_url).await?;
        tracing::info!(account = %account_id, stripe_event = %event.id, kind = %event.kind, status = answer.status, "stripe event");
        Ok(answer)
    }

    fn verify(&self, account: &Account, request: &Request) -> Result<(), ApiError> {
        let secrets = &account.stripe.signing_secrets;
        if secrets.is_empty() {
            return Err(ApiError::Conflict {
                code: "stripe_not_configured",
                message: "This account has no Stripe signing secret yet: set one with PUT /v1/integrations/stripe."
                    .into(),
            });
        }
        let bad_header =
            || ApiError::invalid("invalid_signature_header", "The Stripe-Signature header is missing or malformed.");
        let header = h::header(request, "stripe-signature").ok_or_else(bad_header)?;
        let header = signature::parse_header(header).map_err(|_| bad_header())?;
        let now = self.clock.wire_now_unix();
        signature::verify(&header, request.body(), secrets, now, self.stripe_tolerance_seconds).map_err(|err| {
            let message = match err {
                SignatureError::OutsideTolerance => "The signature's timestamp is outside the tolerance.",
                _ => "No signature matches the account's signing secrets.",
            };
            ApiError::Authentication { code: "invalid_signature", message: message.into() }
        })
    }

    async fn apply(
        &self,
        account_id: &AccountId,
        event: &StripeEvent<'_>,
        first_view: IngestView,
        pay_page: Option<&PayPage>,
        base_url: &str,
    ) -> Result<Answer, ApiError> {
        let mut view = first_view;
        let mut workflows = None;
        // Conflicts mean another writer changed a contact between our read and write: read again.
        for _ in 0..4 {
            if let Some(seen) = &view.seen {
                return self.duplicate(account_id, seen).await;
            }
            self.read_contact_behind_link(account_id, event, &mut view).await?;
            let now_ms = self.clock.now_millis();
            let decision = decide::decide(account_id, event, &view, now_ms, pay_page)?;
            let now = self.clock.now_unix();
            let fan_out = publish::fan_out(account_id, &view.endpoints, &decision.events, now);
            let pointers = fan_out.pointers;
            let mut writes =
                Vec::with_capacity(decision.writes.len() + decision.events.len() + fan_out.writes.len() + 1);
            writes.push(Write::SeenStripeEvent {
                event_id: event.id.to_string(),
                event_type: event.kind.as_str().to_owned(),
                outcome: decision.answer.reason.unwrap_or(decision.answer.status).to_owned(),
                outbox: pointers.clone(),
                at: now,
            });
            // Workflows on the trigger events start in the same transaction: once per trigger.
            let runs = crate::email::workflows::started_by(
                self.store,
                now_ms,
                account_id,
                &decision.writes,
                &view.contacts,
                Some(&view.workflow_triggers),
                base_url,
                &mut workflows,
            )
            .await?;
            writes.extend(decision.writes);
            writes.extend(runs.into_iter().map(|r| Write::PutRun(Box::new(r))));
            writes.extend(crate::email::automated::jobs_for(&decision.events, now));
            writes.extend(decision.events.into_iter().map(Write::PutEvent));
            writes.extend(fan_out.writes);
            match self.store.write(account_id, &writes).await {
                Ok(()) => {
                    crate::email::hand_over(self.queue, account_id, &writes).await;
                    if !pointers.is_empty() {
                        publish::send(self.queue, &pointers).await?;
                        self.store.mark_published(account_id, &event.id).await?;
                    }
                    return Ok(decision.answer);
                }
                Err(WriteError::AlreadySeen | WriteError::Conflict | WriteError::LogAlreadyUsed) => {
                    view = self.store.read_for_ingest(account_id, &reads_for(Some(event))).await?;
                }
                Err(WriteError::Store(err)) => return Err(err.into()),
            }
        }
        Err(ApiError::Unavailable)
    }

    /// The rest of the read phase, for an event that names its customer but no email: the
    /// contact is the one at the customer link's email, known only once the first read has
    /// fetched the link, so it costs one `GetItem` more (subscription and quote events). Made
    /// after the duplicate check, so a duplicate still costs one read.
    async fn read_contact_behind_link(
        &self,
        account_id: &AccountId,
        event: &StripeEvent<'_>,
        view: &mut IngestView,
    ) -> Result<(), ApiError> {
        if let Some(email) = decide::contact_behind_link(event, view).cloned() {
            if let Some(contact) = self.store.get_contact(account_id, &email).await? {
                view.contacts.insert(email, contact);
            }
        }
        Ok(())
    }

    /// A Stripe event seen before: finish its publication if that was interrupted.
    async fn duplicate(&self, account_id: &AccountId, seen: &SeenRecord) -> Result<Answer, ApiError> {
        if seen.status == SeenStatus::Pending && !seen.outbox.is_empty() {
            publish::send(self.queue, &seen.outbox).await?;
            let event_id = seen.pk.rsplit("#SE#").next().unwrap_or_default();
            self.store.mark_published(account_id, event_id).await?;
        }
        Ok(Answer { status: "duplicate", reason: None, effects: None })
    }
}

/// The records one event's decision depends on.
pub fn reads_for<'a>(event: Option<&'a StripeEvent<'a>>) -> IngestRead<'a> {
    use loop_ground::domain::stripe_object::StripeObject;
    let Some(event) = event else {
        return IngestRead::default();
    };
    let who = contacts::who(event);
    let mut emails: Vec<Email> = who.email.into_iter().collect();
    emails.extend(event.previous_email.as_deref().and_then(Email::parse));
    let mut read = IngestRead { stripe_event_id: Some(&event.id), emails, ..IngestRead::default() };
    // Subscriptions and quotes carry only a customer id: resolve it through its link. Events
    // with an email read it too (a key more in the same request): the link says whether the
    // customer was deleted, and holds the metadata only customer objects may change.
    if event.kind.is_contact() || event.kind.is_commerce() {
        read.customer_id = who.customer_id;
    }
    if event.kind.is_commerce() {
        match &event.object {
            StripeObject::Product(p) => read.product_ids.extend(p.id.as_deref()),
            StripeObject::Price(p) => {
                read.price_ids.extend(p.id.as_deref());
                read.product_ids.extend(p.product.id());
            }
            StripeObject::Invoice(i) => {
                read.invoice_id = i.id.as_deref();
                read.subscription_id = i.subscription_id();
            }
            StripeObject::Subscription(s) => {
                read.subscription_id = s.id.as_deref();
                let price = s.items.as_ref().and_then(|i| i.first()).and_then(|i| i.price.as_ref());
                read.product_ids.extend(price.and_then(|p| p.product.id()));
            }
            _ => {}
        }
    }
    read
}
