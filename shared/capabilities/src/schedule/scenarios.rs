//! The scheduler's promises, on fakes of its ports (`loop_adapters::fakes`): what an operator or
//! a merchant would check of one run, without the emulator. The scripted store answers the due
//! index page by page as each test scripts it and records each call; the queue records what was
//! handed to dispatch; checkout and payments are a recording stand-in; the clock is fixed.

use std::collections::BTreeMap;
use std::future::{ready, Future};
use std::sync::Mutex;

use super::{Scheduler, SessionsAndPayments, DUE_PAGE_SIZE, MAX_DUE_PER_RUN};
use crate::checkout::CheckoutError;
use crate::payments::{PaymentError, Recheck};
use loop_adapters::fakes::{Call, FakeQueue, ScriptedStore};
use loop_adapters::store::keys::{outbox_pk, OUTBOX_SK};
use loop_adapters::store::records::OutboxItem;
use loop_adapters::store::{Confirming, Parked, PayTarget, Write, WriteError};
use loop_ground::clock::FixedClock;
use loop_ground::domain::account::Account;
use loop_ground::domain::checkout::{CheckoutSession, SessionStatus};
use loop_ground::domain::commerce::{Transfer, TransferStatus};
use loop_ground::domain::endpoint::{Endpoint, EndpointSet, EndpointStatus};
use loop_ground::domain::outbound::{DeliveryPointer, QueueJob};
use loop_ground::domain::workflow::{Run, RunStatus};
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

const NOW: i64 = 1_800_000_000;
const ENDPOINT: &str = "we_1";

/// Checkout and payments as the scheduler sees them: what it asked, in order.
#[derive(Default)]
struct Handed {
    asked: Mutex<Vec<String>>,
    payments_unverifiable: bool,
}

impl Handed {
    fn ask(&self, what: String) {
        self.asked.lock().expect("no test panics while holding the log").push(what);
    }

    fn asked(&self) -> Vec<String> {
        self.asked.lock().expect("no test panics while holding the log").clone()
    }
}

impl SessionsAndPayments for Handed {
    fn expire_session(
        &self,
        _account: &Account,
        session_id: &str,
    ) -> impl Future<Output = Result<(), CheckoutError>> + Send {
        self.ask(format!("expire {session_id}"));
        ready(Ok(()))
    }

    fn recheck_payment(
        &self,
        _account: &AccountId,
        confirming: &Confirming,
        _now: i64,
    ) -> impl Future<Output = Result<Recheck, PaymentError>> + Send {
        self.ask(format!("recheck {}", confirming.transaction_hash));
        ready(if self.payments_unverifiable { Err(PaymentError::NotVerifiable) } else { Ok(Recheck::Settled) })
    }
}

struct World {
    account: Account,
    store: ScriptedStore,
    queue: FakeQueue,
    handed: Handed,
}

impl World {
    /// An account whose one endpoint takes every event; nothing due yet.
    fn new() -> World {
        World::with_queue(FakeQueue::default())
    }

    fn with_queue(queue: FakeQueue) -> World {
        let account = Account::new("Acme", true, NOW - 86_400);
        let store = ScriptedStore::default();
        let endpoints =
            EndpointSet { endpoints: vec![Endpoint::for_test(ENDPOINT, &["*"], EndpointStatus::Enabled)], version: 1 };
        store.holds_account(account.clone(), endpoints);
        World { account, store, queue, handed: Handed::default() }
    }

    async fn run(&self) -> Result<super::ScheduleReport, StoreError> {
        let clock = FixedClock(time::OffsetDateTime::from_unix_timestamp(NOW).unwrap());
        let scheduler =
            Scheduler { store: &self.store, queue: &self.queue, clock: &clock, sessions_and_payments: &self.handed };
        scheduler.run().await
    }

    /// Finalized, due ten minutes and more ago, never notified, at version 3.
    fn late_transfer(&self, id: &str) -> (AccountId, Transfer) {
        let transfer = Transfer {
            amount: "25.00".into(),
            email: Some("jenny.rosen@example.com".into()),
            due_date: Some(NOW - 700),
            version: 3,
            ..Transfer::for_test(id, TransferStatus::Finalized, NOW - 86_400)
        };
        (self.account.id.clone(), transfer)
    }

    fn outbox(&self, id: &str, pointers: Vec<DeliveryPointer>) -> OutboxItem {
        OutboxItem {
            pk: outbox_pk(&self.account.id, id),
            sk: OUTBOX_SK.into(),
            due_pk: "due#outbox#0".into(),
            due_at: format!("{:012}#{id}", NOW - 60),
            account_id: self.account.id.clone(),
            pointers,
        }
    }

