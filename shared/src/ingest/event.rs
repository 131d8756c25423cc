//! Stripe events, parsed for exactly what Loop's effects need: a typed envelope with
//! `data.object` left raw, then the object's few fields, borrowed from the body where they
//! need no unescaping. Every field is optional: Stripe adds fields monthly and drops some by
//! API version, so absence is normal and unknown fields are skipped.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::domain::stripe_event::{EventType, ObjectKind};

type Text<'a> = Option<Cow<'a, str>>;

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    created: i64,
    #[serde(borrow)]
    data: EnvelopeData<'a>,
}

#[derive(Deserialize)]
struct EnvelopeData<'a> {
    #[serde(borrow)]
    object: &'a RawValue,
    #[serde(borrow, default)]
    previous_attributes: Option<&'a RawValue>,
}

/// A Stripe id that may be expanded into its object (`"cus_1"` or `{"id": "cus_1", …}`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Expandable<'a>(pub Option<Cow<'a, str>>);

impl<'a> Expandable<'a> {
    pub fn id(&self) -> Option<&str> {
        self.0.as_deref().filter(|s| !s.is_empty())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Expandable<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ExpandableVisitor;
        impl<'de> Visitor<'de> for ExpandableVisitor {
            type Value = Expandable<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an id or an object with an id")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Expandable(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Expandable(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Expandable(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Expandable(None))
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut id = None;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if key == "id" {
                        id = map.next_value::<Option<Cow<'de, str>>>()?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Expandable(id))
            }
        }
        deserializer.deserialize_any(ExpandableVisitor)
    }
}

/// A Stripe object's metadata: string keys and values.
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub struct Metadata<'a>(#[serde(borrow)] pub BTreeMap<Cow<'a, str>, Option<Cow<'a, str>>>);

impl Metadata<'_> {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.as_deref()).filter(|v| !v.is_empty())
    }

    /// As a JSON object string, the form Loop's payloads carry.
    pub fn to_json_string(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "{}".to_owned())
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Customer<'a> {
    #[serde(borrow, default)]
    pub id: Text<'a>,
    #[serde(borrow, default)]
    pub email: Text<'a>,
    #[serde(borrow, default)]
    pub name: Text<'a>,
    #[serde(borrow, default)]
    pub metadata: Option<Metadata<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct CustomerDetails<'a> {
    #[serde(borrow, default)]
    pub email: Text<'a>,
    #[serde(borrow, default)]
    pub name: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
pub struct CheckoutSession<'a> {
    #[serde(borrow, default)]
    pub id: Text<'a>,
    #[serde(borrow, default)]
    pub customer: Expandable<'a>,
    #[serde(borrow, default)]
    pub customer_email: Text<'a>,
    #[serde(borrow, default)]
    pub customer_details: Option<CustomerDetails<'a>>,
    #[serde(default)]
    pub amount_total: Option<i64>,
    #[serde(borrow, default)]
    pub currency: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
pub struct SubscriptionDetails<'a> {
    #[serde(borrow, default)]
    pub subscription: Expandable<'a>,
}

#[derive(Debug, Default, Deserialize)]
pub struct InvoiceParent<'a> {
    #[serde(borrow, default)]
    pub subscription_details: Option<SubscriptionDetails<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct PriceDetails<'a> {
    #[serde(borrow, default)]
    pub price: Expandable<'a>,
}

#[derive(Debug, Default, Deserialize)]
pub struct LinePricing<'a> {
    #[serde(borrow, default)]
    pub price_details: Option<PriceDetails<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct LineItem<'a> {
    #[serde(borrow, default)]
    pub description: Text<'a>,
    /// Only its id is read: the price object is skipped.
    #[serde(borrow, default)]
    pub price: Expandable<'a>,
    #[serde(borrow, default)]
    pub pricing: Option<LinePricing<'a>>,
}

impl LineItem<'_> {
    /// The line's price id, in either API version's shape.
    pub fn price_id(&self) -> Option<&str> {
        self.price.id().or_else(|| self.pricing.as_ref()?.price_details.as_ref()?.price.id())
    }
}

