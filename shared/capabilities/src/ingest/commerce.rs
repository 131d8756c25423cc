//! The commerce group: products and prices into catalogue items, invoices into transfers,
//! subscriptions into agreements. Pure decisions from an event and the state read before it.

use super::Outcome;
use loop_adapters::store::{IngestView, Write};
use loop_ground::clock::unix_seconds;
use loop_ground::domain::account::Account;
use loop_ground::domain::commerce::{
    agreement_id, frequency_unit, item_id, transfer_id, Agreement, AgreementStatus, Item, Product, Transfer,
    TransferStatus,
};
use loop_ground::domain::money::format_minor;
use loop_ground::domain::payloads;
use loop_ground::domain::stripe_event::EventType;
use loop_ground::domain::stripe_object::{self, Invoice, Price, StripeEvent, StripeObject, Subscription};
use loop_ground::ids::{creation_millis, AccountId};

pub struct CommerceInput<'a> {
    pub event: &'a StripeEvent<'a>,
    pub account_id: &'a AccountId,
    pub account: &'a Account,
    pub view: &'a IngestView,
    /// When the decision is made, in milliseconds (`now()`: in seconds).
    pub now_ms: i64,
    /// The pay page a transfer made now gets (its token is random, so the caller draws it).
    pub pay_page: Option<&'a PayPage>,
}

/// A new transfer's pay page: its random token and its URL.
#[derive(Clone, Debug)]
pub struct PayPage {
    pub token: String,
    pub url: String,
}

impl PayPage {
    pub fn new(account: &AccountId, public_base_url: &str) -> PayPage {
        let token = loop_ground::domain::payment::new_pay_token(account);
        PayPage { url: format!("{public_base_url}/pay/{token}"), token }
    }
}

impl CommerceInput<'_> {
    fn now(&self) -> i64 {
        unix_seconds(self.now_ms)
    }

    /// Where a new record goes in its list: strictly after everything this process made before.
    fn created_ms(&self) -> Option<i64> {
        Some(creation_millis(self.now_ms))
    }
}

pub fn apply(input: &CommerceInput<'_>, out: &mut Outcome) {
    if !input.event.kind.is_commerce() {
        return;
    }
    match &input.event.object {
        StripeObject::Product(p) => product(input, p, out),
        StripeObject::Price(p) => price(input, p, out),
        StripeObject::Invoice(i) => invoice(input, i, out),
        StripeObject::Subscription(s) => subscription(input, s, out),
        _ => {}
    }
}

fn product(input: &CommerceInput<'_>, p: &stripe_object::Product<'_>, out: &mut Outcome) {
    let Some(id) = p.id.as_deref() else { return };
    let existing = input.view.products.get(id);
    if existing.is_some_and(|e| input.event.created < e.last_event_at) {
        return;
    }
    let deleted = input.event.kind == EventType::ProductDeleted || p.deleted == Some(true);
    let product = Product {
        stripe_product_id: id.to_owned(),
        name: p.name.as_deref().map(str::to_owned).or_else(|| existing.and_then(|e| e.name.clone())),
        active: p.active.or(existing.map(|e| e.active)).unwrap_or(true),
        deleted: deleted || existing.is_some_and(|e| e.deleted),
        updated_at: input.now(),
        last_event_at: input.event.created,
        version: existing.map_or(1, |e| e.version + 1),
    };
    let effect = match (existing, deleted) {
        (_, true) => "product.deleted",
        (None, false) => "product.created",
        (Some(_), false) => "product.updated",
    };
    out.writes.push(Write::PutProduct { product, expected_version: existing.map(|e| e.version) });
    out.effects.push(effect);
}

/// `recurring` as Loop's frequency.
fn frequency(price: &Price<'_>) -> (Option<u32>, Option<String>) {
    match price
        .recurring
        .as_ref()
        .and_then(|r| Some((r.interval_count.unwrap_or(1), frequency_unit(r.interval.as_deref()?)?)))
    {
        Some((count, unit)) => (Some(count), Some(unit.to_owned())),
        None => (None, None),
    }
}

/// The unit amount in major units, from `unit_amount` or a whole `unit_amount_decimal`.
fn unit_amount(price: &Price<'_>, quantity: i64) -> Option<String> {
    let currency = price.currency.as_deref()?;
    let minor = price.unit_amount.or_else(|| price.unit_amount_decimal.as_deref()?.parse::<i64>().ok())?;
    Some(format_minor(minor.checked_mul(quantity)?, currency))
}

