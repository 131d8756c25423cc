//! The general path, for any key order: the envelope with `data.object` left raw, then the
//! object by its type.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Envelope, InvalidEvent, ObjectOnly, Parsed, PreviousAttributes};
use loop_ground::domain::stripe_event::{EventType, ObjectKind};
use loop_ground::domain::stripe_object::{StripeEvent, StripeObject};

#[derive(Deserialize)]
struct EnvelopeData<'a> {
    #[serde(borrow)]
    object: &'a RawValue,
    #[serde(borrow, default)]
    previous_attributes: Option<&'a RawValue>,
}

/// The general path: the envelope with `data.object` raw, then the object by its type.
pub fn parse_in_two_passes(body: &str) -> Result<Parsed<'_>, InvalidEvent> {
    let envelope: ObjectOnly<Envelope<EnvelopeData>> =
        serde_json::from_str(body).map_err(|e| InvalidEvent(format!("not a Stripe event: {e}")))?;
    let envelope = envelope.0;
    if envelope.id.is_empty() {
        return Err(InvalidEvent("the event has an empty id".into()));
    }
    let raw = envelope.data.object.get();
    if !raw.starts_with('{') {
        return Err(InvalidEvent("data.object is not an object".into()));
    }
    let Some(kind) = EventType::parse(&envelope.kind) else {
        return Ok(Parsed::Unsupported { id: envelope.id, kind: envelope.kind });
    };
    let invalid = |e: serde_json::Error| InvalidEvent(format!("data.object does not fit a {kind} event: {e}"));
    let object = match kind.object_kind() {
        ObjectKind::Customer => StripeObject::Customer(serde_json::from_str(raw).map_err(invalid)?),
        ObjectKind::CheckoutSession => StripeObject::CheckoutSession(serde_json::from_str(raw).map_err(invalid)?),
        ObjectKind::Invoice => StripeObject::Invoice(serde_json::from_str(raw).map_err(invalid)?),
        ObjectKind::Subscription => StripeObject::Subscription(serde_json::from_str(raw).map_err(invalid)?),
        ObjectKind::Quote => StripeObject::Quote(serde_json::from_str(raw).map_err(invalid)?),
        ObjectKind::Dispute => StripeObject::Dispute(serde_json::from_str(raw).map_err(invalid)?),
        ObjectKind::Product => StripeObject::Product(serde_json::from_str(raw).map_err(invalid)?),
        ObjectKind::Price => StripeObject::Price(serde_json::from_str(raw).map_err(invalid)?),
    };
    let previous_email = match (kind, envelope.data.previous_attributes) {
        (EventType::CustomerUpdated, Some(previous)) => {
            serde_json::from_str::<ObjectOnly<PreviousAttributes>>(previous.get())
                .map_err(|e| InvalidEvent(format!("data.previous_attributes: {e}")))?
                .0
                .email
                .filter(|e| !e.trim().is_empty())
        }
        _ => None,
    };
    Ok(Parsed::Supported(StripeEvent { id: envelope.id, kind, created: envelope.created, object, previous_email }))
}
