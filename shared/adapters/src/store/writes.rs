//! Atomic writes of domain changes: a capability lists what must happen together, and the store
//! turns it into one `TransactWriteItems` with the conditions that keep it exactly-once.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};

use super::keys::*;
use super::records::*;
use super::{classify, s, to_item, Item, Store};
use loop_ground::domain::checkout::{CheckoutSession, PaymentLink};
use loop_ground::domain::commerce::{Agreement, Item as CatalogueEntry, Product, Transfer};
use loop_ground::domain::contact::{Contact, TriggerEvent};
use loop_ground::domain::delivery::Delivery;
use loop_ground::domain::email::Email;
use loop_ground::domain::outbound::{DeliveryPointer, OutboundEvent};
use loop_ground::domain::workflow::Run;
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

/// How long a Stripe event id is remembered: beyond Stripe's three days of retries.
const SEEN_TTL_SECONDS: i64 = 30 * 86_400;

/// One change; a list of them is applied all together or not at all.
#[derive(Debug, Clone)]
pub enum Write {
    /// Marks a Stripe event handled. Fails the whole write if it already was.
    SeenStripeEvent {
        event_id: String,
        event_type: String,
        outcome: String,
        outbox: Vec<DeliveryPointer>,
        at: i64,
    },
    /// Creates (`expected_version: None`) or replaces the contact at its email.
    PutContact {
        contact: Contact,
        expected_version: Option<u64>,
    },
    DeleteContact {
        email: Email,
        expected_version: u64,
    },
    LinkCustomer {
        customer_id: String,
        link: CustomerLink,
    },
    /// Gives `user_id` to the contact at `email`: fails (a conflict) if another contact has it,
    /// unless that is `replacing` (the contact's old email, or a contact that no longer holds it).
    LinkUserId {
        user_id: String,
        email: Email,
        replacing: Option<Email>,
    },
    /// Takes `user_id` from the contact at `email`.
    UnlinkUserId {
        user_id: String,
        email: Email,
    },
    PutTrigger(TriggerEvent),
    /// An automated email to consider for the outbound event `event_id` (`email.md`).
    PutMailJob {
        event_id: String,
        due_at: i64,
    },
    /// Starts a workflow run (with its trigger event, so it starts once per trigger).
    PutRun(Box<Run>),
    PutEvent(OutboundEvent),
    PutProduct {
        product: Product,
        expected_version: Option<u64>,
    },
    PutItem {
        item: CatalogueEntry,
        expected_version: Option<u64>,
    },
    PutTransfer {
        transfer: Box<Transfer>,
        expected_version: Option<u64>,
    },
    PutAgreement {
        agreement: Agreement,
        expected_version: Option<u64>,
    },
    PutDelivery {
        event_id: String,
        delivery: Delivery,
    },
    PutPaymentLink {
        link: PaymentLink,
        expected_version: Option<u64>,
    },
    PutSession {
        session: CheckoutSession,
        expected_version: Option<u64>,
    },
    /// Records that a `Transfer` log paid `paid`. Fails the whole write (`LogAlreadyUsed`) if that
    /// log already paid something: a log pays at most one thing, ever.
    ClaimPaymentLog {
        network_id: u64,
        transaction_hash: String,
        log_index: u64,
        paid: super::PayTarget,
        at: i64,
    },
    /// The pay token that opens a transfer's pay page.
    PutPayToken {
        token: String,
        transfer_id: String,
    },
    /// Pointers to send, kept until they are sent (the scheduler sweeps them after `due_at`).
    PutOutbox {
        id: String,
        pointers: Vec<DeliveryPointer>,
        due_at: i64,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The Stripe event was recorded by someone else first: a duplicate.
    #[error("already seen")]
    AlreadySeen,
    /// The payment log was claimed by something else first.
    #[error("the payment was already used")]
    LogAlreadyUsed,
    /// Another condition failed: state changed since it was read; read again and retry.
    #[error("concurrent change")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn fault(e: impl std::fmt::Display) -> StoreError {
    StoreError::Fault(e.to_string())
}

impl Store {
    pub async fn write(&self, account: &AccountId, writes: &[Write]) -> Result<(), WriteError> {
        let items = writes.iter().map(|w| self.transact_item(account, w)).collect::<Result<Vec<_>, _>>()?;
        let result = self.client.transact_write_items().set_transact_items(Some(items)).send().await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => {
                // Read reason by reason: a failed condition on the Stripe event's record is a
                // duplicate, on anything else a stale read. A cancellation that names no failed
                // condition (another transaction touched an item, throttling) was already retried
                // by the SDK (`aws::conflicts`) and is answered as unavailable: retry later.
                if let Some(TransactWriteItemsError::TransactionCanceledException(cancel)) = err.as_service_error() {
                    let reasons = cancel.cancellation_reasons();
                    let failed = |i: usize| {
                        reasons.get(i).and_then(|r| r.code()) == Some(crate::aws::conflicts::CONDITION_FAILED)
                    };
                    let seen_failed =
                        writes.iter().enumerate().any(|(i, w)| matches!(w, Write::SeenStripeEvent { .. }) && failed(i));
                    if seen_failed {
                        return Err(WriteError::AlreadySeen);
                    }
                    let log_failed =
                        writes.iter().enumerate().any(|(i, w)| matches!(w, Write::ClaimPaymentLog { .. }) && failed(i));
                    if log_failed {
                        return Err(WriteError::LogAlreadyUsed);
                    }
                    if (0..writes.len()).any(failed) {
                        return Err(WriteError::Conflict);
                    }
                }
                Err(WriteError::Store(classify(err)))
            }
        }
    }

