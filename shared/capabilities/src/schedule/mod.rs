//! The scheduler's tick (every minute): `LatePayment` for transfers more than ten minutes past
//! due and unprocessed, expiry of checkout sessions past their `expiresAt`, and a sweep of
//! outboxes whose pointers were not sent. It reads only what
//! is due, from the sparse `due` index, page by page and a bounded number per run; a conditional
//! write makes each late payment exactly once even when two runs overlap. An undecodable record
//! is logged and skipped: the rest of the run goes on.
//!
//! Written against the ports (`loop_adapters::ports`): the store's due pages and the reads its
//! sweeps make, the queue, the commit of late payments, the clock; and, behind
//! [`SessionsAndPayments`], the two capabilities that due sessions and payments are handed to
//! (each tested on its own).

#[cfg(test)]
mod scenarios;
mod walk;

use std::collections::HashMap;
use std::future::Future;

use serde::Serialize;

use crate::checkout::{self, CheckoutError};
use crate::payments::{self, PaymentError, Recheck};
use crate::publish::{self, Publisher};
use loop_adapters::app::App;
use loop_adapters::ports::{CommitStore, MessageQueue, ScheduleStore};
use loop_adapters::queue::{DeliveryQueue, OutgoingMessage};
use loop_adapters::store::{Confirming, Due, DueCursor, Parked, Store, Write, WriteError};
use loop_ground::clock::{unix_seconds, Clock};
use loop_ground::domain::account::Account;
use loop_ground::domain::checkout::SessionStatus;
use loop_ground::domain::endpoint::EndpointSet;
use loop_ground::domain::outbound::{DeliveryPointer, RunPointer};
use loop_ground::domain::payloads;
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;
use walk::DueWalk;

/// Items one query of the due index returns at most.
pub const DUE_PAGE_SIZE: usize = 100;
/// Items of one kind a run takes from the due index at most. A larger backlog is finished by the
/// next runs (one a minute), so a run stays bounded in time (60 s timeout) and memory.
pub const MAX_DUE_PER_RUN: usize = 1_000;

/// What one run did, for logs and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleReport {
    pub late_payments: u32,
    pub expired_sessions: u32,
    pub outboxes_resent: u32,
    /// Parked deliveries whose retry window ended, handed to dispatch to end.
    pub parked_expired: u32,
    /// Submitted payments confirmed on chain by this run, still confirming, or dropped.
    pub payments_settled: u32,
    pub payments_confirming: u32,
    pub payments_dropped: u32,
    /// Workflow runs due (a wait over, or a step to retry), handed to dispatch.
    pub runs_resumed: u32,
    /// Automated emails handed to dispatch again.
    pub mail_resent: u32,
    /// Items the due index returned: the run's cost, flat in the number of records not yet due.
    pub items_read: usize,
    /// Due records that could not be decoded: logged and skipped.
    pub corrupt_skipped: usize,
}

/// What the scheduler hands due sessions and payments to: checkout (on its own ports, tested in
/// `checkout::scenarios`) and payments (still over `App`: its reads and writes, and the chain),
/// implemented on `App` by calling them. A seam, so that the scheduler's tests hold only what it
/// asks of them, not what they do.
pub trait SessionsAndPayments: Sync {
    /// `checkout::finish` to `expired`.
    fn expire_session(
        &self,
        account: &Account,
        session_id: &str,
    ) -> impl Future<Output = Result<(), CheckoutError>> + Send;

    /// `payments::recheck`: settled, kept for the next run, or dropped.
    fn recheck_payment(
        &self,
        account: &AccountId,
        confirming: &Confirming,
        now: i64,
    ) -> impl Future<Output = Result<Recheck, PaymentError>> + Send;
}

impl SessionsAndPayments for App {
    async fn expire_session(&self, account: &Account, session_id: &str) -> Result<(), CheckoutError> {
        checkout::finish(self, account, session_id, SessionStatus::Expired).await.map(drop)
    }

    fn recheck_payment(
        &self,
        account: &AccountId,
        confirming: &Confirming,
        now: i64,
    ) -> impl Future<Output = Result<Recheck, PaymentError>> + Send {
        payments::recheck(self, account, confirming, now)
    }
}

/// What the scheduler works with: the store, the queue, the clock, and the capabilities due
/// sessions and payments go to. `Scheduler::of` builds it on an `App`; unit tests on fakes.
pub struct Scheduler<'a, S, Q, C> {
    pub store: &'a S,
    pub queue: &'a Q,
    pub clock: &'a dyn Clock,
    pub sessions_and_payments: &'a C,
}

impl<'a> Scheduler<'a, Store, DeliveryQueue, App> {
    pub fn of(app: &'a App) -> Self {
        Scheduler { store: &app.store, queue: &app.queue, clock: &*app.clock, sessions_and_payments: app }
    }
}

/// The entry point of every tick: [`Scheduler::run`] on an `App`.
pub async fn run(app: &App) -> Result<ScheduleReport, StoreError> {
    Scheduler::of(app).run().await
}

