//! List conventions: `limit` (1–100, default 10), `startingAfter` (an id), and
//! `{"data": [...], "hasMore": bool}`, newest first.

use http::StatusCode;
use serde_json::{json, Value};

use loop_adapters::store::Listed;
use loop_ground::error::ApiError;
use loop_ground::http::{self as h, Request, Response};

pub struct ListParams {
    pub limit: usize,
    pub starting_after: Option<String>,
    /// Other query parameters, for the route's own filters.
    pub filters: Vec<(String, String)>,
}

/// Whether `value` has the form of a Loop id (`evt_…`, `we_…`, `cs_…`, a UUID): 1 to 64 ASCII
/// letters, digits, `_` or `-`. Anything else names nothing, and must not reach a DynamoDB key
/// (a key over its size limit is a `ValidationException`, which would answer `500`).
pub fn is_id(value: &str) -> bool {
    !value.is_empty() && value.len() <= 64 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl ListParams {
    /// Reads the query; `filters` names the other parameters the route accepts.
    pub fn parse(request: &Request, filters: &[&str]) -> Result<Self, ApiError> {
        let mut params = ListParams { limit: 10, starting_after: None, filters: Vec::new() };
        for (key, value) in h::query_pairs(request) {
            match key.as_str() {
                "limit" => {
                    params.limit = value.parse().ok().filter(|n| (1..=100).contains(n)).ok_or_else(|| {
                        ApiError::invalid_param("parameter_invalid", "limit", "limit must be an integer from 1 to 100.")
                    })?
                }
                "startingAfter" => {
                    if !is_id(&value) {
                        return Err(ApiError::invalid_param(
                            "parameter_invalid",
                            "startingAfter",
                            "startingAfter must be an id from a previous page.",
                        ));
                    }
                    params.starting_after = Some(value)
                }
                other if filters.contains(&other) => params.filters.push((key, value)),
                other => {
                    return Err(ApiError::invalid_param(
                        "parameter_unknown",
                        other,
                        format!("Unknown query parameter: {other}."),
                    ))
                }
            }
        }
        Ok(params)
    }

    pub fn filter(&self, name: &str) -> Option<&str> {
        self.filters.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// A page of a list. While `hasMore`, `nextStartingAfter` says where the next page begins: the
/// last id of this one, or, for a filtered list whose read stopped at its bound before the page
/// filled (`store::pages::MAX_ITEMS_READ`), the id of the last record it read — then the page
/// may hold fewer than `limit` records, even none, and the client goes on from there.
pub fn page(data: Vec<Value>, has_more: bool) -> Response {
    resumable_page(data, has_more, None)
}

fn resumable_page(data: Vec<Value>, has_more: bool, resume_after: Option<String>) -> Response {
    let mut body = json!({"data": data, "hasMore": has_more});
    if has_more {
        let last_id = body["data"].as_array().and_then(|d| d.last()).map(|last| last["id"].clone());
        body["nextStartingAfter"] = resume_after.map(Value::String).or(last_id).unwrap_or(Value::Null);
    }
    h::json(StatusCode::OK, &body)
}

/// The page of a store read that may have stopped at its bound.
pub fn listed_page<T>(listed: &Listed<T>, to_json: impl Fn(&T) -> Value) -> Response {
    resumable_page(listed.items.iter().map(to_json).collect(), listed.has_more, listed.resume_after.clone())
}
