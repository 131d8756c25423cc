//! The hosted payment page as a pure function of a view model ([`PayPage`]) and a nonce: HTML
//! from compile-time templates (maud escapes every value that came from a merchant), the QR code
//! of the EIP-681 request drawn here ([`super::qr`]), and one inline script under the nonce of
//! this response's Content-Security-Policy (`script.js`: the wallet button, the hash form
//! without a reload, the live status). Everything but the wallet button works without
//! JavaScript: the hash form posts normally and the answer is this page with a [`Notice`].

use http::StatusCode;
use maud::{html, Markup, PreEscaped, DOCTYPE};

use loop_chain::{amount_to_base_units, payment_request_uri, Address, U256};
use loop_ground::clock::rfc3339_from_unix;
use loop_ground::domain::account::CryptoSettings;
use loop_ground::domain::checkout::SessionStatus;
use loop_ground::domain::payment::ChainPayment;
use loop_ground::http::{html_with_csp, Response};
use loop_ground::ids::random_token;

use super::qr;

/// The page's script (no `</script` inside: a test checks).
const SCRIPT: &str = include_str!("script.js");
const STYLE: &str = include_str!("style.css");

/// How many random characters a nonce has: 22 × 5 = 110 bits.
const NONCE_LEN: usize = 22;

/// Where a payment stands, as the page shows it (`data-status` on `#status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageStatus {
    /// Nothing paid yet: the page offers the payment.
    Open,
    /// A submitted transaction waits for its confirmations.
    Confirming,
    Paid,
    Failed,
    Expired,
}

impl PageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PageStatus::Open => "open",
            PageStatus::Confirming => "confirming",
            PageStatus::Paid => "paid",
            PageStatus::Failed => "failed",
            PageStatus::Expired => "expired",
        }
    }

    /// The words `#status` shows (`script.js` has the same).
    fn text(self) -> &'static str {
        match self {
            PageStatus::Open => "Awaiting payment",
            PageStatus::Confirming => "Confirming",
            PageStatus::Paid => "Paid",
            PageStatus::Failed => "Failed",
            PageStatus::Expired => "Expired",
        }
    }

    /// Open or confirming: the page keeps polling and may still take a payment.
    pub fn is_live(self) -> bool {
        matches!(self, PageStatus::Open | PageStatus::Confirming)
    }
}

impl From<SessionStatus> for PageStatus {
    fn from(status: SessionStatus) -> Self {
        match status {
            SessionStatus::Open => PageStatus::Open,
            SessionStatus::Completed => PageStatus::Paid,
            SessionStatus::Failed => PageStatus::Failed,
            SessionStatus::Expired => PageStatus::Expired,
        }
    }
}

/// The answer to the hash form posted without JavaScript, shown above the payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice<'a> {
    /// The transaction was taken and waits for confirmations (the route's `202`).
    Confirming,
    /// Refused (the route's `4xx`/`503`): the API error's code and message.
    Error { code: &'a str, message: &'a str },
}

/// Everything the page shows: borrowed from the session (or transfer) and its account.
#[derive(Clone, Copy, Debug)]
pub struct PayPage<'a> {
    pub merchant: &'a str,
    pub item: &'a str,
    /// A decimal string, as the API shows it (`"42.50"`).
    pub amount: &'a str,
    pub currency: &'a str,
    pub status: PageStatus,
    /// Network, token and treasury (`treasury_address()` on the current network).
    pub crypto: &'a CryptoSettings,
    /// The transaction that paid (or paid too little): shown once paid or failed.
    pub payment: Option<&'a ChainPayment>,
    pub failure_reason: Option<&'a str>,
    /// Unix seconds.
    pub expires_at: Option<i64>,
    /// Where the hash goes (`POST`, JSON from the script, a form without it).
    pub submit_path: &'a str,
    /// What the script polls (`GET`, JSON `{"status", "payment"?}`).
    pub status_path: &'a str,
    /// False when the account's network is not in `LOOP_CHAINS`: no wallet button, no form.
    pub verification_available: bool,
    pub notice: Option<Notice<'a>>,
}

/// What a customer needs to pay, when the account's settings make a payment possible.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Request {
    token: Address,
    treasury: Address,
    base_units: U256,
    uri: String,
}

