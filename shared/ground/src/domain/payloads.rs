//! The Loop family of outbound payloads (`webhooks.md`): flat objects, unix-second dates,
//! decimal-string amounts, `"-"` for anything not known.

use serde_json::{json, Map, Value};

use super::account::Account;
use super::commerce::{Agreement, Transfer};
use super::outbound::OutboundEvent;
use crate::clock::unix_seconds;

const UNKNOWN: &str = "-";

fn or_dash(value: Option<&str>) -> Value {
    json!(value.filter(|v| !v.is_empty()).unwrap_or(UNKNOWN))
}

/// A number (a unix date, a count), or `"-"`: the Loop family never sends `null`.
fn number_or_dash<N: Into<i64>>(value: Option<N>) -> Value {
    value.map_or(json!(UNKNOWN), |n| json!(n.into()))
}

/// The fields every Loop-family payload starts with.
fn common(account: &Account, email: Option<&str>) -> Map<String, Value> {
    let c = &account.crypto;
    let mut m = Map::new();
    m.insert("transaction".into(), json!(UNKNOWN));
    m.insert("networkId".into(), json!(c.network_id));
    m.insert("networkName".into(), json!(c.network_name));
    m.insert("contractAddress".into(), or_dash(c.contract_address.as_deref()));
    m.insert("email".into(), or_dash(email));
    m.insert("company".into(), json!(account.name));
    m.insert("parent".into(), json!(UNKNOWN));
    m
}

fn extend(mut m: Map<String, Value>, fields: Value) -> Map<String, Value> {
    if let Value::Object(fields) = fields {
        m.extend(fields);
    }
    m
}

/// `TransferCreated` or `TransferFinalized` (the same fields).
pub fn transfer(kind: &str, account: &Account, t: &Transfer, now_ms: i64) -> OutboundEvent {
    let c = &account.crypto;
    let fields = json!({
        "id": t.id,
        "invoiceId": t.invoice_id,
        "billDate": number_or_dash(t.bill_date),
        "toAddress": c.treasury_address(),
        "fromAddress": or_dash(t.from_address.as_deref()),
        "tokenSymbol": c.token_symbol,
        "tokenAddress": c.token_address,
        "paymentType": if t.agreement_id.is_some() { "Subscription" } else { "OneTime" },
        "usd": t.currency.eq_ignore_ascii_case("usd"),
        "amount": t.amount,
        "item": or_dash(t.item.as_deref()),
        "itemId": or_dash(t.item_id.as_deref()),
        "source": "Stripe",
        "batchId": or_dash(t.batch_id.as_deref()),
        "transferId": t.id,
        "refId": or_dash(t.ref_id.as_deref()),
        "agreementId": or_dash(t.agreement_id.as_deref()),
        "paymentUrl": or_dash(t.payment_url.as_deref()),
    });
    OutboundEvent::loop_family(kind, extend(common(account, t.email.as_deref()), fields), now_ms)
}

pub fn agreement_signed_up(account: &Account, a: &Agreement, now_ms: i64) -> OutboundEvent {
    let c = &account.crypto;
    let fields = json!({
        "subscriber": a.subscriber,
        "item": or_dash(a.item.as_deref()),
        "itemId": or_dash(a.item_id.as_deref()),
        "agreementId": a.id,
        "agreementAmount": or_dash(a.amount.as_deref()),
        "frequencyNumber": number_or_dash(a.frequency_number),
        "frequencyUnit": or_dash(a.frequency_unit.as_deref()),
        "addOnAgreements": [],
        "addOnItems": [],
        "addOnItemIds": [],
        "addOnTotalAmount": "0",
        "paymentTokenSymbol": c.token_symbol,
        "paymentTokenAddress": c.token_address,
        "eventDate": unix_seconds(now_ms),
        "refId": a.ref_id,
        "metadata": a.metadata,
    });
    OutboundEvent::loop_family("AgreementSignedUp", extend(common(account, a.email.as_deref()), fields), now_ms)
}

pub fn agreement_cancelled(account: &Account, a: &Agreement, now_ms: i64) -> OutboundEvent {
    let fields = json!({
        "entityId": account.id,
        "agreementId": a.id,
        "subscriber": a.subscriber,
        "agreementStartDate": number_or_dash(a.start_date),
        "eventDate": unix_seconds(now_ms),
        "itemId": or_dash(a.item_id.as_deref()),
        "itemName": or_dash(a.item.as_deref()),
        "refId": a.ref_id,
    });
    OutboundEvent::loop_family("AgreementCancelled", extend(common(account, a.email.as_deref()), fields), now_ms)
}

/// The processor's report on a transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessingReport {
    pub success: bool,
    pub transaction: Option<String>,
    pub amount_paid: Option<String>,
    pub reason: Option<String>,
}

