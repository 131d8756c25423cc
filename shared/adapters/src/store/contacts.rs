//! Contacts, customer links, trigger events and outbound events: what ingest reads and the
//! read APIs list.

use std::collections::HashMap;

use super::accounts::decode_account;
use super::keys::*;
use super::keys::{account_pk, ACCOUNT_SK};
use super::records::*;
use super::{classify, from_item, put_if, s, Listed, MergedQuery, PageQuery, Store};
use loop_ground::domain::account::Account;
use loop_ground::domain::commerce::{agreement_id, item_id, transfer_id, Agreement, Item, Product, Transfer};
use loop_ground::domain::contact::{Contact, TriggerEvent};
use loop_ground::domain::email::Email;
use loop_ground::domain::endpoint::EndpointSet;
use loop_ground::domain::outbound::OutboundEvent;
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

/// What ingest needs to know before it decides: fetched in one request.
#[derive(Debug, Default)]
pub struct IngestRead<'a> {
    pub stripe_event_id: Option<&'a str>,
    pub emails: Vec<Email>,
    pub customer_id: Option<&'a str>,
    pub product_ids: Vec<&'a str>,
    pub price_ids: Vec<&'a str>,
    pub invoice_id: Option<&'a str>,
    pub subscription_id: Option<&'a str>,
}

#[derive(Debug, Default)]
pub struct IngestView {
    pub account: Option<Account>,
    pub endpoints: EndpointSet,
    /// The event names some workflow of the account was ever active on (a superset of those it
    /// is now): a trigger of another name starts nothing, and needs no read of the workflows.
    pub workflow_triggers: std::collections::BTreeSet<String>,
    pub seen: Option<SeenRecord>,
    pub contacts: HashMap<Email, Contact>,
    /// What an earlier event linked the customer id to.
    pub linked: Option<CustomerLink>,
    /// By Stripe product id.
    pub products: HashMap<String, Product>,
    /// By Stripe price id.
    pub items: HashMap<String, Item>,
    pub transfer: Option<Transfer>,
    pub agreement: Option<Agreement>,
}

impl Store {
    pub async fn read_for_ingest(&self, account: &AccountId, read: &IngestRead<'_>) -> Result<IngestView, StoreError> {
        let key = |pk: String, sk: &str| (pk, sk.to_owned());
        let account_key = key(account_pk(account), ACCOUNT_SK);
        let endpoints_key = key(account_pk(account), ENDPOINTS_SK);
        let seen_key = read.stripe_event_id.map(|id| key(seen_pk(account, id), SEEN_SK));
        let link_key = read.customer_id.map(|id| key(customer_link_pk(account, id), LINK_SK));
        let transfer_key = read.invoice_id.map(|id| key(transfer_pk(account, &transfer_id(account, id)), TRANSFER_SK));
        let agreement_key =
            read.subscription_id.map(|id| key(agreement_pk(account, &agreement_id(account, id)), AGREEMENT_SK));
        let contact_keys: Vec<_> = read.emails.iter().map(|e| key(contact_pk(account, e), CONTACT_SK)).collect();
        let product_keys: Vec<_> = read.product_ids.iter().map(|id| key(product_pk(account, id), PRODUCT_SK)).collect();
        let item_keys: Vec<_> =
            read.price_ids.iter().map(|id| key(item_pk(account, &item_id(account, id)), ITEM_SK)).collect();
        let triggers_key = key(account_pk(account), WORKFLOW_TRIGGERS_SK);
        let mut keys = vec![account_key.clone(), endpoints_key.clone(), triggers_key.clone()];
        keys.extend([&seen_key, &link_key, &transfer_key, &agreement_key].into_iter().flatten().cloned());
        keys.extend(contact_keys.iter().chain(&product_keys).chain(&item_keys).cloned());
        let mut found = self.batch_get(&keys).await?;
        let mut take = |k: &Option<(String, String)>| k.as_ref().and_then(|k| found.remove(k));
        let seen = take(&seen_key).map(from_item).transpose()?;
        let linked = take(&link_key).map(|i| from_item::<LinkItem>(i).map(|l| l.link)).transpose()?;
        let transfer = take(&transfer_key).map(|i| from_item::<TransferItem>(i).map(|t| t.transfer)).transpose()?;
        let agreement = take(&agreement_key).map(|i| from_item::<AgreementItem>(i).map(|a| a.agreement)).transpose()?;
        let mut view = IngestView {
            account: found.remove(&account_key).map(decode_account).transpose()?,
            endpoints: found
                .remove(&endpoints_key)
                .map(|i| from_item::<EndpointsItem>(i).map(|e| e.set))
                .transpose()?
                .unwrap_or_default(),
            workflow_triggers: found
                .remove(&triggers_key)
                .map(|i| from_item::<super::workflows::TriggersItem>(i).map(|t| t.names))
                .transpose()?
                .unwrap_or_default(),
            seen,
            linked,
            transfer,
            agreement,
            ..IngestView::default()
        };
        for (key, item) in found {
            if key.1 == CONTACT_SK {
                let contact = from_item::<ContactItem>(item)?.contact;
                view.contacts.insert(contact.email.clone(), contact);
            } else if key.1 == PRODUCT_SK {
                let product = from_item::<ProductItem>(item)?.product;
                view.products.insert(product.stripe_product_id.clone(), product);
            } else if key.1 == ITEM_SK {
                let item = from_item::<CatalogueItem>(item)?.item;
                view.items.insert(item.stripe_price_id.clone(), item);
            }
        }
        Ok(view)
    }

