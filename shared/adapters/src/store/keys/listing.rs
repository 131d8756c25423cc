//! The `gsi1` keys: the account list, and the partitions that list an account's records newest
//! first, sharded on write.
//!
//! One account at 1,000 events a second would put every write of a listing on one partition key,
//! and a DynamoDB partition takes 1,000 write units a second. Sort keys grow with time, so
//! DynamoDB's split for heat cannot help: every new entry lands at the same end. So each record
//! is listed under one of [`LISTING_SHARDS`] keys, chosen from its id (a rewrite of the same
//! record stays on its shard), and lists merge the shards on read (`store::merged`). Records
//! written before sharding keep the unsharded key, which is read as one more shard.
//! `ARCHITECTURE.md` ("Sharded listings") has the arithmetic behind the number.

use sha2::{Digest, Sha256};

use loop_ground::ids::AccountId;

pub const GSI1: &str = "gsi1";
/// The one `gsi1` partition that is not an account's: the account list, for operators.
pub const ACCOUNTS_GSI1PK: &str = "accounts";

/// The account list's sort key: newest first by creation second.
pub fn account_list_sk(created_at: i64, account: &AccountId) -> String {
    format!("{created_at:012}#{account}")
}

/// The sort key of records listed by creation time whose ids do not sort by time: Loop's
/// creation instant in milliseconds (`createdMs`), then the id. Records written before
/// `createdMs` existed keep their key in seconds, `{seconds:012}#{id}`: it shares its first 12
/// characters with the millisecond keys of that second and then sorts below them (`#` before
/// every digit), so old and new keys list in time order without rewriting the old ones.
pub fn by_created(created_at: i64, created_ms: Option<i64>, id: &str) -> String {
    match created_ms {
        Some(ms) => format!("{:015}#{id}", ms.max(0)),
        None => format!("{:012}#{id}", created_at.max(0)),
    }
}

/// Shards per listing. At 1,000 Stripe events a second, each publishing two events of up to
/// 4 KB (4 write units each, the index projects whole items), the events listing takes 8,000
/// write units a second: 500 per shard, half a partition, leaving room for an uneven second.
pub const LISTING_SHARDS: u8 = 16;

/// A kind of record listed per account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listing {
    Contacts,
    Events,
    Items,
    Transfers,
    Agreements,
    PaymentLinks,
    CheckoutSessions,
    EmailTemplates,
    /// The Stripe events ingest took (their dedupe records), for the dashboard's counts.
    StripeEvents,
}

impl Listing {
    fn name(self) -> &'static str {
        match self {
            Listing::Contacts => "contacts",
            Listing::Events => "events",
            Listing::Items => "items",
            Listing::Transfers => "transfers",
            Listing::Agreements => "agreements",
            Listing::PaymentLinks => "payment-links",
            Listing::CheckoutSessions => "checkout-sessions",
            Listing::EmailTemplates => "email-templates",
            Listing::StripeEvents => "stripe-events",
        }
    }

    /// The partition a record with this id is listed under.
    pub fn partition(self, account: &AccountId, id: &str) -> String {
        format!("A#{account}#{}#{}", self.name(), shard_of(id))
    }

    /// The unsharded partition that records written before sharding are listed under.
    pub fn legacy_partition(self, account: &AccountId) -> String {
        format!("A#{account}#{}", self.name())
    }

    /// Every partition a list of this kind reads: the shards, then the legacy partition.
    pub fn partitions(self, account: &AccountId) -> Vec<String> {
        let mut partitions: Vec<String> =
            (0..LISTING_SHARDS).map(|shard| format!("A#{account}#{}#{shard}", self.name())).collect();
        partitions.push(self.legacy_partition(account));
        partitions
    }
}

/// A stable hash of the id, not `std`'s (which may change between releases and would move
/// records between shards). Ids end in random characters, so the first byte of their SHA-256
/// spreads them evenly; 16 divides 256, so no shard is favoured.
fn shard_of(id: &str) -> u8 {
    Sha256::digest(id.as_bytes())[0] % LISTING_SHARDS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> AccountId {
        AccountId::generate()
    }

    #[test]
    fn a_record_stays_on_its_shard_and_the_shard_is_one_that_lists_read() {
        let acct = account();
        let first = Listing::Events.partition(&acct, "evt_0000000001abcdefghij");
        assert_eq!(first, Listing::Events.partition(&acct, "evt_0000000001abcdefghij"));
        assert!(Listing::Events.partitions(&acct).contains(&first));
    }

    #[test]
    fn lists_read_every_shard_and_the_unsharded_partition_once() {
        let acct = account();
        let partitions = Listing::Contacts.partitions(&acct);
        assert_eq!(partitions.len(), LISTING_SHARDS as usize + 1);
        assert_eq!(partitions.last().unwrap(), &format!("A#{acct}#contacts"));
        let unique: std::collections::HashSet<_> = partitions.iter().collect();
        assert_eq!(unique.len(), partitions.len());
        assert!(partitions.iter().all(|p| p.starts_with(&format!("A#{acct}#contacts"))));
    }

    #[test]
    fn ids_spread_evenly_over_the_shards() {
        let mut counts = [0u32; LISTING_SHARDS as usize];
        for n in 0..16_000 {
            counts[shard_of(&loop_ground::ids::new_sortable_id("evt_", 1_700_000_000_000 + n)) as usize] += 1;
        }
        // 1,000 expected per shard; a binomial spread is about ±31, so ±20% is never reached
        // by chance, only by a hash that favours some shards.
        assert!(counts.iter().all(|&c| (800..=1200).contains(&c)), "{counts:?}");
    }

    #[test]
    fn creation_keys_in_seconds_and_in_milliseconds_list_in_time_order() {
        let mut keys = [
            by_created(1_700_000_001, Some(1_700_000_001_500), "a"),
            by_created(1_700_000_001, None, "b"),
            by_created(1_700_000_000, Some(1_700_000_000_999), "c"),
            by_created(1_700_000_001, Some(1_700_000_001_000), "d"),
            by_created(1_700_000_002, None, "e"),
            by_created(1_700_000_000, None, "f"),
        ];
        keys.sort();
        let order: Vec<&str> = keys.iter().map(|k| k.rsplit('#').next().unwrap()).collect();
        assert_eq!(order, ["f", "c", "b", "d", "a", "e"]);
    }
}
