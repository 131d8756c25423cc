//! The commerce side of Stripe ingest: products and prices mirrored as catalogue items, invoices
//! as transfer requests, subscriptions as agreements.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::clock::rfc3339_from_unix;
use crate::ids::AccountId;

/// Loop's ids for Stripe objects: derived, so concurrent or repeated events agree on them
/// without a lookup, and never change.
fn derived_id(account: &AccountId, kind: &str, stripe_id: &str) -> String {
    const NAMESPACE: Uuid = Uuid::from_u128(0x6c6f_6f70_2d73_7472_6970_652d_6964_7321);
    Uuid::new_v5(&NAMESPACE, format!("{account}/{kind}/{stripe_id}").as_bytes()).to_string()
}

pub fn item_id(account: &AccountId, price_id: &str) -> String {
    derived_id(account, "price", price_id)
}

pub fn transfer_id(account: &AccountId, invoice_id: &str) -> String {
    derived_id(account, "invoice", invoice_id)
}

pub fn agreement_id(account: &AccountId, subscription_id: &str) -> String {
    derived_id(account, "subscription", subscription_id)
}

/// Stripe's `recurring.interval` in Loop's spelling.
pub fn frequency_unit(interval: &str) -> Option<&'static str> {
    match interval {
        "day" => Some("Day"),
        "week" => Some("Week"),
        "month" => Some("Month"),
        "year" => Some("Year"),
        _ => None,
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub stripe_product_id: String,
    pub name: Option<String>,
    pub active: bool,
    pub deleted: bool,
    pub updated_at: i64,
    pub last_event_at: i64,
    pub version: u64,
}

/// A Stripe price, shown with its product's name once the product is known.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub item_id: String,
    pub stripe_price_id: String,
    pub stripe_product_id: Option<String>,
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub frequency_number: Option<u32>,
    pub frequency_unit: Option<String>,
    pub active: bool,
    pub deleted: bool,
    pub created_at: i64,
    /// Loop's creation instant in milliseconds (`ids::creation_millis`): its place in its list,
    /// finer than `created_at`, which is what the API shows. Absent on records made before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_ms: Option<i64>,
    pub updated_at: i64,
    pub last_event_at: i64,
    pub version: u64,
}

impl Item {
    /// The item as the API shows it; `None` while its product is unknown. A one-time price has
    /// no `frequencyNumber` or `frequencyUnit` at all (`stripe-ingest.md`: absent, not null).
    pub fn to_json(&self, product: Option<&Product>) -> Option<Value> {
        let product = product?;
        let mut v = json!({
            "itemId": self.item_id,
            "name": product.name,
            "amount": self.amount,
            "currency": self.currency,
            "active": self.active && product.active,
            "deleted": self.deleted || product.deleted,
            "stripePriceId": self.stripe_price_id,
            "stripeProductId": self.stripe_product_id,
            "updatedAt": rfc3339_from_unix(self.updated_at.max(product.updated_at)),
        });
        if let Some(number) = self.frequency_number {
            v["frequencyNumber"] = json!(number);
        }
        if let Some(unit) = &self.frequency_unit {
            v["frequencyUnit"] = json!(unit);
        }
        Some(v)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransferStatus {
    Draft,
    Open,
    Finalized,
    Failed,
    Processed,
}

impl TransferStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TransferStatus::Draft => "draft",
            TransferStatus::Open => "open",
            TransferStatus::Finalized => "finalized",
            TransferStatus::Failed => "failed",
            TransferStatus::Processed => "processed",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transfer {
    pub id: String,
    pub invoice_id: String,
    pub status: TransferStatus,
    pub amount: String,
    pub currency: String,
    pub token_symbol: String,
    pub email: Option<String>,
    pub item: Option<String>,
    pub item_id: Option<String>,
    pub agreement_id: Option<String>,
    pub ref_id: Option<String>,
    pub batch_id: Option<String>,
    pub from_address: Option<String>,
    pub bill_date: Option<i64>,
    pub due_date: Option<i64>,
    pub created_at: i64,
    /// Loop's creation instant in milliseconds (`ids::creation_millis`): its place in its list,
    /// finer than `created_at`, which is what the API shows. Absent on records made before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_ms: Option<i64>,
    pub updated_at: i64,
    pub processed_at: Option<i64>,
    pub transaction: Option<String>,
    pub last_failure_reason: Option<String>,
    pub late_payment_notified_at: Option<i64>,
    /// The public page where the customer pays it (`/pay/{payToken}`), made with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_url: Option<String>,
    /// The on-chain payment that processed it (or paid too little).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<super::payment::ChainPayment>,
    pub version: u64,
}

/// Where a transfer stands for the customer who pays it (its pay page and status route).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayState {
    Open,
    Processed,
    /// Paid on chain, too little (`underpaid`).
    Failed,
}

impl PayState {
    pub fn as_str(self) -> &'static str {
        match self {
            PayState::Open => "open",
            PayState::Processed => "processed",
            PayState::Failed => "failed",
        }
    }
}

