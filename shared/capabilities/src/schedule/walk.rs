//! A run's walk through one kind's part of the due index: page by page, within its budget.

use std::future::Future;

use super::{ScheduleReport, DUE_PAGE_SIZE, MAX_DUE_PER_RUN};
use loop_adapters::store::{Due, DueCursor};
use loop_ground::error::StoreError;

/// Where a run is in one kind's part of the due index, and how much of its budget it used.
pub(super) struct DueWalk {
    next: Option<DueCursor>,
    read: usize,
}

impl DueWalk {
    /// A walk that begins at the shard of the minute, so that consecutive runs begin at
    /// different shards.
    pub(super) fn new(now: i64) -> Self {
        DueWalk { next: Some(DueCursor::starting_at((now / 60).unsigned_abs())), read: 0 }
    }

    /// The records of the next page, read by `read` from where the last ended, counted in the
    /// report; `None` once the budget is spent or nothing more is due.
    pub(super) async fn next<T, F>(
        &mut self,
        report: &mut ScheduleReport,
        read: impl FnOnce(DueCursor, usize) -> F,
    ) -> Result<Option<Vec<T>>, StoreError>
    where
        F: Future<Output = Result<Due<T>, StoreError>>,
    {
        let left = MAX_DUE_PER_RUN.saturating_sub(self.read);
        let Some(from) = self.next.take().filter(|_| left > 0) else { return Ok(None) };
        let page = read(from, left.min(DUE_PAGE_SIZE)).await?;
        self.read += page.items_read;
        self.next = page.next;
        report.items_read += page.items_read;
        report.corrupt_skipped += page.corrupt;
        Ok(Some(page.records))
    }
}
