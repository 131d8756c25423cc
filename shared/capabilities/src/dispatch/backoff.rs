//! Retries of a store call that DynamoDB refused for now (a transaction conflict, throttling),
//! on top of the SDK's own few: the record of an attempt already POSTed is worth more tries than
//! a request's budget gives, because losing it means POSTing the attempt again later. Waits are
//! jittered (`loop_ground::backoff`), so that handlers racing on one item spread out instead of
//! colliding again in step. What is still refused after them is reported as `Unavailable`, and
//! the queue brings the message back.

use std::future::Future;

use loop_ground::error::StoreError;

/// Tries in all, the first included.
const TRIES: u32 = 4;

/// Runs `call` until it answers anything but `Unavailable`, or `TRIES` times.
pub async fn retry<T, F, Fut>(what: &'static str, mut call: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut tried = 1;
    loop {
        match call().await {
            Err(StoreError::Unavailable(detail)) if tried < TRIES => {
                let wait = loop_ground::backoff::jittered(tried);
                tracing::debug!(what, tried, wait_ms = wait.as_millis() as u64, %detail, "refused for now: trying again");
                tokio::time::sleep(wait).await;
                tried += 1;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn unavailable_is_tried_again_and_then_reported() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = retry("test", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(StoreError::Unavailable("conflict".into()))
        })
        .await;
        assert!(matches!(result, Err(StoreError::Unavailable(_))));
        assert_eq!(calls.load(Ordering::SeqCst), TRIES);
    }

    #[tokio::test]
    async fn other_answers_are_not_retried() {
        let calls = AtomicU32::new(0);
        let result = retry("test", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            if calls.load(Ordering::SeqCst) == 1 {
                Err(StoreError::Unavailable("throttled".into()))
            } else {
                Err::<(), _>(StoreError::Fault("validation".into()))
            }
        })
        .await;
        assert!(matches!(result, Err(StoreError::Fault(_))));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