    pub async fn get_contact(&self, account: &AccountId, email: &Email) -> Result<Option<Contact>, StoreError> {
        let item = self.get_one(contact_pk(account, email), CONTACT_SK).await?;
        item.map(|i| from_item::<ContactItem>(i).map(|c| c.contact)).transpose()
    }

    /// The contact with this id (its email is its key: the id is found on the contacts listing).
    pub async fn get_contact_by_id(&self, account: &AccountId, id: &str) -> Result<Option<Contact>, StoreError> {
        for partition in [Listing::Contacts.partition(account, id), Listing::Contacts.legacy_partition(account)] {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .key_condition_expression("gsi1pk = :p AND gsi1sk = :id")
                .expression_attribute_values(":p", s(partition))
                .expression_attribute_values(":id", s(id))
                .send()
                .await
                .map_err(classify)?;
            if let Some(item) = output.items.unwrap_or_default().into_iter().next() {
                let listed = from_item::<ContactItem>(item)?.contact;
                // The index may lag: the contact itself, read consistently, is the truth.
                return Ok(self.get_contact(account, &listed.email).await?.filter(|c| c.id == id));
            }
        }
        Ok(None)
    }

    /// The email of the contact that has `user_id`, if any.
    pub async fn get_user_id_email(&self, account: &AccountId, user_id: &str) -> Result<Option<Email>, StoreError> {
        let item = self.get_one(user_id_pk(account, user_id), USER_ID_SK).await?;
        item.map(|i| from_item::<UserIdItem>(i).map(|u| u.email)).transpose()
    }

    pub async fn list_contacts(
        &self,
        account: &AccountId,
        limit: usize,
        starting_after: Option<&str>,
    ) -> Result<(Vec<Contact>, bool), StoreError> {
        let query =
            MergedQuery::newest(Listing::Contacts.partitions(account), starting_after.map(str::to_owned), limit);
        self.query_merged(query).await?.records(|i| from_item::<ContactItem>(i).map(|c| c.contact))
    }

    pub async fn list_triggers(
        &self,
        account: &AccountId,
        email: &Email,
        limit: usize,
        starting_after: Option<&str>,
    ) -> Result<(Vec<TriggerEvent>, bool), StoreError> {
        let page = self
            .page(PageQuery::in_partition(
                contact_pk(account, email),
                Some(TRIGGER_PREFIX),
                starting_after.map(trigger_sk),
                limit,
            ))
            .await?;
        page.records(|i| from_item::<TriggerItem>(i).map(|t| t.trigger))
    }

    pub async fn list_events(
        &self,
        account: &AccountId,
        kind: Option<&str>,
        limit: usize,
        starting_after: Option<&str>,
    ) -> Result<Listed<OutboundEvent>, StoreError> {
        let page = self
            .query_merged(MergedQuery {
                partitions: Listing::Events.partitions(account),
                before: starting_after.map(str::to_owned),
                limit,
                filter: kind.map(|k| ("#f = :f", "type", k.to_owned())),
            })
            .await?;
        // Event ids sort by time: the index's sort key is the id.
        page.decode(|i| from_item::<EventItem>(i).map(|e| e.event), |key| key)
    }

    pub async fn get_event(&self, account: &AccountId, event_id: &str) -> Result<Option<OutboundEvent>, StoreError> {
        let item = self.get_one(event_pk(account, event_id), EVENT_SK).await?;
        item.map(|i| from_item::<EventItem>(i).map(|e| e.event)).transpose()
    }
}

impl Store {
    /// The account's endpoints, as publishing reads them.
    pub async fn get_endpoints(&self, account: &AccountId) -> Result<EndpointSet, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(account_pk(account)))
            .key("sk", s(ENDPOINTS_SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        Ok(output.item.map(|i| from_item::<EndpointsItem>(i).map(|e| e.set)).transpose()?.unwrap_or_default())
    }

    /// Replaces the account's endpoints if nobody changed them since `set.version - 1`;
    /// `Ok(false)` when a concurrent change won.
    pub async fn save_endpoints(&self, account: &AccountId, set: &EndpointSet) -> Result<bool, StoreError> {
        let item =
            super::to_item(&EndpointsItem { pk: account_pk(account), sk: ENDPOINTS_SK.to_owned(), set: set.clone() })?;
        let mut request = self.client.put_item().table_name(&self.table).set_item(Some(item));
        request = if set.version <= 1 {
            request.condition_expression("attribute_not_exists(pk)")
        } else {
            request.condition_expression("version = :v").expression_attribute_values(
                ":v",
                aws_sdk_dynamodb::types::AttributeValue::N((set.version - 1).to_string()),
            )
        };
        put_if(request.send().await)
    }
}
