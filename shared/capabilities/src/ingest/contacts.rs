//! Contact sync and trigger events: pure decisions from an event and the state read before it.

use serde_json::{json, Map, Value};

use super::Outcome;
use loop_adapters::store::records::CustomerLink;
use loop_adapters::store::Write;
use loop_ground::clock::unix_seconds;
use loop_ground::domain::contact::{split_name, Contact, ContactEvent, TriggerEvent};
use loop_ground::domain::email::Email;
use loop_ground::domain::money::format_minor;
use loop_ground::domain::stripe_config::{CustomerDeleted, EventSettings};
use loop_ground::domain::stripe_event::{EventType, ObjectKind};
use loop_ground::domain::stripe_object::{StripeEvent, StripeObject};
use loop_ground::ids::new_sortable_id;

/// Where an event says who the customer is (`stripe-ingest.md`, "Contact sync").
#[derive(Debug, Default, PartialEq)]
pub struct Who<'a> {
    pub email: Option<Email>,
    pub name: Option<&'a str>,
    /// The Stripe customer id the object names, to link it to the email or resolve it.
    pub customer_id: Option<&'a str>,
    /// From a customer's metadata: kept with the link for the agreements of its subscriptions.
    pub wallet_address: Option<&'a str>,
    pub ref_id: Option<&'a str>,
}

fn first_email<'a>(candidates: impl IntoIterator<Item = Option<&'a str>>) -> Option<Email> {
    candidates.into_iter().flatten().find_map(Email::parse)
}

pub fn who<'a>(event: &'a StripeEvent<'a>) -> Who<'a> {
    match &event.object {
        StripeObject::Customer(c) => {
            let metadata = c.metadata.as_ref();
            Who {
                email: first_email([c.email.as_deref()]),
                name: c.name.as_deref(),
                customer_id: c.id.as_deref(),
                wallet_address: metadata.and_then(|m| m.get("walletAddress")),
                ref_id: metadata.and_then(|m| m.get("refId")),
            }
        }
        StripeObject::CheckoutSession(s) => {
            let details = s.customer_details.as_ref();
            Who {
                email: first_email([details.and_then(|d| d.email.as_deref()), s.customer_email.as_deref()]),
                name: details.and_then(|d| d.name.as_deref()),
                customer_id: s.customer.id(),
                ..Who::default()
            }
        }
        StripeObject::Invoice(i) => Who {
            email: first_email([i.customer_email.as_deref()]),
            name: i.customer_name.as_deref(),
            customer_id: i.customer.id(),
            ..Who::default()
        },
        StripeObject::Subscription(s) => Who { customer_id: s.customer.id(), ..Who::default() },
        StripeObject::Quote(q) => Who { customer_id: q.customer.id(), ..Who::default() },
        StripeObject::Dispute(d) => {
            let evidence = d.evidence.as_ref();
            Who {
                email: first_email([evidence.and_then(|e| e.customer_email_address.as_deref())]),
                name: evidence.and_then(|e| e.customer_name.as_deref()),
                ..Who::default()
            }
        }
        StripeObject::Product(_) | StripeObject::Price(_) => Who::default(),
    }
}

