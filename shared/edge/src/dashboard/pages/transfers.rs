//! The Transfers page: the account's transfers (one per Stripe invoice) and agreements (one per
//! Stripe subscription), read through `/v1/transfers` and `/v1/agreements` and paged as they
//! page, each transfer with its due date, its payment on chain, and its pay page.

use maud::{html, Markup};
use serde_json::{json, Value};

use super::{next_link, rows, status_filter_form, text, Ctx, PageResult, PAGE_SIZE};
use crate::dashboard::enc;
use crate::dashboard::view::time;

/// The statuses `/v1/transfers?status=` takes.
const TRANSFER_STATUSES: [&str; 5] = ["draft", "open", "finalized", "failed", "processed"];

pub(in crate::dashboard) async fn page(ctx: &Ctx<'_>) -> PageResult {
    let status_filter = ctx.query("status");
    let mut transfers_path = format!("/v1/transfers?limit={PAGE_SIZE}");
    if let Some(status) = &status_filter {
        transfers_path.push_str(&format!("&status={}", enc(status)));
    }
    if let Some(after) = ctx.query("startingAfter") {
        transfers_path.push_str(&format!("&startingAfter={}", enc(&after)));
    }
    let mut agreements_path = format!("/v1/agreements?limit={PAGE_SIZE}");
    if let Some(after) = ctx.query("agreementsAfter") {
        agreements_path.push_str(&format!("&startingAfter={}", enc(&after)));
    }
    let transfers = ctx.get(&transfers_path).await?;
    let agreements = ctx.get(&agreements_path).await?;
    let crypto = &ctx.session.caller.account.crypto;
    let network = |id: &Value| match id.as_u64() {
        Some(id) if id == crypto.network_id => format!("{} ({id})", crypto.network_name),
        Some(id) => format!("network {id}"),
        None => String::new(),
    };
    let next_agreements = agreements["nextStartingAfter"]
        .as_str()
        .filter(|_| agreements["hasMore"] == json!(true))
        .map(|next| format!("/dashboard/transfers?agreementsAfter={}", enc(next)));
    Ok(ctx.page(
        "Transfers",
        html! {
            h1 { "Transfers" }
            section.card {
                h2 { "Transfers" }
                (status_filter_form("transfer-filter", "/dashboard/transfers", &TRANSFER_STATUSES, status_filter.as_deref()))
                @if rows(&transfers).is_empty() {
                    @if status_filter.is_some() {
                        p #no-transfers { "No transfers with this status. " a href="/dashboard/transfers" { "Show all" } }
                    } @else {
                        (empty_transfers(&ctx.stripe_webhook_url()))
                    }
                } @else {
                    table #transfers {
                        thead { tr { th { "Transfer" } th { "Status" } th { "Amount" } th { "Customer" } th { "Due" } th { "Payment" } th {} } }
                        tbody {
                            @for t in rows(&transfers) {
                                tr data-id=(text(&t["id"])) {
                                    td { code { (text(&t["id"])) } br; small.muted { (text(&t["invoiceId"])) } }
                                    td {
                                        span class={ "status-" (text(&t["status"])) } { (text(&t["status"])) }
                                        @if let Some(reason) = t["lastFailureReason"].as_str() { br; small.muted { (reason) } }
                                    }
                                    td { (text(&t["amount"])) " " (text(&t["tokenSymbol"])) }
                                    td { (text(&t["email"])) @if let Some(item) = t["item"].as_str() { br; small.muted { (item) } } }
                                    td { @if let Some(due) = t["dueDate"].as_str() { (time(due)) } }
                                    td.payment {
                                        @if let Some(tx) = t["payment"]["transactionHash"].as_str() {
                                            code.tx { (tx) } br; small.muted { (network(&t["payment"]["networkId"])) }
                                        } @else if let Some(tx) = t["transaction"].as_str() {
                                            code.tx { (tx) }
                                        } @else {
                                            span.muted { "not paid" }
                                        }
                                    }
                                    td { @if let Some(url) = t["paymentUrl"].as_str() { a.pay href=(url) { "Pay page" } } }
                                }
                            }
                        }
                    }
                    (next_link("/dashboard/transfers", &transfers, &[("status", status_filter.clone())]))
                }
            }
            section.card {
                h2 { "Agreements" }
                @if rows(&agreements).is_empty() {
                    p #no-agreements { "No agreements yet. A Stripe subscription becomes an agreement, and each of its invoices a transfer." }
                } @else {
                    table #agreements {
                        thead { tr { th { "Agreement" } th { "Status" } th { "Subscriber" } th { "Item" } th { "Amount" } th { "Started" } } }
                        tbody {
                            @for a in rows(&agreements) {
                                tr data-id=(text(&a["id"])) {
                                    td { code { (text(&a["id"])) } br; small.muted { (text(&a["stripeSubscriptionId"])) } }
                                    td { span class={ "status-" (text(&a["status"])) } { (text(&a["status"])) } }
                                    td { (text(&a["email"])) br; small.muted { code { (text(&a["subscriber"])) } } }
                                    td { (text(&a["item"])) }
                                    td {
                                        (text(&a["amount"]))
                                        @if let (Some(n), Some(unit)) = (a["frequencyNumber"].as_u64(), a["frequencyUnit"].as_str()) { " every " (n) " " (unit) }
                                    }
                                    td { @if let Some(at) = a["startDate"].as_str() { (time(at)) } }
                                }
                            }
                        }
                    }
                    @if let Some(href) = next_agreements { p { a.next href=(href) { "More agreements →" } } }
                }
            }
        },
    ))
}

/// What to do when there is no transfer yet: they come from Stripe invoices.
fn empty_transfers(stripe_url: &str) -> Markup {
    html! {
        div #no-transfers {
            p { "No transfers yet. Each Stripe invoice becomes a transfer here (" code { "invoice.created" } ", " code { "invoice.finalized" } "), with a pay page for the customer, and its payment once it lands on chain." }
            p { "Send Stripe's invoice and subscription events to " code { (stripe_url) } " (Stripe → Developers → Webhooks), then create an invoice in Stripe (or run " code { "stripe trigger invoice.finalized" } ")." }
        }
    }
}
