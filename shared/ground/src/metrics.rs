//! Metrics as CloudWatch Embedded Metric Format: one JSON line on standard output per
//! measurement, which CloudWatch Logs turns into metrics by itself — no API call, no client, no
//! latency on the request. Off unless a function turned it on at cold start (`enable`), so the
//! local runner, `loopctl` and the tests print nothing of it.
//!
//! The format (`_aws.CloudWatchMetrics`: a namespace, dimension sets naming top-level keys,
//! metric definitions naming top-level numbers) is pinned by a unit test and by a test that runs a
//! function binary and parses what it prints.

use std::io::Write;
use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use crate::clock::Clock;

/// Every metric of Loop is in this namespace.
pub const NAMESPACE: &str = "Loop";

/// The unit CloudWatch records a metric in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
        }
    }
}

/// What each line names as the function it came from (the Lambda function's name).
static FUNCTION: OnceLock<String> = OnceLock::new();

/// Turns metrics on for this process, naming `function` in every line.
pub fn enable(function: &str) {
    let _ = FUNCTION.set(function.to_owned());
}

/// Records one measurement of `metric` with these dimensions (besides `Function`).
pub fn record(metric: &str, unit: Unit, value: f64, dimensions: &[(&str, &str)]) {
    let Some(function) = FUNCTION.get() else { return };
    let line = emf_line(function, metric, unit, value, dimensions, crate::clock::SystemClock::default().now_millis());
    // One write of the whole line, so that concurrent lines never interleave.
    let _ = std::io::stdout().lock().write_all(format!("{line}\n").as_bytes());
}

/// A Stripe event's outcome at ingest: `processed`, `duplicate`, `ignored`, `rejected` (4xx) or
/// `unavailable` (5xx: Stripe retries).
pub fn stripe_event(outcome: &str) {
    record("StripeEvents", Unit::Count, 1.0, &[("Outcome", outcome)]);
}

/// A delivery attempt's outcome (`succeeded`, `retrying`, `failed`) and how long it took.
pub fn delivery_attempt(outcome: &str, latency_ms: u64) {
    record("DeliveryAttempts", Unit::Count, 1.0, &[("Outcome", outcome)]);
    record("AttemptLatency", Unit::Milliseconds, latency_ms as f64, &[]);
}

/// How long a first attempt's message waited between being sent and being handed to dispatch.
pub fn queue_lag(lag_ms: i64) {
    record("QueueLag", Unit::Milliseconds, lag_ms.max(0) as f64, &[]);
}

fn emf_line(function: &str, metric: &str, unit: Unit, value: f64, dimensions: &[(&str, &str)], at_ms: i64) -> Value {
    let mut names = vec![Value::from("Function")];
    let mut line = Map::new();
    line.insert("Function".into(), Value::from(function));
    for (name, dimension) in dimensions {
        names.push(Value::from(*name));
        line.insert((*name).into(), Value::from(*dimension));
    }
    line.insert(metric.into(), json!(value));
    line.insert(
        "_aws".into(),
        json!({
            "Timestamp": at_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [names],
                "Metrics": [{"Name": metric, "Unit": unit.as_str()}],
            }],
        }),
    );
    Value::Object(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_names_its_namespace_dimensions_and_metric_and_carries_their_values() {
        let line = emf_line("stripe-ingest", "StripeEvents", Unit::Count, 1.0, &[("Outcome", "processed")], 1_700);
        assert_eq!(
            line,
            json!({
                "Function": "stripe-ingest",
                "Outcome": "processed",
                "StripeEvents": 1.0,
                "_aws": {
                    "Timestamp": 1_700,
                    "CloudWatchMetrics": [{
                        "Namespace": "Loop",
                        "Dimensions": [["Function", "Outcome"]],
                        "Metrics": [{"Name": "StripeEvents", "Unit": "Count"}],
                    }],
                },
            })
        );
    }
}
