//! Stripe's objects, as far as Loop reads them: the few fields its effects need, borrowed from the
//! body where they need no unescaping. Every field is optional: Stripe adds fields monthly and
//! drops some by API version, so absence is normal and unknown fields are skipped. Ingest's
//! parsers (`ingest::event`) fill these from a webhook body, the catalogue backfill from the API.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::stripe_event::EventType;

type Text<'a> = Option<Cow<'a, str>>;

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
#[serde(default)]
pub struct Customer<'a> {
    #[serde(borrow)]
    pub id: Text<'a>,
    #[serde(borrow)]
    pub email: Text<'a>,
    #[serde(borrow)]
    pub name: Text<'a>,
    #[serde(borrow)]
    pub metadata: Option<Metadata<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CustomerDetails<'a> {
    #[serde(borrow)]
    pub email: Text<'a>,
    #[serde(borrow)]
    pub name: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CheckoutSession<'a> {
    #[serde(borrow)]
    pub id: Text<'a>,
    #[serde(borrow)]
    pub customer: Expandable<'a>,
    #[serde(borrow)]
    pub customer_email: Text<'a>,
    #[serde(borrow)]
    pub customer_details: Option<CustomerDetails<'a>>,
    pub amount_total: Option<i64>,
    #[serde(borrow)]
    pub currency: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SubscriptionDetails<'a> {
    #[serde(borrow)]
    pub subscription: Expandable<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InvoiceParent<'a> {
    #[serde(borrow)]
    pub subscription_details: Option<SubscriptionDetails<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PriceDetails<'a> {
    #[serde(borrow)]
    pub price: Expandable<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LinePricing<'a> {
    #[serde(borrow)]
    pub price_details: Option<PriceDetails<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LineItem<'a> {
    #[serde(borrow)]
    pub description: Text<'a>,
    /// Only its id is read: the price object is skipped.
    #[serde(borrow)]
    pub price: Expandable<'a>,
    #[serde(borrow)]
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
#[serde(default)]
pub struct Invoice<'a> {
    /// Absent on `invoice.upcoming`.
    #[serde(borrow)]
    pub id: Text<'a>,
    #[serde(borrow)]
    pub customer: Expandable<'a>,
    #[serde(borrow)]
    pub customer_email: Text<'a>,
    #[serde(borrow)]
    pub customer_name: Text<'a>,
    pub amount_due: Option<i64>,
    pub amount_paid: Option<i64>,
    #[serde(borrow)]
    pub currency: Text<'a>,
    #[serde(borrow)]
    pub status: Text<'a>,
    pub due_date: Option<i64>,
    pub created: Option<i64>,
    #[serde(borrow)]
    pub subscription: Expandable<'a>,
    #[serde(borrow)]
    pub parent: Option<InvoiceParent<'a>>,
    #[serde(borrow)]
    pub lines: Option<List<LineItem<'a>>>,
    #[serde(borrow)]
    pub number: Text<'a>,
    #[serde(borrow)]
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
#[serde(default)]
pub struct Recurring<'a> {
    #[serde(borrow)]
    pub interval: Text<'a>,
    pub interval_count: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Price<'a> {
    #[serde(borrow)]
    pub id: Text<'a>,
    #[serde(borrow)]
    pub product: Expandable<'a>,
    pub unit_amount: Option<i64>,
    #[serde(borrow)]
    pub unit_amount_decimal: Text<'a>,
    #[serde(borrow)]
    pub currency: Text<'a>,
    #[serde(borrow)]
    pub recurring: Option<Recurring<'a>>,
    pub active: Option<bool>,
    pub deleted: Option<bool>,
    /// When the price was made: the backfill's stand-in for an event time.
    pub created: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Product<'a> {
    #[serde(borrow)]
    pub id: Text<'a>,
    #[serde(borrow)]
    pub name: Text<'a>,
    pub active: Option<bool>,
    pub deleted: Option<bool>,
    /// When the product was made: the backfill's stand-in for an event time.
    pub created: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SubscriptionItem<'a> {
    #[serde(borrow)]
    pub price: Option<Price<'a>>,
    pub quantity: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Subscription<'a> {
    #[serde(borrow)]
    pub id: Text<'a>,
    #[serde(borrow)]
    pub customer: Expandable<'a>,
    #[serde(borrow)]
    pub status: Text<'a>,
    pub start_date: Option<i64>,
    pub canceled_at: Option<i64>,
    pub trial_end: Option<i64>,
    #[serde(borrow)]
    pub metadata: Option<Metadata<'a>>,
    #[serde(borrow)]
    pub items: Option<List<SubscriptionItem<'a>>>,
    #[serde(borrow)]
    pub currency: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Quote<'a> {
    #[serde(borrow)]
    pub id: Text<'a>,
    #[serde(borrow)]
    pub customer: Expandable<'a>,
    pub amount_total: Option<i64>,
    #[serde(borrow)]
    pub currency: Text<'a>,
    #[serde(borrow)]
    pub number: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Evidence<'a> {
    #[serde(borrow)]
    pub customer_email_address: Text<'a>,
    #[serde(borrow)]
    pub customer_name: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Dispute<'a> {
    #[serde(borrow)]
    pub id: Text<'a>,
    pub amount: Option<i64>,
    #[serde(borrow)]
    pub currency: Text<'a>,
    #[serde(borrow)]
    pub charge: Expandable<'a>,
    #[serde(borrow)]
    pub evidence: Option<Evidence<'a>>,
    #[serde(borrow)]
    pub reason: Text<'a>,
    #[serde(borrow)]
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
