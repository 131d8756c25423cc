//! Unsubscribe tokens (`email.md`, "Unsubscribing"): they name the account and the contact's
//! email, are signed with the deployment's key (HMAC-SHA256) so they cannot be forged or
//! altered, and never expire. `u1.<base64url(account \n email)>.<base64url(mac)>`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::ids::AccountId;
use crate::secret::Secret;

const VERSION: &str = "u1";

fn mac(key: &Secret, payload: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key.expose().as_bytes()).expect("HMAC takes any key length");
    mac.update(VERSION.as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

/// The token of `email` in `account`.
pub fn token(key: &Secret, account: &AccountId, email: &str) -> String {
    let payload = format!("{account}\n{email}");
    let tag = mac(key, payload.as_bytes()).finalize().into_bytes();
    format!("{VERSION}.{}.{}", B64.encode(payload), B64.encode(tag))
}

/// The account and email a token names, if Loop signed it.
pub fn verify(key: &Secret, token: &str) -> Option<(AccountId, String)> {
    let mut parts = token.split('.');
    let (Some(VERSION), Some(payload), Some(tag), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let payload = B64.decode(payload).ok()?;
    let tag = B64.decode(tag).ok()?;
    mac(key, &payload).verify_slice(&tag).ok()?;
    let payload = String::from_utf8(payload).ok()?;
    let (account, email) = payload.split_once('\n')?;
    Some((AccountId::parse(account)?, email.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_contact_and_cannot_be_altered_or_forged() {
        let key = Secret::new("deployment-key");
        let account = AccountId::generate();
        let t = token(&key, &account, "a@example.com");
        assert_eq!(verify(&key, &t), Some((account.clone(), "a@example.com".to_owned())));
        assert_eq!(verify(&Secret::new("another-key"), &t), None);
        let other = token(&key, &account, "b@example.com");
        let payload_b = other.split('.').nth(1).unwrap();
        let forged = format!("u1.{payload_b}.{}", t.split('.').nth(2).unwrap());
        assert_eq!(verify(&key, &forged), None);
        assert_eq!(verify(&key, "u1.x.y"), None);
        assert_eq!(verify(&key, ""), None);
        assert!(t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'));
    }
}