/// Whether a sweep completed; a failure is logged and the first one kept for the run's answer.
fn kept(sweep: &str, result: Result<(), StoreError>, failed: &mut Option<StoreError>) -> bool {
    match result {
        Ok(()) => true,
        Err(err) => {
            tracing::warn!(sweep, error = %err, "sweep stopped; what it did not do stays due for the next run");
            failed.get_or_insert(err);
            false
        }
    }
}

/// The accounts a run has read, with their endpoints: each read once however much it has due.
type Accounts = HashMap<AccountId, (Account, EndpointSet)>;

impl<S, Q, C> Scheduler<'_, S, Q, C>
where
    S: ScheduleStore + CommitStore,
    Q: MessageQueue,
    C: SessionsAndPayments,
{
    /// One tick: every kind of due record in turn. A store or queue failure stops its own sweep
    /// (what it did not do stays due, for the next run) and fails the run, so that it is seen;
    /// the other sweeps still run, so one throttled kind does not hold up the rest for a minute.
    pub async fn run(&self) -> Result<ScheduleReport, StoreError> {
        let now_ms = self.clock.now_millis();
        let now = unix_seconds(now_ms);
        let mut report = ScheduleReport::default();
        let mut accounts = Accounts::new();
        let mut failed = None;
        let late_payments = self.late_payments(now_ms, &mut accounts, &mut report).await;
        kept("late payments", late_payments, &mut failed);
        // Expiry only once the payments still confirming are checked: a payment made in time but
        // confirmed only now still completes its session.
        if kept("payments confirming", self.confirming_payments(now, &mut report).await, &mut failed) {
            let expired = self.expired_sessions(now, &mut accounts, &mut report).await;
            kept("expired sessions", expired, &mut failed);
        }
        kept("lost outboxes", self.lost_outboxes(now, &mut report).await, &mut failed);
        kept("parked deliveries", self.parked_past_window(now, &mut report).await, &mut failed);
        kept("workflow runs", self.due_runs(now, &mut report).await, &mut failed);
        kept("automated emails", self.due_mail(now, &mut report).await, &mut failed);
        if report != ScheduleReport::default() {
            tracing::info!(?report, "schedule ran");
        }
        match failed {
            Some(err) => Err(err),
            None => Ok(report),
        }
    }

    /// The account and its endpoints, read on its first due record; `None` once it is gone.
    async fn account<'c>(
        &self,
        accounts: &'c mut Accounts,
        id: &AccountId,
    ) -> Result<Option<&'c (Account, EndpointSet)>, StoreError> {
        if !accounts.contains_key(id) {
            let Some(account) = self.store.get_account(id).await? else { return Ok(None) };
            let endpoints = self.store.get_endpoints(id).await?;
            accounts.insert(id.clone(), (account, endpoints));
        }
        Ok(accounts.get(id))
    }

    async fn late_payments(
        &self,
        now_ms: i64,
        accounts: &mut Accounts,
        report: &mut ScheduleReport,
    ) -> Result<(), StoreError> {
        let now = unix_seconds(now_ms);
        let publisher = Publisher { store: self.store, queue: self.queue, clock: self.clock };
        let mut transfers = DueWalk::new(now);
        while let Some(page) = transfers.next(report, |from, size| self.store.due_transfers(now, from, size)).await? {
            for (account_id, transfer) in page {
                if transfer.late_payment_notified_at.is_some() {
                    continue;
                }
                let Some((account, endpoints)) = self.account(accounts, &account_id).await? else { continue };
                let mut notified = transfer.clone();
                notified.late_payment_notified_at = Some(now);
                notified.version += 1;
                let event = payloads::late_payment(account, &notified, now_ms);
                let writes =
                    vec![Write::PutTransfer { transfer: Box::new(notified), expected_version: Some(transfer.version) }];
                match publisher.commit(&account_id, endpoints, writes, vec![event]).await {
                    Ok(()) => report.late_payments += 1,
                    // Another run notified it first, or it was processed meanwhile.
                    Err(err @ (WriteError::Conflict | WriteError::AlreadySeen | WriteError::LogAlreadyUsed)) => {
                        tracing::warn!(error = %err, "late payment skipped")
                    }
                    Err(WriteError::Store(err)) => return Err(err),
                }
            }
        }
        Ok(())
    }

    async fn confirming_payments(&self, now: i64, report: &mut ScheduleReport) -> Result<(), StoreError> {
        let mut confirmings = DueWalk::new(now);
        while let Some(page) =
            confirmings.next(report, |from, size| self.store.due_confirmings(now, from, size)).await?
        {
            for (account_id, confirming) in page {
                match self.sessions_and_payments.recheck_payment(&account_id, &confirming, now).await {
                    Ok(Recheck::Settled) => report.payments_settled += 1,
                    Ok(Recheck::Kept) => report.payments_confirming += 1,
                    Ok(Recheck::Dropped) => report.payments_dropped += 1,
                    Err(err) => tracing::warn!(account = %account_id, error = %err, "confirming payment not checked"),
                }
            }
        }
        Ok(())
    }

    async fn expired_sessions(
        &self,
        now: i64,
        accounts: &mut Accounts,
        report: &mut ScheduleReport,
    ) -> Result<(), StoreError> {
        let mut sessions = DueWalk::new(now);
        while let Some(page) = sessions.next(report, |from, size| self.store.due_sessions(now, from, size)).await? {
            for (account_id, session) in page {
                let Some((account, _)) = self.account(accounts, &account_id).await? else { continue };
                match self.sessions_and_payments.expire_session(account, &session.id).await {
                    Ok(()) => report.expired_sessions += 1,
                    // Finished meanwhile (completed, failed, or expired by an overlapping run).
                    Err(CheckoutError::NotOpen(_)) | Err(CheckoutError::UnknownSession) => {}
                    Err(CheckoutError::Store(err)) => return Err(err),
                    Err(err) => tracing::warn!(error = %err, "session not expired"),
                }
            }
        }
        Ok(())
    }

    /// Outboxes whose sender failed after its commit: sent again, then removed.
    async fn lost_outboxes(&self, now: i64, report: &mut ScheduleReport) -> Result<(), StoreError> {
        let mut outboxes = DueWalk::new(now);
        while let Some(page) = outboxes.next(report, |from, size| self.store.due_outboxes(now, from, size)).await? {
            for outbox in page {
                publish::send(self.queue, &outbox.pointers).await?;
                let id = outbox.pk.rsplit("#OB#").next().unwrap_or_default();
                self.store.delete_outbox(&outbox.account_id, id).await?;
                report.outboxes_resent += 1;
            }
        }
        Ok(())
    }

    /// A delivery parked behind an open circuit past its retry window: its pointer goes to
    /// dispatch, which ends it (`retry window ended`) rather than leave it `pending` until the
    /// circuit's probe hands over. Sent before its record goes, as a release job does.
    async fn parked_past_window(&self, now: i64, report: &mut ScheduleReport) -> Result<(), StoreError> {
        let mut parked = DueWalk::new(now);
        while let Some(page) = parked.next(report, |from, size| self.store.due_parked(now, from, size)).await? {
            let pointers: Vec<DeliveryPointer> = page
                .iter()
                .map(|(account_id, endpoint_id, waiting)| DeliveryPointer {
                    v: 1,
                    account_id: account_id.to_string(),
                    event_id: waiting.event_id.clone(),
                    endpoint_id: endpoint_id.clone(),
                    attempt: waiting.attempt,
                })
                .collect();
            publish::send(self.queue, &pointers).await?;
            // Removed by endpoint, in batches, once every pointer of the page is on its way.
            let mut by_endpoint: HashMap<(AccountId, String), Vec<Parked>> = HashMap::new();
            for (account_id, endpoint_id, waiting) in page {
                by_endpoint.entry((account_id, endpoint_id)).or_default().push(waiting);
            }
            for ((account_id, endpoint_id), released) in by_endpoint {
                self.store.unpark(&account_id, &endpoint_id, &released).await?;
            }
            report.parked_expired += pointers.len() as u32;
        }
        Ok(())
    }

    /// Workflow runs whose wait is over (or whose step must be tried again): handed to dispatch,
    /// which sends their emails; a run handed over twice sends nothing twice (its steps' claims).
    async fn due_runs(&self, now: i64, report: &mut ScheduleReport) -> Result<(), StoreError> {
        let read = |from, size| self.store.due_runs(now, from, size);
        report.runs_resumed += self
            .queue_pointers(now, report, read, |(account_id, run)| {
                let body = RunPointer { run: 1, account_id: account_id.to_string(), run_id: run.id.clone() };
                OutgoingMessage { body: serde_json::to_string(&body).unwrap_or_default(), delay_seconds: 0 }
            })
            .await?;
        Ok(())
    }

    /// Automated emails whose hand-over to dispatch may have been lost (dispatch drops the job
    /// once the email is decided; one handed over twice is sent once: its claim).
    async fn due_mail(&self, now: i64, report: &mut ScheduleReport) -> Result<(), StoreError> {
        let read = |from, size| self.store.due_mail_jobs(now, from, size);
        report.mail_resent += self
            .queue_pointers(now, report, read, |(account_id, event_id)| {
                crate::email::automated::pointer(account_id, event_id)
            })
            .await?;
        Ok(())
    }

    /// Queues a pointer to dispatch for each due record that `read` finds, a page at a time;
    /// answers how many.
    async fn queue_pointers<T, F>(
        &self,
        now: i64,
        report: &mut ScheduleReport,
        read: impl Fn(DueCursor, usize) -> F,
        message: impl Fn(&T) -> OutgoingMessage,
    ) -> Result<u32, StoreError>
    where
        F: Future<Output = Result<Due<T>, StoreError>>,
    {
        let mut handed = 0;
        let mut walk = DueWalk::new(now);
        while let Some(page) = walk.next(report, &read).await? {
            let messages: Vec<OutgoingMessage> = page.iter().map(&message).collect();
            self.queue.send(&messages).await?;
            handed += messages.len() as u32;
        }
        Ok(handed)
    }
}
