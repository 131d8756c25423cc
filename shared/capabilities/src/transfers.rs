//! Transfer processing: the payment processor's report of a transfer's outcome (in this product,
//! the test helper and `loopctl transfers process`), publishing `TransferProcessed` once per report.

use crate::publish;
use loop_adapters::app::App;
use loop_adapters::store::{Write, WriteError};
use loop_ground::clock::unix_seconds;
use loop_ground::domain::account::Account;
use loop_ground::domain::commerce::{Transfer, TransferStatus};
use loop_ground::domain::payloads::{self, ProcessingReport};
use loop_ground::error::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("no such transfer")]
    UnknownTransfer,
    #[error("the transfer is already processed")]
    AlreadyProcessed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub async fn process(
    app: &App,
    account: &Account,
    transfer_id: &str,
    report: &ProcessingReport,
) -> Result<Transfer, ProcessError> {
    for _ in 0..5 {
        let current = app.store.get_transfer(&account.id, transfer_id).await?.ok_or(ProcessError::UnknownTransfer)?;
        if current.status == TransferStatus::Processed {
            return Err(ProcessError::AlreadyProcessed);
        }
        let now_ms = app.clock.now_millis();
        let now = unix_seconds(now_ms);
        let mut updated = current.clone();
        if report.success {
            updated.status = TransferStatus::Processed;
            updated.processed_at = Some(now);
        } else {
            updated.status = TransferStatus::Failed;
            // A failure reported without a reason keeps the last one given, if any: LatePayment
            // then says the default (`webhooks.md`), not a reason nobody reported.
            updated.last_failure_reason = report.reason.clone().or(current.last_failure_reason.clone());
        }
        if report.transaction.is_some() {
            updated.transaction = report.transaction.clone();
        }
        updated.updated_at = now;
        updated.version += 1;
        let event = payloads::transfer_processed(account, &updated, report, now_ms);
        let endpoints = app.store.get_endpoints(&account.id).await?;
        let writes =
            vec![Write::PutTransfer { transfer: Box::new(updated.clone()), expected_version: Some(current.version) }];
        match publish::commit(app, &account.id, &endpoints, writes, vec![event]).await {
            Ok(()) => return Ok(updated),
            Err(WriteError::Conflict | WriteError::AlreadySeen | WriteError::LogAlreadyUsed) => continue,
            Err(WriteError::Store(err)) => return Err(err.into()),
        }
    }
    Err(ProcessError::Store(StoreError::Unavailable("the transfer kept changing".into())))
}
