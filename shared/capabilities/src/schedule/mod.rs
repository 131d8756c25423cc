//! The scheduler's tick (every minute): `LatePayment` for transfers more than ten minutes past
//! due and unprocessed, expiry of checkout sessions past their `expiresAt`, and a sweep of
//! outboxes whose pointers were not sent. It reads only what
//! is due, from the sparse `due` index, page by page and a bounded number per run; a conditional
//! write makes each late payment exactly once even when two runs overlap. An undecodable record
//! is logged and skipped: the rest of the run goes on.

use std::collections::HashMap;

use serde::Serialize;

use crate::checkout::{self, CheckoutError};
use crate::payments::{self, Recheck};
use crate::publish;
use loop_adapters::app::App;
use loop_adapters::queue::OutgoingMessage;
use loop_adapters::store::{DueCursor, Write, WriteError};
use loop_ground::clock::unix_seconds;
use loop_ground::domain::account::Account;
use loop_ground::domain::checkout::SessionStatus;
use loop_ground::domain::endpoint::EndpointSet;
use loop_ground::domain::outbound::{DeliveryPointer, RunPointer};
use loop_ground::domain::payloads;
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

/// Items one query of the due index returns at most.
pub const DUE_PAGE_SIZE: usize = 100;
/// Items of one kind a run takes from the due index at most. A larger backlog is finished by the
/// next runs (one a minute), so a run stays bounded in time (60 s timeout) and memory.
pub const MAX_DUE_PER_RUN: usize = 1_000;

/// Where a run is in one kind's part of the due index, and how much of its budget it used.
struct DueWalk {
    next: Option<DueCursor>,
    read: usize,
}

impl DueWalk {
    /// A walk that begins at the shard of the minute, so that consecutive runs begin at
    /// different shards.
    fn new(now: i64) -> Self {
        DueWalk { next: Some(DueCursor::starting_at((now / 60).unsigned_abs())), read: 0 }
    }

    /// The next page to read and its size, while the budget lasts and something may be due.
    fn next_page(&mut self) -> Option<(DueCursor, usize)> {
        let left = MAX_DUE_PER_RUN.saturating_sub(self.read);
        if left == 0 {
            return None;
        }
        Some((self.next.take()?, left.min(DUE_PAGE_SIZE)))
    }

    fn advance<T>(&mut self, page: &loop_adapters::store::Due<T>, report: &mut ScheduleReport) {
        self.read += page.items_read;
        self.next = page.next.clone();
        report.items_read += page.items_read;
        report.corrupt_skipped += page.corrupt;
    }
}

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

