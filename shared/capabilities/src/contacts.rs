//! The contacts and events API (`email.md`, "Contacts and events API", Loops' shapes): create,
//! upsert, delete contacts and record trigger events for them. Each change is decided by a pure
//! function ([`decide`]) over the contacts read before it, with the rules Stripe ingest uses
//! (`loop_ground::domain::contact`: versions, which `contact.*` event, the `event.triggered`
//! payload), then committed with its events through [`publish::commit`]; a concurrent change to
//! the same contact is read again and decided again.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use crate::email::workflows;
use crate::publish;
use loop_adapters::app::App;
use loop_adapters::store::{Write, WriteError};
use loop_ground::clock::unix_seconds;
use loop_ground::domain::contact::{apply_properties, Contact, ContactEvent, PropertyError, TriggerEvent};
use loop_ground::domain::email::Email;
use loop_ground::domain::outbound::OutboundEvent;
use loop_ground::error::StoreError;
use loop_ground::ids::{new_sortable_id, AccountId};

/// The fields a request gives; a field left out keeps its value. `Some(None)` clears it.
#[derive(Debug, Default, Clone)]
pub struct ContactFields {
    pub email: Option<Email>,
    pub user_id: Option<String>,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub user_group: Option<Option<String>>,
    pub subscribed: Option<bool>,
    pub source: Option<String>,
    /// Custom properties: set, or removed when `null`.
    pub properties: Map<String, Value>,
}

/// How a request treats a contact that exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `POST /v1/contacts`: an existing email is an error.
    Create,
    /// `PUT /v1/contacts`, `POST /v1/contact-events`: updated, or created if missing.
    Upsert,
    /// Unsubscribing: updated; a contact that does not exist is `NotFound`.
    Existing,
}

