//! Outbound signatures (`webhooks.md`, "Signatures"): every delivery is signed three ways, as
//! pure functions of (secrets, event id, timestamp, body), pinned by known vectors.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

pub use loop_adapters::ports::SignedHeaders;
use loop_ground::secret::Secret;

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length")
}

/// The Standard Webhooks key: the base64 after `whsec_` (the whole string if it does not decode).
pub fn standard_key(secret: &str) -> Vec<u8> {
    secret
        .strip_prefix("whsec_")
        .and_then(|b64| STANDARD.decode(b64).ok())
        .unwrap_or_else(|| secret.as_bytes().to_vec())
}

/// Signs `body` for delivery. `secrets` are the active ones, newest first (two during a rotation).
pub fn sign(secrets: &[&Secret], event_id: &str, timestamp: i64, body: &[u8]) -> SignedHeaders {
    let newest = secrets.first().map(|s| s.expose()).unwrap_or_default();
    let mut body_mac = mac(newest.as_bytes());
    body_mac.update(body);
    let tag = body_mac.finalize().into_bytes();
    let timestamp_text = itoa::Buffer::new().format(timestamp).to_owned();
    let mut webhook_signature = String::with_capacity(secrets.len() * 48);
    for secret in secrets {
        let mut standard = mac(&standard_key(secret.expose()));
        standard.update(event_id.as_bytes());
        standard.update(b".");
        standard.update(timestamp_text.as_bytes());
        standard.update(b".");
        standard.update(body);
        if !webhook_signature.is_empty() {
            webhook_signature.push(' ');
        }
        webhook_signature.push_str("v1,");
        STANDARD.encode_string(standard.finalize().into_bytes(), &mut webhook_signature);
    }
    SignedHeaders {
        loops_signature: hex::encode(tag),
        loop_signature: STANDARD.encode(tag),
        webhook_id: event_id.to_owned(),
        webhook_timestamp: timestamp_text,
        webhook_signature,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of the Standard Webhooks specification.
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TIMESTAMP: i64 = 1614265330;
    const SPEC_BODY: &[u8] = br#"{"test": 2432232314}"#;

    #[test]
    fn the_standard_webhooks_signature_matches_the_specification_example() {
        let secret = Secret::new(SPEC_SECRET);
        let headers = sign(&[&secret], SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY);
        assert_eq!(headers.webhook_signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert_eq!(headers.webhook_id, SPEC_ID);
        assert_eq!(headers.webhook_timestamp, "1614265330");
    }

    #[test]
    fn body_signatures_are_hex_and_base64_of_one_mac_keyed_with_the_secret_string() {
        let secret = Secret::new("whsec_test");
        let headers = sign(&[&secret], "evt_1", 1, b"{}");
        // printf '{}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(headers.loops_signature, "46bdc2a2e83964bd2695acc6a1f97162d8bafc135a071aa5cd5c99aae5481440");
        assert_eq!(STANDARD.decode(&headers.loop_signature).unwrap(), hex::decode(&headers.loops_signature).unwrap());
    }

    #[test]
    fn during_a_rotation_both_secrets_sign_and_the_newest_signs_the_body() {
        let new = Secret::new("whsec_bmV3LXNlY3JldC1rZXktMzItYnl0ZXMtbG9uZyE=");
        let old = Secret::new(SPEC_SECRET);
        let both = sign(&[&new, &old], SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY);
        let only_new = sign(&[&new], SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY);
        let only_old = sign(&[&old], SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY);
        assert_eq!(both.webhook_signature, format!("{} {}", only_new.webhook_signature, only_old.webhook_signature));
        assert_eq!(both.loops_signature, only_new.loops_signature);
    }
}
