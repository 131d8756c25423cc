//! `Idempotency-Key` on `POST`: the same key with the same request within 24 h answers the first
//! response again and does nothing new; the same key with another request is a `409`.

use std::future::Future;

use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use sha2::{Digest, Sha256};

use loop_adapters::app::App;
use loop_adapters::store::idempotency::Claim;
use loop_adapters::store::keys::{idempotency_pk, IDEMPOTENCY_SK};
use loop_adapters::store::records::IdempotencyItem;
use loop_ground::error::ApiError;
use loop_ground::http::{self as h, Request, Response};
use loop_ground::ids::AccountId;

const WINDOW_SECONDS: i64 = 24 * 3600;
/// A claim without a response this old belongs to a request that died: the API function's
/// timeout is 29 s (`template.yaml`, and API Gateway gives up at 30 s), so no live request holds
/// a claim this long. The next request with the key takes it over instead of waiting 24 h.
pub const ABANDONED_AFTER_SECONDS: i64 = 60;

pub async fn once<F, Fut>(
    app: &App,
    account: &AccountId,
    key: &str,
    request: &Request,
    handle: F,
) -> Result<Response, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Response, ApiError>>,
{
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
        return Err(ApiError::invalid_param(
            "parameter_invalid",
            "Idempotency-Key",
            "Idempotency-Key must be 1 to 255 printable characters.",
        ));
    }
    let mut fingerprint = Sha256::new();
    fingerprint.update(request.method().as_str().as_bytes());
    fingerprint.update(b" ");
    fingerprint.update(request.uri().path().as_bytes());
    fingerprint.update(b"\n");
    fingerprint.update(request.body());
    let now = app.clock.now_unix();
    let mut record = IdempotencyItem {
        pk: idempotency_pk(account, &hex::encode(Sha256::digest(key.as_bytes()))),
        sk: IDEMPOTENCY_SK.to_owned(),
        fingerprint: hex::encode(fingerprint.finalize()),
        status: None,
        body: None,
        content_type: None,
        created_at: now,
        expires_at: now + WINDOW_SECONDS,
    };
    match app.store.claim_idempotency(&record, now - ABANDONED_AFTER_SECONDS).await? {
        Claim::Existing(first) if first.fingerprint != record.fingerprint => Err(ApiError::Idempotency {
            message: "This Idempotency-Key was used with a different request in the last 24 hours.".into(),
        }),
        Claim::Existing(first) => match (first.status, first.body) {
            (Some(status), Some(body)) => Ok(replay(status, body, first.content_type.as_deref())),
            _ => Err(ApiError::Idempotency {
                message: "A request with this Idempotency-Key is still being handled.".into(),
            }),
        },
        Claim::New => {
            let response = handle().await.unwrap_or_else(|err| h::error(&err));
            if response.status().is_server_error() {
                // Not our answer to keep: let a retry try again.
                if let Err(err) = app.store.release_idempotency(&record.pk, record.created_at).await {
                    tracing::warn!(error = %err, "idempotency key not released");
                }
                return Ok(response);
            }
            record.status = Some(response.status().as_u16());
            record.body = Some(String::from_utf8_lossy(response.body()).into_owned());
            record.content_type =
                response.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
            // The work is done: its answer goes back whatever happens to the record. A 5xx here
            // would tell the client to retry work already stored; if the record cannot be
            // completed, a retry after the claim lapses (60 s) runs again, so try a few times.
            let mut tried = 1;
            loop {
                match app.store.complete_idempotency(&record).await {
                    Ok(true) => break,
                    // Taken for dead and taken over: the other request's response is kept.
                    Ok(false) => {
                        tracing::warn!("idempotency claim was taken over before this request finished");
                        break;
                    }
                    Err(err) if tried < COMPLETE_TRIES => {
                        tracing::debug!(error = %err, tried, "idempotency record not completed: trying again");
                        tokio::time::sleep(loop_ground::backoff::jittered(tried)).await;
                        tried += 1;
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "idempotency record not completed; the response stands");
                        break;
                    }
                }
            }
            Ok(response)
        }
    }
}

/// Tries at storing a finished request's response on its idempotency record.
const COMPLETE_TRIES: u32 = 4;

fn replay(status: u16, body: String, content_type: Option<&str>) -> Response {
    let mut response = http::Response::new(Bytes::from(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let content_type = content_type
        .and_then(|c| HeaderValue::from_str(c).ok())
        .unwrap_or(HeaderValue::from_static("application/json"));
    response.headers_mut().insert("content-type", content_type);
    response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}