impl PayPage<'_> {
    /// The payment request, or why there is none (a treasury not set on this network, a token
    /// address or an amount the token cannot carry).
    fn request(&self) -> Result<Request, &'static str> {
        let c = self.crypto;
        let treasury = c.treasury_address().parse::<Address>().map_err(|_| {
            "The merchant has not set a treasury address on this network yet, so this payment cannot be made."
        })?;
        let token =
            c.token_address.parse::<Address>().map_err(|_| "The merchant's token contract address is not valid.")?;
        let base_units = amount_to_base_units(self.amount, c.token_decimals)
            .map_err(|_| "This amount cannot be paid in the merchant's token.")?;
        let uri = payment_request_uri(token, c.network_id, treasury, base_units);
        Ok(Request { token, treasury, base_units, uri })
    }
}

/// A fresh nonce for one response's script and style.
pub fn new_nonce() -> String {
    random_token(NONCE_LEN)
}

/// The policy of a page whose only script and stylesheet carry `nonce`.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; img-src data:; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// The page, `200`, under a policy that allows only this nonce's script and style.
pub fn render(page: &PayPage, nonce: &str) -> Response {
    html_with_csp(StatusCode::OK, markup(page, nonce).into_string(), &content_security_policy(nonce))
}

/// The `404` page of an id or token that opens nothing; `title_kind` names what was looked
/// for (`"Checkout"`, `"Payment page"`).
pub fn not_found(title_kind: &str) -> Response {
    card_page(
        StatusCode::NOT_FOUND,
        &format!("{title_kind} not found"),
        html! { p { "This link does not exist. Please ask the merchant for a new one." } },
    )
}

/// A page of one card with a title, in the pay page's look and under its policy (a fresh nonce).
pub fn card_page(status: StatusCode, title: &str, body: Markup) -> Response {
    let nonce = new_nonce();
    let page = layout(title, &nonce, html! { main.card { h1 { (title) } (body) } });
    html_with_csp(status, page.into_string(), &content_security_policy(&nonce))
}

fn layout(title: &str, nonce: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) }
                style nonce=(nonce) { (PreEscaped(STYLE)) }
            }
            body { (body) }
        }
    }
}

fn markup(page: &PayPage, nonce: &str) -> Markup {
    // A transaction just taken (the form's answer) is confirming, whatever the record says yet.
    let status = match (page.status, page.notice) {
        (PageStatus::Open, Some(Notice::Confirming)) => PageStatus::Confirming,
        (status, _) => status,
    };
    let request = page.request();
    let title = format!("Pay {} — {}", page.merchant, page.item);
    let status_text = match (status, page.failure_reason) {
        (PageStatus::Failed, Some(reason)) => format!("Failed ({reason})"),
        _ => status.text().to_owned(),
    };
    let body = html! {
        main #page .card data-status-path=(page.status_path) data-live[status.is_live()] {
            p #merchant { (page.merchant) }
            h1 #item { (page.item) }
            p.amount { span #amount { (page.amount) } " " span #token { (page.currency) } }
            p {
                "Status: "
                span #status .status data-status=(status.as_str()) role="status" aria-live="polite" { (status_text) }
            }
            (notice(page.notice))
            p #payment hidden[page.payment.is_none()] {
                "Transaction: " code #payment-tx { @if let Some(p) = page.payment { (p.transaction_hash) } }
                @if let Some(p) = page.payment {
                    br;
                    span #amount-paid { "Received " (p.amount_paid) " " (page.currency) " from " code { (p.from) } }
                }
            }
            @match status {
                PageStatus::Paid => p { "This payment is complete. No further payment is needed." },
                PageStatus::Failed => p { "This payment has failed. Please ask the merchant for a new link." },
                PageStatus::Expired => p { "This payment has expired. Please ask the merchant for a new link." },
                PageStatus::Open | PageStatus::Confirming => (offer(page, status, &request)),
            }
        }
        @if status.is_live() {
            script nonce=(nonce) { (PreEscaped(SCRIPT)) }
        }
    };
    layout(&title, nonce, body)
}

fn notice(notice: Option<Notice>) -> Markup {
    match notice {
        None => html! { div #notice .notice role="alert" hidden {} },
        Some(Notice::Confirming) => html! {
            div #notice .notice .info role="alert" data-kind="confirming" {
                "Transaction received: waiting for its confirmations. This page shows the payment once it is confirmed (without JavaScript, reload it in a minute)."
            }
        },
        Some(Notice::Error { code, message }) => html! {
            div #notice .notice .error role="alert" data-kind="error" data-code=(code) {
                "The transaction was not accepted: " (message) " (" code { (code) } ")"
            }
        },
    }
}

