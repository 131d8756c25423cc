//! Stripe's webhook signature (`Stripe-Signature: t=…,v1=…[,v1=…][,v0=…]`): pure functions of
//! the raw body, the header, the secrets and the time. Verifying keeps, per thread, the HMAC
//! states keyed with the last few secrets it used: a cache that changes no result.

use std::cell::RefCell;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use loop_ground::secret::{constant_time_eq, Secret};

/// A parsed `Stripe-Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    pub timestamp: i64,
    /// The decoded `v1` signatures (32 bytes each); other schemes are ignored.
    pub v1: Vec<[u8; 32]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// No timestamp, no `v1` element, or not the header's syntax: `400`.
    Malformed,
    /// No `v1` matches any secret: `401`.
    Mismatch,
    /// The timestamp is more than the tolerance away from now, either way: `401`.
    OutsideTolerance,
}

/// Stripe sends at most a handful of elements; anything longer is not a Stripe header.
const MAX_HEADER_LEN: usize = 8 * 1024;

pub fn parse_header(header: &str) -> Result<SignatureHeader, SignatureError> {
    if header.len() > MAX_HEADER_LEN {
        return Err(SignatureError::Malformed);
    }
    let mut timestamp = None;
    let mut v1 = Vec::with_capacity(2);
    // `header.split(',')` and `split_once('=')`, by byte positions (both are ASCII): a byte
    // scan is cheaper than a `char` searcher on strings this short.
    let mut rest = Some(header);
    while let Some(remaining) = rest {
        let (element, after) = match remaining.bytes().position(|b| b == b',') {
            Some(comma) => (&remaining[..comma], Some(&remaining[comma + 1..])),
            None => (remaining, None),
        };
        rest = after;
        let element = element.trim();
        let equals = element.bytes().position(|b| b == b'=').ok_or(SignatureError::Malformed)?;
        let (key, value) = (&element[..equals], &element[equals + 1..]);
        match key {
            "t" => {
                let t = value.parse::<i64>().map_err(|_| SignatureError::Malformed)?;
                timestamp = Some(t);
            }
            // A v1 that is not 64 hex digits can never match; it is still a v1 element.
            "v1" => v1.push(decode_hex32(value.as_bytes()).unwrap_or([0u8; 32])),
            _ => {}
        }
    }
    match timestamp {
        Some(timestamp) if !v1.is_empty() => Ok(SignatureHeader { timestamp, v1 }),
        _ => Err(SignatureError::Malformed),
    }
}

/// 64 hex digits, either case, as 32 bytes.
fn decode_hex32(hex: &[u8]) -> Option<[u8; 32]> {
    const INVALID: u8 = 0xff;
    const NIBBLES: [u8; 256] = {
        let mut table = [INVALID; 256];
        let mut i = 0;
        while i < 10 {
            table[b'0' as usize + i] = i as u8;
            i += 1;
        }
        let mut i = 0;
        while i < 6 {
            table[b'a' as usize + i] = 10 + i as u8;
            table[b'A' as usize + i] = 10 + i as u8;
            i += 1;
        }
        table
    };
    if hex.len() != 64 {
        return None;
    }
    let mut bytes = [0u8; 32];
    let mut invalid = 0;
    for (byte, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
        let (high, low) = (NIBBLES[pair[0] as usize], NIBBLES[pair[1] as usize]);
        invalid |= high | low;
        *byte = high << 4 | low;
    }
    (invalid & 0xf0 == 0).then_some(bytes)
}

/// HMAC-SHA256 of `"{t}.{body}"` keyed with the whole secret string, as Stripe computes it.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> [u8; 32] {
    tag(Hmac::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length"), timestamp, body)
}

