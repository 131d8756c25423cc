//! One delivery's POST on the outbound client: the signed headers, IP-literal hosts checked
//! against the SSRF guard (they never reach its resolver), a bounded read of the response, and
//! what a `Retry-After` asked for. The real [`WebhookSender`](crate::ports::WebhookSender).

use std::time::Instant;

use reqwest::header::HeaderValue;

use super::guard::{check_form, is_forbidden};
use crate::ports::{SignedHeaders, WebhookResponse as Response};

/// How much of a response is kept.
pub const RESPONSE_EXCERPT_BYTES: usize = 1024;

pub async fn post(
    client: &reqwest::Client,
    url: &str,
    headers: &SignedHeaders,
    body: &str,
    allow_private: bool,
) -> Response {
    let started = Instant::now();
    let failed = |error: String| Response {
        status: None,
        duration_ms: started.elapsed().as_millis() as u64,
        error: Some(error),
        body: None,
        retry_after_seconds: None,
    };
    // IP-literal hosts never reach the resolver: check them here.
    let url = match check_form(url, allow_private) {
        Ok(url) => url,
        Err(err) => return failed(err.to_string()),
    };
    if !allow_private {
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
            _ => None,
        };
        if literal.is_some_and(is_forbidden) {
            return failed("the endpoint's address is internal".into());
        }
    }
    let header = |v: &str| HeaderValue::from_str(v).unwrap_or_else(|_| HeaderValue::from_static("invalid"));
    let request = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", header(&headers.webhook_id))
        .header("webhook-timestamp", header(&headers.webhook_timestamp))
        .header("webhook-signature", header(&headers.webhook_signature))
        .header("loops-signature", header(&headers.loops_signature))
        .header("loop-signature", header(&headers.loop_signature))
        .body(body.to_owned());
    let mut response = match request.send().await {
        Ok(response) => response,
        Err(err) => return failed(describe(&err)),
    };
    let status = response.status().as_u16();
    let retry_after_seconds = match status {
        429 | 503 => response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after_seconds(v, std::time::SystemTime::now())),
        _ => None,
    };
    let mut excerpt = Vec::new();
    // Read at most the excerpt; the rest is not waited for.
    while excerpt.len() < RESPONSE_EXCERPT_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                excerpt.extend_from_slice(&chunk[..chunk.len().min(RESPONSE_EXCERPT_BYTES - excerpt.len())])
            }
            _ => break,
        }
    }
    let error = match status {
        200..=299 => None,
        300..=399 => Some(format!("redirect ({status}) not followed")),
        _ => Some(format!("HTTP {status}")),
    };
    Response {
        status: Some(status),
        duration_ms: started.elapsed().as_millis() as u64,
        error,
        body: (!excerpt.is_empty()).then(|| String::from_utf8_lossy(&excerpt).into_owned()),
        retry_after_seconds,
    }
}

/// A `Retry-After` value as seconds from `now`: delay-seconds, or an HTTP date (IMF-fixdate, on
/// the receiver's clock, hence the real clock here). A date in the past asks for no wait; a
/// value that is neither form is ignored.
pub fn retry_after_seconds(value: &str, now: std::time::SystemTime) -> Option<u32> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds.min(u64::from(u32::MAX)) as u32);
    }
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = time::PrimitiveDateTime::parse(value, format).ok()?.assume_utc();
    let now = time::OffsetDateTime::from(now);
    Some((at - now).whole_seconds().clamp(0, i64::from(u32::MAX)) as u32)
}

/// A short, secret-free description of a transport failure.
fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        return "timed out after 15 s".into();
    }
    if err.is_connect() {
        let mut source = std::error::Error::source(err);
        while let Some(inner) = source {
            if inner.to_string().contains("internal addresses") {
                return "the endpoint's host resolves only to internal addresses".into();
            }
            source = inner.source();
        }
        return "connection failed".into();
    }
    "request failed".into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    #[test]
    fn retry_after_is_read_as_seconds_or_as_an_http_date() {
        // 1994-11-06T08:49:37Z, the RFC's example date
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(retry_after_seconds("3", now), Some(3));
        assert_eq!(retry_after_seconds(" 120 ", now), Some(120));
        assert_eq!(retry_after_seconds("Sun, 06 Nov 1994 08:50:07 GMT", now), Some(30));
        assert_eq!(retry_after_seconds("Sun, 06 Nov 1994 08:00:00 GMT", now), Some(0), "a date past");
        assert_eq!(retry_after_seconds("soon", now), None);
        assert_eq!(retry_after_seconds("-5", now), None);
        assert_eq!(retry_after_seconds("", SystemTime::now()), None);
    }
}
