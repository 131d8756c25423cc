//! The emulator's fault mode (`local/faults.py`) from the tests' side: a stack whose table and
//! queues meet what DynamoDB and SQS do under concurrency and load (`quality.md`, "Under real AWS
//! semantics"), with a seed that `make test` fixes and `make soak` draws at random.

use std::time::Duration;

use serde_json::{json, Value};

use crate::{emulator_endpoint, TestStack};

/// The seed of every fault plan in this run: `LOOP_FAULT_SEED`, or a fixed one, so that
/// `make test` meets the same mix of faults each time.
pub fn seed() -> u64 {
    std::env::var("LOOP_FAULT_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20_261_207)
}

/// The rates the guarantee suites run under: every kind of fault, often enough that each suite
/// meets them all, rarely enough that the SDK's retries and Stripe's get through.
pub fn standard_rates() -> Value {
    json!({
        "*": {"throttle": 0.03, "internal": 0.01},
        "TransactWriteItems": {"conflict": 0.2},
        "BatchGetItem": {"unprocessed": 0.15},
        "ReceiveMessage": {"duplicate": 0.15, "reorder": 0.5},
        "SendMessage": {"reorder": 0.1},
        "SendMessageBatch": {"reorder": 0.1},
        "DeleteMessage": {"delete_fail": 0.1},
        "DeleteMessageBatch": {"delete_fail": 0.1}
    })
}

impl TestStack {
    /// A stack to put under faults once the test has set up its accounts and endpoints (the set-up
    /// is not what is under test, and it asserts its answers): unhandled messages, and those
    /// whose delete failed, come back in 2 s.
    pub async fn start_for_faults(extra: &[(&str, &str)]) -> TestStack {
        let mut settings = vec![("LOOP_LOCAL_VISIBILITY_SECONDS", "2")];
        settings.extend_from_slice(extra);
        TestStack::start_with(&settings).await
    }

    /// Puts this stack's table and queues (every name starts with the table's) under the
    /// standard fault plan from now on.
    pub async fn start_faults(&self) {
        self.set_faults(standard_rates()).await;
    }

    fn fault_scope(&self) -> String {
        self.app().store.table().to_owned()
    }

    /// Sets this stack's fault plan (rates by operation, `local/faults.py`).
    pub async fn set_faults(&self, rates: Value) {
        let plan = json!({"scope": self.fault_scope(), "seed": seed(), "rates": rates});
        let response = self
            .http
            .post(format!("{}/_loop/faults", emulator_endpoint()))
            .json(&plan)
            .send()
            .await
            .expect("the emulator answers");
        assert_eq!(response.status(), 200, "the emulator takes the fault plan: {}", response.text().await.unwrap());
        eprintln!("fault mode on for {} with seed {} (LOOP_FAULT_SEED)", self.fault_scope(), seed());
    }

    /// How many faults of each kind this stack met so far.
    pub async fn faults_injected(&self) -> Value {
        let all: Value = self
            .http
            .get(format!("{}/_loop/faults", emulator_endpoint()))
            .send()
            .await
            .expect("the emulator answers")
            .json()
            .await
            .expect("the emulator answers JSON");
        all[self.fault_scope()]["injected"].clone()
    }

    /// Stripe's way with a webhook: POST the event, and again while the answer is not 2xx (a 5xx
    /// is Loop saying "try again"), for up to `within`; answers the final status and body.
    pub async fn send_stripe_until_accepted(
        &self,
        account: &crate::TestAccount,
        event: &Value,
        within: Duration,
    ) -> (u16, Value) {
        let until = std::time::Instant::now() + within;
        loop {
            let (status, body) = self.send_stripe(account, event).await;
            if (200..300).contains(&status) || std::time::Instant::now() > until {
                return (status, body);
            }
            assert!(status >= 500, "Loop refused a valid event: {status} {body}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