#[derive(Debug, thiserror::Error)]
pub enum ContactError {
    #[error("A contact with this email already exists.")]
    EmailExists,
    #[error("Another contact already has this userId.")]
    UserIdTaken,
    #[error("No contact has this userId; give email to create one.")]
    UnknownUserId,
    #[error("This contact's email follows its Stripe customer: change it in Stripe.")]
    EmailFollowsStripe,
    #[error("no such contact")]
    NotFound,
    #[error(transparent)]
    Property(#[from] PropertyError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The contacts a decision depends on, read before it.
#[derive(Debug, Default)]
pub struct Read {
    /// The contact at the request's email.
    pub at_email: Option<Contact>,
    /// The email the request's `userId` is linked to, and the contact there.
    pub user_id_email: Option<Email>,
    pub at_user_id: Option<Contact>,
}

/// What a request changes.
#[derive(Debug, Default)]
pub struct Plan {
    pub writes: Vec<Write>,
    pub events: Vec<OutboundEvent>,
    /// The contact after the change (unchanged if nothing changed).
    pub contact: Option<Contact>,
    pub created: bool,
}

fn apply(fields: &ContactFields, contact: &mut Contact) -> Result<(), PropertyError> {
    if let Some(v) = &fields.first_name {
        contact.first_name = v.clone();
    }
    if let Some(v) = &fields.last_name {
        contact.last_name = v.clone();
    }
    if let Some(v) = &fields.user_group {
        contact.user_group = v.clone();
    }
    if let Some(v) = fields.subscribed {
        contact.subscribed = v;
    }
    if let Some(v) = &fields.user_id {
        contact.user_id = Some(v.clone());
    }
    apply_properties(&mut contact.properties, &fields.properties)
}

/// The `userId` link writes that take `contact` from `before` to its state now.
fn link_writes(before: Option<&Contact>, contact: &Contact, stale_link: Option<&Email>, plan: &mut Plan) {
    let old = before.and_then(|b| b.user_id.as_ref().map(|u| (u, &b.email)));
    let new = contact.user_id.as_ref();
    if let Some((old_id, old_email)) = old {
        if Some(old_id) != new {
            plan.writes.push(Write::UnlinkUserId { user_id: old_id.clone(), email: old_email.clone() });
        }
    }
    if let Some(user_id) = new {
        let unchanged = old.is_some_and(|(id, email)| id == user_id && *email == contact.email) && stale_link.is_none();
        if !unchanged {
            let replacing =
                old.filter(|(id, _)| *id == user_id).map(|(_, email)| email.clone()).or(stale_link.cloned());
            plan.writes.push(Write::LinkUserId { user_id: user_id.clone(), email: contact.email.clone(), replacing });
        }
    }
}

/// Decides a create or upsert: pure, over what was read.
pub fn decide(mode: Mode, fields: &ContactFields, read: &Read, now_ms: i64) -> Result<Plan, ContactError> {
    let now = unix_seconds(now_ms);
    let mut plan = Plan::default();
    // A `userId` link whose contact is gone or no longer holds it is stale: it may be replaced.
    let by_user_id = read
        .at_user_id
        .as_ref()
        .filter(|c| c.user_id.is_some() && c.user_id == fields.user_id && fields.user_id.is_some());
    let stale_link = read.user_id_email.as_ref().filter(|_| by_user_id.is_none());
    let existing = match (mode, by_user_id, &read.at_email) {
        (Mode::Create, _, Some(_)) => return Err(ContactError::EmailExists),
        (Mode::Create, Some(_), None) => return Err(ContactError::UserIdTaken),
        (Mode::Upsert | Mode::Existing, Some(found), at_email) => {
            if let (Some(email), Some(other)) = (&fields.email, at_email) {
                if *email != found.email && other.id != found.id {
                    return Err(ContactError::EmailExists);
                }
            }
            Some(found)
        }
        (_, None, at_email) => at_email.as_ref(),
    };
    match existing {
        None if mode == Mode::Existing => return Err(ContactError::NotFound),
        None => {
            let email = fields.email.clone().ok_or(ContactError::UnknownUserId)?;
            let source = fields.source.as_deref().unwrap_or("api");
            let mut contact = Contact::new(new_sortable_id("ct_", now_ms), email, source, now);
            apply(fields, &mut contact)?;
            link_writes(None, &contact, stale_link, &mut plan);
            plan.writes.insert(0, Write::PutContact { contact: contact.clone(), expected_version: None });
            plan.events.push(OutboundEvent::envelope(ContactEvent::Created.as_str(), contact.to_json(), now_ms));
            plan.contact = Some(contact);
            plan.created = true;
        }
        Some(existing) => {
            let mut edited = existing.clone();
            apply(fields, &mut edited)?;
            let moving = fields.email.as_ref().filter(|e| **e != existing.email);
            if let Some(email) = moving {
                if existing.stripe_customer_id.is_some() {
                    return Err(ContactError::EmailFollowsStripe);
                }
                edited.email = email.clone();
            }
            let Some((contact, event)) = existing.revise(edited, now) else {
                plan.contact = Some(existing.clone());
                return Ok(plan);
            };
            if moving.is_some() {
                plan.writes
                    .push(Write::DeleteContact { email: existing.email.clone(), expected_version: existing.version });
                plan.writes.push(Write::PutContact { contact: contact.clone(), expected_version: None });
            } else {
                plan.writes
                    .push(Write::PutContact { contact: contact.clone(), expected_version: Some(existing.version) });
            }
            link_writes(Some(existing), &contact, stale_link, &mut plan);
            plan.events.push(OutboundEvent::envelope(event.as_str(), contact.to_json(), now_ms));
            plan.contact = Some(contact);
        }
    }
    Ok(plan)
}

/// How many times a change is decided again after a concurrent one, before `503`.
const ROUNDS: usize = 4;

async fn read(app: &App, account: &AccountId, fields: &ContactFields) -> Result<Read, StoreError> {
    let at_email = async {
        match &fields.email {
            Some(email) => app.store.get_contact(account, email).await,
            None => Ok(None),
        }
    };
    let by_user_id = async {
        let Some(user_id) = &fields.user_id else { return Ok((None, None)) };
        let Some(email) = app.store.get_user_id_email(account, user_id).await? else { return Ok((None, None)) };
        let contact = app.store.get_contact(account, &email).await?;
        Ok::<_, StoreError>((Some(email), contact))
    };
    let (at_email, (user_id_email, at_user_id)) = tokio::try_join!(at_email, by_user_id)?;
    Ok(Read { at_email, user_id_email, at_user_id })
}

/// A trigger event to record with a contact's change (`POST /v1/contact-events`).
#[derive(Debug, Clone, Copy)]
pub struct TriggerRequest<'a> {
    pub name: &'a str,
    pub properties: &'a Value,
    /// Where the deployment's pages are: the host of the unsubscribe links its workflow emails carry.
    pub base_url: &'a str,
}

/// Creates or upserts a contact; with `event`, also records that trigger event for it (as
/// `POST /v1/contact-events` does) and starts the workflows on it, in the same transaction.
/// Answers the plan that was committed.
pub async fn save(
    app: &App,
    account: &AccountId,
    mode: Mode,
    fields: &ContactFields,
    event: Option<TriggerRequest<'_>>,
) -> Result<(Plan, Option<TriggerEvent>), ContactError> {
    let mut workflows = None;
    for _ in 0..ROUNDS {
        let (read, endpoints) = tokio::try_join!(read(app, account, fields), app.store.get_endpoints(account))?;
        let now_ms = app.clock.now_millis();
        let mut plan = decide(mode, fields, &read, now_ms)?;
        let trigger = event.map(|event| {
            let contact = plan.contact.as_ref().expect("a saved contact");
            let trigger = TriggerEvent {
                id: new_sortable_id("te_", now_ms),
                event_name: event.name.to_owned(),
                email: contact.email.clone(),
                event_properties: event.properties.clone(),
                stripe_event_id: None,
                created_at: unix_seconds(now_ms),
            };
            plan.writes.push(Write::PutTrigger(trigger.clone()));
            plan.events.push(OutboundEvent::envelope("event.triggered", trigger.payload(Some(contact)), now_ms));
            trigger
        });
        if plan.writes.is_empty() {
            return Ok((plan, trigger));
        }
        let mut runs = Vec::new();
        if let (Some(event), Some(contact)) = (event, &plan.contact) {
            let known = HashMap::from([(contact.email.clone(), contact.clone())]);
            runs = workflows::started_by(
                &app.store,
                now_ms,
                account,
                &plan.writes,
                &known,
                None,
                event.base_url,
                &mut workflows,
            )
            .await?;
        }
        let events = std::mem::take(&mut plan.events);
        let mut writes = plan.writes.clone();
        writes.extend(runs.into_iter().map(|r| Write::PutRun(Box::new(r))));
        match publish::commit(app, account, &endpoints, writes, events).await {
            Ok(()) => return Ok((plan, trigger)),
            Err(WriteError::Conflict | WriteError::AlreadySeen | WriteError::LogAlreadyUsed) => continue,
            Err(WriteError::Store(err)) => return Err(err.into()),
        }
    }
    Err(StoreError::Unavailable("the contact keeps changing; try again".into()).into())
}

/// Unsubscribes the contact at `email` (an unsubscribe link, or the dashboard): publishes
/// `contact.unsubscribed` once, however often it is asked.
pub async fn unsubscribe(app: &App, account: &AccountId, email: &Email) -> Result<Contact, ContactError> {
    let fields = ContactFields { email: Some(email.clone()), subscribed: Some(false), ..ContactFields::default() };
    let (plan, _) = save(app, account, Mode::Existing, &fields, None).await?;
    plan.contact.ok_or(ContactError::NotFound)
}

/// Deletes the contact with `id` and publishes `contact.deleted`.
pub async fn delete(app: &App, account: &AccountId, id: &str) -> Result<Contact, ContactError> {
    for _ in 0..ROUNDS {
        let (contact, endpoints) =
            tokio::try_join!(app.store.get_contact_by_id(account, id), app.store.get_endpoints(account))?;
        let contact = contact.ok_or(ContactError::NotFound)?;
        let mut writes = vec![Write::DeleteContact { email: contact.email.clone(), expected_version: contact.version }];
        if let Some(user_id) = &contact.user_id {
            writes.push(Write::UnlinkUserId { user_id: user_id.clone(), email: contact.email.clone() });
        }
        let event = OutboundEvent::envelope(ContactEvent::Deleted.as_str(), contact.to_json(), app.clock.now_millis());
        match publish::commit(app, account, &endpoints, writes, vec![event]).await {
            Ok(()) => return Ok(contact),
            Err(WriteError::Conflict | WriteError::AlreadySeen | WriteError::LogAlreadyUsed) => continue,
            Err(WriteError::Store(err)) => return Err(err.into()),
        }
    }
    Err(StoreError::Unavailable("the contact keeps changing; try again".into()).into())
}

/// Event properties: the same value rules as custom properties, any name but reserved ones not
/// refused (they live under `event`), at most 50.
pub fn check_event_properties(properties: &Map<String, Value>) -> Result<(), PropertyError> {
    let mut seen = BTreeMap::new();
    for (name, value) in properties {
        loop_ground::domain::contact::check_property(name, value, false)?;
        seen.insert(name, value);
        if seen.len() > loop_ground::domain::contact::MAX_PROPERTIES {
            return Err(PropertyError::TooMany(name.clone()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW_MS: i64 = 1_700_000_000_000;

    fn email(raw: &str) -> Email {
        Email::parse(raw).unwrap()
    }

    fn contact(at: &str, user_id: Option<&str>) -> Contact {
        let mut c = Contact::new(format!("ct_{}", at.len()), email(at), "api", 1);
        c.user_id = user_id.map(str::to_owned);
        c
    }

    fn kinds(plan: &Plan) -> Vec<&str> {
        plan.events.iter().map(|e| e.kind.as_str()).collect()
    }

    #[test]
    fn a_new_email_creates_a_contact_from_the_api_and_links_its_user_id() {
        let fields = ContactFields {
            email: Some(email("new@example.com")),
            user_id: Some("u1".into()),
            properties: json!({"plan": "pro"}).as_object().unwrap().clone(),
            ..ContactFields::default()
        };
        let plan = decide(Mode::Create, &fields, &Read::default(), NOW_MS).unwrap();
        assert!(plan.created);
        assert_eq!(kinds(&plan), ["contact.created"]);
        let contact = plan.contact.unwrap();
        assert_eq!((contact.source.as_str(), contact.properties["plan"].as_str()), ("api", Some("pro")));
        assert!(matches!(
            &plan.writes[..],
            [Write::PutContact { expected_version: None, .. }, Write::LinkUserId { replacing: None, .. }]
        ));
    }

    #[test]
    fn creating_an_existing_email_is_refused_and_an_upsert_updates_it() {
        let read = Read { at_email: Some(contact("a@example.com", None)), ..Read::default() };
        let fields = ContactFields {
            email: Some(email("a@example.com")),
            first_name: Some(Some("Ann".into())),
            ..ContactFields::default()
        };
        assert!(matches!(decide(Mode::Create, &fields, &read, NOW_MS), Err(ContactError::EmailExists)));
        let plan = decide(Mode::Upsert, &fields, &read, NOW_MS).unwrap();
        assert_eq!(kinds(&plan), ["contact.updated"]);
        assert!(matches!(&plan.writes[..], [Write::PutContact { expected_version: Some(1), .. }]));
        let same = decide(Mode::Upsert, &ContactFields { first_name: None, ..fields }, &read, NOW_MS).unwrap();
        assert!(same.writes.is_empty() && same.events.is_empty(), "nothing changed, nothing written");
    }

    #[test]
    fn a_user_id_finds_its_contact_and_moves_it_to_a_new_email() {
        let read = Read {
            user_id_email: Some(email("old@example.com")),
            at_user_id: Some(contact("old@example.com", Some("u1"))),
            at_email: None,
        };
        let fields = ContactFields {
            email: Some(email("new@example.com")),
            user_id: Some("u1".into()),
            ..ContactFields::default()
        };
        let plan = decide(Mode::Upsert, &fields, &read, NOW_MS).unwrap();
        assert_eq!(kinds(&plan), ["contact.updated"]);
        let [Write::DeleteContact { .. }, Write::PutContact { contact, expected_version: None }, Write::LinkUserId { replacing: Some(old), .. }] =
            &plan.writes[..]
        else {
            panic!("{:?}", plan.writes)
        };
        assert_eq!((contact.email.as_str(), old.as_str()), ("new@example.com", "old@example.com"));
        let unknown = ContactFields { user_id: Some("u2".into()), ..ContactFields::default() };
        assert!(matches!(decide(Mode::Upsert, &unknown, &Read::default(), NOW_MS), Err(ContactError::UnknownUserId)));
    }

    #[test]
    fn a_subscribed_contact_set_to_unsubscribed_publishes_contact_unsubscribed() {
        let read = Read { at_email: Some(contact("a@example.com", None)), ..Read::default() };
        let fields =
            ContactFields { email: Some(email("a@example.com")), subscribed: Some(false), ..ContactFields::default() };
        assert_eq!(kinds(&decide(Mode::Upsert, &fields, &read, NOW_MS).unwrap()), ["contact.unsubscribed"]);
    }
}
