//! Time, injected: schedules and signature tolerances are tested by moving the clock, not by
//! sleeping.

use time::{format_description::well_known::Rfc3339, OffsetDateTime};

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;

    fn now_unix(&self) -> i64 {
        self.now().unix_timestamp()
    }

    /// Business time in milliseconds: what orders the things Loop makes (ids, list keys), since
    /// many are made within one second.
    fn now_millis(&self) -> i64 {
        self.now().unix_timestamp_nanos().div_euclid(1_000_000) as i64
    }

    /// The time on the wire: what signature timestamps are checked against and stamped with.
    /// Other parties (Stripe's signer, a merchant's Standard Webhooks verifier) read the real
    /// clock, so a business offset must not move it.
    fn wire_now_unix(&self) -> i64 {
        self.now_unix()
    }
}

/// The wall clock shifted by a fixed number of seconds (`LOOP_CLOCK_OFFSET_SECONDS`), so a test
/// can make a deadline arrive now. Signatures keep the unshifted time (`wire_now_unix`).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock {
    pub offset_seconds: i64,
}

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + time::Duration::seconds(self.offset_seconds)
    }

    fn wire_now_unix(&self) -> i64 {
        OffsetDateTime::now_utc().unix_timestamp()
    }
}

/// A clock that always says the same instant.
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0
    }
}

/// The whole second a millisecond reading falls in, as `now_unix` would have said.
pub fn unix_seconds(millis: i64) -> i64 {
    millis.div_euclid(1000)
}

/// RFC 3339 in UTC with whole seconds (`2025-01-15T10:30:00Z`), as the API promises.
pub fn rfc3339(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC).replace_nanosecond(0).unwrap_or(at);
    at.format(&Rfc3339).unwrap_or_else(|_| at.unix_timestamp().to_string())
}

pub fn rfc3339_from_unix(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds).map(rfc3339).unwrap_or_else(|_| seconds.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_whole_seconds_in_utc() {
        assert_eq!(rfc3339_from_unix(1_736_937_000), "2025-01-15T10:30:00Z");
        let with_nanos = OffsetDateTime::from_unix_timestamp_nanos(1_736_937_000_123_456_789).unwrap();
        assert_eq!(rfc3339(with_nanos), "2025-01-15T10:30:00Z");
    }

    #[test]
    fn offset_moves_the_system_clock() {
        let shifted = SystemClock { offset_seconds: 600 }.now_unix();
        let plain = SystemClock::default().now_unix();
        assert!((shifted - plain - 600).abs() <= 1);
    }

    #[test]
    fn millis_are_the_same_instant_as_seconds() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_736_937_000_123_456_789).unwrap();
        let fixed = FixedClock(at);
        assert_eq!(fixed.now_millis(), 1_736_937_000_123);
        assert_eq!(unix_seconds(fixed.now_millis()), fixed.now_unix());
        let shifted = SystemClock { offset_seconds: 600 }.now_millis();
        let plain = SystemClock::default().now_millis();
        assert!((shifted - plain - 600_000).abs() <= 1_000);
    }

    #[test]
    fn offset_leaves_the_wire_clock_alone() {
        let shifted = SystemClock { offset_seconds: 600 };
        assert!((shifted.wire_now_unix() - SystemClock::default().now_unix()).abs() <= 1);
    }
}
