//! The dashboard's frame (head, navigation, test-mode badge, sign-out form) and its message
//! pages. Every page gets a fresh nonce; its only script and stylesheet carry it, and the
//! Content-Security-Policy allows nothing else (no inline scripts, no other origins).

use http::StatusCode;
use maud::{html, Markup, PreEscaped, DOCTYPE};

use loop_capabilities::dashboard::Session;
use loop_ground::error::ApiError;
use loop_ground::http::{html_with_csp, Response};
use loop_ground::ids::random_token;

const STYLE: &str = include_str!("style.css");
const SCRIPT: &str = include_str!("script.js");

/// The policy of a page whose only script and stylesheet carry `nonce`.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; img-src 'self' data:; \
         connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// A page of the dashboard: `body` in the frame, signed in or not.
pub fn page(status: StatusCode, title: &str, session: Option<&Session>, body: Markup) -> Response {
    let nonce = random_token(22);
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Loop" }
                // No icon to fetch (there is no route for one).
                link rel="icon" href="data:,";
                style nonce=(nonce) { (PreEscaped(STYLE)) }
            }
            body {
                @if let Some(session) = session {
                    header.top {
                        a.brand href="/dashboard" { "Loop" }
                        nav {
                            a href="/dashboard" { "Overview" }
                            a href="/dashboard/webhooks" { "Webhooks" }
                            a href="/dashboard/events" { "Events" }
                            a href="/dashboard/audience" { "Audience" }
                            a href="/dashboard/email" { "Email" }
                            a href="/dashboard/payments" { "Payments" }
                            a href="/dashboard/transfers" { "Transfers" }
                            a href="/dashboard/stripe" { "Stripe" }
                            a href="/dashboard/settings" { "Settings" }
                        }
                        span.account { (session.caller.account.name) }
                        @if session.caller.test_mode { span.badge #test-mode { "Test mode" } }
                        form.signout method="post" action="/dashboard/logout" {
                            (csrf(session))
                            button #sign-out type="submit" { "Sign out" }
                        }
                    }
                }
                main { (body) }
                script nonce=(nonce) { (PreEscaped(SCRIPT)) }
            }
        }
    };
    html_with_csp(status, markup.into_string(), &content_security_policy(&nonce))
}

/// The hidden field every form of a signed-in page carries.
pub fn csrf(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf_token); }
}

/// A page that only says something: a refusal, a missing page.
pub fn message_page(status: StatusCode, title: &str, message: &str, session: Option<&Session>) -> Response {
    page(
        status,
        title,
        session,
        html! {
            section.card.narrow {
                h1 { (title) }
                p { (message) }
                p { a href="/dashboard" { "Back to the dashboard" } }
            }
        },
    )
}

/// An error of the API's code, as a page: another account's object is a plain `404` page.
pub fn error_page(err: &ApiError, session: Option<&Session>) -> Response {
    match err {
        ApiError::NotFound { .. } => {
            message_page(StatusCode::NOT_FOUND, "Not found", "There is no such page or object.", session)
        }
        other => message_page(other.status(), "Something went wrong", &other.body().error.message, session),
    }
}

/// An RFC 3339 time, shown in the browser's time zone once the script runs.
pub fn time(rfc3339: &str) -> Markup {
    html! { time datetime=(rfc3339) { (rfc3339) } }
}
