//! A Stripe account connected with a restricted key: Loop's webhook endpoint there, and the
//! backfill that brings in the products and prices that existed before the connection.

use serde::{Deserialize, Serialize};

use crate::secret::Sealed;

/// What connecting made in the merchant's Stripe account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StripeConnection {
    pub webhook_endpoint_id: String,
    pub webhook_url: String,
    pub connected_at: i64,
}

/// Which Stripe list a backfill is reading. Products come first so that prices arrive to known
/// products, though either order ends in the same catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BackfillPhase {
    Products,
    Prices,
    Done,
}

impl BackfillPhase {
    /// The Stripe list this phase reads.
    pub fn resource(self) -> Option<&'static str> {
        match self {
            BackfillPhase::Products => Some("products"),
            BackfillPhase::Prices => Some("prices"),
            BackfillPhase::Done => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BackfillStatus {
    Running,
    Completed,
    Failed,
}

/// A backfill's progress: where it stands in Stripe's lists and what it has brought in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Backfill {
    /// A new connection starts a new job; messages of an older one are ignored.
    pub job_id: String,
    pub status: BackfillStatus,
    pub phase: BackfillPhase,
    /// The last object id read in the current phase: `starting_after` of the next page.
    pub cursor: Option<String>,
    pub products: u64,
    pub prices: u64,
    pub pages: u64,
    /// Runs that Stripe failed (after the client's own retries); reset by a page that succeeds.
    pub failed_runs: u32,
    /// Every run that Stripe failed, over the whole job.
    pub retries: u32,
    pub last_error: Option<String>,
    pub started_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
    /// The restricted key, sealed, while the job needs it; dropped when the job ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_key: Option<Sealed>,
    pub version: u64,
}

/// Runs Stripe may fail in a row before the job gives up (with the doubling wait, about a day
/// from a 30 s start once the wait reaches SQS's 15-minute cap).
pub const MAX_FAILED_RUNS: u32 = 100;

impl Backfill {
    pub fn start(job_id: String, sealed_key: Sealed, now: i64) -> Self {
        Backfill {
            job_id,
            status: BackfillStatus::Running,
            phase: BackfillPhase::Products,
            cursor: None,
            products: 0,
            prices: 0,
            pages: 0,
            failed_runs: 0,
            retries: 0,
            last_error: None,
            started_at: now,
            updated_at: now,
            finished_at: None,
            sealed_key: Some(sealed_key),
            version: 1,
        }
    }

    /// A page of `count` objects was applied; `last_id` is its last object, `has_more` Stripe's flag.
    pub fn advance(&mut self, count: usize, last_id: Option<&str>, has_more: bool, now: i64) {
        match self.phase {
            BackfillPhase::Products => self.products += count as u64,
            BackfillPhase::Prices => self.prices += count as u64,
            BackfillPhase::Done => return,
        }
        self.pages += 1;
        self.failed_runs = 0;
        self.updated_at = now;
        match (has_more, last_id) {
            (true, Some(id)) => self.cursor = Some(id.to_owned()),
            _ => {
                self.cursor = None;
                self.phase = match self.phase {
                    BackfillPhase::Products => BackfillPhase::Prices,
                    _ => BackfillPhase::Done,
                };
                if self.phase == BackfillPhase::Done {
                    self.finish(BackfillStatus::Completed, now);
                }
            }
        }
    }

    /// Stripe failed a run; `true` while the job should try again.
    pub fn run_failed(&mut self, error: String, transient: bool, now: i64) -> bool {
        self.failed_runs += 1;
        self.retries += 1;
        self.last_error = Some(error);
        self.updated_at = now;
        if !transient || self.failed_runs >= MAX_FAILED_RUNS {
            self.finish(BackfillStatus::Failed, now);
            return false;
        }
        true
    }

    fn finish(&mut self, status: BackfillStatus, now: i64) {
        self.status = status;
        self.finished_at = Some(now);
        self.sealed_key = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> Backfill {
        let sealed = Sealed { wrapped_key: "k".into(), nonce: "n".into(), ciphertext: "c".into() };
        Backfill::start("job".into(), sealed, 100)
    }

    #[test]
    fn pages_walk_products_then_prices_then_finish() {
        let mut b = job();
        b.advance(100, Some("prod_100"), true, 101);
        assert_eq!((b.phase, b.cursor.as_deref(), b.products), (BackfillPhase::Products, Some("prod_100"), 100));
        b.advance(50, Some("prod_150"), false, 102);
        assert_eq!((b.phase, b.cursor.as_deref(), b.products), (BackfillPhase::Prices, None, 150));
        b.advance(0, None, false, 103);
        assert_eq!((b.phase, b.status, b.prices, b.pages), (BackfillPhase::Done, BackfillStatus::Completed, 0, 3));
        assert_eq!(b.finished_at, Some(103));
        assert!(b.sealed_key.is_none(), "a finished job forgets the key");
    }

    #[test]
    fn transient_failures_retry_until_the_limit_and_a_page_resets_them() {
        let mut b = job();
        assert!(b.run_failed("HTTP 500".into(), true, 101));
        b.advance(10, Some("prod_10"), true, 102);
        assert_eq!((b.failed_runs, b.retries), (0, 1));
        for _ in 1..MAX_FAILED_RUNS {
            assert!(b.run_failed("HTTP 500".into(), true, 103));
        }
        assert!(!b.run_failed("HTTP 500".into(), true, 104));
        assert_eq!(b.status, BackfillStatus::Failed);
        assert!(b.sealed_key.is_none());
    }

    #[test]
    fn a_permanent_failure_ends_the_job_at_once() {
        let mut b = job();
        assert!(!b.run_failed("key revoked".into(), false, 101));
        assert_eq!((b.status, b.last_error.as_deref()), (BackfillStatus::Failed, Some("key revoked")));
    }
}
