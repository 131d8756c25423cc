//! A stand-in for Stripe's API on loopback (wiremock), serving Stripe-shaped products and prices
//! built from the fixtures, paginated as Stripe paginates (`limit`, `starting_after`,
//! `has_more`), and webhook endpoints kept in memory. Tests can make it rate-limit or fail
//! requests, and read back every request it received.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::stripe::object;

/// The key the stand-in accepts with every permission.
pub const GOOD_KEY: &str = "rk_test_51LoopStandInGoodKey0123456789";
/// A key that may manage webhook endpoints and read products, but not read prices.
pub const NO_PRICES_KEY: &str = "rk_test_51LoopStandInNoPrices0123456789";

/// A request as the stand-in saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: HashMap<String, String>,
    pub form: Vec<(String, String)>,
    pub status: u16,
}

#[derive(Default)]
struct State {
    products: Vec<Value>,
    prices: Vec<Value>,
    endpoints: Vec<Value>,
    seen: Vec<Seen>,
    /// Answer this many next requests with `429`.
    rate_limit_next: usize,
    /// Answer this many list requests starting after this id with `500`.
    fail_after: Option<(String, usize)>,
    next_endpoint: u32,
}

#[derive(Clone)]
pub struct StripeStandIn {
    pub server: Arc<MockServer>,
    state: Arc<Mutex<State>>,
}

/// `count` products `prod_0000…`, created one second apart from `base_created`.
pub fn products(count: usize, base_created: i64) -> Vec<Value> {
    (0..count)
        .map(|i| {
            object(
                "product",
                json!({"id": format!("prod_{i:04}"), "name": format!("Product {i}"), "created": base_created + i as i64,
                    "updated": base_created + i as i64, "default_price": null}),
            )
        })
        .collect()
}

/// `count` prices `price_0000…`, spread over `product_count` products; price `i` costs `100 + i`
/// cents.
pub fn prices(count: usize, product_count: usize, base_created: i64) -> Vec<Value> {
    (0..count)
        .map(|i| {
            object(
                "price",
                json!({"id": format!("price_{i:04}"), "product": format!("prod_{:04}", i % product_count),
                    "unit_amount": 100 + i as i64, "unit_amount_decimal": (100 + i).to_string(),
                    "created": base_created + i as i64}),
            )
        })
        .collect()
}

impl StripeStandIn {
    pub async fn start(products: Vec<Value>, prices: Vec<Value>) -> StripeStandIn {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State { products, prices, ..State::default() }));
        Mock::given(any()).respond_with(Handler(state.clone())).mount(&server).await;
        StripeStandIn { server: Arc::new(server), state }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    pub fn endpoints(&self) -> Vec<Value> {
        self.state.lock().unwrap().endpoints.clone()
    }

    /// An endpoint that exists before Loop connects (made by hand in the dashboard).
    pub fn add_endpoint(&self, url: &str) -> String {
        let mut state = self.state.lock().unwrap();
        state.next_endpoint += 1;
        let id = format!("we_manual{}", state.next_endpoint);
        state.endpoints.push(json!({"id": id, "object": "webhook_endpoint", "url": url, "enabled_events": ["customer.created"], "status": "enabled"}));
        id
    }

    pub fn rate_limit_next(&self, requests: usize) {
        self.state.lock().unwrap().rate_limit_next = requests;
    }

    /// The next `requests` list pages that start after `id` fail with `500`.
    pub fn fail_pages_after(&self, id: &str, requests: usize) {
        self.state.lock().unwrap().fail_after = Some((id.to_owned(), requests));
    }
}

struct Handler(Arc<Mutex<State>>);

fn stripe_error(status: u16, kind: &str, message: &str) -> (u16, Value) {
    (status, json!({"error": {"type": kind, "message": message}}))
}

