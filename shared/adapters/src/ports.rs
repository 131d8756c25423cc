//! Ports: the narrow traits a capability is written against, so that its logic runs in unit
//! tests on in-memory fakes (`fakes`, feature `fakes`) as well as on the real adapters, which
//! implement them here. Each port holds exactly what one capability calls; the emulator suites
//! remain the proof that the real adapters keep the promises the fakes imitate.
//!
//! Futures are `Send`: the Lambda runtime and `tokio::spawn` move them between threads.

use std::future::Future;

use crate::queue::{DeliveryQueue, OutgoingMessage};
use crate::store::records::OutboxItem;
use crate::store::{
    AttemptRecord, Confirming, DispatchView, Due, DueCursor, IngestRead, IngestView, KeyRecord, Parked, ReleaseView,
    Store, Write, WriteError,
};
use loop_ground::domain::account::Account;
use loop_ground::domain::checkout::{CheckoutSession, PaymentLink};
use loop_ground::domain::commerce::Transfer;
use loop_ground::domain::contact::Contact;
use loop_ground::domain::delivery::{Attempt, Delivery, HealthChange};
use loop_ground::domain::email::Email;
use loop_ground::domain::endpoint::EndpointSet;
use loop_ground::domain::workflow::{Run, Workflow};
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

/// Sends messages to the delivery queue, each held back its `delay_seconds`.
pub trait MessageQueue: Sync {
    fn send(&self, messages: &[OutgoingMessage]) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The one transaction a state change is committed in, with its events, their deliveries and
/// the outbox of their pointers (`publish`, `ingest`); and the outbox's removal once sent.
pub trait CommitStore: Sync {
    /// All of `writes` or none. Which condition failed says what to do: the Stripe event's
    /// record (`AlreadySeen`: a duplicate), the payment log (`LogAlreadyUsed`), any other
    /// (`Conflict`: read again and retry).
    fn write(&self, account: &AccountId, writes: &[Write]) -> impl Future<Output = Result<(), WriteError>> + Send;

