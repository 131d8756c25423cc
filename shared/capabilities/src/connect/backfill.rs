//! The catalogue backfill, one queue message at a time: each run reads a few pages of Stripe's
//! product and price lists and applies each object exactly as its `*.created` event would be
//! applied (the object's `created` time stands for the event's, so later events still win), then
//! hands the rest to the next message. Progress is saved after every page under optimistic
//! concurrency, so a run that dies, a duplicate message or a Stripe outage resumes at the last
//! saved page and counts nothing twice; re-applying a page only rewrites the same values.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use crate::ingest::commerce::{self, CommerceInput};
use crate::ingest::Outcome;
use loop_adapters::app::App;
use loop_adapters::queue::OutgoingMessage;
use loop_adapters::store::{IngestRead, WriteError};
use loop_adapters::stripe_api::{ListPage, StripeApi, StripeApiError};
use loop_ground::clock::unix_seconds;
use loop_ground::domain::connection::{Backfill, BackfillPhase, BackfillStatus};
use loop_ground::domain::outbound::BackfillPointer;
use loop_ground::domain::stripe_event::EventType;
use loop_ground::domain::stripe_object::{Price, Product, StripeEvent, StripeObject};
use loop_ground::error::{MessageError, StoreError};
use loop_ground::ids::AccountId;

/// A run stops starting pages after this long, well inside the dispatch function's timeout.
const RUN_BUDGET: Duration = Duration::from_secs(15);

/// Handles one backfill message.
pub async fn run(app: &App, pointer: &BackfillPointer) -> Result<(), MessageError> {
    let account = AccountId::parse(&pointer.account_id).ok_or(MessageError::Poison("not an account id"))?;
    let Some(mut job) = app.store.get_backfill(&account).await? else { return Ok(()) };
    // A newer connection replaced this job, or it ended: nothing left for this message.
    let Some(sealed) = job.sealed_key.clone().filter(|_| job.job_id == pointer.job_id) else { return Ok(()) };
    if job.status != BackfillStatus::Running {
        return Ok(());
    }
    let key = app.vault().open(&account, &sealed).await?;
    let api = StripeApi::new(app.stripe_http(), &app.config.stripe_api, &key);
    let started = Instant::now();
    for _ in 0..app.config.backfill.pages_per_run {
        let Some(resource) = job.phase.resource() else { return Ok(()) };
        let now = app.clock.now_unix();
        let fetched = api.list_raw(resource, job.cursor.as_deref()).await;
        let applied = match fetched {
            Ok(body) => apply_page(app, &account, job.phase, &body).await?,
            Err(err) => Err(err),
        };
        match applied {
            Ok(page) => job.advance(page.count, page.last_id.as_deref(), page.has_more, now),
            Err(err) => {
                tracing::warn!(account = %account, job = %job.job_id, error = %err, "backfill run failed at Stripe");
                let again = job.run_failed(err.to_string(), err.is_transient(), now);
                if save(app, &account, &mut job).await? && again {
                    let wait =
                        app.config.backfill.retry_delay.saturating_mul(1 << job.failed_runs.min(10).saturating_sub(1));
                    continue_later(app, pointer, wait).await?;
                }
                return Ok(());
            }
        }
        // Another run of this job saved first: it carries on, this one stops.
        if !save(app, &account, &mut job).await? {
            return Ok(());
        }
        if job.status != BackfillStatus::Running {
            tracing::info!(account = %account, job = %job.job_id, products = job.products, prices = job.prices, pages = job.pages, "backfill completed");
            return Ok(());
        }
        if started.elapsed() > RUN_BUDGET {
            break;
        }
    }
    Ok(continue_later(app, pointer, Duration::ZERO).await?)
}

async fn save(app: &App, account: &AccountId, job: &mut Backfill) -> Result<bool, StoreError> {
    job.version += 1;
    app.store.save_backfill(account, job).await
}

/// Queues the next run of the job `pointer` names, after `wait` (at most SQS's 15 minutes).
pub(crate) async fn continue_later(app: &App, pointer: &BackfillPointer, wait: Duration) -> Result<(), StoreError> {
    let body = serde_json::to_string(pointer).map_err(|e| StoreError::Fault(e.to_string()))?;
    let delay_seconds = wait.as_secs().min(900) as u32;
    app.queue.send(&[OutgoingMessage { body, delay_seconds }]).await
}