    fn pointer(&self, event_id: &str, attempt: u32) -> DeliveryPointer {
        DeliveryPointer {
            v: 1,
            account_id: self.account.id.to_string(),
            event_id: event_id.into(),
            endpoint_id: ENDPOINT.into(),
            attempt,
        }
    }

    fn mail_job(&self, event_id: &str) -> (AccountId, String) {
        (self.account.id.clone(), event_id.into())
    }

    fn session(&self, id: &str) -> (AccountId, CheckoutSession) {
        let session = CheckoutSession {
            id: id.into(),
            url: format!("https://pay.example.com/checkout/{id}"),
            payment_link_id: "plink_1".into(),
            external_customer_id: None,
            status: SessionStatus::Open,
            metadata: BTreeMap::new(),
            amount: "10.00".into(),
            currency: "usd".into(),
            created_at: NOW - 7_200,
            expires_at: NOW - 60,
            finished_at: None,
            payment: None,
            failure_reason: None,
            version: 1,
        };
        (self.account.id.clone(), session)
    }

    fn confirming(&self, hash: &str) -> (AccountId, Confirming) {
        let confirming = Confirming {
            target: PayTarget::Session("cs_1".into()),
            transaction_hash: hash.into(),
            network_id: 1,
            submitted_at: NOW - 120,
            until: NOW + 3_480,
        };
        (self.account.id.clone(), confirming)
    }

    /// What reached the queue, as the jobs dispatch reads.
    fn queued(&self) -> Vec<QueueJob> {
        self.queue.take().iter().map(|m| serde_json::from_str(&m.body).expect("a job dispatch reads")).collect()
    }

    /// The due reads of one kind: the page each resumed after, and its size.
    fn reads_of(&self, kind: &str) -> Vec<(Option<usize>, usize)> {
        let reads = self.store.calls().into_iter().filter_map(|call| match call {
            Call::Due { kind: read, resumes, size } if read == kind => Some((resumes, size)),
            _ => None,
        });
        reads.collect()
    }
}

