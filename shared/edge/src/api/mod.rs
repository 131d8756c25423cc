//! The merchant REST API (`/v1/…`) and the hosted checkout page: routing, authentication and
//! the request conventions of `api.md`. Each route module turns a request into a domain call.

mod account;
mod body;
mod checkout;
mod commerce;
mod contacts;
mod dashboard_links;
mod email;
mod endpoints;
mod events;
pub(crate) mod fuzzing;
mod idempotency;
mod integrations;
pub(crate) mod list;
mod page;
mod payments;
mod test_helpers;
mod unsubscribe;
mod workflows;

use http::Method;

use loop_adapters::app::App;
use loop_capabilities::accounts::{authenticate, Caller};
use loop_ground::domain::checkout::SessionStatus;
use loop_ground::error::ApiError;
use loop_ground::http::{self as h, Request, Response};

/// Every route the API serves, by path shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route<'a> {
    Account,
    StripeIntegration,
    StripeConnect,
    Contacts,
    Contact(&'a str),
    ContactEvents,
    EmailTemplates,
    EmailTemplate(&'a str),
    PreviewTemplate(&'a str),
    Transactional,
    Emails,
    Email(&'a str),
    DashboardLinks,
    Events,
    Event(&'a str),
    Attempts(&'a str),
    Redeliver(&'a str),
    ProcessTransfer(&'a str),
    PaymentLinks,
    PaymentLink(&'a str),
    Sessions,
    Session(&'a str),
    FinishSession(&'a str, SessionStatus),
    CheckoutPage(&'a str),
    /// `POST /checkout/{id}/payments`, `POST /pay/{payToken}/payments`.
    SubmitPayment(payments::Payable<'a>),
    /// `GET /checkout/{id}/status`, `GET /pay/{payToken}/status`.
    PaymentStatus(payments::Payable<'a>),
    /// `GET /pay/{payToken}`.
    PayPage(&'a str),
    Endpoints,
    Endpoint(&'a str),
    RotateSecret(&'a str),
    Items,
    Item(&'a str),
    Transfers,
    Transfer(&'a str),
    Agreements,
    Agreement(&'a str),
    Workflows,
    Workflow(&'a str),
    WorkflowRuns(&'a str),
    /// `GET`/`POST /u/{token}`: the unsubscribe page and one-click.
    Unsubscribe(&'a str),
    OpenApi,
}

/// The OpenAPI 3 document of this API, kept in the repository (`scripts/openapi.py` writes it).
pub const OPENAPI: &str = include_str!("../../../../openapi.json");

impl Route<'_> {
    fn allowed(self) -> &'static str {
        match self {
            Route::Account => "GET, PATCH",
            Route::Workflows => "GET, POST",
            Route::Workflow(_) => "GET, PATCH, DELETE",
            Route::WorkflowRuns(_) => "GET",
            Route::Unsubscribe(_) => "GET, POST",
            Route::StripeIntegration => "GET, PUT",
            Route::Endpoints | Route::PaymentLinks | Route::Sessions => "GET, POST",
            Route::PaymentLink(_) => "GET, PATCH",
            Route::Session(_)
            | Route::CheckoutPage(_)
            | Route::OpenApi
            | Route::PaymentStatus(_)
            | Route::PayPage(_) => "GET",
            Route::SubmitPayment(_) | Route::DashboardLinks => "POST",
            Route::FinishSession(..) => "POST",
            Route::Endpoint(_) => "GET, PATCH, DELETE",
            Route::Contacts => "GET, POST, PUT",
            Route::Contact(_) => "GET, DELETE",
            Route::ContactEvents | Route::EmailTemplates => "GET, POST",
            Route::EmailTemplate(_) => "GET, PATCH, DELETE",
            Route::PreviewTemplate(_) | Route::Transactional => "POST",
            Route::Emails | Route::Email(_) => "GET",
            Route::Redeliver(_) | Route::RotateSecret(_) | Route::ProcessTransfer(_) | Route::StripeConnect => "POST",
            Route::Events
            | Route::Event(_)
            | Route::Attempts(_)
            | Route::Items
            | Route::Item(_)
            | Route::Transfers
            | Route::Transfer(_)
            | Route::Agreements
            | Route::Agreement(_) => "GET",
        }
    }
}

/// The route a path names. A path id that is not of an id's form names nothing: `404`.
fn route_of(path: &str) -> Option<Route<'_>> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["v1", "account"] => Some(Route::Account),
        ["v1", "openapi.json"] => Some(Route::OpenApi),
        ["v1", "integrations", "stripe"] => Some(Route::StripeIntegration),
        ["v1", "integrations", "stripe", "connect"] => Some(Route::StripeConnect),
        ["v1", "contacts"] => Some(Route::Contacts),
        ["v1", "contacts", id] if list::is_id(id) => Some(Route::Contact(id)),
        ["v1", "contact-events"] => Some(Route::ContactEvents),
        ["v1", "email-templates"] => Some(Route::EmailTemplates),
        ["v1", "email-templates", id] if list::is_id(id) => Some(Route::EmailTemplate(id)),
        ["v1", "email-templates", id, "preview"] if list::is_id(id) => Some(Route::PreviewTemplate(id)),
        ["v1", "transactional"] => Some(Route::Transactional),
        ["v1", "emails"] => Some(Route::Emails),
        ["v1", "emails", id] if list::is_id(id) => Some(Route::Email(id)),
        ["v1", "dashboard-links"] => Some(Route::DashboardLinks),
        ["v1", "workflows"] => Some(Route::Workflows),
        ["v1", "workflows", id] if list::is_id(id) => Some(Route::Workflow(id)),
        ["v1", "workflows", id, "runs"] if list::is_id(id) => Some(Route::WorkflowRuns(id)),
        ["u", token] if unsubscribe::is_token(token) => Some(Route::Unsubscribe(token)),
        ["v1", "events"] => Some(Route::Events),
        ["v1", "events", id] if list::is_id(id) => Some(Route::Event(id)),
        ["v1", "events", id, "attempts"] if list::is_id(id) => Some(Route::Attempts(id)),
        ["v1", "events", id, "redeliver"] if list::is_id(id) => Some(Route::Redeliver(id)),
        ["v1", "test-helpers", "transfers", id, "process"] if list::is_id(id) => Some(Route::ProcessTransfer(id)),
        ["v1", "payment-links"] => Some(Route::PaymentLinks),
        ["v1", "payment-links", id] if list::is_id(id) => Some(Route::PaymentLink(id)),
        ["v1", "checkout-sessions"] => Some(Route::Sessions),
        ["v1", "checkout-sessions", id] if list::is_id(id) => Some(Route::Session(id)),
        ["v1", "test-helpers", "checkout-sessions", id, action] if list::is_id(id) => {
            let to = match *action {
                "complete" => SessionStatus::Completed,
                "fail" => SessionStatus::Failed,
                "expire" => SessionStatus::Expired,
                _ => return None,
            };
            Some(Route::FinishSession(id, to))
        }
        ["checkout", id] if list::is_id(id) => Some(Route::CheckoutPage(id)),
        ["checkout", id, "payments"] if list::is_id(id) => Some(Route::SubmitPayment(payments::Payable::Session(id))),
        ["checkout", id, "status"] if list::is_id(id) => Some(Route::PaymentStatus(payments::Payable::Session(id))),
        ["pay", token] if list::is_id(token) => Some(Route::PayPage(token)),
        ["pay", token, "payments"] if list::is_id(token) => {
            Some(Route::SubmitPayment(payments::Payable::PayToken(token)))
        }
        ["pay", token, "status"] if list::is_id(token) => {
            Some(Route::PaymentStatus(payments::Payable::PayToken(token)))
        }
        ["v1", "webhook-endpoints"] => Some(Route::Endpoints),
        ["v1", "webhook-endpoints", id] if list::is_id(id) => Some(Route::Endpoint(id)),
        ["v1", "webhook-endpoints", id, "rotate-secret"] if list::is_id(id) => Some(Route::RotateSecret(id)),
        ["v1", "items"] => Some(Route::Items),
        ["v1", "items", id] if list::is_id(id) => Some(Route::Item(id)),
        ["v1", "transfers"] => Some(Route::Transfers),
        ["v1", "transfers", id] if list::is_id(id) => Some(Route::Transfer(id)),
        ["v1", "agreements"] => Some(Route::Agreements),
        ["v1", "agreements", id] if list::is_id(id) => Some(Route::Agreement(id)),
        _ => None,
    }
}

/// The entry point for `ANY /v1/{proxy+}` and `GET /checkout/{sessionId}`.
pub async fn handle(app: &App, request: Request) -> Response {
    h::finish(serve(app, request).await)
}

async fn serve(app: &App, request: Request) -> Result<Response, ApiError> {
    let path = request.uri().path().to_owned();
    let route = route_of(&path).ok_or_else(|| ApiError::NotFound {
        code: "unknown_route",
        message: format!("no route {} {}", request.method(), request.uri().path()),
        param: None,
    })?;
    if route == Route::OpenApi && request.method() == Method::GET {
        let mut response = http::Response::new(bytes::Bytes::from_static(OPENAPI.as_bytes()));
        response.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
        return Ok(response);
    }
    match route {
        Route::SubmitPayment(payable) => {
            payments::allowed(request.method(), true)?;
            return payments::submit(app, payable, &request).await;
        }
        Route::PaymentStatus(payable) => {
            payments::allowed(request.method(), false)?;
            return payments::status(app, payable).await;
        }
        Route::PayPage(token) => {
            payments::allowed(request.method(), false)?;
            return page::render_pay_token(app, token).await;
        }
        Route::Unsubscribe(token) => return Box::pin(unsubscribe::serve(app, token, &request)).await,
        _ => {}
    }
    if let Route::CheckoutPage(id) = route {
        // The customer's page: public, no API key.
        return match *request.method() {
            Method::GET | Method::HEAD => page::render(app, id).await,
            _ => Err(ApiError::MethodNotAllowed { allowed: route.allowed() }),
        };
    }
    // Before the key: the local runner (like API Gateway) refuses an oversized body before
    // anything else too. The media type after it, so a caller without a key hears that first.
    body::check_size(&request)?;
    let caller = authenticate(&app.store, h::header(&request, "authorization")).await?;
    tracing::Span::current().record("account", caller.account.id.as_str());
    body::check_media_type(&request)?;
    if request.method() == Method::POST {
        if let Some(key) = h::header(&request, "idempotency-key") {
            let account = caller.account.id.clone();
            return idempotency::once(app, &account, key, &request, || dispatch(app, caller, route, &request)).await;
        }
    }
    dispatch(app, caller, route, &request).await
}

/// The contacts API's routes and the account patch are boxed: their futures (reads joined, SES, a commit) would
/// otherwise grow every request's future by their size.
async fn dispatch(app: &App, caller: Caller, route: Route<'_>, request: &Request) -> Result<Response, ApiError> {
    if matches!(route, Route::ProcessTransfer(_) | Route::FinishSession(..)) && request.method() == Method::POST {
        require_test_mode(&caller)?;
    }
    match (route, request.method().clone()) {
        (Route::Account, Method::GET) => Ok(account::get(&caller)),
        (Route::Account, Method::PATCH) => Box::pin(account::patch(app, caller, request)).await,
        (Route::StripeIntegration, Method::GET) => integrations::get(app, &caller).await,
        (Route::StripeIntegration, Method::PUT) => integrations::put(app, caller, request).await,
        (Route::StripeConnect, Method::POST) => integrations::connect(app, caller, request).await,
        (Route::Contacts, Method::GET) => contacts::list(app, &caller, request).await,
        (Route::Contacts, Method::POST) => Box::pin(contacts::create(app, &caller, request)).await,
        (Route::Contacts, Method::PUT) => Box::pin(contacts::put(app, &caller, request)).await,
        (Route::Contact(id), Method::GET) => contacts::get(app, &caller, id).await,
        (Route::Contact(id), Method::DELETE) => Box::pin(contacts::delete(app, &caller, id)).await,
        (Route::ContactEvents, Method::GET) => contacts::events(app, &caller, request).await,
        (Route::ContactEvents, Method::POST) => Box::pin(contacts::send_event(app, &caller, request)).await,
        (Route::EmailTemplates, Method::GET) => email::list_templates(app, &caller, request).await,
        (Route::EmailTemplates, Method::POST) => Box::pin(email::create_template(app, &caller, request)).await,
        (Route::EmailTemplate(id), Method::GET) => email::get_template(app, &caller, id).await,
        (Route::EmailTemplate(id), Method::PATCH) => Box::pin(email::update_template(app, &caller, id, request)).await,
        (Route::EmailTemplate(id), Method::DELETE) => Box::pin(email::delete_template(app, &caller, id)).await,
        (Route::PreviewTemplate(id), Method::POST) => Box::pin(email::preview(app, &caller, id, request)).await,
        (Route::Transactional, Method::POST) => Box::pin(email::send_transactional(app, &caller, request)).await,
        (Route::Emails, Method::GET) => email::list_emails(app, &caller, request).await,
        (Route::Email(id), Method::GET) => email::get_email(app, &caller, id).await,
        (Route::Workflows, Method::GET) => workflows::list(app, &caller, request).await,
        (Route::Workflows, Method::POST) => Box::pin(workflows::create(app, &caller, request)).await,
        (Route::Workflow(id), Method::GET) => workflows::get(app, &caller, id).await,
        (Route::Workflow(id), Method::PATCH) => Box::pin(workflows::update(app, &caller, id, request)).await,
        (Route::Workflow(id), Method::DELETE) => Box::pin(workflows::delete(app, &caller, id)).await,
        (Route::WorkflowRuns(id), Method::GET) => workflows::runs(app, &caller, id, request).await,
        (Route::DashboardLinks, Method::POST) => dashboard_links::create(app, &caller, request).await,
        (Route::Events, Method::GET) => events::list(app, &caller, request).await,
        (Route::Event(id), Method::GET) => events::get(app, &caller, id).await,
        (Route::Attempts(id), Method::GET) => events::attempts(app, &caller, id, request).await,
        (Route::Redeliver(id), Method::POST) => events::redeliver(app, &caller, id, request).await,
        (Route::ProcessTransfer(id), Method::POST) => test_helpers::process_transfer(app, &caller, id, request).await,
        (Route::PaymentLinks, Method::GET) => checkout::list_payment_links(app, &caller, request).await,
        (Route::PaymentLinks, Method::POST) => checkout::create_payment_link(app, &caller, request).await,
        (Route::PaymentLink(id), Method::GET) => checkout::get_payment_link(app, &caller, id).await,
        (Route::PaymentLink(id), Method::PATCH) => checkout::update_payment_link(app, &caller, id, request).await,
        (Route::Sessions, Method::GET) => checkout::list_sessions(app, &caller, request).await,
        (Route::Sessions, Method::POST) => checkout::create_session(app, &caller, request).await,
        (Route::Session(id), Method::GET) => checkout::get_session(app, &caller, id).await,
        (Route::FinishSession(id, to), Method::POST) => checkout::finish_session(app, &caller, id, to).await,
        (Route::Endpoints, Method::GET) => endpoints::list(app, &caller, request).await,
        (Route::Endpoints, Method::POST) => endpoints::create(app, &caller, request).await,
        (Route::Endpoint(id), Method::GET) => endpoints::get(app, &caller, id).await,
        (Route::Endpoint(id), Method::PATCH) => endpoints::update(app, &caller, id, request).await,
        (Route::Endpoint(id), Method::DELETE) => endpoints::delete(app, &caller, id).await,
        (Route::RotateSecret(id), Method::POST) => endpoints::rotate_secret(app, &caller, id).await,
        (Route::Items, Method::GET) => commerce::list_items(app, &caller, request).await,
        (Route::Item(id), Method::GET) => commerce::get_item(app, &caller, id).await,
        (Route::Transfers, Method::GET) => commerce::list_transfers(app, &caller, request).await,
        (Route::Transfer(id), Method::GET) => commerce::get_transfer(app, &caller, id).await,
        (Route::Agreements, Method::GET) => commerce::list_agreements(app, &caller, request).await,
        (Route::Agreement(id), Method::GET) => commerce::get_agreement(app, &caller, id).await,
        (route, _) => Err(ApiError::MethodNotAllowed { allowed: route.allowed() }),
    }
}

pub use dashboard_links::link_url as dashboard_link_url;

/// A `/v1` request made for `caller` by the dashboard: routed and handled by exactly the code
/// that serves it over HTTP (the same parameters, rules and errors), without the API key, whose
/// place the dashboard's session takes. It carries the page request's `Host` and
/// `X-Forwarded-Proto`, so URLs it makes (a checkout session's) are on the page's host.
/// Answers the response's JSON.
pub(crate) async fn call(
    app: &App,
    caller: &Caller,
    page: &Request,
    method: Method,
    path_and_query: &str,
    body: Option<serde_json::Value>,
) -> Result<serde_json::Value, ApiError> {
    let mut request = http::Request::builder().method(method).uri(path_and_query);
    for name in ["host", "x-forwarded-proto"] {
        if let Some(value) = page.headers().get(name) {
            request = request.header(name, value);
        }
    }
    if body.is_some() {
        request = request.header(http::header::CONTENT_TYPE, "application/json");
    }
    let body = body.map(|b| bytes::Bytes::from(b.to_string())).unwrap_or_default();
    let request = request.body(body).map_err(|_| ApiError::not_found("page"))?;
    let path = request.uri().path().to_owned();
    let route = route_of(&path).ok_or_else(|| ApiError::not_found("page"))?;
    // Boxed: the API's dispatch is a large future, and the dashboard's pages await it inside their own.
    let response = Box::pin(dispatch(app, caller.clone(), route, &request)).await?;
    Ok(serde_json::from_slice(response.body()).unwrap_or(serde_json::Value::Null))
}

fn require_test_mode(caller: &Caller) -> Result<(), ApiError> {
    if caller.test_mode {
        Ok(())
    } else {
        Err(ApiError::Permission {
            code: "test_mode_only",
            message: "Test helpers need a test-mode API key (lk_test_…).".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every route the code serves, one sample path each.
    const SAMPLES: &[&str] = &[
        "/v1/account",
        "/v1/openapi.json",
        "/v1/integrations/stripe",
        "/v1/integrations/stripe/connect",
        "/v1/contacts",
        "/v1/contacts/x1",
        "/v1/contact-events",
        "/v1/email-templates",
        "/v1/email-templates/x1",
        "/v1/email-templates/x1/preview",
        "/v1/transactional",
        "/v1/emails",
        "/v1/emails/x1",
        "/v1/dashboard-links",
        "/v1/events",
        "/v1/events/x1",
        "/v1/events/x1/attempts",
        "/v1/events/x1/redeliver",
        "/v1/test-helpers/transfers/x1/process",
        "/v1/payment-links",
        "/v1/payment-links/x1",
        "/v1/checkout-sessions",
        "/v1/checkout-sessions/x1",
        "/v1/test-helpers/checkout-sessions/x1/complete",
        "/v1/test-helpers/checkout-sessions/x1/fail",
        "/v1/test-helpers/checkout-sessions/x1/expire",
        "/v1/webhook-endpoints",
        "/v1/webhook-endpoints/x1",
        "/v1/webhook-endpoints/x1/rotate-secret",
        "/v1/items",
        "/v1/items/x1",
        "/v1/transfers",
        "/v1/transfers/x1",
        "/v1/agreements",
        "/v1/agreements/x1",
        "/v1/workflows",
        "/v1/workflows/x1",
        "/v1/workflows/x1/runs",
        "/checkout/x1/payments",
        "/checkout/x1/status",
        "/pay/x1/payments",
        "/pay/x1/status",
    ];

    fn methods(allowed: &str) -> Vec<String> {
        let mut m: Vec<String> = allowed.split(", ").map(str::to_lowercase).collect();
        m.sort();
        m
    }

    #[test]
    fn the_openapi_document_describes_exactly_the_routes_served() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        for (template, operations) in paths {
            let sample = template.replace("{id}", "x1").replace("{payToken}", "x1");
            let route = route_of(&sample).unwrap_or_else(|| panic!("{template} is documented but not served"));
            let mut documented: Vec<String> = operations.as_object().unwrap().keys().cloned().collect();
            documented.sort();
            assert_eq!(documented, methods(route.allowed()), "methods of {template}");
        }
        for sample in SAMPLES {
            let route = route_of(sample).unwrap();
            let documented =
                paths.keys().any(|t| route_of(&t.replace("{id}", "x1").replace("{payToken}", "x1")) == Some(route));
            assert!(documented, "{sample} is served but not documented");
        }
        assert_eq!(paths.len(), SAMPLES.len());
    }
}