impl Transfer {
    /// A transfer of 1.00 USD in USDC made at `at`, at version 1, with nothing else set: for
    /// tests, which set what they are about.
    #[doc(hidden)]
    pub fn for_test(id: &str, status: TransferStatus, at: i64) -> Transfer {
        Transfer {
            id: id.into(),
            invoice_id: format!("in_{id}"),
            status,
            amount: "1.00".into(),
            currency: "USD".into(),
            token_symbol: "USDC".into(),
            email: None,
            item: None,
            item_id: None,
            agreement_id: None,
            ref_id: None,
            batch_id: None,
            from_address: None,
            bill_date: None,
            due_date: None,
            created_at: at,
            created_ms: None,
            updated_at: at,
            processed_at: None,
            transaction: None,
            last_failure_reason: None,
            late_payment_notified_at: None,
            payment_url: None,
            payment: None,
            version: 1,
        }
    }

    /// A failure reported by the processor leaves the page open; only an on-chain underpayment
    /// fails it.
    pub fn pay_state(&self) -> PayState {
        match self.status {
            TransferStatus::Processed => PayState::Processed,
            TransferStatus::Failed if self.payment.is_some() => PayState::Failed,
            _ => PayState::Open,
        }
    }

    pub fn to_json(&self) -> Value {
        let date = |d: Option<i64>| d.map(rfc3339_from_unix);
        json!({
            "id": self.id,
            "invoiceId": self.invoice_id,
            "status": self.status.as_str(),
            "amount": self.amount,
            "tokenSymbol": self.token_symbol,
            "email": self.email,
            "item": self.item,
            "itemId": self.item_id,
            "agreementId": self.agreement_id,
            "refId": self.ref_id,
            "batchId": self.batch_id,
            "billDate": date(self.bill_date),
            "dueDate": date(self.due_date),
            "createdAt": rfc3339_from_unix(self.created_at),
            "updatedAt": rfc3339_from_unix(self.updated_at),
            "processedAt": date(self.processed_at),
            "transaction": self.transaction,
            "lastFailureReason": self.last_failure_reason,
            "latePaymentNotifiedAt": date(self.late_payment_notified_at),
            "paymentUrl": self.payment_url,
            "payment": self.payment.as_ref().map(|p| p.to_json()),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgreementStatus {
    Active,
    Cancelled,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Agreement {
    pub id: String,
    pub stripe_subscription_id: String,
    pub stripe_customer_id: Option<String>,
    pub status: AgreementStatus,
    pub subscriber: String,
    pub email: Option<String>,
    pub item: Option<String>,
    pub item_id: Option<String>,
    pub amount: Option<String>,
    pub frequency_number: Option<u32>,
    pub frequency_unit: Option<String>,
    pub ref_id: String,
    /// Subscription metadata as a JSON string, as the `AgreementSignedUp` payload carries it.
    pub metadata: String,
    pub start_date: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub created_at: i64,
    /// Loop's creation instant in milliseconds (`ids::creation_millis`): its place in its list,
    /// finer than `created_at`, which is what the API shows. Absent on records made before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_ms: Option<i64>,
    pub version: u64,
}

impl Agreement {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "stripeSubscriptionId": self.stripe_subscription_id,
            "status": self.status,
            "subscriber": self.subscriber,
            "email": self.email,
            "item": self.item,
            "itemId": self.item_id,
            "amount": self.amount,
            "frequencyNumber": self.frequency_number,
            "frequencyUnit": self.frequency_unit,
            "refId": self.ref_id,
            "startDate": self.start_date.map(rfc3339_from_unix),
            "cancelledAt": self.cancelled_at.map(rfc3339_from_unix),
            "createdAt": rfc3339_from_unix(self.created_at),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_per_account_and_object() {
        let a = AccountId::generate();
        let b = AccountId::generate();
        assert_eq!(item_id(&a, "price_1"), item_id(&a, "price_1"));
        assert_ne!(item_id(&a, "price_1"), item_id(&b, "price_1"));
        assert_ne!(item_id(&a, "x"), transfer_id(&a, "x"));
        assert_eq!(Uuid::parse_str(&agreement_id(&a, "sub_1")).unwrap().get_version_num(), 5);
    }

    #[test]
    fn transfer_statuses_order_forward() {
        use TransferStatus::*;
        assert!(Draft < Open && Open < Finalized && Finalized < Failed && Failed < Processed);
    }
}
