//! The decision: from one Stripe event and the view read before it, the writes, the outbound
//! events and the answer. Pure: no store, no clock (the time comes in), nothing async, so it is
//! tested with views built in memory.

use super::{commerce, contacts, Answer, Outcome};
use loop_adapters::store::{IngestView, Write};
use loop_ground::domain::email::Email;
use loop_ground::domain::outbound::OutboundEvent;
use loop_ground::domain::stripe_event::EventType;
use loop_ground::domain::stripe_object::StripeEvent;
use loop_ground::error::ApiError;
use loop_ground::ids::AccountId;

/// What one event does, before the dedupe record and the fan-out are added to it.
#[derive(Debug)]
pub struct Decision {
    pub answer: Answer,
    pub writes: Vec<Write>,
    pub events: Vec<OutboundEvent>,
}

/// The email of a contact the decision needs but the first read could not name: the event names
/// its customer and no email, so the contact is the one at the customer link's email. `None`
/// when that contact is already in the view, or the decision will not look at it (the event's
/// type disabled, the customer deleted with its contact).
pub fn contact_behind_link<'v>(event: &StripeEvent<'_>, view: &'v IngestView) -> Option<&'v Email> {
    let account = view.account.as_ref()?;
    if !event.kind.is_contact() || !account.stripe.events.settings(event.kind).enabled {
        return None;
    }
    let link = view.linked.as_ref().filter(|link| link.deleted_at.is_none())?;
    let read_already = view.contacts.contains_key(&link.email)
        || event.previous_email.as_deref().and_then(Email::parse).as_ref() == Some(&link.email);
    (contacts::who(event).email.is_none() && !read_already).then_some(&link.email)
}