pub fn transfer_processed(account: &Account, t: &Transfer, report: &ProcessingReport, now_ms: i64) -> OutboundEvent {
    let c = &account.crypto;
    let mut m = common(account, t.email.as_deref());
    m.insert("transaction".into(), or_dash(report.transaction.as_deref()));
    let fields = json!({
        "transferId": t.id,
        "success": report.success,
        "paymentTokenAddress": c.token_address,
        "paymentTokenSymbol": c.token_symbol,
        "endUser": or_dash(t.from_address.as_deref()),
        "reason": or_dash(report.reason.as_deref()),
        "invoiceId": t.invoice_id,
        "amountPaid": report.amount_paid.clone().unwrap_or_else(|| if report.success { t.amount.clone() } else { "0".to_owned() }),
        "agreementId": or_dash(t.agreement_id.as_deref()),
        "refId": or_dash(t.ref_id.as_deref()),
        "batchId": or_dash(t.batch_id.as_deref()),
        "usdAmount": if t.currency.eq_ignore_ascii_case("usd") { json!(t.amount) } else { json!(UNKNOWN) },
        "eventDate": unix_seconds(now_ms),
    });
    OutboundEvent::loop_family("TransferProcessed", extend(m, fields), now_ms)
}

pub const DEFAULT_LATE_REASON: &str = "Payment not processed by due date";

pub fn late_payment(account: &Account, t: &Transfer, now_ms: i64) -> OutboundEvent {
    let decimals = u32::from(account.crypto.token_decimals);
    // The amount due in the token's base units, an integer: with 18 decimals, 100 tokens is
    // 10^20, past what a JSON value here holds (u64), so it is written into the text below.
    let units = super::money::parse_units(&t.amount, decimals).and_then(|u| u128::try_from(u).ok());
    let fields = json!({
        "subscriber": or_dash(t.from_address.as_deref()),
        "dueDate": number_or_dash(t.due_date),
        "lateReason": t.last_failure_reason.as_deref().unwrap_or(DEFAULT_LATE_REASON),
        "eventDate": unix_seconds(now_ms),
        "agreementId": or_dash(t.agreement_id.as_deref()),
        "refId": or_dash(t.ref_id.as_deref()),
        "transferId": t.id,
        "invoiceId": t.invoice_id,
    });
    let mut m = common(account, t.email.as_deref());
    m.remove("parent");
    if units.is_none() {
        m.insert("amountDue".into(), json!(UNKNOWN));
    }
    let mut event = OutboundEvent::loop_family("LatePayment", extend(m, fields), now_ms);
    if let Some(units) = units {
        // The payload is a JSON object without `amountDue`: add it as the last member.
        if event.payload.ends_with('}') {
            event.payload.pop();
            event.payload.push_str(&format!(",\"amountDue\":{units}}}"));
        }
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::commerce::TransferStatus;

    fn transfer(amount: &str) -> Transfer {
        Transfer {
            invoice_id: "in_1".into(),
            amount: amount.into(),
            currency: "usd".into(),
            ..Transfer::for_test("tr_1", TransferStatus::Open, 0)
        }
    }

    fn payload(event: &OutboundEvent) -> Value {
        serde_json::from_str(&event.payload).unwrap()
    }

    #[test]
    fn amount_due_is_an_exact_integer_of_base_units_at_any_decimals() {
        let mut account = Account::new("Acme", true, 0);
        assert_eq!(payload(&late_payment(&account, &transfer("25.00"), 0))["amountDue"], 25_000_000);
        // 18 decimals: 1234.5 tokens is 1.2345 × 10^21 base units, past u64 and i64.
        account.crypto.token_decimals = 18;
        let event = late_payment(&account, &transfer("1234.50"), 0);
        assert!(event.payload.contains(r#""amountDue":1234500000000000000000}"#), "{}", event.payload);
        assert_eq!(payload(&event)["event"], "LatePayment");
        // An amount the token cannot express is not known.
        account.crypto.token_decimals = 0;
        assert_eq!(payload(&late_payment(&account, &transfer("1.5"), 0))["amountDue"], "-");
    }

    #[test]
    fn unknown_values_are_dashes_never_null() {
        let account = Account::new("Acme", true, 0);
        let agreement = Agreement {
            id: "ag_1".into(),
            stripe_subscription_id: "sub_1".into(),
            stripe_customer_id: None,
            status: crate::domain::commerce::AgreementStatus::Active,
            subscriber: "-".into(),
            email: None,
            item: None,
            item_id: None,
            amount: None,
            frequency_number: None,
            frequency_unit: None,
            ref_id: "-".into(),
            metadata: "{}".into(),
            start_date: None,
            cancelled_at: None,
            created_at: 0,
            created_ms: None,
            version: 1,
        };
        let events = [
            transfer_event(&account),
            late_payment(&account, &transfer("1.00"), 0),
            agreement_signed_up(&account, &agreement, 0),
            agreement_cancelled(&account, &agreement, 0),
        ];
        for event in &events {
            let body = payload(event);
            let nulls: Vec<_> = body.as_object().unwrap().iter().filter(|(_, v)| v.is_null()).collect();
            assert!(nulls.is_empty(), "{}: {nulls:?}", event.kind);
        }
    }

    fn transfer_event(account: &Account) -> OutboundEvent {
        super::transfer("TransferCreated", account, &transfer("1.00"), 0)
    }
}
