//! The scheduler's tick (every minute): `LatePayment` for transfers more than ten minutes past
//! due and unprocessed, expiry of checkout sessions past their `expiresAt`, and a sweep of
//! outboxes whose pointers were not sent. It reads only what
//! is due, from the sparse `due` index; a conditional write makes each late payment exactly
//! once even when two runs overlap.

use std::collections::HashMap;

use serde::Serialize;

use crate::app::App;
use crate::checkout::{self, CheckoutError};
use crate::clock::unix_seconds;
use crate::domain::account::Account;
use crate::domain::checkout::SessionStatus;
use crate::domain::endpoint::EndpointSet;
use crate::domain::payloads;
use crate::error::StoreError;
use crate::ids::AccountId;
use crate::publish;
use crate::store::{Write, WriteError};

/// What one run did, for logs and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleReport {
    pub late_payments: u32,
    pub expired_sessions: u32,
    pub outboxes_resent: u32,
    /// Items the due index returned: the run's cost, flat in the number of records not yet due.
    pub items_read: usize,
}

pub async fn run(app: &App) -> Result<ScheduleReport, StoreError> {
    let now_ms = app.clock.now_millis();
    let now = unix_seconds(now_ms);
    let mut report = ScheduleReport::default();
    let mut accounts: HashMap<AccountId, (Account, EndpointSet)> = HashMap::new();

    let due = app.store.due_transfers(now).await?;
    report.items_read += due.items_read;
    for (account_id, transfer) in due.records {
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
        let writes = vec![Write::PutTransfer { transfer: notified, expected_version: Some(transfer.version) }];
        match publish::commit(app, &account_id, endpoints, writes, vec![event]).await {
            Ok(()) => report.late_payments += 1,
            // Another run notified it first, or it was processed meanwhile.
            Err(err @ (WriteError::Conflict | WriteError::AlreadySeen)) => {
                tracing::warn!(error = %err, "late payment skipped")
            }
            Err(WriteError::Store(err)) => return Err(err),
        }
    }

    let sessions = app.store.due_sessions(now).await?;
    report.items_read += sessions.items_read;
    for (account_id, session) in sessions.records {
        let Some(account) = app.store.get_account(&account_id).await? else { continue };
        match checkout::finish(app, &account, &session.id, SessionStatus::Expired).await {
            Ok(_) => report.expired_sessions += 1,
            // Finished meanwhile (completed, failed, or expired by an overlapping run).
            Err(CheckoutError::NotOpen(_)) | Err(CheckoutError::UnknownSession) => {}
            Err(CheckoutError::Store(err)) => return Err(err),
            Err(err) => tracing::warn!(error = %err, "session not expired"),
        }
    }

    let outboxes = app.store.due_outboxes(now).await?;
    report.items_read += outboxes.items_read;
    for outbox in outboxes.records {
        publish::send(&app.queue, &outbox.pointers).await?;
        let id = outbox.pk.rsplit("#OB#").next().unwrap_or_default();
        app.store.delete_outbox(&outbox.account_id, id).await?;
        report.outboxes_resent += 1;
    }
    if report != ScheduleReport::default() {
        tracing::info!(?report, "schedule ran");
    }
    Ok(report)
}
