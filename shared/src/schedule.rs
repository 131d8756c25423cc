//! The scheduler's tick (every minute): late payments and checkout-session expiry.

use serde::Serialize;

use crate::app::App;
use crate::error::StoreError;

/// What one run did, for logs and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleReport {
    pub late_payments: u32,
    pub expired_sessions: u32,
}

pub async fn run(_app: &App) -> Result<ScheduleReport, StoreError> {
    Ok(ScheduleReport::default())
}
