//! The merchant dashboard (`ANY /dashboard`, `ANY /dashboard/{proxy+}`, `functions/dashboard`):
//! pages rendered on the server over the same code as the API. Every action is a `/v1` call
//! made for the session's account through [`crate::api::call`], so the dashboard has no rules of
//! its own; this module adds only what a browser needs:
//!
//! - signing in ([`auth`]): one-time links and API keys start a server-side session
//!   (`loop_capabilities::dashboard`), kept in an `HttpOnly; SameSite=Lax` cookie;
//! - a CSRF token on every form, checked on every state-changing post, and an `Origin` check;
//! - the same security headers on every response ([`secure`]);
//! - the pages ([`pages`]), drawn by [`view`] (maud) with one inline script and stylesheet under
//!   each response's CSP nonce (`script.js`, `style.css`).

mod auth;
mod pages;
mod view;

use http::{header, HeaderValue, Method, StatusCode};

use loop_adapters::app::App;
use loop_capabilities::dashboard::{self as signin, Session};
use loop_ground::http::{self as h, Request, Response};

use crate::api::list::is_id;

/// A page of the dashboard, by path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page<'a> {
    Overview,
    Login,
    Link(&'a str),
    Logout,
    Webhooks,
    WebhookAction(&'a str, pages::WebhookAction),
    Events,
    Event(&'a str),
    Redeliver(&'a str),
    Audience,
    Contact,
    Stripe,
    Settings,
    Keys,
    KeyRevoke(&'a str),
    Payments,
    Transfers,
    PaymentLinkAction(&'a str, pages::LinkAction),
    Email(pages::email::EmailPage<'a>),
}

fn page_of(path: &str) -> Option<Page<'_>> {
    let segments: Vec<&str> = path.trim_end_matches('/').trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["dashboard"] => Some(Page::Overview),
        ["dashboard", "login"] => Some(Page::Login),
        ["dashboard", "link", token] if token.len() <= 128 => Some(Page::Link(token)),
        ["dashboard", "logout"] => Some(Page::Logout),
        ["dashboard", "webhooks"] => Some(Page::Webhooks),
        ["dashboard", "webhooks", id, action] if is_id(id) => {
            pages::WebhookAction::parse(action).map(|a| Page::WebhookAction(id, a))
        }
        ["dashboard", "events"] => Some(Page::Events),
        ["dashboard", "events", id] if is_id(id) => Some(Page::Event(id)),
        ["dashboard", "events", id, "redeliver"] if is_id(id) => Some(Page::Redeliver(id)),
        ["dashboard", "audience"] => Some(Page::Audience),
        ["dashboard", "contact"] => Some(Page::Contact),
        ["dashboard", "stripe"] => Some(Page::Stripe),
        ["dashboard", "settings"] => Some(Page::Settings),
        ["dashboard", "keys"] => Some(Page::Keys),
        ["dashboard", "keys", id, "revoke"] if is_id(id) => Some(Page::KeyRevoke(id)),
        ["dashboard", "payments"] => Some(Page::Payments),
        ["dashboard", "transfers"] => Some(Page::Transfers),
        ["dashboard", "payment-links", id, action] if is_id(id) => {
            pages::LinkAction::parse(action).map(|a| Page::PaymentLinkAction(id, a))
        }
        ["dashboard", "email", rest @ ..] => pages::email::EmailPage::parse(rest).map(Page::Email),
        _ => None,
    }
}

/// The name of the session cookie.
pub(crate) const COOKIE: &str = "loop_dashboard";

/// A signed-in request: its session and the form it posted, if any.
pub(crate) struct Ctx<'a> {
    pub app: &'a App,
    pub request: &'a Request,
    pub session: Session,
    pub form: Vec<(String, String)>,
}

impl Ctx<'_> {
    pub fn field(&self, name: &str) -> Option<&str> {
        field(&self.form, name)
    }
}

pub(crate) fn field<'f>(form: &'f [(String, String)], name: &str) -> Option<&'f str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The entry point for `ANY /dashboard` and `ANY /dashboard/{proxy+}`.
pub async fn handle(app: &App, request: Request) -> Response {
    h::with_request_id(secure(Box::pin(serve(app, &request)).await))
}

async fn serve(app: &App, request: &Request) -> Response {
    let Some(page) = page_of(request.uri().path()) else {
        return view::message_page(StatusCode::NOT_FOUND, "Page not found", "There is no such page.", None);
    };
    let method = request.method().clone();
    if method != Method::GET && method != Method::HEAD && method != Method::POST {
        return view::message_page(StatusCode::METHOD_NOT_ALLOWED, "Not allowed", "Use the page's forms.", None);
    }
    let posted = method == Method::POST;
    if posted && !same_origin(request) {
        return view::message_page(StatusCode::FORBIDDEN, "Refused", "This form was posted from another site.", None);
    }
    let form = if posted { h::form_pairs(request.body()) } else { Vec::new() };
    // Signing in needs no session.
    match page {
        Page::Login => return auth::login(app, request, &form).await,
        Page::Link(token) => return auth::link(app, request, token).await,
        _ => {}
    }
    let session = match current_session(app, request).await {
        Ok(Some(session)) => session,
        Ok(None) => return redirect("/dashboard/login"),
        Err(err) => return view::error_page(&err.into(), None),
    };
    if posted && !session.csrf_ok(field(&form, "csrf")) {
        return view::message_page(
            StatusCode::FORBIDDEN,
            "Refused",
            "This form has expired or did not come from this dashboard. Go back, reload the page and try again.",
            Some(&session),
        );
    }
    let ctx = Ctx { app, request, session, form };
    let result = match (page, posted) {
        (Page::Logout, true) => return auth::logout(&ctx).await,
        (Page::Overview, false) => pages::overview(&ctx).await,
        (Page::Webhooks, false) => pages::webhooks(&ctx, None).await,
        (Page::Webhooks, true) => pages::create_webhook(&ctx).await,
        (Page::WebhookAction(id, action), true) => pages::webhook_action(&ctx, id, action).await,
        (Page::Events, false) => pages::events(&ctx).await,
        (Page::Event(id), false) => pages::event(&ctx, id).await,
        (Page::Redeliver(id), true) => pages::redeliver(&ctx, id).await,
        (Page::Audience, false) => pages::audience(&ctx).await,
        (Page::Contact, false) => pages::contact(&ctx).await,
        (Page::Stripe, false) => pages::stripe(&ctx, None).await,
        (Page::Stripe, true) => pages::save_stripe(&ctx).await,
        (Page::Settings, false) => pages::settings(&ctx, None).await,
        (Page::Settings, true) => pages::save_settings(&ctx).await,
        (Page::Keys, true) => pages::keys::create(&ctx).await,
        (Page::KeyRevoke(id), true) => pages::keys::revoke(&ctx, id).await,
        (Page::Payments, false) => pages::payments(&ctx, None).await,
        (Page::Payments, true) => pages::create_payment_link(&ctx).await,
        (Page::Transfers, false) => pages::transfers::page(&ctx).await,
        (Page::PaymentLinkAction(id, action), true) => pages::payment_link_action(&ctx, id, action).await,
        (Page::Email(page), posted) => match pages::email::serve(&ctx, page, posted).await {
            Some(result) => result,
            None => {
                return view::message_page(StatusCode::METHOD_NOT_ALLOWED, "Not allowed", "Use the page's forms.", None)
            }
        },
        _ => return view::message_page(StatusCode::METHOD_NOT_ALLOWED, "Not allowed", "Use the page's forms.", None),
    };
    result.unwrap_or_else(|err| view::error_page(&err, Some(&ctx.session)))
}

/// The session the request's cookie names, if it is still signed in.
async fn current_session(app: &App, request: &Request) -> Result<Option<Session>, loop_ground::error::StoreError> {
    match cookie(request, COOKIE) {
        Some(id) => signin::session(&app.store, app.clock.as_ref(), id).await,
        None => Ok(None),
    }
}

pub(crate) fn cookie<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A post must come from a page of this host: a browser sends `Origin` with every form post,
/// and a cross-site one (a login forced on a visitor, a form on another site) names another.
fn same_origin(request: &Request) -> bool {
    let Some(origin) = h::header(request, "origin") else { return true };
    let host = h::header(request, "host").unwrap_or_default();
    origin.split_once("://").is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
}

/// `303 See Other`: where a post or a signed-out visit goes next.
pub(crate) fn redirect(location: &str) -> Response {
    let mut response = http::Response::new(bytes::Bytes::new());
    *response.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The headers every dashboard response carries, whatever it is.
fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
        );
    }
    // Only a template's preview frame says otherwise (`SAMEORIGIN`, for the editor that shows it).
    if !headers.contains_key(header::X_FRAME_OPTIONS) {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Percent-encodes a query value.
pub(crate) fn enc(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_pages_and_nothing_else() {
        assert_eq!(page_of("/dashboard"), Some(Page::Overview));
        assert_eq!(page_of("/dashboard/"), Some(Page::Overview));
        assert_eq!(page_of("/dashboard/events/evt_1"), Some(Page::Event("evt_1")));
        assert_eq!(page_of("/dashboard/events/evt_1/redeliver"), Some(Page::Redeliver("evt_1")));
        assert_eq!(page_of("/dashboard/events/a%20b"), None);
        assert_eq!(page_of("/dashboard/webhooks/we_1/explode"), None);
        assert_eq!(
            page_of("/dashboard/webhooks/we_1/send-test"),
            Some(Page::WebhookAction("we_1", pages::WebhookAction::SendTest))
        );
        assert_eq!(page_of("/dashboard/transfers"), Some(Page::Transfers));
        assert_eq!(page_of("/dashboard/keys"), Some(Page::Keys));
        assert_eq!(page_of("/dashboard/keys/key_1/revoke"), Some(Page::KeyRevoke("key_1")));
        assert_eq!(page_of("/dashboard/keys/key_1"), None);
        assert_eq!(page_of("/dashboard/email"), Some(Page::Email(pages::email::EmailPage::Home)));
        assert_eq!(
            page_of("/dashboard/email/workflows/wf_1"),
            Some(Page::Email(pages::email::EmailPage::Workflow("wf_1")))
        );
        assert_eq!(page_of("/dashboard/email/nothing"), None);
        assert_eq!(page_of("/dashboard/nothing"), None);
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(enc("a+b@c.com"), "a%2Bb%40c.com");
        assert_eq!(enc("contact.created"), "contact.created");
    }
}