fn price(input: &CommerceInput<'_>, p: &Price<'_>, out: &mut Outcome) {
    let Some(price_id) = p.id.as_deref() else { return };
    let existing = input.view.items.get(price_id);
    if existing.is_some_and(|e| input.event.created < e.last_event_at) {
        return;
    }
    let deleted = input.event.kind == EventType::PriceDeleted || p.deleted == Some(true);
    // A deletion carries only the id: everything else stays as it was.
    let (frequency_number, frequency_unit) = match (&p.recurring, existing) {
        (None, Some(e)) if deleted => (e.frequency_number, e.frequency_unit.clone()),
        _ => frequency(p),
    };
    let item = Item {
        item_id: item_id(input.account_id, price_id),
        stripe_price_id: price_id.to_owned(),
        stripe_product_id: p
            .product
            .id()
            .map(str::to_owned)
            .or_else(|| existing.and_then(|e| e.stripe_product_id.clone())),
        amount: unit_amount(p, 1).or_else(|| existing.and_then(|e| e.amount.clone())),
        currency: p
            .currency
            .as_deref()
            .map(str::to_ascii_uppercase)
            .or_else(|| existing.and_then(|e| e.currency.clone())),
        frequency_number,
        frequency_unit,
        active: p.active.or(existing.map(|e| e.active)).unwrap_or(true),
        deleted: deleted || existing.is_some_and(|e| e.deleted),
        created_at: existing.map_or(input.now(), |e| e.created_at),
        created_ms: existing.map_or_else(|| input.created_ms(), |e| e.created_ms),
        updated_at: input.now(),
        last_event_at: input.event.created,
        version: existing.map_or(1, |e| e.version + 1),
    };
    let effect = match (existing, deleted) {
        (_, true) => "item.deleted",
        (None, false) => "item.created",
        (Some(_), false) => "item.updated",
    };
    out.writes.push(Write::PutItem { item, expected_version: existing.map(|e| e.version) });
    out.effects.push(effect);
}

fn invoice(input: &CommerceInput<'_>, i: &Invoice<'_>, out: &mut Outcome) {
    let Some(invoice_id) = i.id.as_deref() else { return };
    let finalizing = input.event.kind == EventType::InvoiceFinalized;
    if !finalizing && input.event.kind != EventType::InvoiceCreated {
        return;
    }
    let due_date = i.due_date.or(i.created);
    let publish = |out: &mut Outcome, kind: &'static str, transfer: &Transfer| {
        out.events.push(payloads::transfer(kind, input.account, transfer, input.now_ms));
        out.effects.push(kind);
    };
    match input.view.transfer.clone() {
        None => {
            let status = match (finalizing, i.status.as_deref()) {
                (true, _) => TransferStatus::Finalized,
                (false, Some("draft") | None) => TransferStatus::Draft,
                (false, _) => TransferStatus::Open,
            };
            let line = i.first_line();
            let subscription = i.subscription_id();
            let transfer = Transfer {
                id: transfer_id(input.account_id, invoice_id),
                invoice_id: invoice_id.to_owned(),
                status,
                amount: format_minor(i.amount_due.unwrap_or(0), i.currency.as_deref().unwrap_or("usd")),
                currency: i.currency.as_deref().unwrap_or("usd").to_ascii_uppercase(),
                token_symbol: input.account.crypto.token_symbol.clone(),
                email: i.customer_email.as_deref().map(str::to_lowercase),
                item: line.and_then(|l| l.description.as_deref()).map(str::to_owned),
                item_id: line.and_then(|l| l.price_id()).map(|p| item_id(input.account_id, p)),
                agreement_id: subscription.map(|s| agreement_id(input.account_id, s)),
                ref_id: i.metadata.as_ref().and_then(|m| m.get("refId")).or(i.customer.id()).map(str::to_owned),
                batch_id: None,
                from_address: input.view.agreement.as_ref().map(|a| a.subscriber.clone()).filter(|s| s != "-"),
                bill_date: i.created,
                due_date: if finalizing { due_date } else { None },
                created_at: input.now(),
                created_ms: input.created_ms(),
                updated_at: input.now(),
                processed_at: None,
                transaction: None,
                last_failure_reason: None,
                late_payment_notified_at: None,
                payment_url: input.pay_page.map(|p| p.url.clone()),
                payment: None,
                version: 1,
            };
            out.writes.push(Write::PutTransfer { transfer: Box::new(transfer.clone()), expected_version: None });
            if let Some(page) = input.pay_page {
                out.writes.push(Write::PutPayToken { token: page.token.clone(), transfer_id: transfer.id.clone() });
            }
            publish(out, "TransferCreated", &transfer);
            if finalizing {
                publish(out, "TransferFinalized", &transfer);
            }
        }
        Some(existing) => {
            // Statuses only move forward: a late `invoice.created` changes nothing.
            let target = if finalizing { TransferStatus::Finalized } else { TransferStatus::Open };
            let opens = !finalizing && existing.status == TransferStatus::Draft && i.status.as_deref() != Some("draft");
            if !(opens || (finalizing && existing.status < TransferStatus::Finalized)) {
                return;
            }
            let mut transfer = existing.clone();
            transfer.status = target;
            if finalizing {
                transfer.due_date = due_date;
            }
            transfer.updated_at = input.now();
            transfer.version += 1;
            out.writes.push(Write::PutTransfer {
                transfer: Box::new(transfer.clone()),
                expected_version: Some(existing.version),
            });
            if finalizing {
                publish(out, "TransferFinalized", &transfer);
            }
        }
    }
}

