//! Identifiers: a type prefix (`acct_`, `key_`, `req_`, …) and 20 random base32 characters
//! (100 bits), so ids are unguessable and never collide in practice.

use std::fmt;

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

/// An id whose text sorts by creation time: 10 characters of milliseconds, then 10 random ones.
/// Lists page with `startingAfter=<id>` as a key condition (`sk < id`), no cursor lookup needed.
pub fn new_sortable_id(prefix: &str, unix_millis: i64) -> String {
    let mut out = String::with_capacity(prefix.len() + RANDOM_LEN);
    out.push_str(prefix);
    let millis = unix_millis.max(0) as u64;
    for i in (0..10).rev() {
        out.push(SORTED_ALPHABET[((millis >> (5 * i)) & 31) as usize] as char);
    }
    out.push_str(&random_token(RANDOM_LEN - 10));
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
        let earlier = new_sortable_id("evt_", 1_700_000_000_000);
        let later = new_sortable_id("evt_", 1_700_000_000_001);
        let much_later = new_sortable_id("evt_", 1_800_000_000_000);
        assert!(earlier < later && later < much_later);
        assert_eq!(earlier.len(), "evt_".len() + RANDOM_LEN);
    }

    #[test]
    fn ids_carry_their_prefix_and_differ() {
        let a = new_id("key_");
        assert!(a.starts_with("key_") && a.len() == 24);
        assert_ne!(a, new_id("key_"));
    }
}
