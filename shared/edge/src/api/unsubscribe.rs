//! `GET /u/{token}` (a page that confirms, with one button) and `POST /u/{token}` (the page's
//! form, and RFC 8058's one-click `List-Unsubscribe=One-Click` from a mail client): the contact the
//! signed token names stops getting workflow email (`email.md`, "Unsubscribing"). No API key: the
//! token is the credential, signed with the deployment's key, so it cannot be forged or altered.

use http::{Method, StatusCode};
use maud::html;

use super::page::{card_page, not_found};
use loop_adapters::app::App;
use loop_capabilities::contacts::{self, ContactError};
use loop_ground::domain::email::Email;
use loop_ground::domain::unsubscribe;
use loop_ground::error::ApiError;
use loop_ground::http::{Request, Response};

/// Whether a path segment may be a token: `u1.` and base64url parts, of a bounded length.
pub fn is_token(raw: &str) -> bool {
    raw.starts_with("u1.")
        && raw.len() <= 700
        && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

pub async fn serve(app: &App, token: &str, request: &Request) -> Result<Response, ApiError> {
    let named = app.config.unsubscribe_key.as_ref().and_then(|key| unsubscribe::verify(key, token));
    let Some((account_id, email)) = named else { return Ok(not_found("Unsubscribe link")) };
    let (Some(email), Some(account)) = (Email::parse(&email), app.store.get_account(&account_id).await?) else {
        return Ok(not_found("Unsubscribe link"));
    };
    match *request.method() {
        Method::GET | Method::HEAD => Ok(card_page(
            StatusCode::OK,
            "Unsubscribe",
            html! {
                p { "Stop emails from " strong { (account.name) } " to " strong { (email.as_str()) } "?" }
                form method="post" {
                    button type="submit" { "Unsubscribe" }
                }
                p.muted { "Receipts and other emails about your payments still reach you." }
            },
        )),
        Method::POST => {
            match contacts::unsubscribe(app, &account_id, &email).await {
                // A contact deleted since: there is nothing left to send to.
                Ok(_) | Err(ContactError::NotFound) => {}
                Err(ContactError::Store(err)) => return Err(err.into()),
                Err(other) => return Err(ApiError::Conflict { code: "contact_conflict", message: other.to_string() }),
            }
            Ok(card_page(
                StatusCode::OK,
                "You are unsubscribed",
                html! { p { (email.as_str()) " will get no more emails from " (account.name) "." } },
            ))
        }
        _ => Err(ApiError::MethodNotAllowed { allowed: "GET, POST" }),
    }
}
