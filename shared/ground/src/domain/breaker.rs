//! The circuit breaker of failing endpoints (`quality.md`, "Failing endpoints"), as pure
//! decisions on the endpoint's health record and one attempt.
//!
//! Closed, every delivery makes its attempts. After `OPEN_AFTER_FAILURES` failed attempts in a
//! row (across deliveries) the circuit is open: one delivery, the probe, goes on with its own
//! cadence; the others are parked without an attempt and without a queue message. The probe's
//! first success closes the circuit and the parked deliveries are released at a bounded rate.
//! The probe holds the role until its next attempt is overdue, so a probe whose chain died is
//! replaced by the next delivery that comes along, and of two that become probe at once the
//! last one written wins: the other parks at its next attempt.

use super::delivery::{EndpointHealth, HealthChange, Probe, ProbeChange};

pub use super::delivery::OPEN_AFTER_FAILURES;
/// How long past its next attempt's due time a probe keeps its role.
pub const PROBE_GRACE_SECONDS: i64 = 60;
/// How fast parked deliveries are sent again once the circuit closes, per endpoint.
pub const RELEASE_PER_SECOND: u32 = 10;
/// Seconds of releases one release job queues (with spread `DelaySeconds`) before the next.
pub const RELEASE_PAGE_SECONDS: u32 = 10;

impl EndpointHealth {
    pub fn is_open(&self) -> bool {
        self.failures >= OPEN_AFTER_FAILURES
    }

    /// Another delivery than `event_id` probes the endpoint, and is not overdue.
    fn probed_by_another(&self, event_id: &str, now: i64) -> bool {
        self.probe.as_ref().is_some_and(|p| p.event_id != event_id && p.until > now)
    }
}

/// Whether a delivery may make its attempt now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    Attempt,
    /// The circuit is open and another delivery probes it: wait behind it.
    Park,
}

pub fn gate(health: Option<&EndpointHealth>, event_id: &str, now: i64) -> Gate {
    match health {
        Some(h) if h.is_open() && h.probed_by_another(event_id, now) => Gate::Park,
        _ => Gate::Attempt,
    }
}

/// Whether parked deliveries must go on waiting: the circuit is open and a live probe tries it.
/// (Open without a live probe, they are released and one of them takes the role.)
pub fn holds_parked(health: Option<&EndpointHealth>, now: i64) -> bool {
    health.is_some_and(|h| h.is_open() && h.probe.as_ref().is_some_and(|p| p.until > now))
}

/// What an attempt's outcome does: the change to write with it, and whether the parked
/// deliveries must be released (the circuit closed, or its probe stopped and another must
/// take over).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub change: Option<HealthChange>,
    pub release_parked: bool,
}

/// A success that closes an open circuit: the parked deliveries are released.
pub fn closing() -> Verdict {
    Verdict { change: Some(HealthChange::Recovered { releasing: true }), release_parked: true }
}

