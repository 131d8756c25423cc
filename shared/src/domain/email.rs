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
        let email = if raw.is_ascii() { raw.to_ascii_lowercase() } else { raw.to_lowercase() };
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return None;
        }
        let (local, domain) = email.split_once('@')?;
        let domain_ok = !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.split('.').all(|label| !label.is_empty() && label.len() <= 63);
        (!local.is_empty() && local.len() <= 64 && domain_ok).then_some(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
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
}