/// What a trigger event carries from its Stripe object.
pub fn trigger_properties(event: &StripeEvent<'_>) -> Value {
    let mut p = Map::new();
    p.insert("stripeEventId".into(), json!(event.id));
    p.insert("stripeEventType".into(), json!(event.kind.as_str()));
    let money = |p: &mut Map<String, Value>, amount: Option<i64>, currency: Option<&str>| {
        if let (Some(amount), Some(currency)) = (amount, currency) {
            p.insert("amount".into(), json!(format_minor(amount, currency)));
            p.insert("currency".into(), json!(currency.to_ascii_uppercase()));
        }
    };
    let put = |p: &mut Map<String, Value>, key: &str, value: Option<&str>| {
        if let Some(value) = value {
            p.insert(key.into(), json!(value));
        }
    };
    match &event.object {
        StripeObject::Customer(c) => put(&mut p, "customerId", c.id.as_deref()),
        StripeObject::CheckoutSession(s) => {
            put(&mut p, "checkoutSessionId", s.id.as_deref());
            put(&mut p, "customerId", s.customer.id());
            money(&mut p, s.amount_total, s.currency.as_deref());
        }
        StripeObject::Invoice(i) => {
            put(&mut p, "invoiceId", i.id.as_deref());
            put(&mut p, "invoiceNumber", i.number.as_deref());
            put(&mut p, "subscriptionId", i.subscription_id());
            put(&mut p, "customerId", i.customer.id());
            let amount = if event.kind == EventType::InvoicePaid { i.amount_paid } else { i.amount_due };
            money(&mut p, amount, i.currency.as_deref());
        }
        StripeObject::Subscription(s) => {
            put(&mut p, "subscriptionId", s.id.as_deref());
            put(&mut p, "customerId", s.customer.id());
            put(&mut p, "status", s.status.as_deref());
            if let Some(trial_end) = s.trial_end {
                p.insert("trialEnd".into(), json!(trial_end));
            }
            // What one period costs: the first item's price, as the agreement records it.
            let first = s.items.as_ref().and_then(|items| items.first());
            let price = first.and_then(|item| item.price.as_ref());
            let per_period =
                price.and_then(|p| p.unit_amount).and_then(|unit| unit.checked_mul(first?.quantity.unwrap_or(1)));
            let currency = s.currency.as_deref().or(price.and_then(|p| p.currency.as_deref()));
            money(&mut p, per_period, currency);
        }
        StripeObject::Quote(q) => {
            put(&mut p, "quoteId", q.id.as_deref());
            put(&mut p, "customerId", q.customer.id());
            money(&mut p, q.amount_total, q.currency.as_deref());
        }
        StripeObject::Dispute(d) => {
            put(&mut p, "disputeId", d.id.as_deref());
            put(&mut p, "chargeId", d.charge.id());
            put(&mut p, "reason", d.reason.as_deref());
            put(&mut p, "status", d.status.as_deref());
            money(&mut p, d.amount, d.currency.as_deref());
        }
        StripeObject::Product(_) | StripeObject::Price(_) => {}
    }
    Value::Object(p)
}

/// Everything contact sync needs to decide.
pub struct SyncInput<'a> {
    pub event: &'a StripeEvent<'a>,
    pub settings: &'a EventSettings,
    pub customer_deleted: CustomerDeleted,
    pub email: &'a Email,
    pub who: &'a Who<'a>,
    /// The customer id's current link, if it was read.
    pub linked: Option<&'a CustomerLink>,
    /// The contact at `email`, if any.
    pub existing: Option<&'a Contact>,
    /// For `customer.updated` that changed the email: the contact at the old email, if any.
    pub moved_from: Option<&'a Contact>,
    /// When the decision is made, in milliseconds (`now()`: in seconds).
    pub now_ms: i64,
}

impl SyncInput<'_> {
    fn now(&self) -> i64 {
        unix_seconds(self.now_ms)
    }
}

pub fn sync(input: SyncInput<'_>) -> Outcome {
    let mut out = Outcome::default();
    let event = input.event;
    let deleting = event.kind == EventType::CustomerDeleted && input.customer_deleted == CustomerDeleted::Delete;
    // A customer deleted with its contact: whatever arrives about it later (the subscription
    // deletions Stripe sends after, an older `customer.updated` delivered late) leaves contacts
    // alone, or it would bring the deleted contact back.
    let deleted_customer = input.linked.is_some_and(|link| link.deleted_at.is_some());
    let contact_after = if deleted_customer {
        None
    } else if event.kind == EventType::CustomerDeleted {
        delete_or_unsubscribe(&input, &mut out)
    } else if let (None, Some(old)) = (input.existing, input.moved_from) {
        move_contact(&input, old, &mut out)
    } else {
        upsert(&input, &mut out)
    };
    if let (Some(customer_id), false) = (input.who.customer_id, deleted_customer) {
        // Only customer objects carry the metadata: other objects keep an existing link as it is.
        let owns_link = event.kind.object_kind() == ObjectKind::Customer || input.linked.is_none();
        if owns_link {
            let link = CustomerLink {
                email: input.email.clone(),
                wallet_address: input.who.wallet_address.map(str::to_owned),
                ref_id: input.who.ref_id.map(str::to_owned),
                deleted_at: deleting.then_some(event.created),
            };
            out.writes.push(Write::LinkCustomer { customer_id: customer_id.to_owned(), link });
        }
    }
    if let Some(event_name) = &input.settings.event_name {
        let properties = trigger_properties(event);
        let trigger = TriggerEvent {
            id: new_sortable_id("te_", input.now_ms),
            event_name: event_name.clone(),
            email: input.email.clone(),
            event_properties: properties,
            stripe_event_id: Some(event.id.to_string()),
            created_at: input.now(),
        };
        let data = trigger.payload(contact_after.as_ref());
        out.writes.push(Write::PutTrigger(trigger));
        out.publish("event.triggered", data, input.now_ms);
    }
    out
}

