//! The hosted payment page (`payments.md`, "The hosted page"): `GET /checkout/{id}` for a
//! checkout session, `GET /pay/{payToken}` for a transfer request. No API key; everything that
//! came from a merchant is escaped; a strict Content-Security-Policy whose only script and
//! stylesheet carry a fresh nonce.
//!
//! - this module — the loaders: the session or transfer and its account, read into a [`PayPage`].
//! - [`view`] — the page as a pure function of a [`PayPage`] and a nonce ([`view::render`]), and
//!   [`not_found`].
//! - [`qr`] — the QR code of the EIP-681 payment request, as inline SVG.
//! - `script.js`, `style.css` — inlined under the nonce.

mod qr;
pub mod view;

pub use view::{card_page, new_nonce, not_found, Notice, PageStatus, PayPage};

use loop_adapters::app::App;
use loop_ground::domain::checkout::session_account;
use loop_ground::domain::commerce::PayState;
use loop_ground::error::ApiError;
use loop_ground::http::Response;

/// `GET /checkout/{id}`: the session's page, or the `404` page.
pub async fn render(app: &App, id: &str) -> Result<Response, ApiError> {
    checkout_page(app, id, None).await
}

/// `GET /pay/{payToken}`: the transfer request's page, or the `404` page.
pub async fn render_pay_token(app: &App, token: &str) -> Result<Response, ApiError> {
    transfer_page(app, token, None).await
}

/// A session's page, with the answer to a hash form posted without JavaScript, if any.
pub async fn checkout_page(app: &App, id: &str, notice: Option<Notice<'_>>) -> Result<Response, ApiError> {
    let Some(account_id) = session_account(id) else { return Ok(not_found("Checkout")) };
    let (Some(session), Some(account)) = app.store.get_session_and_account(&account_id, id).await? else {
        return Ok(not_found("Checkout"));
    };
    let link = app.store.get_payment_link(&account_id, &session.payment_link_id).await?;
    // A link that sells a catalogue item shows the item as the catalogue names it now; the
    // link's own name is the merchant's label, shown for links with an amount of their own.
    let item_name = match link.as_ref().and_then(|l| l.item_id.as_deref()) {
        Some(item_id) => app.store.get_item(&account_id, item_id).await?.and_then(|(_, product)| product?.name),
        None => None,
    };
    let item = item_name.as_deref().or(link.as_ref().map(|l| l.name.as_str())).unwrap_or("Payment");
    let submit_path = format!("/checkout/{id}/payments");
    let status_path = format!("/checkout/{id}/status");
    let page = PayPage {
        merchant: &account.name,
        item,
        amount: &session.amount,
        currency: &session.currency,
        status: session.status.into(),
        crypto: &account.crypto,
        payment: session.payment.as_ref(),
        failure_reason: session.failure_reason.as_deref(),
        expires_at: Some(session.expires_at),
        submit_path: &submit_path,
        status_path: &status_path,
        verification_available: app.config.chains.get(account.crypto.network_id).is_some(),
        notice,
    };
    Ok(view::render(&page, &new_nonce()))
}

/// A transfer request's page (a Stripe invoice), with the answer to a form post, if any. Its
/// status reads as the status route says it: paid once processed, failed once paid too little,
/// open otherwise (a transfer has no expiry).
pub async fn transfer_page(app: &App, token: &str, notice: Option<Notice<'_>>) -> Result<Response, ApiError> {
    let not_found = || not_found("Payment page");
    let Ok((account_id, transfer_id)) = super::payments::transfer_of(app, token).await else { return Ok(not_found()) };
    let (Some(account), Some(transfer)) =
        (app.store.get_account(&account_id).await?, app.store.get_transfer(&account_id, &transfer_id).await?)
    else {
        return Ok(not_found());
    };
    let status = match transfer.pay_state() {
        PayState::Processed => PageStatus::Paid,
        PayState::Failed => PageStatus::Failed,
        PayState::Open => PageStatus::Open,
    };
    let currency = if transfer.token_symbol.is_empty() { &account.crypto.token_symbol } else { &transfer.token_symbol };
    let submit_path = format!("/pay/{token}/payments");
    let status_path = format!("/pay/{token}/status");
    let page = PayPage {
        merchant: &account.name,
        item: transfer.item.as_deref().unwrap_or("Invoice"),
        amount: &transfer.amount,
        currency,
        status,
        crypto: &account.crypto,
        payment: transfer.payment.as_ref(),
        failure_reason: transfer.last_failure_reason.as_deref().filter(|_| status == PageStatus::Failed),
        expires_at: None,
        submit_path: &submit_path,
        status_path: &status_path,
        verification_available: app.config.chains.get(account.crypto.network_id).is_some(),
        notice,
    };
    Ok(view::render(&page, &new_nonce()))
}