fn subscription(input: &CommerceInput<'_>, s: &Subscription<'_>, out: &mut Outcome) {
    let Some(subscription_id) = s.id.as_deref() else { return };
    let cancelling = input.event.kind == EventType::CustomerSubscriptionDeleted;
    if !cancelling && input.event.kind != EventType::CustomerSubscriptionCreated {
        return;
    }
    let existing = input.view.agreement.clone();
    if existing.as_ref().is_some_and(|a| !cancelling || a.status == AgreementStatus::Cancelled) {
        return;
    }
    let mut agreement = existing.clone().unwrap_or_else(|| new_agreement(input, s, subscription_id));
    let signing_up = existing.is_none();
    if cancelling {
        agreement.status = AgreementStatus::Cancelled;
        agreement.cancelled_at = Some(s.canceled_at.unwrap_or(input.event.created));
    }
    agreement.version = existing.as_ref().map_or(1, |a| a.version + 1);
    out.writes.push(Write::PutAgreement {
        agreement: agreement.clone(),
        expected_version: existing.as_ref().map(|a| a.version),
    });
    if signing_up {
        out.events.push(payloads::agreement_signed_up(input.account, &agreement, input.now_ms));
        out.effects.push("AgreementSignedUp");
    }
    if cancelling {
        out.events.push(payloads::agreement_cancelled(input.account, &agreement, input.now_ms));
        out.effects.push("AgreementCancelled");
    }
}

fn new_agreement(input: &CommerceInput<'_>, s: &Subscription<'_>, subscription_id: &str) -> Agreement {
    let link = input.view.linked.as_ref();
    let first = s.items.as_ref().and_then(|items| items.first());
    let price = first.and_then(|i| i.price.as_ref());
    let product = price.and_then(|p| p.product.id()).and_then(|id| input.view.products.get(id));
    let (frequency_number, frequency_unit) = price.map(frequency).unwrap_or((None, None));
    let metadata = s.metadata.as_ref();
    let customer = s.customer.id();
    Agreement {
        id: agreement_id(input.account_id, subscription_id),
        stripe_subscription_id: subscription_id.to_owned(),
        stripe_customer_id: customer.map(str::to_owned),
        status: AgreementStatus::Active,
        subscriber: metadata
            .and_then(|m| m.get("walletAddress"))
            .or(link.and_then(|l| l.wallet_address.as_deref()))
            .unwrap_or("-")
            .to_owned(),
        email: link.map(|l| l.email.to_string()),
        item: product.and_then(|p| p.name.clone()),
        item_id: price.and_then(|p| p.id.as_deref()).map(|id| item_id(input.account_id, id)),
        amount: price.and_then(|p| unit_amount(p, first.and_then(|i| i.quantity).unwrap_or(1))),
        frequency_number,
        frequency_unit,
        ref_id: metadata
            .and_then(|m| m.get("refId"))
            .or(link.and_then(|l| l.ref_id.as_deref()))
            .or(customer)
            .unwrap_or("-")
            .to_owned(),
        metadata: metadata.map(|m| m.to_json_string()).unwrap_or_else(|| "{}".to_owned()),
        start_date: s.start_date,
        cancelled_at: None,
        created_at: input.now(),
        created_ms: input.created_ms(),
        version: 1,
    }
}
