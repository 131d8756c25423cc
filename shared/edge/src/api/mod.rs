//! The merchant REST API (`/v1/…`) and the hosted checkout page: routing, authentication and
//! the request conventions of `api.md`. Each route module turns a request into a domain call.
//! Two functions serve it, each through its own entry point ([`handle_checkout`],
//! [`handle_email`]) with the same conventions and only its own routes' handlers
//! (`served_by_checkout`, `served_by_email`); the dashboard reaches both through [`call`].

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
mod served_by_checkout;
mod served_by_email;
mod test_helpers;
mod unsubscribe;
mod workflows;

use std::future::Future;
use std::pin::Pin;

use http::Method;

use crate::edge::HttpFunction;

use loop_adapters::app::App;
use loop_capabilities::accounts::{authenticate, Caller};
use loop_ground::domain::checkout::SessionStatus;
use loop_ground::error::ApiError;
use loop_ground::http::{self as h, Request, Response};

/// Every route the API serves, by path shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route<'a> {
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
    /// The function API Gateway sends it to (`edge::ROUTES`; a test holds the two together).
    fn function(self, method: &Method) -> HttpFunction {
        match self {
            Route::Contacts
            | Route::Contact(_)
            | Route::ContactEvents
            | Route::EmailTemplates
            | Route::EmailTemplate(_)
            | Route::PreviewTemplate(_)
            | Route::Transactional
            | Route::Emails
            | Route::Email(_)
            | Route::Workflows
            | Route::Workflow(_)
            | Route::WorkflowRuns(_)
            | Route::Unsubscribe(_) => HttpFunction::Email,
            // A new sender is checked with SES.
            Route::Account if method == Method::PATCH => HttpFunction::Email,
            _ => HttpFunction::Checkout,
        }
    }

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

/// One function's share of the routes ([`Route::function`]). Each function's entry point names
/// its own, so its binary links only the handlers of its routes: the checkout function none of
/// the email code (SES, MIME, templates).
pub(crate) trait Service {
    const FUNCTION: HttpFunction;

    /// A route of this function served without an API key (a customer's page), or `None`.
    fn public<'a>(app: &'a App, route: Route<'a>, request: &'a Request) -> Option<Answer<'a>>;

    /// A route of this function, for an authenticated caller.
    fn dispatch<'a>(app: &'a App, caller: Caller, route: Route<'a>, request: &'a Request) -> Answer<'a>;
}

/// A route's answer. Boxed: the handlers' futures (reads joined, SES, a commit) would otherwise
/// grow every request's future by their size.
pub(crate) type Answer<'a> = Pin<Box<dyn Future<Output = Result<Response, ApiError>> + Send + 'a>>;

/// The checkout function's entry point: `ANY /v1/{proxy+}` but the email routes, the hosted
/// checkout and pay pages and the customer's payment routes.
pub async fn handle_checkout(app: &App, request: Request) -> Response {
    h::finish(serve::<served_by_checkout::Checkout>(app, request).await)
}

/// The email function's entry point: the contacts, email and workflow routes, `PATCH
/// /v1/account` (it asks SES about a new sender) and `/u/{token}`.
pub async fn handle_email(app: &App, request: Request) -> Response {
    h::finish(serve::<served_by_email::Email>(app, request).await)
}

fn unknown_route(request: &Request) -> ApiError {
    ApiError::NotFound {
        code: "unknown_route",
        message: format!("no route {} {}", request.method(), request.uri().path()),
        param: None,
    }
}

/// The conventions every route shares: a route of another function is unknown here (API
/// Gateway never sends it), then the public pages, then the size, API key, media type and
/// idempotency key, in that order.
async fn serve<S: Service>(app: &App, request: Request) -> Result<Response, ApiError> {
    let path = request.uri().path().to_owned();
    let route = route_of(&path).ok_or_else(|| unknown_route(&request))?;
    if route.function(request.method()) != S::FUNCTION {
        return Err(unknown_route(&request));
    }
    if let Some(answer) = S::public(app, route, &request) {
        return answer.await;
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
            return idempotency::once(app, &account, key, &request, || S::dispatch(app, caller, route, &request)).await;
        }
    }
    S::dispatch(app, caller, route, &request).await
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
    // The dashboard is one function that serves both shares.
    let response = match route.function(request.method()) {
        HttpFunction::Email => served_by_email::Email::dispatch(app, caller.clone(), route, &request).await?,
        _ => served_by_checkout::Checkout::dispatch(app, caller.clone(), route, &request).await?,
    };
    Ok(serde_json::from_slice(response.body()).unwrap_or(serde_json::Value::Null))
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
    fn each_route_is_served_by_the_function_the_route_table_sends_it_to() {
        for sample in SAMPLES.iter().chain(&["/u/u1.abc"]) {
            let route = route_of(sample).unwrap();
            for method in route.allowed().split(", ") {
                let method: Method = method.parse().unwrap();
                let table = crate::edge::find(&method, sample).map(|r| r.function);
                assert_eq!(Some(route.function(&method)), table, "{method} {sample}");
            }
        }
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