/// A Stripe list (`{"data": [...], ...}`) of which Loop reads the first element only: the others
/// are skipped, not deserialized.
#[derive(Debug, Default, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct List<T> {
    #[serde(default = "Option::default", rename = "data", deserialize_with = "first_element")]
    first: Option<T>,
}

impl<T> List<T> {
    pub fn first(&self) -> Option<&T> {
        self.first.as_ref()
    }
}

fn first_element<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    struct FirstVisitor<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for FirstVisitor<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an array")
        }
        fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
            let first = seq.next_element()?;
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(first)
        }
    }
    deserializer.deserialize_seq(FirstVisitor(std::marker::PhantomData))
}

#[derive(Debug, Default, Deserialize)]
pub struct Invoice<'a> {
    /// Absent on `invoice.upcoming`.
    #[serde(borrow, default)]
    pub id: Text<'a>,
    #[serde(borrow, default)]
    pub customer: Expandable<'a>,
    #[serde(borrow, default)]
    pub customer_email: Text<'a>,
    #[serde(borrow, default)]
    pub customer_name: Text<'a>,
    #[serde(default)]
    pub amount_due: Option<i64>,
    #[serde(default)]
    pub amount_paid: Option<i64>,
    #[serde(borrow, default)]
    pub currency: Text<'a>,
    #[serde(borrow, default)]
    pub status: Text<'a>,
    #[serde(default)]
    pub due_date: Option<i64>,
    #[serde(default)]
    pub created: Option<i64>,
    #[serde(borrow, default)]
    pub subscription: Expandable<'a>,
    #[serde(borrow, default)]
    pub parent: Option<InvoiceParent<'a>>,
    #[serde(borrow, default)]
    pub lines: Option<List<LineItem<'a>>>,
    #[serde(borrow, default)]
    pub number: Text<'a>,
    #[serde(borrow, default)]
    pub metadata: Option<Metadata<'a>>,
}

impl Invoice<'_> {
    /// The invoice's subscription: `parent.subscription_details.subscription` (API versions
    /// since 2025-03-31), else `subscription` (older ones).
    pub fn subscription_id(&self) -> Option<&str> {
        self.parent
            .as_ref()
            .and_then(|p| p.subscription_details.as_ref())
            .and_then(|d| d.subscription.id())
            .or_else(|| self.subscription.id())
    }

    pub fn first_line(&self) -> Option<&LineItem<'_>> {
        self.lines.as_ref().and_then(List::first)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Recurring<'a> {
    #[serde(borrow, default)]
    pub interval: Text<'a>,
    #[serde(default)]
    pub interval_count: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Price<'a> {
    #[serde(borrow, default)]
    pub id: Text<'a>,
    #[serde(borrow, default)]
    pub product: Expandable<'a>,
    #[serde(default)]
    pub unit_amount: Option<i64>,
    #[serde(borrow, default)]
    pub unit_amount_decimal: Text<'a>,
    #[serde(borrow, default)]
    pub currency: Text<'a>,
    #[serde(borrow, default)]
    pub recurring: Option<Recurring<'a>>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub deleted: Option<bool>,
    /// When the price was made: the backfill's stand-in for an event time.
    #[serde(default)]
    pub created: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Product<'a> {
    #[serde(borrow, default)]
    pub id: Text<'a>,
    #[serde(borrow, default)]
    pub name: Text<'a>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub deleted: Option<bool>,
    /// When the product was made: the backfill's stand-in for an event time.
    #[serde(default)]
    pub created: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct SubscriptionItem<'a> {
    #[serde(borrow, default)]
    pub price: Option<Price<'a>>,
    #[serde(default)]
    pub quantity: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Subscription<'a> {
    #[serde(borrow, default)]
    pub id: Text<'a>,
    #[serde(borrow, default)]
    pub customer: Expandable<'a>,
    #[serde(borrow, default)]
    pub status: Text<'a>,
    #[serde(default)]
    pub start_date: Option<i64>,
    #[serde(default)]
    pub canceled_at: Option<i64>,
    #[serde(default)]
    pub trial_end: Option<i64>,
    #[serde(borrow, default)]
    pub metadata: Option<Metadata<'a>>,
    #[serde(borrow, default)]
    pub items: Option<List<SubscriptionItem<'a>>>,
    #[serde(borrow, default)]
    pub currency: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Quote<'a> {
    #[serde(borrow, default)]
    pub id: Text<'a>,
    #[serde(borrow, default)]
    pub customer: Expandable<'a>,
    #[serde(default)]
    pub amount_total: Option<i64>,
    #[serde(borrow, default)]
    pub currency: Text<'a>,
    #[serde(borrow, default)]
    pub number: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Evidence<'a> {
    #[serde(borrow, default)]
    pub customer_email_address: Text<'a>,
    #[serde(borrow, default)]
    pub customer_name: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Dispute<'a> {
    #[serde(borrow, default)]
    pub id: Text<'a>,
    #[serde(default)]
    pub amount: Option<i64>,
    #[serde(borrow, default)]
    pub currency: Text<'a>,
    #[serde(borrow, default)]
    pub charge: Expandable<'a>,
    #[serde(borrow, default)]
    pub evidence: Option<Evidence<'a>>,
    #[serde(borrow, default)]
    pub reason: Text<'a>,
    #[serde(borrow, default)]
    pub status: Text<'a>,
}