    fn transact_item(&self, account: &AccountId, write: &Write) -> Result<TransactWriteItem, StoreError> {
        let put = |item: Item, condition: Option<(&str, Option<(&str, AttributeValue)>)>| {
            let mut builder = Put::builder().table_name(&self.table).set_item(Some(item));
            if let Some((expression, value)) = condition {
                builder = builder.condition_expression(expression);
                if let Some((name, value)) = value {
                    builder = builder.expression_attribute_values(name, value);
                }
            }
            builder.build().map(|p| TransactWriteItem::builder().put(p).build()).map_err(fault)
        };
        // Created if absent, or replaced if still at the version that was read.
        let versioned = |item: Item, expected_version: Option<u64>| match expected_version {
            None => put(item, Some(("attribute_not_exists(pk)", None))),
            Some(v) => put(item, Some(("version = :v", Some((":v", AttributeValue::N(v.to_string())))))),
        };
        match write {
            Write::SeenStripeEvent { event_id, event_type, outcome, outbox, at } => {
                let record = SeenRecord {
                    pk: seen_pk(account, event_id),
                    sk: SEEN_SK.to_owned(),
                    gsi1pk: Some(Listing::StripeEvents.partition(account, event_id)),
                    gsi1sk: Some(by_created(*at, None, event_id)),
                    event_type: event_type.clone(),
                    outcome: outcome.clone(),
                    status: if outbox.is_empty() { SeenStatus::Done } else { SeenStatus::Pending },
                    outbox: outbox.clone(),
                    received_at: *at,
                    expires_at: at + SEEN_TTL_SECONDS,
                };
                put(to_item(&record)?, Some(("attribute_not_exists(pk)", None)))
            }
            Write::PutContact { contact, expected_version } => {
                let item = to_item(&ContactItem::new(account, contact))?;
                match expected_version {
                    None => put(item, Some(("attribute_not_exists(pk)", None))),
                    Some(v) => put(item, Some(("version = :v", Some((":v", AttributeValue::N(v.to_string())))))),
                }
            }
            Write::DeleteContact { email, expected_version } => Delete::builder()
                .table_name(&self.table)
                .key("pk", s(contact_pk(account, email)))
                .key("sk", s(CONTACT_SK))
                .condition_expression("version = :v")
                .expression_attribute_values(":v", AttributeValue::N(expected_version.to_string()))
                .build()
                .map(|d| TransactWriteItem::builder().delete(d).build())
                .map_err(fault),
            Write::LinkCustomer { customer_id, link } => put(
                to_item(&LinkItem {
                    pk: customer_link_pk(account, customer_id),
                    sk: LINK_SK.to_owned(),
                    link: link.clone(),
                })?,
                None,
            ),
            Write::LinkUserId { user_id, email, replacing } => {
                let item = to_item(&UserIdItem {
                    pk: user_id_pk(account, user_id),
                    sk: USER_ID_SK.to_owned(),
                    email: email.clone(),
                })?;
                let mut put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(item))
                    .condition_expression(if replacing.is_some() {
                        "attribute_not_exists(pk) OR email = :e OR email = :o"
                    } else {
                        "attribute_not_exists(pk) OR email = :e"
                    })
                    .expression_attribute_values(":e", s(email.as_str()));
                if let Some(old) = replacing {
                    put = put.expression_attribute_values(":o", s(old.as_str()));
                }
                put.build().map(|p| TransactWriteItem::builder().put(p).build()).map_err(fault)
            }
            Write::UnlinkUserId { user_id, email } => Delete::builder()
                .table_name(&self.table)
                .key("pk", s(user_id_pk(account, user_id)))
                .key("sk", s(USER_ID_SK))
                .condition_expression("attribute_not_exists(pk) OR email = :e")
                .expression_attribute_values(":e", s(email.as_str()))
                .build()
                .map(|d| TransactWriteItem::builder().delete(d).build())
                .map_err(fault),
            Write::PutProduct { product, expected_version } => versioned(
                to_item(&ProductItem {
                    pk: product_pk(account, &product.stripe_product_id),
                    sk: PRODUCT_SK.to_owned(),
                    product: product.clone(),
                })?,
                *expected_version,
            ),
            Write::PutItem { item, expected_version } => versioned(
                to_item(&CatalogueItem {
                    pk: item_pk(account, &item.item_id),
                    sk: ITEM_SK.to_owned(),
                    gsi1pk: Listing::Items.partition(account, &item.item_id),
                    gsi1sk: by_created(item.created_at, item.created_ms, &item.item_id),
                    item: item.clone(),
                })?,
                *expected_version,
            ),
            Write::PutTransfer { transfer, expected_version } => {
                versioned(to_item(&TransferItem::new(account, transfer))?, *expected_version)
            }
            Write::PutDelivery { event_id, delivery } => put(
                to_item(&DeliveryItem {
                    pk: event_pk(account, event_id),
                    sk: delivery_sk(&delivery.endpoint_id),
                    delivery: delivery.clone(),
                })?,
                None,
            ),
            Write::PutPaymentLink { link, expected_version } => versioned(
                to_item(&PaymentLinkItem {
                    pk: payment_link_pk(account, &link.id),
                    sk: LINK_RECORD_SK.to_owned(),
                    gsi1pk: Listing::PaymentLinks.partition(account, &link.id),
                    gsi1sk: link.id.clone(),
                    link: link.clone(),
                })?,
                *expected_version,
            ),
            Write::PutSession { session, expected_version } => {
                versioned(to_item(&SessionItem::new(account, session))?, *expected_version)
            }
            Write::PutOutbox { id, pointers, due_at } => put(
                to_item(&OutboxItem {
                    pk: outbox_pk(account, id),
                    sk: OUTBOX_SK.to_owned(),
                    due_pk: due_partition("outbox", id),
                    due_at: due_key(*due_at, id),
                    account_id: account.clone(),
                    pointers: pointers.clone(),
                })?,
                None,
            ),
            Write::PutAgreement { agreement, expected_version } => versioned(
                to_item(&AgreementItem {
                    pk: agreement_pk(account, &agreement.id),
                    sk: AGREEMENT_SK.to_owned(),
                    gsi1pk: Listing::Agreements.partition(account, &agreement.id),
                    gsi1sk: by_created(agreement.created_at, agreement.created_ms, &agreement.id),
                    agreement: agreement.clone(),
                })?,
                *expected_version,
            ),
            Write::ClaimPaymentLog { network_id, transaction_hash, log_index, paid, at } => put(
                to_item(&super::payments::PaymentLogItem {
                    pk: payment_log_pk(account, *network_id, transaction_hash, *log_index),
                    sk: PAYMENT_LOG_SK.to_owned(),
                    paid: paid.clone(),
                    paid_at: *at,
                })?,
                Some(("attribute_not_exists(pk)", None)),
            ),
            Write::PutPayToken { token, transfer_id } => put(
                to_item(&super::payments::PayTokenItem {
                    pk: pay_token_pk(account, token),
                    sk: PAY_TOKEN_SK.to_owned(),
                    transfer_id: transfer_id.clone(),
                })?,
                Some(("attribute_not_exists(pk)", None)),
            ),
            Write::PutTrigger(trigger) => put(to_item(&TriggerItem::new(account, trigger))?, None),
            Write::PutMailJob { event_id, due_at } => {
                put(to_item(&super::workflows::MailJobItem::new(account, event_id, *due_at))?, None)
            }
            Write::PutRun(run) => {
                put(to_item(&super::workflows::RunItem::new(account, run))?, Some(("attribute_not_exists(pk)", None)))
            }
            Write::PutEvent(event) => {
                put(to_item(&EventItem::new(account, event))?, Some(("attribute_not_exists(pk)", None)))
            }
        }
    }

    /// The outbox of a Stripe event was sent: forget it.
    pub async fn mark_published(&self, account: &AccountId, stripe_event_id: &str) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(seen_pk(account, stripe_event_id)))
            .key("sk", s(SEEN_SK))
            .update_expression("SET #status = :done REMOVE outbox")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":done", s("done"))
            .send()
            .await
            .map(|_| ())
            .map_err(classify)
    }
}
