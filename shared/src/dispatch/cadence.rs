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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cadence_is_the_documented_one() {
        let delays: Vec<u32> = (1..=22).map(delay_before).collect();
        assert_eq!(delays, [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 20, 20, 20]);
    }

    #[test]
    fn the_first_nineteen_attempts_span_about_twenty_seconds() {
        let total: u32 = (1..=19).map(delay_before).sum();
        assert_eq!(total, 21);
    }
}
