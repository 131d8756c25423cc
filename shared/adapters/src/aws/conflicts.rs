//! DynamoDB's answers that mean "nothing was applied, try again", which the SDK's own retry
//! classifiers do not know: `TransactionConflictException` (a single-item write met an item that a
//! transaction holds) and a `TransactionCanceledException` whose reasons name no failed condition
//! (`TransactionConflict`, throttling: another transaction touched one of its items). Classified
//! here as transient, the SDK retries them with its jittered exponential backoff within its
//! attempts, as it does throttling; a cancellation with a `ConditionalCheckFailed` reason is never
//! retried, since that is an answer (a duplicate, a stale write) the caller must read.

use aws_sdk_dynamodb::config::interceptors::InterceptorContext;
use aws_sdk_dynamodb::config::retry::{ClassifyRetry, RetryAction};
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;

/// A cancellation reason that says an item's condition was evaluated and failed.
pub const CONDITION_FAILED: &str = "ConditionalCheckFailed";

/// The cancellation reasons that say "another request was in the way" (or the table was busy),
/// not "this request is wrong": a retry may not meet them again.
const TRANSIENT_REASONS: [&str; 5] = [
    "TransactionConflict",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
    "RequestLimitExceeded",
    "InternalServerError",
];

/// Whether a cancelled transaction applied nothing for a reason that a retry may not meet again:
/// at least one transient reason, and every other one `None`. A failed condition is an answer,
/// and a reason such as `ValidationError` or `ItemCollectionSizeLimitExceeded` a fault that no
/// retry mends.
pub fn only_transient_reasons<'a>(codes: impl IntoIterator<Item = Option<&'a str>>) -> bool {
    let mut transient = false;
    for code in codes.into_iter().flatten() {
        match code {
            "None" => {}
            code if TRANSIENT_REASONS.contains(&code) => transient = true,
            _ => return false,
        }
    }
    transient
}

#[derive(Debug, Default)]
pub struct TransactionConflicts;

impl ClassifyRetry for TransactionConflicts {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(Err(error)) = ctx.output_or_error() else { return RetryAction::NoActionIndicated };
        let Some(error) = error.as_operation_error() else { return RetryAction::NoActionIndicated };
        if let Some(TransactWriteItemsError::TransactionCanceledException(cancel)) =
            error.downcast_ref::<TransactWriteItemsError>()
        {
            let codes = cancel.cancellation_reasons().iter().map(|r| r.code());
            if only_transient_reasons(codes) {
                return RetryAction::transient_error();
            }
            return RetryAction::NoActionIndicated;
        }
        let code = error
            .downcast_ref::<PutItemError>()
            .and_then(|e| e.code())
            .or_else(|| error.downcast_ref::<UpdateItemError>().and_then(|e| e.code()))
            .or_else(|| error.downcast_ref::<DeleteItemError>().and_then(|e| e.code()))
            .or_else(|| error.downcast_ref::<TransactWriteItemsError>().and_then(|e| e.code()));
        match code {
            Some("TransactionConflictException" | "TransactionInProgressException") => RetryAction::transient_error(),
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "DynamoDB transaction conflicts"
    }
}

#[cfg(test)]
mod tests {
    use super::only_transient_reasons;

    #[test]
    fn a_failed_condition_is_an_answer_and_a_conflict_alone_is_transient() {
        assert!(only_transient_reasons([Some("None"), Some("TransactionConflict")]));
        assert!(only_transient_reasons([Some("ThrottlingError"), None]));
        assert!(!only_transient_reasons([Some("TransactionConflict"), Some("ConditionalCheckFailed")]));
        assert!(!only_transient_reasons([Some("None"), Some("None")]));
        assert!(!only_transient_reasons([]));
        assert!(!only_transient_reasons([Some("TransactionConflict"), Some("ValidationError")]));
    }
}