#[tokio::test]
async fn a_transfer_past_due_gets_one_late_payment_committed_with_its_notification() {
    let world = World::new();
    let (account_id, transfer) = world.late_transfer("tr_1");
    world.store.then_due(vec![(account_id, transfer)]);

    let report = world.run().await.unwrap();

    assert_eq!(report.late_payments, 1);
    let transactions = world.store.transactions();
    assert_eq!(transactions.len(), 1, "one transaction");
    let notified = transactions[0].iter().find_map(|w| match w {
        Write::PutTransfer { transfer, expected_version } => Some((transfer, *expected_version)),
        _ => None,
    });
    let (notified, expected_version) = notified.expect("the transfer, in the event's transaction");
    assert_eq!(notified.late_payment_notified_at, Some(NOW), "marked notified: it leaves the due index");
    assert_eq!((notified.version, expected_version), (4, Some(3)), "only if no other run wrote it since");
    let events: Vec<_> =
        transactions[0].iter().filter_map(|w| if let Write::PutEvent(e) = w { Some(e) } else { None }).collect();
    assert_eq!(events.len(), 1, "one event");
    assert_eq!(events[0].kind, "LatePayment");
    assert!(events[0].payload.contains(r#""transferId":"tr_1""#), "{}", events[0].payload);
    // Its webhook to the endpoint, and its automated email (the customer's reminder).
    let event = &events[0].id;
    let queued = world.queued();
    assert!(
        matches!(&queued[..], [QueueJob::Mail(m), QueueJob::Delivery(p)]
            if m.event_id == *event && p.event_id == *event && p.endpoint_id == ENDPOINT),
        "{queued:?}"
    );
}

#[tokio::test]
async fn a_transfer_already_notified_gets_no_second_late_payment() {
    let world = World::new();
    let (account_id, mut transfer) = world.late_transfer("tr_1");
    transfer.late_payment_notified_at = Some(NOW - 60);
    world.store.then_due(vec![(account_id, transfer)]);

    let report = world.run().await.unwrap();

    assert_eq!(report.late_payments, 0);
    assert!(world.store.transactions().is_empty(), "nothing committed");
    assert!(world.queued().is_empty(), "nothing sent");
}

#[tokio::test]
async fn a_late_payment_another_run_committed_first_is_not_counted_and_the_run_goes_on() {
    let world = World::new();
    let (account_id, transfer) = world.late_transfer("tr_1");
    world.store.then_due(vec![(account_id, transfer)]).then_write_fails(WriteError::Conflict);
    world.store.then_due(vec![world.mail_job("evt_1")]);

    let report = world.run().await.expect("a lost race is no failure");

    assert_eq!((report.late_payments, report.mail_resent), (0, 1));
    let queued = world.queued();
    assert!(matches!(&queued[..], [QueueJob::Mail(_)]), "no event of the lost race: {queued:?}");
}

#[tokio::test]
async fn a_transfer_of_an_account_that_is_gone_is_skipped() {
    let world = World::new();
    let (_, transfer) = world.late_transfer("tr_1");
    world.store.then_due(vec![(AccountId::generate(), transfer)]);

    let report = world.run().await.unwrap();

    assert_eq!(report.late_payments, 0);
    assert!(world.store.transactions().is_empty());
}

#[tokio::test]
async fn a_lost_outbox_is_sent_again_then_removed() {
    let world = World::new();
    let pointers = vec![world.pointer("evt_1", 1), world.pointer("evt_2", 1)];
    world.store.then_due(vec![world.outbox("ob_1", pointers.clone())]);

    let report = world.run().await.unwrap();

    assert_eq!(report.outboxes_resent, 1);
    let queued = world.queued();
    let sent: Vec<&DeliveryPointer> =
        queued.iter().filter_map(|j| if let QueueJob::Delivery(p) = j { Some(p) } else { None }).collect();
    assert_eq!(sent, pointers.iter().collect::<Vec<_>>(), "every pointer, to dispatch");
    let removed: Vec<String> = world
        .store
        .calls()
        .into_iter()
        .filter_map(|c| if let Call::DeleteOutbox(id) = c { Some(id) } else { None })
        .collect();
    assert_eq!(removed, ["ob_1"]);
}

#[tokio::test]
async fn a_lost_outbox_stays_while_the_queue_is_down() {
    let world = World::with_queue(FakeQueue::unavailable());
    world.store.then_due(vec![world.outbox("ob_1", vec![world.pointer("evt_1", 1)])]);

    let failed = world.run().await;

    assert!(matches!(failed, Err(StoreError::Unavailable(_))), "the run fails, to be retried: {failed:?}");
    assert!(!world.store.calls().iter().any(|c| matches!(c, Call::DeleteOutbox(_))), "the outbox is kept");
}

#[tokio::test]
async fn deliveries_parked_past_their_window_go_to_dispatch_then_leave_their_endpoints() {
    let world = World::new();
    let parked = |event_id: &str, attempt| Parked {
        sk: format!("P#{}#{event_id}", NOW * 1000),
        event_id: event_id.into(),
        attempt,
        parked_at: NOW - 3_600,
    };
    let id = world.account.id.clone();
    world.store.then_due(vec![
        (id.clone(), ENDPOINT.to_owned(), parked("evt_1", 4)),
        (id.clone(), "we_2".to_owned(), parked("evt_2", 7)),
        (id, ENDPOINT.to_owned(), parked("evt_3", 4)),
    ]);

    let report = world.run().await.unwrap();

    assert_eq!(report.parked_expired, 3);
    let sent: Vec<(String, String, u32)> = world
        .queued()
        .into_iter()
        .filter_map(|j| if let QueueJob::Delivery(p) = j { Some((p.event_id, p.endpoint_id, p.attempt)) } else { None })
        .collect();
    let expected = [("evt_1", ENDPOINT, 4), ("evt_2", "we_2", 7), ("evt_3", ENDPOINT, 4)];
    assert_eq!(sent, expected.map(|(e, w, a)| (e.to_owned(), w.to_owned(), a)), "each at its attempt");
    let mut unparked: Vec<(String, Vec<String>)> = world
        .store
        .calls()
        .into_iter()
        .filter_map(|c| if let Call::Unpark { endpoint_id, events } = c { Some((endpoint_id, events)) } else { None })
        .collect();
    unparked.sort();
    let expected = [(ENDPOINT, vec!["evt_1", "evt_3"]), ("we_2", vec!["evt_2"])];
    assert_eq!(unparked, expected.map(|(w, e)| (w.to_owned(), e.iter().map(|s| s.to_string()).collect())));
}

#[tokio::test]
async fn due_runs_and_mail_jobs_are_handed_to_dispatch_as_pointers() {
    let world = World::new();
    let run = Run {
        id: "run_1".into(),
        workflow_id: "wf_1".into(),
        email: "jenny.rosen@example.com".into(),
        trigger_event_id: "evt_0".into(),
        event_properties: serde_json::Map::new(),
        event_name: "signup".into(),
        status: RunStatus::Waiting,
        next_step: 1,
        due_at: NOW - 5,
        steps: Vec::new(),
        created_at: NOW - 86_400,
        version: 2,
        base_url: String::new(),
    };
    world.store.then_due(vec![(world.account.id.clone(), run)]).then_due(vec![world.mail_job("evt_1")]);

    let report = world.run().await.unwrap();

    assert_eq!((report.runs_resumed, report.mail_resent), (1, 1));
    let account = world.account.id.to_string();
    match &world.queued()[..] {
        [QueueJob::Run(run), QueueJob::Mail(mail)] => {
            assert_eq!((run.account_id.as_str(), run.run_id.as_str()), (account.as_str(), "run_1"));
            assert_eq!((mail.account_id.as_str(), mail.event_id.as_str()), (account.as_str(), "evt_1"));
        }
        other => panic!("a run pointer and a mail pointer: {other:?}"),
    }
}

#[tokio::test]
async fn a_backlog_is_read_page_after_page_until_the_runs_budget_is_spent() {
    let world = World::new();
    let pages = MAX_DUE_PER_RUN / DUE_PAGE_SIZE + 1;
    for page in 0..pages {
        world.store.then_due((0..DUE_PAGE_SIZE).map(|i| world.mail_job(&format!("evt_{page}_{i}"))).collect());
    }

    let report = world.run().await.unwrap();

    assert_eq!(report.mail_resent as usize, MAX_DUE_PER_RUN, "the budget, and no more");
    assert_eq!(report.items_read, MAX_DUE_PER_RUN);
    let resumed: Vec<(Option<usize>, usize)> =
        (0..pages - 1).map(|page| ((page > 0).then_some(page), DUE_PAGE_SIZE)).collect();
    assert_eq!(world.reads_of("mail"), resumed, "each read resumes where the one before ended");
    assert_eq!(world.queued().len(), MAX_DUE_PER_RUN, "the rest is left for the next run");
}

#[tokio::test]
async fn payments_still_confirming_are_checked_before_sessions_expire() {
    let world = World::new();
    world.store.then_due(vec![world.session("cs_1")]).then_due(vec![world.confirming("0xabc")]);

    let report = world.run().await.unwrap();

    assert_eq!(world.handed.asked(), ["recheck 0xabc", "expire cs_1"], "a payment in time completes its session");
    assert_eq!((report.payments_settled, report.expired_sessions), (1, 1));
}

#[tokio::test]
async fn a_payment_that_cannot_be_checked_waits_for_the_next_run_and_the_run_goes_on() {
    let mut world = World::new();
    world.handed.payments_unverifiable = true;
    world.store.then_due(vec![world.confirming("0xabc")]).then_due(vec![world.session("cs_1")]);

    let report = world.run().await.expect("not a failure of the run");

    assert_eq!((report.payments_settled, report.payments_confirming, report.payments_dropped), (0, 0, 0));
    assert_eq!(report.expired_sessions, 1, "the sessions after it still expire");
}

#[tokio::test]
async fn a_store_failure_in_one_sweep_fails_the_run_and_the_other_sweeps_still_run() {
    let world = World::new();
    world.store.then_due_fails::<(AccountId, Transfer)>(StoreError::Unavailable("throttled".into()));
    world.store.then_due(vec![world.mail_job("evt_1")]);

    let failed = world.run().await;

    assert!(matches!(failed, Err(StoreError::Unavailable(_))), "the tick fails, and is seen to: {failed:?}");
    assert_eq!(world.reads_of("mail").len(), 1, "the mail jobs are not held up by the transfers");
    assert_eq!(world.queued().len(), 1, "the automated email is handed to dispatch");
}

#[tokio::test]
async fn sessions_do_not_expire_in_a_run_that_could_not_read_the_payments_still_confirming() {
    let world = World::new();
    world.store.then_due_fails::<(AccountId, Confirming)>(StoreError::Unavailable("throttled".into()));
    world.store.then_due(vec![world.session("cs_1")]);

    let failed = world.run().await;

    assert!(failed.is_err(), "{failed:?}");
    assert!(
        world.reads_of("session").is_empty(),
        "a session paid in time is not expired before its payment is checked"
    );
}
