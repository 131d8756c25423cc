//! Identifiers: a type prefix (`acct_`, `key_`, `req_`, …) and 20 random base32 characters
//! (100 bits), so ids are unguessable and never collide in practice.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};

const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
pub const RANDOM_LEN: usize = 20;

/// `n` characters drawn uniformly from the base32 alphabet, from the OS's CSPRNG.
pub fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).expect("the OS random number generator is unavailable");
    bytes.iter().map(|b| ALPHABET[(b & 31) as usize] as char).collect()
}

pub fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", random_token(RANDOM_LEN))
}

/// The same alphabet in ASCII order, so that encoded numbers sort as text.
const SORTED_ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";

/// The latest creation instant this process handed out (`creation_millis`).
static LAST_CREATION_MILLIS: AtomicI64 = AtomicI64::new(0);

/// A creation instant for something listed newest first: the clock's reading in milliseconds,
/// or, if this process already handed that out, the one after the latest it did. So two
/// objects made within one millisecond (a transfer's `TransferCreated` and `TransferFinalized`)
/// still sort in the order they were made. It runs ahead of the clock only while more than one
/// object a millisecond is made, and meets it again as soon as fewer are.
pub fn creation_millis(now_millis: i64) -> i64 {
    next_after(&LAST_CREATION_MILLIS, now_millis)
}

fn next_after(latest: &AtomicI64, now_millis: i64) -> i64 {
    let now = now_millis.max(0);
    let next = |last: i64| last.saturating_add(1).max(now);
    // The closure always answers `Some`, so this is `Ok(previous)`.
    let previous =
        latest.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| Some(next(last))).unwrap_or_else(|last| last);
    next(previous)
}

/// An id whose text sorts by creation: 10 characters of milliseconds (`creation_millis`, so
/// strictly increasing within a process), then 10 random ones. Lists page with
/// `startingAfter=<id>` as a key condition (`sk < id`), no cursor lookup needed.
pub fn new_sortable_id(prefix: &str, now_millis: i64) -> String {
    sortable_id_at(prefix, creation_millis(now_millis), RANDOM_LEN - TIME_LEN)
}

/// A sortable id whose random part has `random_len` characters (5 bits each): for ids that
/// are capabilities by themselves and need more than the usual 50 random bits.
pub fn new_sortable_id_with_random(prefix: &str, now_millis: i64, random_len: usize) -> String {
    sortable_id_at(prefix, creation_millis(now_millis), random_len)
}

/// Characters of time at the start of a sortable id.
pub const TIME_LEN: usize = 10;

/// The fixed-width encoding: 10 base32 characters (50 bits) of milliseconds, in an alphabet
/// whose ASCII order is its numeric order, so the text sorts as the number.
fn sortable_id_at(prefix: &str, millis: i64, random_len: usize) -> String {
    let mut out = String::with_capacity(prefix.len() + TIME_LEN + random_len);
    out.push_str(prefix);
    let millis = millis.max(0) as u64;
    for i in (0..TIME_LEN).rev() {
        out.push(SORTED_ALPHABET[((millis >> (5 * i)) & 31) as usize] as char);
    }
    out.push_str(&random_token(random_len));
    out
}

fn is_token(s: &str) -> bool {
    s.len() == RANDOM_LEN && s.bytes().all(|b| ALPHABET.contains(&b))
}

/// An account id, `acct_` + 20 base32 characters. Parsed at the edge so the rest of Loop only
/// ever holds valid ones (they become part of every DynamoDB key).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountId(String);

impl AccountId {
    pub const PREFIX: &'static str = "acct_";

    pub fn generate() -> Self {
        AccountId(new_id(Self::PREFIX))
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let token = raw.strip_prefix(Self::PREFIX)?;
        is_token(token).then(|| AccountId(raw.to_owned()))
    }

    /// The 20 random characters, as embedded in API keys.
    pub fn token(&self) -> &str {
        &self.0[Self::PREFIX.len()..]
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AccountId {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        AccountId::parse(&raw).ok_or_else(|| format!("not an account id: {raw:?}"))
    }
}

impl From<AccountId> for String {
    fn from(id: AccountId) -> String {
        id.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_account_ids_parse_back() {
        let id = AccountId::generate();
        assert_eq!(AccountId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(id.token().len(), RANDOM_LEN);
    }

    #[test]
    fn malformed_account_ids_are_refused() {
        for raw in [
            "",
            "acct_",
            "acct_short",
            "ACCT_abcdefghijklmnopqrst",
            "acct_abcdefghijklmnopqrs1",
            "acct_abcdefghijklmnopqrstu",
            "acct_ABCDEFGHIJKLMNOPQRST",
            "acct_abcdefghij#lmnopqrs",
            "x",
        ] {
            assert_eq!(AccountId::parse(raw), None, "{raw}");
        }
    }

    #[test]
    fn sortable_ids_sort_by_time() {
        let earlier = sortable_id_at("evt_", 1_700_000_000_000, 10);
        let later = sortable_id_at("evt_", 1_700_000_000_001, 10);
        let much_later = sortable_id_at("evt_", 1_800_000_000_000, 10);
        assert!(earlier < later && later < much_later);
        assert_eq!(earlier.len(), "evt_".len() + RANDOM_LEN);
    }

    #[test]
    fn sortable_ids_made_in_a_tight_loop_strictly_increase() {
        use crate::clock::{Clock, SystemClock};
        let clock = SystemClock::default();
        let ids: Vec<String> = (0..1_000).map(|_| new_sortable_id("pl_", clock.now_millis())).collect();
        for pair in ids.windows(2) {
            assert!(pair[0] < pair[1], "{} then {}", pair[0], pair[1]);
        }
        assert!(ids.iter().all(|id| id.len() == "pl_".len() + RANDOM_LEN));
    }

    #[test]
    fn creation_instants_follow_the_clock_and_never_repeat_or_go_back() {
        let latest = AtomicI64::new(0);
        assert_eq!(next_after(&latest, 1_000), 1_000);
        assert_eq!(next_after(&latest, 1_000), 1_001, "the same millisecond: the next one");
        assert_eq!(next_after(&latest, 1_000), 1_002);
        assert_eq!(next_after(&latest, 5_000), 5_000, "the clock moved on: follow it");
        assert_eq!(next_after(&latest, 4_000), 5_001, "the clock stepped back: never repeat");
    }

    #[test]
    fn ids_carry_their_prefix_and_differ() {
        let a = new_id("key_");
        assert!(a.starts_with("key_") && a.len() == 24);
        assert_ne!(a, new_id("key_"));
    }
}
