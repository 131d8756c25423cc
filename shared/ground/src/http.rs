//! HTTP types shared by API Gateway (through `lambda_http`) and the local runner: plain
//! `http::Request<Bytes>` in, `http::Response<Bytes>` out.

use bytes::Bytes;
use http::{header, HeaderValue, StatusCode};
use serde::Serialize;

use crate::error::ApiError;
use crate::ids::new_id;

pub type Request = http::Request<Bytes>;
pub type Response = http::Response<Bytes>;

/// Bodies above this are refused with `413` before they are parsed.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub fn json(status: StatusCode, value: &impl Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => with_body(status, "application/json", body),
        Err(err) => {
            tracing::error!(error = %err, "response did not serialize");
            error(&ApiError::Internal)
        }
    }
}

pub fn error(err: &ApiError) -> Response {
    let mut response = match serde_json::to_vec(&err.body()) {
        Ok(body) => with_body(err.status(), "application/json", body),
        Err(_) => with_body(StatusCode::INTERNAL_SERVER_ERROR, "application/json", Vec::new()),
    };
    if let ApiError::MethodNotAllowed { allowed } = err {
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allowed));
    }
    if let ApiError::RateLimited { retry_after_seconds, .. } = err {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_seconds));
    }
    response
}

/// A page with the default policy: no scripts, inline styles only, nothing loaded.
pub fn html(status: StatusCode, body: String) -> Response {
    html_with_csp(
        status,
        body,
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'",
    )
}

/// A page under its own Content-Security-Policy (a page with a script gives it a nonce per
/// response). Never cached, so a nonce is never served twice; never framed, never sniffed, and
/// no `Referer` leaves with the page's URL (a checkout URL is a capability).
pub fn html_with_csp(status: StatusCode, body: String, csp: &str) -> Response {
    let mut response = with_body(status, "text/html; charset=utf-8", body.into_bytes());
    let headers = response.headers_mut();
    // A policy that is not a valid header value falls back to the strictest one.
    let csp = HeaderValue::from_str(csp).unwrap_or(HeaderValue::from_static("default-src 'none'"));
    headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn with_body(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response {
    let mut response = http::Response::new(Bytes::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// The response of a handler's result, errors rendered as the API's error body, with a
/// `Request-Id`: how every route ends.
pub fn finish(result: Result<Response, ApiError>) -> Response {
    with_request_id(result.unwrap_or_else(|err| error(&err)))
}

/// Stamps a fresh `Request-Id` on a response (every response carries one).
pub fn with_request_id(mut response: Response) -> Response {
    if let Ok(value) = HeaderValue::from_str(&new_id("req_")) {
        response.headers_mut().insert("request-id", value);
    }
    response
}

/// The deployment's public base URL: configured (`LOOP_PUBLIC_BASE_URL`), or the one the
/// request came in on (API Gateway's host, or the local runner's).
pub fn public_base_url(configured: Option<&str>, request: &Request) -> String {
    if let Some(base) = configured {
        return base.to_owned();
    }
    let host = header(request, "host").filter(|h| h.chars().all(|c| c.is_ascii_graphic())).unwrap_or("localhost");
    let proto = header(request, "x-forwarded-proto")
        .filter(|p| *p == "http" || *p == "https")
        .unwrap_or(if host.starts_with("127.0.0.1") || host.starts_with("localhost") { "http" } else { "https" });
    format!("{proto}://{host}")
}

pub fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The decoded query string's pairs.
pub fn query_pairs(request: &Request) -> Vec<(String, String)> {
    request.uri().query().map(parse_query).unwrap_or_default()
}

/// The decoded pairs of an `application/x-www-form-urlencoded` body (an HTML form's post).
pub fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    std::str::from_utf8(body).map(parse_query).unwrap_or_default()
}

fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex_value(bytes[i + 1]), hex_value(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_are_decoded() {
        assert_eq!(
            parse_query("email=Jenny%2BX%40example.com&limit=5&flag"),
            vec![
                ("email".to_owned(), "Jenny+X@example.com".to_owned()),
                ("limit".to_owned(), "5".to_owned()),
                ("flag".to_owned(), String::new()),
            ]
        );
        assert_eq!(parse_query("a=%zz&b=%4"), vec![("a".into(), "%zz".into()), ("b".into(), "%4".into())]);
        assert_eq!(parse_query("a=%E2%82%AC"), vec![("a".into(), "€".into())]);
        assert_eq!(parse_query("a=%€x"), vec![("a".into(), "%€x".into())]);
    }

    #[test]
    fn errors_are_json_with_their_status() {
        let response = error(&ApiError::MethodNotAllowed { allowed: "GET, PATCH" });
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[header::ALLOW], "GET, PATCH");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    }

    #[test]
    fn pages_carry_their_policy_and_are_never_framed_sniffed_or_cached() {
        let response = html_with_csp(StatusCode::OK, "<p>x</p>".into(), "default-src 'none'; script-src 'nonce-abc'");
        let headers = response.headers();
        assert_eq!(headers[header::CONTENT_SECURITY_POLICY], "default-src 'none'; script-src 'nonce-abc'");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        let broken = html_with_csp(StatusCode::OK, String::new(), "default-src 'none'\n; script-src *");
        assert_eq!(broken.headers()[header::CONTENT_SECURITY_POLICY], "default-src 'none'");
    }
}
