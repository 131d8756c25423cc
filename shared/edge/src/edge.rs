//! The HTTP edge: every route API Gateway sends to a Loop function, written as `template.yaml`
//! declares it, and the function that serves it.
//!
//! This table is the one copy of the routing outside the template. Each HTTP Lambda function
//! serves its function's handler ([`HttpFunction::handle`]'s arm, named again in its own
//! `lambda::run_*` so that its binary links only that handler), and the local runner routes
//! every request with [`handle`], so the two cannot answer differently; a test
//! (`tests/tests/template.rs`) holds the table to the template's `HttpApi` events, function by
//! function, so it cannot drift from what API Gateway does either.

use http::Method;

use loop_adapters::app::App;
use loop_ground::error::ApiError;
use loop_ground::http::{self as h, Request, Response};

/// A Lambda function that API Gateway invokes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpFunction {
    StripeIngest,
    Checkout,
    Email,
    Dashboard,
}

impl HttpFunction {
    pub const ALL: [HttpFunction; 4] =
        [HttpFunction::StripeIngest, HttpFunction::Checkout, HttpFunction::Email, HttpFunction::Dashboard];

    /// Its resource's logical id in `template.yaml`.
    pub const fn logical_id(self) -> &'static str {
        match self {
            HttpFunction::StripeIngest => "StripeIngestFunction",
            HttpFunction::Checkout => "CheckoutFunction",
            HttpFunction::Email => "EmailFunction",
            HttpFunction::Dashboard => "DashboardFunction",
        }
    }

    /// Its binary (`functions/<binary>`, and `BuildProperties.Binary` in `template.yaml`).
    pub const fn binary(self) -> &'static str {
        match self {
            HttpFunction::StripeIngest => "stripe-ingest",
            HttpFunction::Checkout => "checkout",
            HttpFunction::Email => "email",
            HttpFunction::Dashboard => "dashboard",
        }
    }

    pub fn by_binary(binary: &str) -> Option<HttpFunction> {
        HttpFunction::ALL.into_iter().find(|f| f.binary() == binary)
    }

    /// Its handler: every request of its routes, already matched, goes here.
    pub async fn handle(self, app: &App, request: Request) -> Response {
        match self {
            HttpFunction::StripeIngest => loop_capabilities::ingest::handle(app, request).await,
            HttpFunction::Checkout => crate::api::handle_checkout(app, request).await,
            HttpFunction::Email => crate::api::handle_email(app, request).await,
            HttpFunction::Dashboard => crate::dashboard::handle(app, request).await,
        }
    }
}

/// One API Gateway route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    /// An HTTP method, or `ANY`.
    pub method: &'static str,
    /// As API Gateway writes it: `{name}` is one non-empty segment, a last `{name+}` the rest.
    pub path: &'static str,
    pub function: HttpFunction,
}

/// In the order [`find`] tries them: API Gateway chooses the most specific route, so a route
/// inside another's paths (`/v1/contacts` in `/v1/{proxy+}`) comes before it.
pub const ROUTES: &[Route] = &[
    Route { method: "POST", path: "/stripe/webhooks/{accountId}", function: HttpFunction::StripeIngest },
    // The audience and email routes, and the account patch that checks a sender with SES: the
    // email function, so that checkout links none of SES, MIME and templates.
    Route { method: "PATCH", path: "/v1/account", function: HttpFunction::Email },
    Route { method: "ANY", path: "/v1/contacts", function: HttpFunction::Email },
    Route { method: "ANY", path: "/v1/contacts/{proxy+}", function: HttpFunction::Email },
    Route { method: "ANY", path: "/v1/contact-events", function: HttpFunction::Email },
    Route { method: "ANY", path: "/v1/email-templates", function: HttpFunction::Email },
    Route { method: "ANY", path: "/v1/email-templates/{proxy+}", function: HttpFunction::Email },
    Route { method: "ANY", path: "/v1/transactional", function: HttpFunction::Email },
    Route { method: "ANY", path: "/v1/emails", function: HttpFunction::Email },
    Route { method: "ANY", path: "/v1/emails/{proxy+}", function: HttpFunction::Email },
    Route { method: "ANY", path: "/v1/workflows", function: HttpFunction::Email },
    Route { method: "ANY", path: "/v1/workflows/{proxy+}", function: HttpFunction::Email },
    Route { method: "GET", path: "/u/{token}", function: HttpFunction::Email },
    Route { method: "POST", path: "/u/{token}", function: HttpFunction::Email },
    Route { method: "ANY", path: "/v1/{proxy+}", function: HttpFunction::Checkout },
    Route { method: "GET", path: "/checkout/{sessionId}", function: HttpFunction::Checkout },
    Route { method: "POST", path: "/checkout/{sessionId}/payments", function: HttpFunction::Checkout },
    Route { method: "GET", path: "/checkout/{sessionId}/status", function: HttpFunction::Checkout },
    Route { method: "GET", path: "/pay/{payToken}", function: HttpFunction::Checkout },
    Route { method: "POST", path: "/pay/{payToken}/payments", function: HttpFunction::Checkout },
    Route { method: "GET", path: "/pay/{payToken}/status", function: HttpFunction::Checkout },
    Route { method: "ANY", path: "/dashboard", function: HttpFunction::Dashboard },
    Route { method: "ANY", path: "/dashboard/{proxy+}", function: HttpFunction::Dashboard },
];

