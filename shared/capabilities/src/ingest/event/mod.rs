//! A webhook body, parsed into a [`StripeEvent`] (`domain::stripe_object`) of a supported type,
//! recognised as an event of a type Loop ignores, or refused. Two parsers read it: one pass when
//! `type` is the envelope's last key, as Stripe writes it (`one_pass`), two otherwise
//! (`two_passes`); both read the same event from the same body.

mod one_pass;
mod two_passes;

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use loop_ground::domain::stripe_event::EventType;
use loop_ground::domain::stripe_object::StripeEvent;
#[doc(hidden)]
pub use two_passes::parse_in_two_passes;

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
    if let Some(parsed) =
        one_pass::trailing_type(body.as_bytes()).and_then(EventType::parse).and_then(|k| one_pass::parse_typed(body, k))
    {
        return Ok(parsed);
    }
    parse_in_two_passes(body)
}

/// A Stripe event's envelope, around `data` as each parser reads it (typed, or left raw).
#[derive(Deserialize)]
#[serde(bound(deserialize = "D: Deserialize<'de>"))]
struct Envelope<'a, D> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    created: i64,
    data: D,
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

/// What `data.previous_attributes` says of a `customer.updated`: the email it moved from.
#[derive(Debug, Default, Deserialize)]
struct PreviousAttributes<'a> {
    #[serde(borrow, default)]
    email: Option<Cow<'a, str>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use loop_ground::domain::stripe_object::{LineItem, StripeObject};

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
