//! The hosted payment page (`payments.md`, "The hosted page"): `GET /checkout/{id}` here, and
//! the same page for a transfer request. No API key; everything that came from a merchant is
//! escaped; a strict Content-Security-Policy whose only script carries a fresh nonce.
//!
//! - [`view`] — the page as a pure function of [`PayPage`] and a nonce: [`view::render`],
//!   [`not_found`].
//! - [`qr`] — the QR code of the EIP-681 payment request, as inline SVG.
//! - `script.js`, `style.css` — inlined under the nonce.

mod qr;
pub mod view;

// `Notice` and `PageStatus` are for the payment routes (the hash form's answer, a confirming
// submission): allowed unused until those routes use them.
#[allow(unused_imports)]
pub use view::{new_nonce, not_found, Notice, PageStatus, PayPage};

use loop_adapters::app::App;
use loop_ground::domain::checkout::session_account;
use loop_ground::error::ApiError;
use loop_ground::http::Response;

/// `GET /checkout/{id}`: the session's page, or the `404` page.
pub async fn render(app: &App, id: &str) -> Result<Response, ApiError> {
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
        notice: None,
    };
    Ok(view::render(&page, &new_nonce()))
}
