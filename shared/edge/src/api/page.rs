//! `GET /checkout/{id}`: the customer's checkout page. No API key; everything that came from a
//! merchant is escaped; a strict Content-Security-Policy, no scripts.

use http::StatusCode;

use loop_adapters::app::App;
use loop_ground::domain::checkout::{session_account, SessionStatus};
use loop_ground::error::ApiError;
use loop_ground::http::{self as h, Response};

fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}}
.card{{border:1px solid #ddd;border-radius:12px;padding:1.5rem}} .amount{{font-size:2rem;font-weight:600}}
dt{{color:#666;font-size:.85rem;margin-top:.8rem}} dd{{margin:0;word-break:break-all}} .status{{font-weight:600}}</style>
</head><body>{body}</body></html>"#,
        title = escape(title),
    );
    h::html(status, html)
}

pub async fn render(app: &App, id: &str) -> Result<Response, ApiError> {
    let not_found = || {
        page(
            StatusCode::NOT_FOUND,
            "Checkout not found",
            "<div class=\"card\"><h1>Checkout not found</h1><p>This checkout link does not exist.</p></div>",
        )
    };
    let Some(account_id) = session_account(id) else { return Ok(not_found()) };
    let (Some(session), Some(account)) = app.store.get_session_and_account(&account_id, id).await? else {
        return Ok(not_found());
    };
    let link = app.store.get_payment_link(&account_id, &session.payment_link_id).await?;
    // A link that sells a catalogue item shows the item as the catalogue names it now; the
    // link's own name is the merchant's label, shown for links with an amount of their own.
    let item_name = match link.as_ref().and_then(|l| l.item_id.as_deref()) {
        Some(item_id) => app.store.get_item(&account_id, item_id).await?.and_then(|(_, product)| product?.name),
        None => None,
    };
    let crypto = &account.crypto;
    let item = item_name.as_deref().or(link.as_ref().map(|l| l.name.as_str())).unwrap_or("Payment");
    let treasury = crypto.treasury_address();
    let (status_text, instructions) = match session.status {
        SessionStatus::Open => (
            "Awaiting payment",
            format!(
                "<dt>Send</dt><dd id=\"pay-amount\">{amount} {token}</dd><dt>On network</dt><dd id=\"network\">{network} ({network_id})</dd><dt>To address</dt><dd id=\"treasury\">{treasury}</dd>",
                amount = escape(&session.amount),
                token = escape(&crypto.token_symbol),
                network = escape(&crypto.network_name),
                network_id = crypto.network_id,
                treasury = escape(treasury),
            ),
        ),
        SessionStatus::Completed => ("Paid — thank you", String::from("<p>This checkout is complete. No further payment is needed.</p>")),
        SessionStatus::Failed => ("Payment failed", String::from("<p>This checkout has failed. Please ask the merchant for a new link.</p>")),
        SessionStatus::Expired => ("Expired", String::from("<p>This checkout has expired. Please ask the merchant for a new link.</p>")),
    };
    let body = format!(
        r#"<div class="card"><p id="merchant">{merchant}</p><h1 id="item">{item}</h1>
<p class="amount"><span id="amount">{amount}</span> <span id="token">{currency}</span></p>
<p>Status: <span class="status" id="status" data-status="{status}">{status_text}</span></p>
<dl>{instructions}<dt>Expires</dt><dd>{expires}</dd></dl></div>"#,
        merchant = escape(&account.name),
        item = escape(item),
        amount = escape(&session.amount),
        currency = escape(&session.currency),
        status = session.status.as_str(),
        expires = loop_ground::clock::rfc3339_from_unix(session.expires_at),
    );
    Ok(page(StatusCode::OK, &format!("Pay {} — {}", account.name, item), &body))
}

/// `GET /pay/{payToken}`: a transfer request's page.
pub async fn render_pay_token(app: &App, token: &str) -> Result<Response, ApiError> {
    let not_found = || {
        page(
            StatusCode::NOT_FOUND,
            "Payment not found",
            "<div class=\"card\"><h1>Payment not found</h1><p>This payment link does not exist.</p></div>",
        )
    };
    let Ok((account_id, transfer_id)) = super::payments::transfer_of(app, token).await else { return Ok(not_found()) };
    let (Some(account), Some(transfer)) =
        (app.store.get_account(&account_id).await?, app.store.get_transfer(&account_id, &transfer_id).await?)
    else {
        return Ok(not_found());
    };
    let crypto = &account.crypto;
    let status = match transfer.status {
        loop_ground::domain::commerce::TransferStatus::Processed => "processed",
        _ => "open",
    };
    let body = format!(
        r#"<div class="card"><p id="merchant">{merchant}</p><h1 id="item">{item}</h1>
<p class="amount"><span id="amount">{amount}</span> <span id="token">{token}</span></p>
<p>Status: <span class="status" id="status" data-status="{status}">{status}</span></p>
<dl><dt>On network</dt><dd id="network">{network} ({network_id})</dd><dt>To address</dt><dd id="treasury">{treasury}</dd></dl></div>"#,
        merchant = escape(&account.name),
        item = escape(transfer.item.as_deref().unwrap_or("Invoice")),
        amount = escape(&transfer.amount),
        token = escape(&crypto.token_symbol),
        network = escape(&crypto.network_name),
        network_id = crypto.network_id,
        treasury = escape(crypto.treasury_address()),
    );
    Ok(page(StatusCode::OK, &format!("Pay {}", account.name), &body))
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_from_merchants_is_escaped() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'q'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;"
        );
    }
}