/// What one applied page moved the backfill by.
struct PageApplied {
    count: usize,
    last_id: Option<String>,
    has_more: bool,
}

/// Applies a page of products or prices in one transaction; a concurrent event that changed one
/// of them makes the transaction fail, and the page is decided again against what is stored now.
async fn apply_page(
    app: &App,
    account_id: &AccountId,
    phase: BackfillPhase,
    body: &[u8],
) -> Result<Result<PageApplied, StripeApiError>, StoreError> {
    for _ in 0..5 {
        let decided = match phase {
            BackfillPhase::Products => decide::<Product>(app, account_id, body).await?,
            BackfillPhase::Prices => decide::<Price>(app, account_id, body).await?,
            BackfillPhase::Done => return Ok(Ok(PageApplied { count: 0, last_id: None, has_more: false })),
        };
        let (page, outcome) = match decided {
            Ok(decided) => decided,
            Err(err) => return Ok(Err(err)),
        };
        if outcome.writes.is_empty() {
            return Ok(Ok(page));
        }
        match app.store.write(account_id, &outcome.writes).await {
            Ok(()) => return Ok(Ok(page)),
            Err(WriteError::Conflict | WriteError::AlreadySeen | WriteError::LogAlreadyUsed) => continue,
            Err(WriteError::Store(err)) => return Err(err),
        }
    }
    Err(StoreError::Unavailable("the catalogue kept changing during a backfill page".into()))
}

/// A Stripe list object the backfill understands.
trait Listed<'a>: serde::Deserialize<'a> {
    const CREATED: EventType;
    fn id(&self) -> Option<&str>;
    fn created(&self) -> Option<i64>;
    fn into_object(self) -> StripeObject<'a>;
    fn read<'r>(objects: &'r [Self], read: &mut IngestRead<'r>);
}

impl<'a> Listed<'a> for Product<'a> {
    const CREATED: EventType = EventType::ProductCreated;
    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
    fn created(&self) -> Option<i64> {
        self.created
    }
    fn into_object(self) -> StripeObject<'a> {
        StripeObject::Product(self)
    }
    fn read<'r>(objects: &'r [Self], read: &mut IngestRead<'r>) {
        read.product_ids = objects.iter().filter_map(Listed::id).collect();
    }
}

impl<'a> Listed<'a> for Price<'a> {
    const CREATED: EventType = EventType::PriceCreated;
    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
    fn created(&self) -> Option<i64> {
        self.created
    }
    fn into_object(self) -> StripeObject<'a> {
        StripeObject::Price(self)
    }
    fn read<'r>(objects: &'r [Self], read: &mut IngestRead<'r>) {
        read.price_ids = objects.iter().filter_map(Listed::id).collect();
    }
}

/// Reads what the page's objects would change and decides each as its `*.created` event.
async fn decide<'a, T: Listed<'a>>(
    app: &App,
    account_id: &AccountId,
    body: &'a [u8],
) -> Result<Result<(PageApplied, Outcome), StripeApiError>, StoreError> {
    let page: ListPage<T> = match serde_json::from_slice(body) {
        Ok(page) => page,
        Err(err) => {
            let message = format!("Stripe answered a list page Loop cannot read: {err}");
            return Ok(Err(StripeApiError::Refused { status: 200, message }));
        }
    };
    let applied = PageApplied {
        count: page.data.len(),
        last_id: page.data.last().and_then(Listed::id).map(str::to_owned),
        has_more: page.has_more,
    };
    let mut read = IngestRead::default();
    T::read(&page.data, &mut read);
    let view = app.store.read_for_ingest(account_id, &read).await?;
    drop(read);
    let Some(account) = view.account.clone() else {
        return Err(StoreError::Corrupt(format!("account {account_id} is gone")));
    };
    let now_ms = app.clock.now_millis();
    let mut outcome = Outcome::default();
    for object in page.data {
        let created = object.created().unwrap_or(unix_seconds(now_ms));
        let event = StripeEvent {
            id: Cow::Borrowed("backfill"),
            kind: T::CREATED,
            created,
            object: object.into_object(),
            previous_email: None,
        };
        commerce::apply(
            &CommerceInput { event: &event, account_id, account: &account, view: &view, now_ms, pay_page: None },
            &mut outcome,
        );
    }
    Ok(Ok((applied, outcome)))
}