fn tag(mut mac: Hmac<Sha256>, timestamp: i64, body: &[u8]) -> [u8; 32] {
    mac.update(itoa::Buffer::new().format(timestamp).as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// How many keyed states each thread keeps.
const KEYED_SLOTS: usize = 16;

/// Secrets up to a block long are kept inline (Stripe's are about 40 bytes); longer ones, which
/// HMAC hashes first anyway, are keyed on every request.
const KEPT_KEY_LEN: usize = 64;

struct Kept {
    len: usize,
    key: [u8; KEPT_KEY_LEN],
    mac: Hmac<Sha256>,
}

/// The HMAC-SHA256 state keyed with `secret`, ready for the message. Keying hashes two blocks
/// (the inner and outer pads) whatever the body's length; a warm process verifies many events
/// signed with the same few secrets, so each thread keeps the keyed states of the last secrets it
/// used, one per slot, and clones one per request.
fn keyed(secret: &[u8]) -> Hmac<Sha256> {
    thread_local! {
        static KEPT: RefCell<[Option<Kept>; KEYED_SLOTS]> = const { RefCell::new([const { None }; KEYED_SLOTS]) };
    }
    let fresh = || Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    if secret.len() > KEPT_KEY_LEN {
        return fresh();
    }
    KEPT.with_borrow_mut(|slots| {
        let slot = &mut slots[slot_of(secret)];
        if let Some(kept) = slot {
            if same(&kept.key[..kept.len], secret) {
                return kept.mac.clone();
            }
        }
        let mac = fresh();
        let mut key = [0u8; KEPT_KEY_LEN];
        key[..secret.len()].copy_from_slice(secret);
        *slot = Some(Kept { len: secret.len(), key, mac: mac.clone() });
        mac
    })
}

/// Equality without a branch on the bytes (a reduction over all of them).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Signing secrets end in random characters: their last eight bytes spread them over the slots.
fn slot_of(secret: &[u8]) -> usize {
    let tail = &secret[secret.len().saturating_sub(8)..];
    let word = tail.iter().fold(0u64, |word, &b| word << 8 | u64::from(b));
    (word.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize % KEYED_SLOTS
}

/// The header Stripe would send for `body` at `timestamp` (tests and tooling).
pub fn header_for(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", hex::encode(sign(secret, timestamp, body)))
}

/// Valid if any `v1` matches any secret, and the timestamp is within `tolerance_seconds` of
/// `now` in either direction.
pub fn verify(
    header: &SignatureHeader,
    body: &[u8],
    secrets: &[Secret],
    now: i64,
    tolerance_seconds: i64,
) -> Result<(), SignatureError> {
    let mut matched = false;
    for secret in secrets {
        let expected = tag(keyed(secret.expose().as_bytes()), header.timestamp, body);
        for candidate in &header.v1 {
            // No early exit: the time taken does not depend on which one matched.
            matched |= constant_time_eq(&expected, candidate);
        }
    }
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    if now.abs_diff(header.timestamp) > tolerance_seconds.unsigned_abs() {
        return Err(SignatureError::OutsideTolerance);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","object":"event"}"#;

    #[test]
    fn signature_matches_a_pinned_vector() {
        // printf '1700000000.{"id":"evt_1","object":"event"}' | openssl dgst -sha256 -hmac whsec_test_secret
        assert_eq!(
            hex::encode(sign(SECRET, 1_700_000_000, BODY)),
            "0c8670ed117751cc551a20e35839447075c42800ea3cf3e8a2fbda99cd1e6edd"
        );
    }

    #[test]
    fn parses_every_v1_and_ignores_other_schemes() {
        let a = "a".repeat(64);
        let b = "b".repeat(64);
        let header = parse_header(&format!("t=12,v1={a},v0=ff,v1={b},x=y")).unwrap();
        assert_eq!(header.timestamp, 12);
        assert_eq!(header.v1, vec![[0xaa; 32], [0xbb; 32]]);
    }

    #[test]
    fn hex_is_decoded_as_the_hex_crate_decodes_it() {
        let digits = "0123456789abcdefABCDEF";
        for i in 0..=255u8 {
            // Each byte value, in every position of a pair, among valid digits.
            let mut hex: Vec<u8> = (0..64).map(|j| digits.as_bytes()[j % digits.len()]).collect();
            for position in [0, 1, 62, 63] {
                let saved = hex[position];
                hex[position] = i;
                let mut expected = [0u8; 32];
                let expected = hex::decode_to_slice(&hex, &mut expected).ok().map(|()| expected);
                assert_eq!(decode_hex32(&hex), expected, "{i} at {position}");
                hex[position] = saved;
            }
        }
        for len in [0, 2, 63, 65, 66] {
            assert_eq!(decode_hex32(&vec![b'a'; len]), None);
        }
    }

    /// The parse as it was written first, with `str::split` and the `hex` crate.
    fn reference_parse(header: &str) -> Result<SignatureHeader, SignatureError> {
        if header.len() > MAX_HEADER_LEN {
            return Err(SignatureError::Malformed);
        }
        let (mut timestamp, mut v1) = (None, vec![]);
        for element in header.split(',') {
            let (key, value) = element.trim().split_once('=').ok_or(SignatureError::Malformed)?;
            match key {
                "t" => timestamp = Some(value.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
                "v1" => {
                    let mut signature = [0u8; 32];
                    v1.push(if hex::decode_to_slice(value, &mut signature).is_ok() { signature } else { [0; 32] });
                }
                _ => {}
            }
        }
        match timestamp {
            Some(timestamp) if !v1.is_empty() => Ok(SignatureHeader { timestamp, v1 }),
            _ => Err(SignatureError::Malformed),
        }
    }

    #[test]
    fn the_parse_agrees_with_the_reference_parse() {
        // Every string of up to 5 pieces from pieces that matter, then some with whole signatures.
        let pieces = ["t", "v1", "=", ",", " ", "1", "-", "x", "\u{3000}", "\t"];
        let mut layer = vec![String::new()];
        let mut headers = vec![String::new()];
        for _ in 0..5 {
            layer = layer.iter().flat_map(|h| pieces.iter().map(move |p| format!("{h}{p}"))).collect();
            headers.extend(layer.iter().cloned());
        }
        let a = "a".repeat(64);
        for h in [
            format!("t=1,v1={a}"),
            format!(" t=1 ,\u{3000}v1={a}\t"),
            format!("t=1,v1={a},v1=A{}", &a[1..]),
            format!("t=1,v1={a}g"),
            format!("t=1,v1= {a}"),
            format!("t=1,v1={a},"),
        ] {
            headers.push(h);
        }
        for header in headers {
            assert_eq!(parse_header(&header), reference_parse(&header), "{header:?}");
        }
    }

    #[test]
    fn malformed_headers_are_refused() {
        for header in ["", "t=1", "v1=abc", "t=x,v1=aa", "t=1;v1=aa", "garbage", "t=1,v0=aa", "t=1,,v1=aa"] {
            assert_eq!(parse_header(header), Err(SignatureError::Malformed), "{header:?}");
        }
        assert_eq!(parse_header(&format!("t=1,v1={}", "a".repeat(9000))), Err(SignatureError::Malformed));
    }

    #[test]
    fn any_v1_against_any_secret_verifies() {
        let now = 1_700_000_000;
        let old = Secret::new("whsec_old");
        let new = Secret::new(SECRET);
        let header = parse_header(&format!(
            "t={now},v1={},{}",
            "0".repeat(64),
            header_for(SECRET, now, BODY).split(',').nth(1).unwrap()
        ))
        .unwrap();
        assert_eq!(verify(&header, BODY, &[old.clone(), new.clone()], now, 300), Ok(()));
        assert_eq!(verify(&header, BODY, &[old], now, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify(&header, b"tampered", &[new], now, 300), Err(SignatureError::Mismatch));
    }

    #[test]
    fn kept_keyed_states_sign_as_fresh_ones() {
        // More secrets than slots, so that slots are shared and replaced, each verified twice;
        // and secrets around the longest that is kept.
        let mut secrets: Vec<String> = (0..3 * KEYED_SLOTS).map(|i| format!("whsec_{i:032x}")).collect();
        secrets.extend([KEPT_KEY_LEN - 1, KEPT_KEY_LEN, KEPT_KEY_LEN + 1, 200].map(|len| "k".repeat(len)));
        secrets.extend(["", "x"].map(str::to_owned));
        for _ in 0..2 {
            for secret in &secrets {
                let header = parse_header(&header_for(secret, 1000, BODY)).unwrap();
                assert_eq!(verify(&header, BODY, &[Secret::new(secret.as_str())], 1000, 300), Ok(()));
                let other = Secret::new(format!("{secret}x"));
                assert_eq!(verify(&header, BODY, &[other], 1000, 300), Err(SignatureError::Mismatch));
            }
        }
        assert_eq!(tag(keyed(SECRET.as_bytes()), 1_700_000_000, BODY), sign(SECRET, 1_700_000_000, BODY));
    }

    #[test]
    fn timestamps_outside_the_tolerance_are_refused_both_ways() {
        let secrets = [Secret::new(SECRET)];
        for (t, ok) in [(1000, true), (700, true), (1300, true), (699, false), (1301, false)] {
            let header = parse_header(&header_for(SECRET, t, BODY)).unwrap();
            let result = verify(&header, BODY, &secrets, 1000, 300);
            assert_eq!(result.is_ok(), ok, "t={t}");
            if !ok {
                assert_eq!(result, Err(SignatureError::OutsideTolerance));
            }
        }
    }
}
