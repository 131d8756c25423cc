//! Entry points for the fuzz targets in `fuzz/` and for `tests/fuzz_regressions.rs`: each takes
//! the fuzzer's bytes, runs one parser the way production runs it, and asserts what must hold
//! whatever the input, so that a broken property fails like a panic. Not part of Loop's API.

use loop_capabilities::ingest::event::{self, InvalidEvent, Parsed};
use loop_capabilities::ingest::signature::{self, SignatureError, SignatureHeader};
use loop_ground::error::ApiError;
use loop_ground::secret::Secret;

pub use crate::api::fuzzing::{BodyRoute, CONTENT_TYPES, ROUTES};

const SECRET: &str = "whsec_fuzz_0123456789";
const TOLERANCE: i64 = 300;

fn split_line(input: &[u8]) -> (&[u8], &[u8]) {
    match input.iter().position(|&b| b == b'\n') {
        Some(i) => (&input[..i], &input[i + 1..]),
        None => (input, &[]),
    }
}

/// `Stripe-Signature`: the input's first line is the header, the rest the body it signs. A parsed
/// header reads back the same once written out, and verifies exactly when one of its `v1` is the
/// body's HMAC under the secret and its timestamp is within the tolerance (checked against a
/// model in 128-bit arithmetic, at clocks and tolerances up to the extremes); the header Stripe
/// would send for the body verifies, within the tolerance only.
pub fn stripe_signature(input: &[u8]) -> Result<SignatureHeader, SignatureError> {
    let (header, body) = split_line(input);
    let header = String::from_utf8_lossy(header);
    let parsed = signature::parse_header(&header);
    let secrets = [Secret::new(SECRET)];
    if let Ok(parsed) = &parsed {
        let mut written = format!("t={}", parsed.timestamp);
        for v1 in &parsed.v1 {
            written.push_str(",v1=");
            written.push_str(&hex::encode(v1));
        }
        if written.len() <= 8 * 1024 {
            assert_eq!(signature::parse_header(&written).as_ref(), Ok(parsed), "{written}");
        }
        let t = parsed.timestamp;
        let signed = parsed.v1.contains(&signature::sign(SECRET, t, body));
        let now_and_tolerance = [
            (t, TOLERANCE),
            (t.wrapping_add(TOLERANCE + 1), TOLERANCE),
            (0, 0),
            (i64::MIN, i64::MAX),
            (i64::MAX, i64::MIN),
        ];
        for (now, tolerance) in now_and_tolerance {
            let expected = match (signed, (i128::from(now) - i128::from(t)).abs() <= i128::from(tolerance).abs()) {
                (false, _) => Err(SignatureError::Mismatch),
                (true, false) => Err(SignatureError::OutsideTolerance),
                (true, true) => Ok(()),
            };
            assert_eq!(signature::verify(parsed, body, &secrets, now, tolerance), expected, "{header} now={now}");
        }
    }
    let t = parsed.as_ref().map_or(1_700_000_000, |p| p.timestamp);
    let genuine = signature::parse_header(&signature::header_for(SECRET, t, body)).expect("Stripe's own header parses");
    assert_eq!(genuine.timestamp, t);
    let at = |now: i64| signature::verify(&genuine, body, &secrets, now, TOLERANCE);
    assert_eq!(at(t), Ok(()));
    for now in [t.checked_sub(TOLERANCE), t.checked_add(TOLERANCE)].into_iter().flatten() {
        assert_eq!(at(now), Ok(()), "t={t} now={now}");
    }
    for now in [t.checked_sub(TOLERANCE + 1), t.checked_add(TOLERANCE + 1)].into_iter().flatten() {
        assert_eq!(at(now), Err(SignatureError::OutsideTolerance), "t={t} now={now}");
    }
    let mut tampered = body.to_vec();
    tampered.push(b' ');
    assert_eq!(signature::verify(&genuine, &tampered, &secrets, t, TOLERANCE), Err(SignatureError::Mismatch));
    parsed
}

/// A Stripe event body. [`event::parse`] takes a one-pass path when `type` is the envelope's
/// last key: whatever the body, it must answer what the general two-pass parse answers. A
/// supported event then yields the reads ingest makes before the signature is checked.
pub fn stripe_event(body: &[u8]) -> Result<Parsed<'_>, InvalidEvent> {
    let parsed = event::parse(body);
    let general = std::str::from_utf8(body)
        .map_err(|e| InvalidEvent(format!("not UTF-8: {e}")))
        .and_then(event::parse_in_two_passes);
    match (&parsed, &general) {
        (Ok(fast), Ok(slow)) => assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "the two parses differ"),
        (Err(_), Err(_)) => {}
        _ => panic!("one parse accepts what the other refuses: one pass {parsed:?}, two passes {general:?}"),
    }
    if let Err(invalid) = &parsed {
        assert!(!invalid.0.is_empty(), "an error without a message");
    }
    if let Ok(Parsed::Supported(event)) = &parsed {
        assert!(!event.id.is_empty());
        loop_capabilities::ingest::reads_for(Some(event));
    }
    parsed
}

/// An API request body: the first byte picks the route ([`ROUTES`]), the second the
/// `Content-Type` ([`CONTENT_TYPES`]), the rest is the body. Every refusal is a `4xx` with a
/// message, rendered as the API's JSON error body.
pub fn api_body(input: &[u8]) -> Result<(), ApiError> {
    let route = ROUTES[usize::from(input.first().copied().unwrap_or(0)) % ROUTES.len()];
    let content_type = CONTENT_TYPES[usize::from(input.get(1).copied().unwrap_or(0)) % CONTENT_TYPES.len()];
    let body = input.get(2..).unwrap_or_default();
    let result = crate::api::fuzzing::parse(route, content_type, body);
    if let Err(err) = &result {
        assert!(err.status().is_client_error(), "{route:?}: {err:?}");
        let response = loop_ground::http::error(err);
        let rendered: serde_json::Value = serde_json::from_slice(response.body()).expect("the error body is JSON");
        let message = rendered["error"]["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "{route:?}: an error without a message: {err:?}");
    }
    result
}
