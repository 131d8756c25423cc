//! Contacts, customer links, trigger events and outbound events: what ingest reads and the
//! read APIs list.

use std::collections::HashMap;

use super::accounts::decode_account;
use super::keys::{account_pk, ACCOUNT_SK};
use super::records::*;
use super::{classify, from_item, s, Page, PageQuery, Store, BY_CREATION};
use crate::domain::account::Account;
use crate::domain::contact::{Contact, TriggerEvent};
use crate::domain::email::Email;
use crate::domain::endpoint::EndpointSet;
use crate::domain::outbound::OutboundEvent;
use crate::error::StoreError;
use crate::ids::AccountId;

/// What ingest needs to know before it decides: fetched in one request.
#[derive(Debug, Default)]
pub struct IngestRead<'a> {
    pub stripe_event_id: Option<&'a str>,
    pub emails: Vec<Email>,
    pub customer_id: Option<&'a str>,
}

#[derive(Debug, Default)]
pub struct IngestView {
    pub account: Option<Account>,
    pub endpoints: EndpointSet,
    pub seen: Option<SeenRecord>,
    pub contacts: HashMap<Email, Contact>,
    /// The email a Stripe customer id was linked to by an earlier event.
    pub linked_email: Option<Email>,
}

impl Store {
    pub async fn read_for_ingest(
        &self,
        account: &AccountId,
        read: &IngestRead<'_>,
    ) -> Result<IngestView, StoreError> {
        let account_key = (account_pk(account), ACCOUNT_SK.to_owned());
        let endpoints_key = (account_pk(account), ENDPOINTS_SK.to_owned());
        let seen_key = read
            .stripe_event_id
            .map(|id| (seen_pk(account, id), SEEN_SK.to_owned()));
        let link_key = read
            .customer_id
            .map(|id| (customer_link_pk(account, id), LINK_SK.to_owned()));
        let contact_keys: Vec<(String, String)> = read
            .emails
            .iter()
            .map(|e| (contact_pk(account, e), CONTACT_SK.to_owned()))
            .collect();
        let mut keys = vec![account_key.clone(), endpoints_key.clone()];
        keys.extend(seen_key.clone());
        keys.extend(link_key.clone());
        keys.extend(contact_keys.iter().cloned());
        let mut found = self.batch_get(&keys).await?;
        let mut view = IngestView {
            account: found.remove(&account_key).map(decode_account).transpose()?,
            endpoints: found
                .remove(&endpoints_key)
                .map(|i| from_item::<EndpointsItem>(i).map(|e| e.set))
                .transpose()?
                .unwrap_or_default(),
            seen: seen_key
                .and_then(|k| found.remove(&k))
                .map(from_item)
                .transpose()?,
            linked_email: link_key
                .and_then(|k| found.remove(&k))
                .map(|i| from_item::<LinkItem>(i).map(|l| l.email))
                .transpose()?,
            contacts: HashMap::new(),
        };
        for key in contact_keys {
            if let Some(item) = found.remove(&key) {
                let contact = from_item::<ContactItem>(item)?.contact;
                view.contacts.insert(contact.email.clone(), contact);
            }
        }
        Ok(view)
    }

    pub async fn get_contact(
        &self,
        account: &AccountId,
        email: &Email,
    ) -> Result<Option<Contact>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(contact_pk(account, email)))
            .key("sk", s(CONTACT_SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        output
            .item
            .map(|i| from_item::<ContactItem>(i).map(|c| c.contact))
            .transpose()
    }

    pub async fn list_contacts(
        &self,
        account: &AccountId,
        limit: usize,
        starting_after: Option<&str>,
    ) -> Result<(Vec<Contact>, bool), StoreError> {
        let page = self
            .page(PageQuery {
                index: BY_CREATION,
                partition: listing(account, "contacts"),
                sort_prefix: None,
                before: starting_after.map(str::to_owned),
                limit,
                filter: None,
            })
            .await?;
        decode_page(page, |i| from_item::<ContactItem>(i).map(|c| c.contact))
    }

    pub async fn list_triggers(
        &self,
        account: &AccountId,
        email: &Email,
        limit: usize,
        starting_after: Option<&str>,
    ) -> Result<(Vec<TriggerEvent>, bool), StoreError> {
        let page = self
            .page(PageQuery {
                index: None,
                partition: contact_pk(account, email),
                sort_prefix: Some(TRIGGER_PREFIX),
                before: starting_after.map(|id| format!("{TRIGGER_PREFIX}{id}")),
                limit,
                filter: None,
            })
            .await?;
        decode_page(page, |i| from_item::<TriggerItem>(i).map(|t| t.trigger))
    }

    pub async fn list_events(
        &self,
        account: &AccountId,
        kind: Option<&str>,
        limit: usize,
        starting_after: Option<&str>,
    ) -> Result<(Vec<OutboundEvent>, bool), StoreError> {
        let page = self
            .page(PageQuery {
                index: BY_CREATION,
                partition: listing(account, "events"),
                sort_prefix: None,
                before: starting_after.map(str::to_owned),
                limit,
                filter: kind.map(|k| ("#f = :f", "type", k.to_owned())),
            })
            .await?;
        decode_page(page, |i| from_item::<EventItem>(i).map(|e| e.event))
    }

    pub async fn get_event(
        &self,
        account: &AccountId,
        event_id: &str,
    ) -> Result<Option<OutboundEvent>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(event_pk(account, event_id)))
            .key("sk", s(EVENT_SK))
            .send()
            .await
            .map_err(classify)?;
        output
            .item
            .map(|i| from_item::<EventItem>(i).map(|e| e.event))
            .transpose()
    }
}

fn decode_page<T>(
    page: Page,
    decode: impl Fn(super::Item) -> Result<T, StoreError>,
) -> Result<(Vec<T>, bool), StoreError> {
    Ok((
        page.items
            .into_iter()
            .map(decode)
            .collect::<Result<_, _>>()?,
        page.has_more,
    ))
}
