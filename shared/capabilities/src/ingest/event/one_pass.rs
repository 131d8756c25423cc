//! The fast path: Stripe writes `type` as the envelope's last key, after `data`, so it is read
//! from the end of the body and the body deserialized once, straight into the typed object.

use serde::Deserialize;

use super::{Envelope, ObjectOnly, Parsed, PreviousAttributes};
use loop_ground::domain::stripe_event::{EventType, ObjectKind};
use loop_ground::domain::stripe_object::{StripeEvent, StripeObject};

/// The last top-level string value if its key is `"type"`, found by reading backwards.
pub(super) fn trailing_type(body: &[u8]) -> Option<&str> {
    let trim = |mut end: usize| {
        while end > 0 && body[end - 1].is_ascii_whitespace() {
            end -= 1;
        }
        end
    };
    let end = trim(body.len());
    let end = trim(end.checked_sub(1).filter(|&e| body[e] == b'}')?);
    let close = end.checked_sub(1).filter(|&e| body[e] == b'"')?;
    let open = body[..close].iter().rposition(|&b| b == b'"')?;
    let value = &body[open + 1..close];
    if value.contains(&b'\\') {
        return None;
    }
    let colon = trim(open);
    let before_colon = trim(colon.checked_sub(1).filter(|&c| body[c] == b':')?);
    body[..before_colon].ends_with(b"\"type\"").then(|| std::str::from_utf8(value).ok()).flatten()
}

#[derive(Deserialize)]
struct TypedData<'a, O> {
    object: ObjectOnly<O>,
    #[serde(borrow, default)]
    previous_attributes: Option<ObjectOnly<PreviousAttributes<'a>>>,
}

/// One pass, typed by `kind`; `None` if the body is not a valid `kind` event. The general path
/// then has the last word: the body may be an event of another type (its `type` was not the
/// top-level one read from the end), or carry a field that only the typed pass reads.
pub(super) fn parse_typed(body: &str, kind: EventType) -> Option<Parsed<'_>> {
    fn one<'a, O: Deserialize<'a>>(
        body: &'a str,
        kind: EventType,
        wrap: fn(O) -> StripeObject<'a>,
    ) -> Option<Parsed<'a>> {
        let envelope = serde_json::from_str::<ObjectOnly<Envelope<'a, TypedData<'a, O>>>>(body).ok()?.0;
        if envelope.kind != kind.as_str() || envelope.id.is_empty() {
            return None;
        }
        let previous_email = match (kind, envelope.data.previous_attributes) {
            (EventType::CustomerUpdated, Some(previous)) => previous.0.email.filter(|e| !e.trim().is_empty()),
            _ => None,
        };
        let object = wrap(envelope.data.object.0);
        Some(Parsed::Supported(StripeEvent {
            id: envelope.id,
            kind,
            created: envelope.created,
            object,
            previous_email,
        }))
    }
    match kind.object_kind() {
        ObjectKind::Customer => one(body, kind, StripeObject::Customer),
        ObjectKind::CheckoutSession => one(body, kind, StripeObject::CheckoutSession),
        ObjectKind::Invoice => one(body, kind, StripeObject::Invoice),
        ObjectKind::Subscription => one(body, kind, StripeObject::Subscription),
        ObjectKind::Quote => one(body, kind, StripeObject::Quote),
        ObjectKind::Dispute => one(body, kind, StripeObject::Dispute),
        ObjectKind::Product => one(body, kind, StripeObject::Product),
        ObjectKind::Price => one(body, kind, StripeObject::Price),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_is_read_from_the_end_only_when_it_is_the_last_key() {
        assert_eq!(trailing_type(br#"{"data":{"type":"x"},"type": "customer.created" }"#), Some("customer.created"));
        assert_eq!(trailing_type(b"{\n  \"id\": \"evt\",\n  \"type\": \"invoice.paid\"\n}\n"), Some("invoice.paid"));
        assert_eq!(trailing_type(br#"{"type":"customer.created","data":{"object":{"type":"x"}}}"#), None);
        assert_eq!(trailing_type(br#"{"subtype":"customer.created"}"#), None);
        assert_eq!(trailing_type(br#"{"type":"a\"b"}"#), None);
        assert_eq!(trailing_type(b""), None);
        assert_eq!(trailing_type(b"}"), None);
        assert_eq!(trailing_type(b"\"}"), None);
    }
}
