//! Email addresses, matched case-insensitively and stored lower-case.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Trims, lower-cases and checks the shape (`local@domain.tld`, no spaces, RFC 5321 lengths).
    pub fn parse(raw: &str) -> Option<Email> {
        let raw = raw.trim();
        if raw.len() > 254 {
            return None;
        }
        if raw.is_ascii() {
            // Lower-casing ASCII changes none of the bytes the shape depends on: check the shape
            // first, on bytes, and allocate only for an address that is kept.
            return well_formed_ascii(raw.as_bytes()).then(|| Email(raw.to_ascii_lowercase()));
        }
        let email = raw.to_lowercase();
        well_formed(&email).then_some(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `local@domain.tld`: no whitespace or control character, one `@`, a local part of 1 to 64
/// bytes, a domain of at least two dot-separated labels of 1 to 63 bytes each.
fn well_formed(email: &str) -> bool {
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let domain_ok = !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain.split('.').all(|label| !label.is_empty() && label.len() <= 63);
    !local.is_empty() && local.len() <= 64 && domain_ok
}

/// [`well_formed`] for ASCII, in one pass over the bytes (ASCII whitespace and control
/// characters are exactly the bytes up to a space, and DEL).
fn well_formed_ascii(email: &[u8]) -> bool {
    let bad = |b: u8| b <= b' ' || b == 0x7f;
    let Some(at) = email.iter().position(|&b| b == b'@') else {
        return false;
    };
    let (local, domain) = (&email[..at], &email[at + 1..]);
    if local.is_empty() || local.len() > 64 || local.iter().any(|&b| bad(b)) {
        return false;
    }
    let mut labels = 0;
    for label in domain.split(|&b| b == b'.') {
        if label.is_empty() || label.len() > 63 || label.iter().any(|&b| bad(b) || b == b'@') {
            return false;
        }
        labels += 1;
    }
    labels >= 2
}

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Email::parse(&raw).ok_or_else(|| "invalid email".to_owned())
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(Email::parse("  Jenny.Rosen@Example.COM ").unwrap().as_str(), "jenny.rosen@example.com");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for raw in [
            "",
            "jenny",
            "@example.com",
            "jenny@",
            "jenny@example",
            "jen ny@example.com",
            "jenny@@example.com",
            "jenny@example..com",
            "jenny@.example.com",
        ] {
            assert!(Email::parse(raw).is_none(), "{raw:?}");
        }
        assert!(Email::parse("jenny@example.com\r\nBcc: x@y.z").is_none());
    }

    #[test]
    fn the_ascii_check_agrees_with_the_general_one() {
        // Every string of up to 6 characters over an alphabet with each kind of byte that
        // matters, and the length limits.
        let alphabet = [b'a', b'B', b'@', b'.', b' ', 0x0b, 0x7f, b'\t'];
        let mut candidates: Vec<Vec<u8>> = vec![vec![]];
        let mut layer: Vec<Vec<u8>> = vec![vec![]];
        for _ in 0..6 {
            layer = layer.iter().flat_map(|s| alphabet.iter().map(move |&b| [s.as_slice(), &[b]].concat())).collect();
            candidates.extend(layer.iter().cloned());
        }
        for (local, label) in [(64, 63), (65, 63), (64, 64)] {
            candidates.push(format!("{}@{}.com", "a".repeat(local), "b".repeat(label)).into_bytes());
        }
        for bytes in candidates {
            let s = std::str::from_utf8(&bytes).unwrap();
            assert_eq!(well_formed_ascii(&bytes), well_formed(&s.to_ascii_lowercase()), "{s:?}");
        }
    }
}
