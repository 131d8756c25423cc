//! API keys: `lk_test_…` / `lk_live_…`. A key embeds its account's id, so authenticating is one
//! read keyed by the account (every key in the table starts with the account); only the key's
//! SHA-256 is stored.

use sha2::{Digest, Sha256};

use crate::ids::{random_token, AccountId};

const SECRET_LEN: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyMode {
    Test,
    Live,
}

impl KeyMode {
    fn prefix(self) -> &'static str {
        match self {
            KeyMode::Test => "lk_test_",
            KeyMode::Live => "lk_live_",
        }
    }
}

/// A freshly generated key: the plaintext is shown once and then dropped.
pub struct NewApiKey {
    pub plaintext: String,
    pub hash: String,
}

/// The parts of a presented key that Loop can read without the database.
#[derive(Debug, PartialEq, Eq)]
pub struct PresentedKey {
    pub account: AccountId,
    pub mode: KeyMode,
    pub hash: String,
}

pub fn generate(account: &AccountId, mode: KeyMode) -> NewApiKey {
    let plaintext = format!("{}{}_{}", mode.prefix(), account.token(), random_token(SECRET_LEN));
    let hash = hash(&plaintext);
    NewApiKey { plaintext, hash }
}

pub fn hash(plaintext: &str) -> String {
    hex::encode(Sha256::digest(plaintext.as_bytes()))
}

/// Reads a key's account and mode; `None` for anything that is not shaped like a Loop key.
pub fn parse(presented: &str) -> Option<PresentedKey> {
    let (mode, rest) = if let Some(rest) = presented.strip_prefix(KeyMode::Test.prefix()) {
        (KeyMode::Test, rest)
    } else {
        (KeyMode::Live, presented.strip_prefix(KeyMode::Live.prefix())?)
    };
    let (account_token, secret) = rest.split_once('_')?;
    let account = AccountId::parse(&format!("{}{account_token}", AccountId::PREFIX))?;
    if secret.len() != SECRET_LEN || !secret.bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)) {
        return None;
    }
    Some(PresentedKey { account, mode, hash: hash(presented) })
}

/// The bearer token of an `Authorization` header value.
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_back_to_their_account_and_mode() {
        let account = AccountId::generate();
        for mode in [KeyMode::Test, KeyMode::Live] {
            let key = generate(&account, mode);
            let parsed = parse(&key.plaintext).unwrap();
            assert_eq!(parsed, PresentedKey { account: account.clone(), mode, hash: key.hash.clone() });
            assert_ne!(key.hash, key.plaintext);
            assert_eq!(key.hash.len(), 64);
        }
    }

    #[test]
    fn keys_of_other_shapes_are_refused() {
        let good = generate(&AccountId::generate(), KeyMode::Test).plaintext;
        let cases = [
            String::new(),
            "sk_test_123".into(),
            good.replace("lk_test_", "lk_prod_"),
            format!("{good}x"),
            good[..good.len() - 1].to_string(),
            good.to_uppercase(),
            good.replacen('_', "-", 3),
        ];
        for case in cases {
            assert!(parse(&case).is_none(), "{case}");
        }
    }

    #[test]
    fn bearer_tokens_are_read_case_insensitively() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("abc"), None);
    }
}