/// Decides what `event` does given `view`, at `now_ms`.
pub fn decide(
    account_id: &AccountId,
    event: &StripeEvent<'_>,
    view: &IngestView,
    now_ms: i64,
    pay_page: Option<&commerce::PayPage>,
) -> Result<Decision, ApiError> {
    let account = view.account.as_ref().ok_or_else(|| ApiError::not_found("account"))?;
    let kind = event.kind;
    let settings = account.stripe.events.settings(kind);
    let mut outcome = Outcome::default();
    let mut ignored = None;
    if kind.is_contact() && !settings.enabled {
        ignored = Some("event_disabled");
    } else if kind.is_contact() {
        let who = contacts::who(event);
        let email = who.email.clone().or_else(|| view.linked.as_ref().map(|l| l.email.clone()));
        match email {
            None => ignored = Some("no_email"),
            Some(email) => {
                let moved_from = event
                    .previous_email
                    .as_deref()
                    .and_then(Email::parse)
                    .filter(|previous| *previous != email)
                    .and_then(|previous| view.contacts.get(&previous));
                outcome = contacts::sync(contacts::SyncInput {
                    event,
                    settings: &settings,
                    customer_deleted: account.stripe.customer_deleted,
                    email: &email,
                    who: &who,
                    linked: view.linked.as_ref(),
                    existing: view.contacts.get(&email),
                    moved_from: if kind == EventType::CustomerUpdated { moved_from } else { None },
                    now_ms,
                });
            }
        }
    }
    // Commerce effects apply whatever the contact group's settings say.
    commerce::apply(&commerce::CommerceInput { event, account_id, account, view, now_ms, pay_page }, &mut outcome);
    let answer = match ignored {
        Some(reason) if !kind.is_commerce() => Answer::ignored(reason),
        _ => Answer { status: "processed", reason: None, effects: Some(outcome.effects) },
    };
    Ok(Decision { answer, writes: outcome.writes, events: outcome.events })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::{parse, Parsed};
    use loop_adapters::store::records::CustomerLink;
    use loop_ground::domain::account::Account;
    use loop_ground::domain::contact::Contact;

    const NOW_MS: i64 = 1_700_000_100_000;

    fn event(body: &str) -> StripeEvent<'_> {
        match parse(body.as_bytes()).unwrap() {
            Parsed::Supported(event) => event,
            Parsed::Unsupported { kind, .. } => panic!("unsupported {kind}"),
        }
    }

    fn email(raw: &str) -> Email {
        Email::parse(raw).unwrap()
    }

    fn view() -> (AccountId, IngestView) {
        let account = Account::new("Acme", true, 1_600_000_000);
        (account.id.clone(), IngestView { account: Some(account), ..IngestView::default() })
    }

    fn contact(at: &str, version: u64) -> Contact {
        Contact {
            id: "ct_1".into(),
            email: email(at),
            first_name: None,
            last_name: None,
            user_group: None,
            source: "stripe".into(),
            subscribed: true,
            stripe_customer_id: None,
            user_id: None,
            properties: Default::default(),
            created_at: 1_600_000_000,
            updated_at: 1_600_000_000,
            last_event_at: 1_600_000_000,
            version,
        }
    }

    fn kinds(decision: &Decision) -> Vec<&str> {
        decision.events.iter().map(|e| e.kind.as_str()).collect()
    }

    #[test]
    fn a_new_customer_creates_its_contact_links_it_and_triggers() {
        // GIVEN an account that never saw the customer
        let (account_id, view) = view();
        let body = r#"{"id":"evt_1","type":"customer.created","created":1700000000,"data":{"object":{"id":"cus_1","email":"Jenny@Example.com"}}}"#;

        // WHEN its creation is decided
        let decision = decide(&account_id, &event(body), &view, NOW_MS, None).unwrap();

        // THEN a new contact is put unconditionally, the customer linked to it, a trigger recorded
        assert_eq!(decision.answer.status, "processed");
        assert_eq!(kinds(&decision), ["contact.created", "event.triggered"]);
        let [Write::PutContact { contact, expected_version: None }, Write::LinkCustomer { customer_id, link }, Write::PutTrigger(trigger)] =
            &decision.writes[..]
        else {
            panic!("{:?}", decision.writes)
        };
        assert_eq!(
            (contact.email.as_str(), contact.stripe_customer_id.as_deref()),
            ("jenny@example.com", Some("cus_1"))
        );
        assert_eq!((customer_id.as_str(), &link.email), ("cus_1", &contact.email));
        assert_eq!(trigger.event_name, "customer.created");
    }

    #[test]
    fn an_email_change_moves_the_contact_to_its_new_email() {
        // GIVEN the contact at the customer's old email, none at the new one
        let (account_id, mut view) = view();
        view.contacts.insert(email("old@example.com"), contact("old@example.com", 3));
        let body = r#"{"id":"evt_2","type":"customer.updated","created":1700000000,"data":{"object":{"id":"cus_1","email":"new@example.com"},"previous_attributes":{"email":"old@example.com"}}}"#;

        // WHEN the update is decided
        let decision = decide(&account_id, &event(body), &view, NOW_MS, None).unwrap();

        // THEN the old contact is deleted on its version and put again at the new email
        assert_eq!(kinds(&decision), ["contact.updated", "event.triggered"]);
        let Write::DeleteContact { email: deleted, expected_version: 3 } = &decision.writes[0] else {
            panic!("{:?}", decision.writes)
        };
        let Write::PutContact { contact: moved, expected_version: None } = &decision.writes[1] else {
            panic!("{:?}", decision.writes)
        };
        assert_eq!(deleted.as_str(), "old@example.com");
        assert_eq!((moved.email.as_str(), moved.id.as_str(), moved.version), ("new@example.com", "ct_1", 4));
    }

    #[test]
    fn a_customer_known_only_through_its_link_updates_the_contact_at_the_link() {
        // GIVEN a subscription event naming only its customer, whose link and contact were read
        let (account_id, mut view) = view();
        let body = r#"{"id":"evt_3","type":"customer.subscription.paused","created":1700000000,"data":{"object":{"id":"sub_1","customer":"cus_1","status":"paused"}}}"#;
        let event = event(body);
        let link =
            CustomerLink { email: email("linked@example.com"), wallet_address: None, ref_id: None, deleted_at: None };
        view.linked = Some(link);
        assert_eq!(contact_behind_link(&event, &view), Some(&email("linked@example.com")), "read after the link");
        view.contacts.insert(email("linked@example.com"), contact("linked@example.com", 2));
        assert_eq!(contact_behind_link(&event, &view), None, "read once");

        // WHEN it is decided
        let decision = decide(&account_id, &event, &view, NOW_MS, None).unwrap();

        // THEN the contact at the link's email is updated on its version (it learns its customer
        // id), the link is kept as it is, and the trigger names that email
        assert_eq!(kinds(&decision), ["contact.updated", "event.triggered"]);
        let [Write::PutContact { contact, expected_version: Some(2) }, Write::PutTrigger(trigger)] =
            &decision.writes[..]
        else {
            panic!("{:?}", decision.writes)
        };
        assert_eq!((contact.stripe_customer_id.as_deref(), contact.version), (Some("cus_1"), 3));
        assert_eq!(trigger.email.as_str(), "linked@example.com");
    }

    #[test]
    fn only_a_customer_without_an_email_in_its_event_needs_the_contact_behind_its_link() {
        let (_, mut view) = view();
        let link =
            |deleted_at| CustomerLink { email: email("l@example.com"), wallet_address: None, ref_id: None, deleted_at };
        let quote =
            r#"{"id":"evt_4","type":"quote.accepted","created":1,"data":{"object":{"id":"qt_1","customer":"cus_1"}}}"#;
        let customer = r#"{"id":"evt_5","type":"customer.updated","created":1,"data":{"object":{"id":"cus_1","email":"e@example.com"}}}"#;
        assert_eq!(contact_behind_link(&event(quote), &view), None, "no link read");
        view.linked = Some(link(None));
        assert_eq!(contact_behind_link(&event(quote), &view), Some(&email("l@example.com")));
        assert_eq!(contact_behind_link(&event(customer), &view), None, "the event has its email");
        view.linked = Some(link(Some(1)));
        assert_eq!(contact_behind_link(&event(quote), &view), None, "a deleted customer's contact is left alone");
    }

    #[test]
    fn an_event_with_no_email_and_no_link_is_ignored() {
        let (account_id, view) = view();
        let body =
            r#"{"id":"evt_6","type":"quote.accepted","created":1,"data":{"object":{"id":"qt_1","customer":"cus_9"}}}"#;
        let decision = decide(&account_id, &event(body), &view, NOW_MS, None).unwrap();
        assert_eq!((decision.answer.status, decision.answer.reason), ("ignored", Some("no_email")));
        assert!(decision.writes.is_empty() && decision.events.is_empty());
    }
}