impl Route {
    pub fn matches(&self, method: &Method, path: &str) -> bool {
        (self.method == "ANY" || self.method == method.as_str()) && path_matches(self.path, path)
    }
}

fn path_matches(pattern: &str, path: &str) -> bool {
    let mut segments = path.trim_start_matches('/').split('/');
    for expected in pattern.trim_start_matches('/').split('/') {
        if expected.starts_with('{') && expected.ends_with("+}") {
            // Greedy: whatever is left, as long as something is.
            return segments.next().is_some();
        }
        match segments.next() {
            Some(segment) if expected.starts_with('{') => {
                if segment.is_empty() {
                    return false;
                }
            }
            Some(segment) if segment == expected => {}
            _ => return false,
        }
    }
    segments.next().is_none()
}

/// The route API Gateway would choose for `method` and `path`: the first that matches, the
/// table listing the more specific routes first.
pub fn find(method: &Method, path: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|route| route.matches(method, path))
}

/// Serves `request` as API Gateway and then its function would: by the function of its route,
/// or `404 unknown_route` when it has none (API Gateway's own 404 carries no Loop error body).
pub async fn handle(app: &App, request: Request) -> Response {
    match find(request.method(), request.uri().path()) {
        Some(route) => route.function.handle(app, request).await,
        None => h::with_request_id(h::error(&ApiError::NotFound {
            code: "unknown_route",
            message: format!("no route {} {}", request.method(), request.uri().path()),
            param: None,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served_by(method: Method, path: &str) -> Option<HttpFunction> {
        find(&method, path).map(|route| route.function)
    }

    #[test]
    fn each_path_goes_to_the_function_the_template_names() {
        use HttpFunction::{Checkout, Email, StripeIngest};
        assert_eq!(served_by(Method::POST, "/stripe/webhooks/acct_1"), Some(StripeIngest));
        assert_eq!(served_by(Method::GET, "/v1/contacts"), Some(Email));
        assert_eq!(served_by(Method::DELETE, "/v1/contacts/ct_1"), Some(Email));
        assert_eq!(served_by(Method::POST, "/v1/email-templates/et_1/preview"), Some(Email));
        assert_eq!(served_by(Method::GET, "/v1/workflows/wf_1/runs"), Some(Email));
        assert_eq!(served_by(Method::POST, "/u/u1.abc"), Some(Email));
        assert_eq!(served_by(Method::PATCH, "/v1/account"), Some(Email));
        assert_eq!(served_by(Method::GET, "/v1/account"), Some(Checkout));
        assert_eq!(served_by(Method::GET, "/v1/contactsx"), Some(Checkout));
        assert_eq!(served_by(Method::GET, "/v1/events"), Some(Checkout));
        assert_eq!(served_by(Method::DELETE, "/v1/webhook-endpoints/we_1/x"), Some(Checkout));
        assert_eq!(served_by(Method::GET, "/checkout/cs_1"), Some(Checkout));
        assert_eq!(served_by(Method::GET, "/dashboard"), Some(HttpFunction::Dashboard));
        assert_eq!(served_by(Method::POST, "/dashboard/events/evt_1/redeliver"), Some(HttpFunction::Dashboard));
    }

    #[test]
    fn a_path_parameter_is_one_non_empty_segment_and_a_greedy_one_at_least_one() {
        assert_eq!(served_by(Method::GET, "/stripe/webhooks/acct_1"), None);
        assert_eq!(served_by(Method::POST, "/stripe/webhooks/"), None);
        assert_eq!(served_by(Method::POST, "/stripe/webhooks/acct_1/more"), None);
        assert_eq!(served_by(Method::POST, "/checkout/cs_1"), None);
        assert_eq!(served_by(Method::GET, "/checkout/"), None);
        assert_eq!(served_by(Method::GET, "/v1"), None);
        assert_eq!(served_by(Method::GET, "/v1/"), Some(HttpFunction::Checkout));
        assert_eq!(served_by(Method::GET, "/health"), None);
        assert_eq!(served_by(Method::GET, "/"), None);
    }

    #[test]
    fn a_route_comes_before_every_wider_route_whose_paths_hold_its_own() {
        // What makes the first match API Gateway's most specific one: a path of each route's
        // own finds it, not a wider route listed before it.
        for (i, route) in ROUTES.iter().enumerate() {
            let sample = route.path.replace("{proxy+}", "x/y").replace(['{', '}'], "");
            let method = if route.method == "ANY" { "GET" } else { route.method };
            let first = ROUTES.iter().position(|r| r.matches(&method.parse().unwrap(), &sample));
            assert_eq!(first, Some(i), "{route:?} is shadowed by an earlier route");
        }
    }

    #[test]
    fn every_function_is_found_by_its_binary_and_serves_a_route() {
        for function in HttpFunction::ALL {
            assert_eq!(HttpFunction::by_binary(function.binary()), Some(function));
            assert!(ROUTES.iter().any(|route| route.function == function), "{function:?}");
        }
        assert_eq!(HttpFunction::by_binary("dispatch"), None);
    }
}
