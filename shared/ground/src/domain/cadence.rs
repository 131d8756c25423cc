//! Loop's retry cadence (`webhooks.md`): attempt 1 at once, 2–4 immediately, 5–13 after 1 s,
//! 14–19 after 2 s, then every 20 s, within the retry window.

/// Seconds to wait before attempt `attempt` (1-based).
pub fn delay_before(attempt: u32) -> u32 {
    match attempt {
        0..=4 => 0,
        5..=13 => 1,
        14..=19 => 2,
        _ => 20,
    }
}

/// The longest wait a receiver's `Retry-After` can impose: the cadence's 20 s, fifteen times.
pub const RETRY_AFTER_CAP_SECONDS: u32 = 20 * 15;

/// Seconds to wait before attempt `attempt` after a failure whose response asked for
/// `retry_after` seconds (`429`/`503`): the cadence's wait, or the receiver's when it is longer,
/// up to the cap.
pub fn delay_after(attempt: u32, retry_after: Option<u32>) -> u32 {
    delay_before(attempt).max(retry_after.unwrap_or(0).min(RETRY_AFTER_CAP_SECONDS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cadence_is_the_documented_one() {
        let delays: Vec<u32> = (1..=22).map(delay_before).collect();
        assert_eq!(delays, [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 20, 20, 20]);
    }

    #[test]
    fn retry_after_lengthens_the_wait_up_to_the_cap_and_never_shortens_it() {
        assert_eq!(delay_after(2, Some(3)), 3);
        assert_eq!(delay_after(20, Some(3)), 20, "the cadence asks for more");
        assert_eq!(delay_after(20, Some(3600)), 300, "capped");
        assert_eq!(delay_after(5, None), 1);
    }

    #[test]
    fn the_first_nineteen_attempts_span_about_twenty_seconds() {
        let total: u32 = (1..=19).map(delay_before).sum();
        assert_eq!(total, 21);
    }
}
