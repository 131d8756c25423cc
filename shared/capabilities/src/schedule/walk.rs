//! A run's walk through one kind's part of the due index: page by page, within its budget.

use super::{ScheduleReport, DUE_PAGE_SIZE, MAX_DUE_PER_RUN};
use loop_adapters::store::{Due, DueCursor};

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

    /// The next page to read and its size, while the budget lasts and something may be due.
    pub(super) fn next_page(&mut self) -> Option<(DueCursor, usize)> {
        let left = MAX_DUE_PER_RUN.saturating_sub(self.read);
        if left == 0 {
            return None;
        }
        Some((self.next.take()?, left.min(DUE_PAGE_SIZE)))
    }

    pub(super) fn advance<T>(&mut self, page: &Due<T>, report: &mut ScheduleReport) {
        self.read += page.items_read;
        self.next = page.next.clone();
        report.items_read += page.items_read;
        report.corrupt_skipped += page.corrupt;
    }
}