#[derive(Debug)]
pub enum StripeObject<'a> {
    Customer(Customer<'a>),
    CheckoutSession(CheckoutSession<'a>),
    Invoice(Invoice<'a>),
    Subscription(Subscription<'a>),
    Quote(Quote<'a>),
    Dispute(Dispute<'a>),
    Product(Product<'a>),
    Price(Price<'a>),
}

#[derive(Debug, Default, Deserialize)]
struct PreviousAttributes<'a> {
    #[serde(borrow, default)]
    email: Text<'a>,
}

/// A verified-shape Stripe event of a supported type.
#[derive(Debug)]
pub struct StripeEvent<'a> {
    pub id: Cow<'a, str>,
    pub kind: EventType,
    pub created: i64,
    pub object: StripeObject<'a>,
    /// `data.previous_attributes.email` of a `customer.updated`: the email it moved from.
    pub previous_email: Option<Cow<'a, str>>,
}

/// What a body turned out to be.
#[derive(Debug)]
// Built once per request on the stack; boxing the large variant would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Parsed<'a> {
    Supported(StripeEvent<'a>),
    /// A well-formed event of a type Loop does not act on.
    Unsupported {
        id: Cow<'a, str>,
        kind: Cow<'a, str>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidEvent(pub String);

impl fmt::Display for InvalidEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses a Stripe event: `id`, `type`, `created` and an object `data.object` are required.
pub fn parse(body: &[u8]) -> Result<Parsed<'_>, InvalidEvent> {
    // JSON is UTF-8 (RFC 8259). Checked whole, first: the one-pass path would skip the fields it
    // does not read without decoding them, and so accept what the general path refuses.
    let body = std::str::from_utf8(body)
        .map_err(|e| InvalidEvent(format!("not a Stripe event: the body is not UTF-8 ({e})")))?;
    // Stripe writes `type` as the envelope's last key, after `data`: read it from the end so the
    // body is parsed once, straight into the typed object. Anything else takes two passes.
    if let Some(parsed) = trailing_type(body.as_bytes()).and_then(EventType::parse).and_then(|k| parse_typed(body, k)) {
        return Ok(parsed);
    }
    parse_in_two_passes(body)
}

/// The last top-level string value if its key is `"type"`, found by reading backwards.
fn trailing_type(body: &[u8]) -> Option<&str> {
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

/// Deserializes only from a JSON object (never an array, which serde would accept for a struct).
struct ObjectOnly<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = ObjectOnly<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(ObjectOnly)
            }
        }
        deserializer.deserialize_map(ObjectVisitor(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct TypedEnvelope<'a, O> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    created: i64,
    #[serde(borrow)]
    data: TypedData<'a, O>,
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
fn parse_typed(body: &str, kind: EventType) -> Option<Parsed<'_>> {
    fn one<'a, O: Deserialize<'a>>(
        body: &'a str,
        kind: EventType,
        wrap: fn(O) -> StripeObject<'a>,
    ) -> Option<Parsed<'a>> {
        let envelope = serde_json::from_str::<ObjectOnly<TypedEnvelope<'a, O>>>(body).ok()?.0;
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

/// The general path: the envelope with `data.object` raw, then the object by its type.
pub(crate) fn parse_in_two_passes(body: &str) -> Result<Parsed<'_>, InvalidEvent> {
    let envelope: ObjectOnly<Envelope> =
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

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, object: &str) -> String {
        format!(
            r#"{{"id":"evt_1","object":"event","type":"{kind}","created":1700000000,"data":{{"object":{object}}}}}"#
        )
    }

    #[test]
    fn customer_fields_are_read_and_others_ignored() {
        let body = event(
            "customer.created",
            r#"{"id":"cus_1","email":"Jenny@Example.com","name":"Jenny Rosen","balance":0,"address":{"city":null},"metadata":{"refId":"r1","other":"x"}}"#,
        );
        let Parsed::Supported(e) = parse(body.as_bytes()).unwrap() else { panic!() };
        assert_eq!(e.kind, EventType::CustomerCreated);
        let StripeObject::Customer(c) = e.object else { panic!() };
        assert_eq!(c.email.as_deref(), Some("Jenny@Example.com"));
        assert_eq!(c.metadata.unwrap().get("refId"), Some("r1"));
    }

    #[test]
    fn expandable_ids_read_strings_objects_and_nulls() {
        for (customer, expected) in
            [(r#""cus_1""#, Some("cus_1")), (r#"{"id":"cus_2","email":"x"}"#, Some("cus_2")), ("null", None)]
        {
            let body = event("quote.accepted", &format!(r#"{{"id":"qt_1","customer":{customer}}}"#));
            let Parsed::Supported(e) = parse(body.as_bytes()).unwrap() else { panic!() };
            let StripeObject::Quote(q) = e.object else { panic!() };
            assert_eq!(q.customer.id(), expected);
        }
    }

    #[test]
    fn invoice_subscription_is_read_in_both_api_shapes() {
        let new = event(
            "invoice.paid",
            r#"{"id":"in_1","parent":{"subscription_details":{"subscription":"sub_new"}},"subscription":null}"#,
        );
        let old = event("invoice.paid", r#"{"id":"in_1","subscription":"sub_old"}"#);
        for (body, expected) in [(new, "sub_new"), (old, "sub_old")] {
            let Parsed::Supported(e) = parse(body.as_bytes()).unwrap() else { panic!() };
            let StripeObject::Invoice(i) = e.object else { panic!() };
            assert_eq!(i.subscription_id(), Some(expected));
        }
    }

    #[test]
    fn lists_keep_their_first_element_and_lines_their_price_id() {
        let body = event(
            "invoice.finalized",
            r#"{"id":"in_1","lines":{"object":"list","data":[
                {"description":"A","price":{"id":"price_a","recurring":{"interval":"month"},"unit_amount":5}},
                {"description":"B","price":"price_b","pricing":7}
            ],"has_more":false}}"#,
        );
        let Parsed::Supported(e) = parse(body.as_bytes()).unwrap() else { panic!() };
        let StripeObject::Invoice(i) = e.object else { panic!() };
        let line = i.first_line().unwrap();
        assert_eq!((line.description.as_deref(), line.price_id()), (Some("A"), Some("price_a")));
        let new_shape =
            r#"{"id":"in_1","lines":{"data":[{"price":null,"pricing":{"price_details":{"price":"price_n"}}}]}}"#;
        let body = event("invoice.created", new_shape);
        let Parsed::Supported(e) = parse(body.as_bytes()).unwrap() else { panic!() };
        let StripeObject::Invoice(i) = e.object else { panic!() };
        assert_eq!(i.first_line().and_then(LineItem::price_id), Some("price_n"));
        for lines in [r#"{"data":[]}"#, r#"{"object":"list"}"#] {
            let body = event("invoice.paid", &format!(r#"{{"id":"in_1","lines":{lines}}}"#));
            let Parsed::Supported(e) = parse(body.as_bytes()).unwrap() else { panic!() };
            let StripeObject::Invoice(i) = e.object else { panic!() };
            assert!(i.first_line().is_none());
        }
        for lines in [r#"{"data":null}"#, r#"{"data":{}}"#, r#"{"data":[1]}"#, r#"{"data":[{}, ]}"#] {
            let body = event("invoice.paid", &format!(r#"{{"id":"in_1","lines":{lines}}}"#));
            assert!(parse(body.as_bytes()).is_err(), "{lines}");
        }
    }

    #[test]
    fn previous_email_of_a_customer_update_is_read() {
        let body = r#"{"id":"evt_2","type":"customer.updated","created":5,"data":{"object":{"id":"cus_1","email":"new@x.io"},"previous_attributes":{"email":"old@x.io"}}}"#;
        let Parsed::Supported(e) = parse(body.as_bytes()).unwrap() else { panic!() };
        assert_eq!(e.previous_email.as_deref(), Some("old@x.io"));
    }

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

    #[test]
    fn both_parsing_paths_read_the_same_event() {
        let last = r#"{"id":"evt_9","created":7,"data":{"object":{"id":"cus_1","email":"a@b.co","name":"A B"},"previous_attributes":{"email":"old@b.co"}},"type":"customer.updated"}"#;
        let first = r#"{"type":"customer.updated","id":"evt_9","created":7,"data":{"object":{"id":"cus_1","email":"a@b.co","name":"A B"},"previous_attributes":{"email":"old@b.co"}}}"#;
        for body in [last, first] {
            let Parsed::Supported(e) = parse(body.as_bytes()).unwrap() else { panic!() };
            assert_eq!((e.id.as_ref(), e.created, e.previous_email.as_deref()), ("evt_9", 7, Some("old@b.co")));
            let StripeObject::Customer(c) = e.object else { panic!() };
            assert_eq!(c.email.as_deref(), Some("a@b.co"));
        }
    }

    #[test]
    fn arrays_are_not_objects_on_either_path() {
        for body in [
            r#"{"id":"evt_1","created":1,"data":{"object":[]},"type":"customer.created"}"#,
            r#"["evt_1","customer.created",1,{"object":{}}]"#,
            r#"{"id":"evt_1","created":1,"data":{"object":{},"previous_attributes":[]},"type":"customer.updated"}"#,
        ] {
            assert!(parse(body.as_bytes()).is_err(), "{body}");
        }
    }

    #[test]
    fn unsupported_types_are_recognised_without_reading_the_object() {
        let body = event("plan.created", r#"{"id":"plan_1","weird":[1,2,{"a":null}]}"#);
        assert!(matches!(parse(body.as_bytes()).unwrap(), Parsed::Unsupported { kind, .. } if kind == "plan.created"));
    }

    #[test]
    fn bodies_that_are_not_stripe_events_are_invalid() {
        for body in [
            "not json",
            "[]",
            r#"{"id":"evt_1","type":"customer.created","created":1}"#,
            r#"{"id":"evt_1","type":"customer.created","data":{"object":{}}}"#,
            r#"{"id":"evt_1","created":1,"data":{"object":{}}}"#,
            r#"{"id":"","type":"customer.created","created":1,"data":{"object":{}}}"#,
            r#"{"id":"evt_1","type":"customer.created","created":1,"data":{"object":"cus_1"}}"#,
            r#"{"id":"evt_1","type":"customer.created","created":1,"data":{"object":{"email":5}}}"#,
            r#"{"id":"evt_1","type":"customer.created","created":"soon","data":{"object":{}}}"#,
        ] {
            assert!(parse(body.as_bytes()).is_err(), "{body}");
        }
    }
}