impl Respond for Handler {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.0.lock().unwrap();
        let query: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
        let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body).into_owned().collect();
        let path = request.url.path().to_owned();
        let method = request.method.to_string();
        let (status, body) = state.answer(&method, &path, &query, &form, request);
        state.seen.push(Seen { method, path, query, form, status });
        ResponseTemplate::new(status).set_body_json(body)
    }
}

impl State {
    fn answer(
        &mut self,
        method: &str,
        path: &str,
        query: &HashMap<String, String>,
        form: &[(String, String)],
        request: &Request,
    ) -> (u16, Value) {
        let key = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if key != GOOD_KEY && key != NO_PRICES_KEY {
            return stripe_error(401, "invalid_request_error", "Invalid API Key provided: rk_test_****");
        }
        if self.rate_limit_next > 0 {
            self.rate_limit_next -= 1;
            return stripe_error(429, "rate_limit_error", "Too many requests hit the API too quickly.");
        }
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        match (method, segments.as_slice()) {
            ("GET", ["v1", "prices"]) if key == NO_PRICES_KEY => stripe_error(
                403,
                "invalid_request_error",
                "The provided key 'rk_test_****' does not have the required permissions for this endpoint.",
            ),
            ("GET", ["v1", resource @ ("products" | "prices" | "webhook_endpoints")]) => {
                if let (Some((after, left)), Some(cursor)) = (&mut self.fail_after, query.get("starting_after")) {
                    if after == cursor && *left > 0 {
                        *left -= 1;
                        return stripe_error(500, "api_error", "An unknown error occurred.");
                    }
                }
                let all = match *resource {
                    "products" => &self.products,
                    "prices" => &self.prices,
                    _ => &self.endpoints,
                };
                (200, list_page(all, query, resource))
            }
            ("POST", ["v1", "webhook_endpoints"]) => {
                self.next_endpoint += 1;
                let id = format!("we_standin{}", self.next_endpoint);
                let endpoint = endpoint_from(&id, form);
                self.endpoints.push(endpoint.clone());
                let mut created = endpoint;
                created["secret"] = json!(format!("whsec_standin{}secret0123456789abcdef", self.next_endpoint));
                (200, created)
            }
            ("POST", ["v1", "webhook_endpoints", id]) => {
                let Some(existing) = self.endpoints.iter_mut().find(|e| e["id"] == *id) else {
                    return stripe_error(404, "invalid_request_error", "No such webhook endpoint");
                };
                *existing = endpoint_from(id, form);
                (200, existing.clone())
            }
            ("DELETE", ["v1", "webhook_endpoints", id]) => {
                let before = self.endpoints.len();
                self.endpoints.retain(|e| e["id"] != *id);
                if self.endpoints.len() == before {
                    return stripe_error(404, "invalid_request_error", "No such webhook endpoint");
                }
                (200, json!({"id": id, "object": "webhook_endpoint", "deleted": true}))
            }
            _ => stripe_error(404, "invalid_request_error", "Unrecognized request URL"),
        }
    }
}

fn endpoint_from(id: &str, form: &[(String, String)]) -> Value {
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let events: Vec<&String> = form.iter().filter(|(k, _)| k == "enabled_events[]").map(|(_, v)| v).collect();
    json!({"id": id, "object": "webhook_endpoint", "url": field("url"), "enabled_events": events,
        "description": field("description"), "status": "enabled"})
}

/// A page as Stripe answers it: up to `limit` objects after `starting_after`, and `has_more`.
fn list_page(all: &[Value], query: &HashMap<String, String>, resource: &str) -> Value {
    let limit: usize = query.get("limit").and_then(|l| l.parse().ok()).unwrap_or(10).clamp(1, 100);
    let start = match query.get("starting_after") {
        Some(after) => all.iter().position(|o| o["id"] == after.as_str()).map_or(all.len(), |i| i + 1),
        None => 0,
    };
    let data: Vec<Value> = all.iter().skip(start).take(limit).cloned().collect();
    json!({"object": "list", "url": format!("/v1/{resource}"), "has_more": start + data.len() < all.len(), "data": data})
}
