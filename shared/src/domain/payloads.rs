//! The Loop family of outbound payloads (`webhooks.md`): flat objects, unix-second dates,
//! decimal-string amounts, `"-"` for anything not known.

use serde_json::{json, Map, Value};

use super::account::Account;
use super::commerce::{Agreement, Transfer};
use super::outbound::OutboundEvent;

const UNKNOWN: &str = "-";

fn or_dash(value: Option<&str>) -> Value {
    json!(value.filter(|v| !v.is_empty()).unwrap_or(UNKNOWN))
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
pub fn transfer(kind: &str, account: &Account, t: &Transfer, now: i64) -> OutboundEvent {
    let c = &account.crypto;
    let fields = json!({
        "id": t.id,
        "invoiceId": t.invoice_id,
        "billDate": t.bill_date,
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
    });
    OutboundEvent::loop_family(kind, extend(common(account, t.email.as_deref()), fields), now)
}

pub fn agreement_signed_up(account: &Account, a: &Agreement, now: i64) -> OutboundEvent {
    let c = &account.crypto;
    let fields = json!({
        "subscriber": a.subscriber,
        "item": or_dash(a.item.as_deref()),
        "itemId": or_dash(a.item_id.as_deref()),
        "agreementId": a.id,
        "agreementAmount": or_dash(a.amount.as_deref()),
        "frequencyNumber": a.frequency_number,
        "frequencyUnit": or_dash(a.frequency_unit.as_deref()),
        "addOnAgreements": [],
        "addOnItems": [],
        "addOnItemIds": [],
        "addOnTotalAmount": "0",
        "paymentTokenSymbol": c.token_symbol,
        "paymentTokenAddress": c.token_address,
        "eventDate": now,
        "refId": a.ref_id,
        "metadata": a.metadata,
    });
    OutboundEvent::loop_family("AgreementSignedUp", extend(common(account, a.email.as_deref()), fields), now)
}

pub fn agreement_cancelled(account: &Account, a: &Agreement, now: i64) -> OutboundEvent {
    let fields = json!({
        "entityId": account.id,
        "agreementId": a.id,
        "subscriber": a.subscriber,
        "agreementStartDate": a.start_date,
        "eventDate": now,
        "itemId": or_dash(a.item_id.as_deref()),
        "itemName": or_dash(a.item.as_deref()),
        "refId": a.ref_id,
    });
    OutboundEvent::loop_family("AgreementCancelled", extend(common(account, a.email.as_deref()), fields), now)
}