/// `next_attempt_at`: when this delivery's next attempt is due, `None` when it gives up.
pub fn after_attempt(
    health: Option<&EndpointHealth>,
    event_id: &str,
    succeeded: bool,
    now: i64,
    next_attempt_at: Option<i64>,
) -> Verdict {
    if succeeded {
        return match health {
            None => Verdict { change: None, release_parked: false },
            Some(h) if h.is_open() => closing(),
            // A release under way goes on (its last page clears `releasing`); this success
            // starts no second one, so the parked still go at the release rate.
            Some(h) => {
                Verdict { change: Some(HealthChange::Recovered { releasing: h.releasing }), release_parked: false }
            }
        };
    }
    let current = health.cloned().unwrap_or_default();
    let opens = current.failures + 1 >= OPEN_AFTER_FAILURES;
    let is_probe = current.probe.as_ref().is_some_and(|p| p.event_id == event_id);
    let (probe, release_parked) = match next_attempt_at {
        // Retrying: probe the open circuit unless another live probe already does.
        Some(next) if opens && !current.probed_by_another(event_id, now) => {
            (ProbeChange::Set(Probe { event_id: event_id.to_owned(), until: next + PROBE_GRACE_SECONDS }), false)
        }
        // Given up while probing: the waiting deliveries go again, and one of them takes over.
        None if is_probe => (ProbeChange::Clear, true),
        _ => (ProbeChange::Keep, false),
    };
    Verdict { change: Some(HealthChange::Failed { at: now, probe }), release_parked }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(failures: u32, probe: Option<(&str, i64)>) -> EndpointHealth {
        EndpointHealth {
            failing_since: Some(100),
            failures,
            probe: probe.map(|(e, until)| Probe { event_id: e.to_owned(), until }),
            releasing: false,
        }
    }

    fn probe_set(verdict: &Verdict) -> Option<Probe> {
        match &verdict.change {
            Some(HealthChange::Failed { probe: ProbeChange::Set(p), .. }) => Some(p.clone()),
            _ => None,
        }
    }

    #[test]
    fn a_healthy_or_barely_failing_endpoint_lets_every_delivery_attempt() {
        assert_eq!(gate(None, "evt_a", 1_000), Gate::Attempt);
        assert_eq!(gate(Some(&health(4, None)), "evt_a", 1_000), Gate::Attempt);
    }

    #[test]
    fn an_open_circuit_parks_all_but_its_live_probe() {
        let open = health(5, Some(("evt_probe", 1_060)));
        assert_eq!(gate(Some(&open), "evt_probe", 1_000), Gate::Attempt);
        assert_eq!(gate(Some(&open), "evt_other", 1_000), Gate::Park);
    }

    #[test]
    fn a_lapsed_or_missing_probe_is_replaced_by_the_next_delivery() {
        assert_eq!(gate(Some(&health(9, Some(("evt_probe", 999)))), "evt_other", 1_000), Gate::Attempt);
        assert_eq!(gate(Some(&health(9, None)), "evt_other", 1_000), Gate::Attempt);
    }

    #[test]
    fn the_fifth_failure_in_a_row_opens_the_circuit_with_its_delivery_as_probe() {
        let fourth = after_attempt(Some(&health(3, None)), "evt_a", false, 1_000, Some(1_001));
        assert_eq!(probe_set(&fourth), None, "four failures: still closed");
        let fifth = after_attempt(Some(&health(4, None)), "evt_a", false, 1_000, Some(1_020));
        assert_eq!(probe_set(&fifth), Some(Probe { event_id: "evt_a".into(), until: 1_020 + PROBE_GRACE_SECONDS }));
        assert!(!fifth.release_parked);
    }

    #[test]
    fn a_failing_probe_renews_its_role_and_a_second_failing_delivery_does_not_take_it() {
        let open = health(7, Some(("evt_probe", 1_030)));
        let renewed = after_attempt(Some(&open), "evt_probe", false, 1_010, Some(1_030));
        assert_eq!(probe_set(&renewed).map(|p| p.until), Some(1_030 + PROBE_GRACE_SECONDS));
        let other = after_attempt(Some(&open), "evt_other", false, 1_010, Some(1_011));
        assert_eq!(other.change, Some(HealthChange::Failed { at: 1_010, probe: ProbeChange::Keep }));
        // and at its next attempt that other delivery parks
        assert_eq!(gate(Some(&open), "evt_other", 1_011), Gate::Park);
    }

    #[test]
    fn the_first_success_closes_the_circuit_and_releases_the_parked() {
        let closed = after_attempt(Some(&health(12, Some(("evt_probe", 1_080)))), "evt_probe", true, 1_020, None);
        assert_eq!(closed, Verdict { change: Some(HealthChange::Recovered { releasing: true }), release_parked: true });
        let streak_ends = after_attempt(Some(&health(2, None)), "evt_a", true, 1_020, None);
        assert_eq!(
            streak_ends,
            Verdict { change: Some(HealthChange::Recovered { releasing: false }), release_parked: false }
        );
        assert_eq!(after_attempt(None, "evt_a", true, 1_020, None).change, None);
    }

    #[test]
    fn parked_deliveries_wait_only_behind_an_open_circuit_with_a_live_probe() {
        assert!(holds_parked(Some(&health(5, Some(("evt_probe", 1_060)))), 1_000));
        assert!(!holds_parked(Some(&health(5, Some(("evt_probe", 999)))), 1_000), "the probe lapsed");
        assert!(!holds_parked(Some(&health(5, None)), 1_000), "the probe gave up");
        assert!(!holds_parked(Some(&health(0, None)), 1_000));
        assert!(!holds_parked(None, 1_000));
    }

    #[test]
    fn a_success_while_releasing_keeps_the_release_going_without_starting_another() {
        let releasing = EndpointHealth { releasing: true, ..EndpointHealth::default() };
        let verdict = after_attempt(Some(&releasing), "evt_a", true, 1_000, None);
        assert_eq!(
            verdict,
            Verdict { change: Some(HealthChange::Recovered { releasing: true }), release_parked: false }
        );
    }

    #[test]
    fn the_success_that_closes_an_open_circuit_releases_the_parked() {
        let verdict = after_attempt(Some(&health(7, Some(("evt_probe", 1_080)))), "evt_probe", true, 1_000, None);
        assert_eq!(verdict, closing());
    }

    #[test]
    fn a_probe_that_gives_up_hands_over_to_the_parked() {
        let gave_up = after_attempt(Some(&health(40, Some(("evt_probe", 1_080)))), "evt_probe", false, 1_020, None);
        assert_eq!(gave_up.change, Some(HealthChange::Failed { at: 1_020, probe: ProbeChange::Clear }));
        assert!(gave_up.release_parked);
        let not_probe = after_attempt(Some(&health(40, Some(("evt_probe", 1_080)))), "evt_other", false, 1_020, None);
        assert!(!not_probe.release_parked);
    }

    #[test]
    fn the_first_failure_starts_a_streak() {
        let first = after_attempt(None, "evt_a", false, 1_000, Some(1_000));
        assert_eq!(first.change, Some(HealthChange::Failed { at: 1_000, probe: ProbeChange::Keep }));
    }
}
