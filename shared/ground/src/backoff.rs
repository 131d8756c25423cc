//! Jittered exponential backoff ("full jitter"), for the retries Loop makes itself: unprocessed
//! keys of a batch read, the outcome of a delivery attempt that must be recorded. Jitter keeps
//! the workers that met the same conflict or throttle from meeting it again all at once.

use std::time::Duration;

/// The first retry waits up to this long; each one after, up to twice as long as the last.
const BASE: Duration = Duration::from_millis(25);
/// No single wait is longer than this, so a few retries stay inside a request's budget.
const CAP: Duration = Duration::from_millis(800);

/// How long to wait before retry number `retry` (1 for the first): a uniformly random time up to
/// `BASE × 2^(retry-1)`, capped.
pub fn jittered(retry: u32) -> Duration {
    let ceiling = BASE.saturating_mul(1u32 << retry.saturating_sub(1).min(16)).min(CAP);
    let mut bytes = [0u8; 4];
    // Without randomness the wait is the ceiling: longer, never wrong.
    let fraction = match getrandom::fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX),
        Err(_) => 1.0,
    };
    ceiling.mul_f64(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_to_the_cap_and_never_past_it() {
        for retry in 1..40 {
            let ceiling = BASE.saturating_mul(1 << (retry - 1).min(16)).min(CAP);
            for _ in 0..20 {
                assert!(jittered(retry) <= ceiling);
            }
        }
        assert!((0..50).map(|_| jittered(1)).any(|d| d > Duration::ZERO));
    }
}