/// How to pay an open (or confirming) payment: the request, where to send it, the wallet button
/// and the hash form.
fn offer(page: &PayPage, status: PageStatus, request: &Result<Request, &str>) -> Markup {
    let c = page.crypto;
    let open = status == PageStatus::Open;
    html! {
        @if !page.verification_available {
            p #verification-unavailable .notice .info {
                "On-chain verification is not available for " (c.network_name) " (network " (c.network_id)
                ") yet: Loop cannot confirm a payment by itself, so the merchant confirms it."
            }
        }
        @match request {
            Err(why) => p #not-payable .notice .error { (why) },
            Ok(r) => {
                section #pay
                    data-chain-id=(c.network_id)
                    data-network=(c.network_name)
                    data-token=(r.token.to_checksum(None))
                    data-treasury=(r.treasury.to_checksum(None))
                    data-amount=(r.base_units.to_string())
                    data-submit=(page.submit_path) {
                    // Hidden while a transaction is confirming (a second payment would be one too many).
                    div #pay-options hidden[!open] {
                        div #qr .qr data-eip681=(r.uri) role="img" aria-label="QR code of the payment request" {
                            (PreEscaped(qr::svg(&r.uri)))
                        }
                        p.actions {
                            a #open-in-wallet .button href=(r.uri) { "Open in wallet" }
                            @if page.verification_available {
                                " "
                                button #pay-with-wallet .button type="button" hidden { "Pay with wallet" }
                            }
                        }
                    }
                    dl {
                        dt { "Send" }
                        dd #pay-amount { (page.amount) " " (c.token_symbol) }
                        dt { "On network" }
                        dd #network { (c.network_name) " (" (c.network_id) ")" }
                        dt { "To address" }
                        dd { code #treasury { (r.treasury.to_checksum(None)) } " " (copy_button("treasury")) }
                        dt { "Token contract (" (c.token_symbol) ")" }
                        dd { code #token-address { (r.token.to_checksum(None)) } " " (copy_button("token-address")) }
                        @if let Some(expires_at) = page.expires_at {
                            dt { "Expires" }
                            dd #expires { time datetime=(rfc3339_from_unix(expires_at)) { (rfc3339_from_unix(expires_at)) } }
                        }
                    }
                    @if page.verification_available {
                        form #tx-form method="post" action=(page.submit_path) {
                            label for="tx-hash" { "Already paid? Paste the transaction hash" }
                            div.row {
                                input #tx-hash name="transactionHash" type="text" required
                                    pattern="0x[0-9a-fA-F]{64}" maxlength="66" autocomplete="off" spellcheck="false"
                                    placeholder="0x…" inputmode="text";
                                button.button type="submit" { "Submit" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Copies the text of `#target`; shown by the script where the clipboard is available.
fn copy_button(target: &str) -> Markup {
    html! { button.copy type="button" data-copy=(target) hidden { "Copy" } }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    const TOKEN: &str = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    const TREASURY: &str = "0xa0ee7a142d267c1f36714e4a8f75612f20a79720";
    const HASH: &str = "0x8a3c0d5e0a7b7d0e2f1c9b4a6e3d2c1b0a9f8e7d6c5b4a3928170615243a5b6c";

    fn crypto() -> CryptoSettings {
        CryptoSettings {
            network_id: 31337,
            network_name: "Anvil".to_owned(),
            contract_address: None,
            token_symbol: "USDC".to_owned(),
            token_address: TOKEN.to_owned(),
            token_decimals: 6,
            treasury_addresses: BTreeMap::from([("31337".to_owned(), TREASURY.to_owned())]),
        }
    }

    fn payment() -> ChainPayment {
        ChainPayment {
            transaction_hash: HASH.to_owned(),
            log_index: 0,
            from: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8".to_owned(),
            amount_paid: "42.50".to_owned(),
            block_number: 7,
            network_id: 31337,
            confirmed_at: 1_736_937_000,
        }
    }

    fn page(crypto: &CryptoSettings) -> PayPage<'_> {
        PayPage {
            merchant: "Acme",
            item: "Gold",
            amount: "42.50",
            currency: "USDC",
            status: PageStatus::Open,
            crypto,
            payment: None,
            failure_reason: None,
            expires_at: Some(1_736_937_000),
            submit_path: "/checkout/cs_1/payments",
            status_path: "/checkout/cs_1/status",
            verification_available: true,
            notice: None,
        }
    }

    fn html_of(page: &PayPage) -> String {
        markup(page, "n0nce").into_string()
    }

    /// The value of the first `name="…"` attribute after `anchor`, unescaped.
    fn attribute(html: &str, anchor: &str, name: &str) -> String {
        let from = html.find(anchor).unwrap_or_else(|| panic!("no {anchor} in {html}"));
        let rest = &html[from..];
        let start = rest.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        let value = &rest[start..start + rest[start..].find('"').unwrap()];
        value.replace("&amp;", "&").replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">")
    }

    #[test]
    fn markup_from_merchants_is_shown_as_text() {
        let crypto = crypto();
        let mut p = page(&crypto);
        p.merchant = r#"<script>alert("x")</script> & 'q'"#;
        p.item = "<img src=x onerror=alert(1)>Gold";
        let html = html_of(&p);
        assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 'q'"), "{html}");
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;Gold"));
        assert!(!html.contains("<img"));
        assert_eq!(html.matches("<script").count(), 1, "only the page's own script");
    }

    #[test]
    fn the_qr_code_carries_the_eip681_request_of_the_payment() {
        let crypto = crypto();
        let html = html_of(&page(&crypto));
        let expected = payment_request_uri(
            TOKEN.parse().unwrap(),
            31337,
            TREASURY.parse().unwrap(),
            amount_to_base_units("42.50", 6).unwrap(),
        );
        assert_eq!(
            expected,
            "ethereum:0x5FbDB2315678afecb367f032d93F642f64180aa3@31337/transfer?address=0xa0Ee7A142d267C1f36714E4a8F75612F20a79720&uint256=42500000"
        );
        assert_eq!(attribute(&html, "id=\"qr\"", "data-eip681"), expected);
        assert_eq!(attribute(&html, "id=\"open-in-wallet\"", "href"), expected);
        let qr_at = html.find("id=\"qr\"").unwrap();
        assert!(html[qr_at..].find("<svg").unwrap() < 400, "the svg is inside #qr: {}", &html[qr_at..qr_at + 400]);
        // What the wallet button sends: the token, the treasury and the base units.
        assert_eq!(attribute(&html, "id=\"pay\"", "data-token"), TOKEN);
        assert_eq!(attribute(&html, "id=\"pay\"", "data-treasury"), "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720");
        assert_eq!(attribute(&html, "id=\"pay\"", "data-amount"), "42500000");
        assert_eq!(attribute(&html, "id=\"pay\"", "data-chain-id"), "31337");
        assert_eq!(attribute(&html, "id=\"pay\"", "data-submit"), "/checkout/cs_1/payments");
        assert_eq!(attribute(&html, "id=\"page\"", "data-status-path"), "/checkout/cs_1/status");
    }

    #[test]
    fn an_open_page_offers_the_wallet_the_form_and_both_addresses_to_copy() {
        let crypto = crypto();
        let html = html_of(&page(&crypto));
        assert!(html.contains(r#"data-status="open""#));
        assert!(html.contains(">Awaiting payment<"));
        assert!(html.contains(r#"<code id="treasury">0xa0Ee7A142d267C1f36714E4a8F75612F20a79720</code>"#), "{html}");
        assert!(html.contains(&format!(r#"<code id="token-address">{TOKEN}</code>"#)));
        assert!(html.contains(r#"data-copy="treasury""#) && html.contains(r#"data-copy="token-address""#));
        assert!(html.contains(r#"<button class="button" id="pay-with-wallet" type="button" hidden>"#), "{html}");
        assert_eq!(attribute(&html, "id=\"tx-form\"", "action"), "/checkout/cs_1/payments");
        assert_eq!(attribute(&html, "id=\"tx-form\"", "method"), "post");
        assert!(html.contains(r#"name="transactionHash""#) && html.contains("id=\"tx-hash\""));
        assert!(html.contains("Already paid? Paste the transaction hash"));
        assert!(html.contains("Anvil (31337)"));
        assert!(html.contains("2025-01-15T10:30:00Z"));
        assert!(html.contains(r#"<code id="payment-tx"></code>"#), "an empty slot for the script: {html}");
    }

    #[test]
    fn a_finished_payment_offers_no_payment() {
        let crypto = crypto();
        let paid = payment();
        for (status, words) in [
            (PageStatus::Paid, ">Paid<"),
            (PageStatus::Failed, ">Failed (underpaid)<"),
            (PageStatus::Expired, ">Expired<"),
        ] {
            let mut p = page(&crypto);
            p.status = status;
            if status != PageStatus::Expired {
                p.payment = Some(&paid);
            }
            if status == PageStatus::Failed {
                p.failure_reason = Some("underpaid");
            }
            let html = html_of(&p);
            assert!(html.contains(&format!("data-status=\"{}\"", status.as_str())));
            assert!(html.contains(words), "{html}");
            for offer in [
                "id=\"qr\"",
                "ethereum:",
                "pay-with-wallet",
                "tx-form",
                "tx-hash",
                "<form",
                "<script",
                "id=\"treasury\"",
            ] {
                assert!(!html.contains(offer), "{status:?} still offers {offer}: {html}");
            }
            if status != PageStatus::Expired {
                assert!(html.contains(&format!(r#"<code id="payment-tx">{HASH}</code>"#)), "{html}");
            }
        }
    }

    #[test]
    fn a_confirming_payment_hides_the_request_but_keeps_the_form() {
        let crypto = crypto();
        let mut p = page(&crypto);
        p.status = PageStatus::Confirming;
        let html = html_of(&p);
        assert!(html.contains(r#"data-status="confirming""#) && html.contains(">Confirming<"));
        assert!(html.contains(r#"<div id="pay-options" hidden>"#), "{html}");
        assert!(html.contains("id=\"tx-form\""));
        assert!(html.contains("<script"), "the script polls until it is confirmed");
    }

    #[test]
    fn notices_answer_a_form_posted_without_javascript() {
        let crypto = crypto();
        let mut p = page(&crypto);
        p.notice = Some(Notice::Confirming);
        let html = html_of(&p);
        assert!(html.contains(r#"data-kind="confirming""#) && html.contains("waiting for its confirmations"));
        assert!(html.contains(r#"data-status="confirming""#), "a taken transaction is confirming: {html}");
        assert!(html.contains(r#"<div id="pay-options" hidden>"#));
        p.notice = Some(Notice::Error { code: "payment_mismatch", message: "no <Transfer> to the treasury" });
        let html = html_of(&p);
        assert!(html.contains(r#"data-code="payment_mismatch""#), "{html}");
        assert!(html.contains("no &lt;Transfer&gt; to the treasury"));
        assert!(html.contains(r#"data-status="open""#));
        assert!(html.contains("id=\"tx-form\""), "the form stays for another try");
    }

    #[test]
    fn the_nonce_is_in_the_policy_and_on_the_only_script_and_style() {
        let crypto = crypto();
        let response = render(&page(&crypto), "abc123");
        let csp = response.headers()[http::header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("script-src 'nonce-abc123'") && csp.contains("style-src 'nonce-abc123'"), "{csp}");
        for directive in [
            "default-src 'none'",
            "connect-src 'self'",
            "img-src data:",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "base-uri 'none'",
        ] {
            assert!(csp.contains(directive), "{directive} missing from {csp}");
        }
        assert!(!csp.contains("unsafe"), "{csp}");
        let html = std::str::from_utf8(response.body()).unwrap();
        assert_eq!(html.matches("<script").count(), 1);
        assert_eq!(html.matches("<script nonce=\"abc123\">").count(), 1, "{html}");
        assert_eq!(html.matches("<style").count(), 1);
        assert_eq!(html.matches("<style nonce=\"abc123\">").count(), 1);
        assert!(!html.contains(" style=") && !html.contains(" onclick="), "no inline style or handler attributes");
        assert!(!SCRIPT.to_ascii_lowercase().contains("</script") && !STYLE.to_ascii_lowercase().contains("</style"));
        assert_eq!(response.headers()[http::header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(response.headers()[http::header::REFERRER_POLICY], "no-referrer");
    }

    #[test]
    fn nonces_are_fresh_and_long() {
        let (a, b) = (new_nonce(), new_nonce());
        assert_ne!(a, b);
        assert!(a.len() * 5 >= 110 && a.bytes().all(|b| b.is_ascii_alphanumeric()));
    }

    #[test]
    fn without_verification_the_page_says_so_and_offers_no_wallet_or_form() {
        let crypto = crypto();
        let mut p = page(&crypto);
        p.verification_available = false;
        let html = html_of(&p);
        assert!(html.contains("id=\"verification-unavailable\""));
        assert!(html.contains("On-chain verification is not available for Anvil (network 31337)"), "{html}");
        assert!(
            !html.contains("id=\"pay-with-wallet\"") && !html.contains("<form") && !html.contains("id=\"tx-hash\"")
        );
        assert!(html.contains("id=\"treasury\""), "the merchant can still be paid, and confirms it");
    }

    #[test]
    fn without_a_treasury_on_the_network_nothing_can_be_paid() {
        let mut crypto = crypto();
        crypto.treasury_addresses.clear();
        let html = html_of(&page(&crypto));
        assert!(html.contains("id=\"not-payable\"") && html.contains("has not set a treasury address"), "{html}");
        assert!(!html.contains("ethereum:") && !html.contains("<form") && !html.contains("id=\"treasury\""));
    }

    #[test]
    fn the_not_found_page_is_a_404_under_the_same_policy() {
        let response = not_found("Checkout");
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let html = std::str::from_utf8(response.body()).unwrap();
        assert!(html.contains("<title>Checkout not found</title>") && !html.contains("<script"));
        let csp = response.headers()[http::header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.starts_with("default-src 'none'"));
    }
}
