//! Keys of the sparse `due` index, which the scheduler reads for what is due now.

pub const DUE_INDEX: &str = "due";

/// Partitions of the `due` index per kind, so that no single partition takes every write: one
/// account finalizing and paying 1,000 invoices a second puts about 2,000 write units a second
/// on `due#transfer` (an entry of up to 2 KB in, then out), and every account shares these keys;
/// 16 shards keep each near 125. Records written when there were 4 sit on shards 0 to 3, which
/// the scheduler still reads, and move to their new shard when next rewritten.
pub const DUE_SHARDS: u8 = 16;

/// The `due` index's sort key: the due time, then the id — time-ordered, and unique per record.
pub fn due_key(due_at: i64, id: &str) -> String {
    format!("{:012}#{id}", due_at.max(0))
}

/// Sorts after every `due_key` of second `now`: `dueAt <= due_bound(now)` is "due by now".
pub fn due_bound(now: i64) -> String {
    format!("{:012}#~", now.max(0))
}

/// The partition a record with this id is due under.
pub fn due_partition(kind: &str, id: &str) -> String {
    let shard = id.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32)) % DUE_SHARDS as u32;
    due_shard_partition(kind, shard as u8)
}

/// One shard of the `due` index's partitions of `kind`.
pub fn due_shard_partition(kind: &str, shard: u8) -> String {
    format!("due#{kind}#{shard}")
}
