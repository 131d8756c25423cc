//! Retries of a store call that DynamoDB refused for now (a transaction conflict, throttling):
//! a few tries with jittered, doubling waits, so that handlers racing on one item spread out
//! instead of colliding again in step. What is still refused after them is reported as
//! `Unavailable`, and the queue brings the message back.

use std::future::Future;
use std::time::Duration;

use crate::error::StoreError;

/// Tries in all, the first included.
const TRIES: u32 = 4;
/// The first wait's upper bound; each later one doubles it.
const FIRST_WAIT_MS: u64 = 40;

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
                let wait = jittered(FIRST_WAIT_MS << (tried - 1));
                tracing::debug!(what, tried, wait_ms = wait.as_millis() as u64, %detail, "refused for now: trying again");
                tokio::time::sleep(wait).await;
                tried += 1;
            }
            other => return other,
        }
    }
}

/// A wait between half of `ceiling_ms` and all of it ("equal jitter").
fn jittered(ceiling_ms: u64) -> Duration {
    let mut bytes = [0u8; 8];
    // Without randomness the wait is the ceiling: still a backoff, only not spread.
    let random = getrandom::fill(&mut bytes).map(|()| u64::from_le_bytes(bytes)).unwrap_or(u64::MAX);
    let half = ceiling_ms / 2;
    Duration::from_millis(half + random % (ceiling_ms - half + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn waits_stay_between_half_and_the_ceiling() {
        for _ in 0..200 {
            let wait = jittered(40).as_millis();
            assert!((20..=40).contains(&wait), "{wait}");
        }
    }

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