pub async fn run(app: &App) -> Result<ScheduleReport, StoreError> {
    let now_ms = app.clock.now_millis();
    let now = unix_seconds(now_ms);
    let mut report = ScheduleReport::default();
    let mut accounts: HashMap<AccountId, (Account, EndpointSet)> = HashMap::new();

    let mut transfers = DueWalk::new(now);
    while let Some((from, size)) = transfers.next_page() {
        let page = app.store.due_transfers(now, from, size).await?;
        transfers.advance(&page, &mut report);
        for (account_id, transfer) in page.records {
            if transfer.late_payment_notified_at.is_some() {
                continue;
            }
            if !accounts.contains_key(&account_id) {
                let Some(account) = app.store.get_account(&account_id).await? else { continue };
                let endpoints = app.store.get_endpoints(&account_id).await?;
                accounts.insert(account_id.clone(), (account, endpoints));
            }
            let (account, endpoints) = &accounts[&account_id];
            let mut notified = transfer.clone();
            notified.late_payment_notified_at = Some(now);
            notified.version += 1;
            let event = payloads::late_payment(account, &notified, now_ms);
            let writes =
                vec![Write::PutTransfer { transfer: Box::new(notified), expected_version: Some(transfer.version) }];
            match publish::commit(app, &account_id, endpoints, writes, vec![event]).await {
                Ok(()) => report.late_payments += 1,
                // Another run notified it first, or it was processed meanwhile.
                Err(err @ (WriteError::Conflict | WriteError::AlreadySeen | WriteError::LogAlreadyUsed)) => {
                    tracing::warn!(error = %err, "late payment skipped")
                }
                Err(WriteError::Store(err)) => return Err(err),
            }
        }
    }

    // Before expiry: a payment made in time but confirmed only now still completes its session.
    let mut confirmings = DueWalk::new(now);
    while let Some((from, size)) = confirmings.next_page() {
        let page = app.store.due_confirmings(now, from, size).await?;
        confirmings.advance(&page, &mut report);
        for (account_id, confirming) in page.records {
            match payments::recheck(app, &account_id, &confirming, now).await {
                Ok(Recheck::Settled) => report.payments_settled += 1,
                Ok(Recheck::Kept) => report.payments_confirming += 1,
                Ok(Recheck::Dropped) => report.payments_dropped += 1,
                Err(err) => tracing::warn!(account = %account_id, error = %err, "confirming payment not checked"),
            }
        }
    }

    let mut sessions = DueWalk::new(now);
    while let Some((from, size)) = sessions.next_page() {
        let page = app.store.due_sessions(now, from, size).await?;
        sessions.advance(&page, &mut report);
        for (account_id, session) in page.records {
            if !accounts.contains_key(&account_id) {
                let Some(account) = app.store.get_account(&account_id).await? else { continue };
                let endpoints = app.store.get_endpoints(&account_id).await?;
                accounts.insert(account_id.clone(), (account, endpoints));
            }
            let (account, _) = &accounts[&account_id];
            match checkout::finish(app, account, &session.id, SessionStatus::Expired).await {
                Ok(_) => report.expired_sessions += 1,
                // Finished meanwhile (completed, failed, or expired by an overlapping run).
                Err(CheckoutError::NotOpen(_)) | Err(CheckoutError::UnknownSession) => {}
                Err(CheckoutError::Store(err)) => return Err(err),
                Err(err) => tracing::warn!(error = %err, "session not expired"),
            }
        }
    }

    let mut outboxes = DueWalk::new(now);
    while let Some((from, size)) = outboxes.next_page() {
        let page = app.store.due_outboxes(now, from, size).await?;
        outboxes.advance(&page, &mut report);
        for outbox in page.records {
            publish::send(&app.queue, &outbox.pointers).await?;
            let id = outbox.pk.rsplit("#OB#").next().unwrap_or_default();
            app.store.delete_outbox(&outbox.account_id, id).await?;
            report.outboxes_resent += 1;
        }
    }

    // A delivery parked behind an open circuit past its retry window: its pointer goes to
    // dispatch, which ends it (`retry window ended`) rather than leave it `pending` until the
    // circuit's probe hands over. Sent before its record goes, as a release job does.
    let mut parked = DueWalk::new(now);
    while let Some((from, size)) = parked.next_page() {
        let page = app.store.due_parked(now, from, size).await?;
        parked.advance(&page, &mut report);
        let pointers: Vec<DeliveryPointer> = page
            .records
            .iter()
            .map(|(account_id, endpoint_id, waiting)| DeliveryPointer {
                v: 1,
                account_id: account_id.to_string(),
                event_id: waiting.event_id.clone(),
                endpoint_id: endpoint_id.clone(),
                attempt: waiting.attempt,
            })
            .collect();
        publish::send(&app.queue, &pointers).await?;
        // Removed by endpoint, in batches, once every pointer of the page is on its way.
        let mut by_endpoint: HashMap<(AccountId, String), Vec<loop_adapters::store::Parked>> = HashMap::new();
        for (account_id, endpoint_id, waiting) in page.records {
            by_endpoint.entry((account_id, endpoint_id)).or_default().push(waiting);
        }
        for ((account_id, endpoint_id), released) in by_endpoint {
            app.store.unpark(&account_id, &endpoint_id, &released).await?;
        }
        report.parked_expired += pointers.len() as u32;
    }
    // Workflow runs whose wait is over (or whose step must be tried again): handed to dispatch,
    // which sends their emails; a run handed over twice sends nothing twice (its steps' claims).
    let mut runs = DueWalk::new(now);
    while let Some((from, size)) = runs.next_page() {
        let page = app.store.due_runs(now, from, size).await?;
        runs.advance(&page, &mut report);
        let messages: Vec<_> = page
            .records
            .iter()
            .map(|(account_id, run)| {
                let body = RunPointer { run: 1, account_id: account_id.to_string(), run_id: run.id.clone() };
                OutgoingMessage { body: serde_json::to_string(&body).unwrap_or_default(), delay_seconds: 0 }
            })
            .collect();
        app.queue.send(&messages).await?;
        report.runs_resumed += messages.len() as u32;
    }
    // Automated emails whose hand-over to dispatch may have been lost (dispatch drops the job
    // once the email is decided; one handed over twice is sent once: its claim).
    let mut mail = DueWalk::new(now);
    while let Some((from, size)) = mail.next_page() {
        let page = app.store.due_mail_jobs(now, from, size).await?;
        mail.advance(&page, &mut report);
        let messages: Vec<_> = page
            .records
            .iter()
            .map(|(account_id, event_id)| crate::email::automated::pointer(account_id, event_id))
            .collect();
        app.queue.send(&messages).await?;
        report.mail_resent += messages.len() as u32;
    }
    if report != ScheduleReport::default() {
        tracing::info!(?report, "schedule ran");
    }
    Ok(report)
}