fn is_stale(event: &StripeEvent<'_>, contact: &Contact) -> bool {
    event.created < contact.last_event_at
}

fn apply_fields(input: &SyncInput<'_>, contact: &mut Contact) {
    if input.settings.sync_name {
        if let Some((first, last)) = input.who.name.and_then(split_name) {
            contact.first_name = Some(first);
            contact.last_name = last;
        }
    }
    if let Some(group) = &input.settings.user_group {
        contact.user_group = Some(group.clone());
    }
    if let Some(customer_id) = input.who.customer_id {
        contact.stripe_customer_id = Some(customer_id.to_owned());
    }
    contact.last_event_at = contact.last_event_at.max(input.event.created);
}

fn upsert(input: &SyncInput<'_>, out: &mut Outcome) -> Option<Contact> {
    match input.existing {
        None => {
            let mut contact =
                Contact::new(new_sortable_id("ct_", input.now_ms), input.email.clone(), "stripe", input.now());
            contact.last_event_at = input.event.created;
            apply_fields(input, &mut contact);
            out.writes.push(Write::PutContact { contact: contact.clone(), expected_version: None });
            out.publish(ContactEvent::Created.as_str(), contact.to_json(), input.now_ms);
            Some(contact)
        }
        Some(existing) if is_stale(input.event, existing) => Some(existing.clone()),
        Some(existing) => {
            let mut edited = existing.clone();
            apply_fields(input, &mut edited);
            let Some((contact, event)) = existing.revise(edited, input.now()) else {
                return Some(existing.clone());
            };
            out.writes.push(Write::PutContact { contact: contact.clone(), expected_version: Some(existing.version) });
            out.publish(event.as_str(), contact.to_json(), input.now_ms);
            Some(contact)
        }
    }
}

fn move_contact(input: &SyncInput<'_>, old: &Contact, out: &mut Outcome) -> Option<Contact> {
    if is_stale(input.event, old) {
        return Some(old.clone());
    }
    let mut contact = old.clone();
    contact.email = input.email.clone();
    apply_fields(input, &mut contact);
    contact.version += 1;
    contact.updated_at = input.now();
    out.writes.push(Write::DeleteContact { email: old.email.clone(), expected_version: old.version });
    out.writes.push(Write::PutContact { contact: contact.clone(), expected_version: None });
    if let Some(user_id) = &contact.user_id {
        // The contacts API's `userId` follows its contact to the new email.
        let (user_id, email, replacing) = (user_id.clone(), contact.email.clone(), Some(old.email.clone()));
        out.writes.push(Write::LinkUserId { user_id, email, replacing });
    }
    out.publish(ContactEvent::Updated.as_str(), contact.to_json(), input.now_ms);
    Some(contact)
}

fn delete_or_unsubscribe(input: &SyncInput<'_>, out: &mut Outcome) -> Option<Contact> {
    let existing = input.existing?;
    if is_stale(input.event, existing) {
        return Some(existing.clone());
    }
    match input.customer_deleted {
        CustomerDeleted::Delete => {
            out.writes.push(Write::DeleteContact { email: existing.email.clone(), expected_version: existing.version });
            if let Some(user_id) = &existing.user_id {
                out.writes.push(Write::UnlinkUserId { user_id: user_id.clone(), email: existing.email.clone() });
            }
            out.publish(ContactEvent::Deleted.as_str(), existing.to_json(), input.now_ms);
            Some(existing.clone())
        }
        CustomerDeleted::Unsubscribe if !existing.subscribed => Some(existing.clone()),
        CustomerDeleted::Unsubscribe => {
            let mut edited = existing.clone();
            edited.subscribed = false;
            edited.last_event_at = edited.last_event_at.max(input.event.created);
            let (contact, event) = existing.revise(edited, input.now())?;
            out.writes.push(Write::PutContact { contact: contact.clone(), expected_version: Some(existing.version) });
            out.publish(event.as_str(), contact.to_json(), input.now_ms);
            Some(contact)
        }
    }
}