    fn delete_outbox(&self, account: &AccountId, id: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The account's workflows, which a trigger event may start (`email::workflows::started_by`).
pub trait WorkflowStore: Sync {
    fn workflows(&self, account: &AccountId) -> impl Future<Output = Result<Vec<Workflow>, StoreError>> + Send;
}

/// What Stripe ingest reads, and how it marks an event's publication finished. Its transaction
/// is [`CommitStore::write`].
pub trait IngestStore: Sync {
    /// Everything one event's decision depends on, in one request.
    fn read_for_ingest(
        &self,
        account: &AccountId,
        read: &IngestRead<'_>,
    ) -> impl Future<Output = Result<IngestView, StoreError>> + Send;

    fn get_contact(
        &self,
        account: &AccountId,
        email: &Email,
    ) -> impl Future<Output = Result<Option<Contact>, StoreError>> + Send;

    /// The Stripe event's record becomes `done` and drops its outbox: every pointer was sent.
    fn mark_published(
        &self,
        account: &AccountId,
        stripe_event_id: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// What dispatch reads and writes of a delivery and its endpoints. The conditions are the
/// promise: see each method of [`Store`] for the one its DynamoDB write makes.
/// The account's webhook endpoints, as publishing, dispatch, checkout and the scheduler read
/// them: one read, shared by the ports that need it.
pub trait EndpointsStore: Sync {
    fn get_endpoints(&self, account: &AccountId) -> impl Future<Output = Result<EndpointSet, StoreError>> + Send;
}

/// The deliveries parked behind an endpoint's open circuit: the released ones leave, once their
/// pointers are sent (by a release, or by the scheduler when their window ended).
pub trait ParkedStore: Sync {
    fn unpark(
        &self,
        account: &AccountId,
        endpoint_id: &str,
        released: &[Parked],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

pub trait DeliveryStore: EndpointsStore {
    /// The event, the account's endpoints, the delivery and the endpoint's health, at once.
    fn read_for_dispatch(
        &self,
        account: &AccountId,
        event_id: &str,
        endpoint_id: &str,
    ) -> impl Future<Output = Result<DispatchView, StoreError>> + Send;

    /// `Ok(false)` when the attempt is recorded already or another handler holds a live claim.
    fn claim_attempt(
        &self,
        account: &AccountId,
        event_id: &str,
        delivery: &Delivery,
        attempt: u32,
        now: i64,
        claim_until: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The attempt, the delivery's new state and the health change, all or nothing.
    fn record_attempt(
        &self,
        account: &AccountId,
        event_id: &str,
        attempt: &Attempt,
        delivery: &Delivery,
        health: Option<HealthChange>,
        token: &str,
    ) -> impl Future<Output = Result<AttemptRecord, StoreError>> + Send;

    /// `Ok(false)` when an attempt was recorded or claimed since `read_last_attempt` was read.
    fn put_delivery(
        &self,
        account: &AccountId,
        event_id: &str,
        delivery: &Delivery,
        read_last_attempt: Option<u32>,
        now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// `Ok(false)` when the set's version moved since it was read (`set.version - 1`).
    fn save_endpoints(
        &self,
        account: &AccountId,
        set: &EndpointSet,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// What dispatch reads and writes of an endpoint's circuit breaker and the deliveries parked
/// behind it.
pub trait CircuitStore: ParkedStore {
    /// `Ok(false)` when the circuit is no longer open with a live probe other than this event.
    fn park(
        &self,
        account: &AccountId,
        endpoint_id: &str,
        event_id: &str,
        attempt: u32,
        now: (i64, i64),
        window_ends_at: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Drops the probe role if `event_id` still holds it.
    fn clear_probe(
        &self,
        account: &AccountId,
        endpoint_id: &str,
        event_id: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn read_for_release(
        &self,
        account: &AccountId,
        endpoint_id: &str,
    ) -> impl Future<Output = Result<ReleaseView, StoreError>> + Send;

    /// `Ok(false)` when another release job holds a live turn.
    fn take_release_turn(
        &self,
        account: &AccountId,
        endpoint_id: &str,
        now: i64,
        until: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The oldest `limit` parked deliveries, and whether more wait.
    fn parked_page(
        &self,
        account: &AccountId,
        endpoint_id: &str,
        limit: u32,
    ) -> impl Future<Output = Result<(Vec<Parked>, bool), StoreError>> + Send;

    /// Every parked delivery went again: a closed circuit's health record goes.
    fn released(&self, account: &AccountId, endpoint_id: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// What the scheduler reads of the `due` index, one page of one kind at a time (at most
/// `page_size` items from `from`, due at `now`), and the few reads and removals its sweeps make.
/// Its late payments' transaction and an outbox's removal are [`CommitStore`]'s.
pub trait ScheduleStore: EndpointsStore + ParkedStore {
    fn due_transfers(
        &self,
        now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> impl Future<Output = Result<Due<(AccountId, Transfer)>, StoreError>> + Send;

    fn due_confirmings(
        &self,
        now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> impl Future<Output = Result<Due<(AccountId, Confirming)>, StoreError>> + Send;

    fn due_sessions(
        &self,
        now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> impl Future<Output = Result<Due<(AccountId, CheckoutSession)>, StoreError>> + Send;

    fn due_outboxes(
        &self,
        now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> impl Future<Output = Result<Due<OutboxItem>, StoreError>> + Send;

    /// Parked deliveries whose retry window ended: (account, endpoint id, parked).
    fn due_parked(
        &self,
        now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> impl Future<Output = Result<Due<(AccountId, String, Parked)>, StoreError>> + Send;

    fn due_runs(
        &self,
        now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> impl Future<Output = Result<Due<(AccountId, Run)>, StoreError>> + Send;

    /// Automated emails whose hand-over may have been lost: (account, event id).
    fn due_mail_jobs(
        &self,
        now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> impl Future<Output = Result<Due<(AccountId, String)>, StoreError>> + Send;

    fn get_account(&self, id: &AccountId) -> impl Future<Output = Result<Option<Account>, StoreError>> + Send;
}

/// What checkout reads of payment links and sessions, and the endpoints a session's event goes
/// to. Its writes (a link, a session, a session finished with its event) are [`CommitStore`]'s,
/// whose version conditions decide a race.
pub trait CheckoutStore: EndpointsStore {
    fn get_payment_link(
        &self,
        account: &AccountId,
        id: &str,
    ) -> impl Future<Output = Result<Option<PaymentLink>, StoreError>> + Send;

    fn get_session(
        &self,
        account: &AccountId,
        id: &str,
    ) -> impl Future<Output = Result<Option<CheckoutSession>, StoreError>> + Send;
}

/// What accounts and their API keys are read and written by (`accounts`). A key is stored by
/// its hash, which is also how authentication finds it.
pub trait AccountStore: Sync {
    /// The account and its first key together; fails if either exists already.
    fn create_account(&self, account: &Account, key: &KeyRecord)
        -> impl Future<Output = Result<(), StoreError>> + Send;

    /// `Ok(false)` when the key's account does not exist.
    fn add_api_key(&self, key: &KeyRecord) -> impl Future<Output = Result<bool, StoreError>> + Send;

    fn get_account(&self, id: &AccountId) -> impl Future<Output = Result<Option<Account>, StoreError>> + Send;

    /// The account and the key of this hash, in one request.
    fn get_account_and_key(
        &self,
        id: &AccountId,
        key_hash: &str,
    ) -> impl Future<Output = Result<(Option<Account>, Option<KeyRecord>), StoreError>> + Send;

    fn list_api_keys(&self, account: &AccountId) -> impl Future<Output = Result<Vec<KeyRecord>, StoreError>> + Send;

    /// `Ok(false)`: no such key.
    fn revoke_api_key(
        &self,
        account: &AccountId,
        key_id: &str,
        at: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// The headers of one signed delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// `loops-signature`: hex HMAC-SHA256 of the body, keyed with the newest secret's string.
    pub loops_signature: String,
    /// `loop-signature`: the same MAC in base64.
    pub loop_signature: String,
    pub webhook_id: String,
    pub webhook_timestamp: String,
    /// `v1,<base64>` per active secret, space-separated, newest first.
    pub webhook_signature: String,
}

/// What one POST did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookResponse {
    pub status: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<String>,
    pub body: Option<String>,
    /// What a `429` or `503` asked for in `Retry-After`, in seconds from now.
    pub retry_after_seconds: Option<u32>,
}

/// POSTs one signed delivery to a merchant's endpoint. Never fails: a transport failure is a
/// response with an `error`, recorded as the attempt's outcome.
pub trait WebhookSender: Sync {
    fn post(&self, url: &str, headers: &SignedHeaders, body: &str) -> impl Future<Output = WebhookResponse> + Send;
}

impl MessageQueue for DeliveryQueue {
    fn send(&self, messages: &[OutgoingMessage]) -> impl Future<Output = Result<(), StoreError>> + Send {
        DeliveryQueue::send(self, messages)
    }
}

impl EndpointsStore for Store {
    fn get_endpoints(&self, account: &AccountId) -> impl Future<Output = Result<EndpointSet, StoreError>> + Send {
        Store::get_endpoints(self, account)
    }
}

impl ParkedStore for Store {
    fn unpark(
        &self,
        account: &AccountId,
        endpoint_id: &str,
        released: &[Parked],
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        Store::unpark(self, account, endpoint_id, released)
    }
}

impl CommitStore for Store {
    fn write(&self, account: &AccountId, writes: &[Write]) -> impl Future<Output = Result<(), WriteError>> + Send {
        Store::write(self, account, writes)
    }

    fn delete_outbox(&self, account: &AccountId, id: &str) -> impl Future<Output = Result<(), StoreError>> + Send {
        Store::delete_outbox(self, account, id)
    }
}

impl WorkflowStore for Store {
    fn workflows(&self, account: &AccountId) -> impl Future<Output = Result<Vec<Workflow>, StoreError>> + Send {
        Store::workflows(self, account)
    }
}

impl IngestStore for Store {
    fn read_for_ingest(
        &self,
        account: &AccountId,
        read: &IngestRead<'_>,
    ) -> impl Future<Output = Result<IngestView, StoreError>> + Send {
        Store::read_for_ingest(self, account, read)
    }

    fn get_contact(
        &self,
        account: &AccountId,
        email: &Email,
    ) -> impl Future<Output = Result<Option<Contact>, StoreError>> + Send {
        Store::get_contact(self, account, email)
    }

    fn mark_published(
        &self,
        account: &AccountId,
        stripe_event_id: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        Store::mark_published(self, account, stripe_event_id)
    }
}

impl DeliveryStore for Store {
    fn read_for_dispatch(
        &self,
        account: &AccountId,
        event_id: &str,
        endpoint_id: &str,
    ) -> impl Future<Output = Result<DispatchView, StoreError>> + Send {
        Store::read_for_dispatch(self, account, event_id, endpoint_id)
    }

    fn claim_attempt(
        &self,
        account: &AccountId,
        event_id: &str,
        delivery: &Delivery,
        attempt: u32,
        now: i64,
        claim_until: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        Store::claim_attempt(self, account, event_id, delivery, attempt, now, claim_until)
    }

    fn record_attempt(
        &self,
        account: &AccountId,
        event_id: &str,
        attempt: &Attempt,
        delivery: &Delivery,
        health: Option<HealthChange>,
        token: &str,
    ) -> impl Future<Output = Result<AttemptRecord, StoreError>> + Send {
        Store::record_attempt(self, account, event_id, attempt, delivery, health, token)
    }

    fn put_delivery(
        &self,
        account: &AccountId,
        event_id: &str,
        delivery: &Delivery,
        read_last_attempt: Option<u32>,
        now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        Store::put_delivery(self, account, event_id, delivery, read_last_attempt, now)
    }

    fn save_endpoints(
        &self,
        account: &AccountId,
        set: &EndpointSet,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        Store::save_endpoints(self, account, set)
    }
}

impl CircuitStore for Store {
    fn park(
        &self,
        account: &AccountId,
        endpoint_id: &str,
        event_id: &str,
        attempt: u32,
        now: (i64, i64),
        window_ends_at: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        Store::park(self, account, endpoint_id, event_id, attempt, now, window_ends_at)
    }

    fn clear_probe(
        &self,
        account: &AccountId,
        endpoint_id: &str,
        event_id: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        Store::clear_probe(self, account, endpoint_id, event_id)
    }

    fn read_for_release(
        &self,
        account: &AccountId,
        endpoint_id: &str,
    ) -> impl Future<Output = Result<ReleaseView, StoreError>> + Send {
        Store::read_for_release(self, account, endpoint_id)
    }

    fn take_release_turn(
        &self,
        account: &AccountId,
        endpoint_id: &str,
        now: i64,
        until: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        Store::take_release_turn(self, account, endpoint_id, now, until)
    }

    fn parked_page(
        &self,
        account: &AccountId,
        endpoint_id: &str,
        limit: u32,
    ) -> impl Future<Output = Result<(Vec<Parked>, bool), StoreError>> + Send {
        Store::parked_page(self, account, endpoint_id, limit)
    }

    fn released(&self, account: &AccountId, endpoint_id: &str) -> impl Future<Output = Result<(), StoreError>> + Send {
        Store::released(self, account, endpoint_id)
    }
}

impl ScheduleStore for Store {
    fn due_transfers(
        &self,
        now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> impl Future<Output = Result<Due<(AccountId, Transfer)>, StoreError>> + Send {
        Store::due_transfers(self, now, from, page_size)
    }

    fn due_confirmings(
        &self,
        now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> impl Future<Output = Result<Due<(AccountId, Confirming)>, StoreError>> + Send {
        Store::due_confirmings(self, now, from, page_size)
    }

    fn due_sessions(
        &self,
        now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> impl Future<Output = Result<Due<(AccountId, CheckoutSession)>, StoreError>> + Send {
        Store::due_sessions(self, now, from, page_size)
    }

    fn due_outboxes(
        &self,
        now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> impl Future<Output = Result<Due<OutboxItem>, StoreError>> + Send {
        Store::due_outboxes(self, now, from, page_size)
    }

    fn due_parked(
        &self,
        now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> impl Future<Output = Result<Due<(AccountId, String, Parked)>, StoreError>> + Send {
        Store::due_parked(self, now, from, page_size)
    }

    fn due_runs(
        &self,
        now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> impl Future<Output = Result<Due<(AccountId, Run)>, StoreError>> + Send {
        Store::due_runs(self, now, from, page_size)
    }

    fn due_mail_jobs(
        &self,
        now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> impl Future<Output = Result<Due<(AccountId, String)>, StoreError>> + Send {
        Store::due_mail_jobs(self, now, from, page_size)
    }

    fn get_account(&self, id: &AccountId) -> impl Future<Output = Result<Option<Account>, StoreError>> + Send {
        Store::get_account(self, id)
    }
}

impl CheckoutStore for Store {
    fn get_payment_link(
        &self,
        account: &AccountId,
        id: &str,
    ) -> impl Future<Output = Result<Option<PaymentLink>, StoreError>> + Send {
        Store::get_payment_link(self, account, id)
    }

    fn get_session(
        &self,
        account: &AccountId,
        id: &str,
    ) -> impl Future<Output = Result<Option<CheckoutSession>, StoreError>> + Send {
        Store::get_session(self, account, id)
    }
}

impl AccountStore for Store {
    fn create_account(
        &self,
        account: &Account,
        key: &KeyRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        Store::create_account(self, account, key)
    }

    fn add_api_key(&self, key: &KeyRecord) -> impl Future<Output = Result<bool, StoreError>> + Send {
        Store::add_api_key(self, key)
    }

    fn get_account(&self, id: &AccountId) -> impl Future<Output = Result<Option<Account>, StoreError>> + Send {
        Store::get_account(self, id)
    }

    fn get_account_and_key(
        &self,
        id: &AccountId,
        key_hash: &str,
    ) -> impl Future<Output = Result<(Option<Account>, Option<KeyRecord>), StoreError>> + Send {
        Store::get_account_and_key(self, id, key_hash)
    }

    fn list_api_keys(&self, account: &AccountId) -> impl Future<Output = Result<Vec<KeyRecord>, StoreError>> + Send {
        Store::list_api_keys(self, account)
    }

    fn revoke_api_key(
        &self,
        account: &AccountId,
        key_id: &str,
        at: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        Store::revoke_api_key(self, account, key_id, at)
    }
}
