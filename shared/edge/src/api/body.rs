//! Request bodies: size, media type and JSON shape, checked before any route logic runs.

use serde_json::{Map, Value};

use loop_ground::error::ApiError;
use loop_ground::http::{header, Request, MAX_BODY_BYTES};

/// What `api.md` asks of every request body, whatever the route does with it: at most 1 MiB
/// (here), and `application/json` unless it is empty (`check_media_type`). The edge checks both
/// once, before any route runs, so that routes which read no fields (rotate-secret, the session
/// test helpers) answer as the rest do.
pub fn check_size(request: &Request) -> Result<(), ApiError> {
    if request.body().len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    Ok(())
}

/// A body, if there is one, must say it is JSON (`application/json`, or a `+json` type).
pub fn check_media_type(request: &Request) -> Result<(), ApiError> {
    // A bodyless POST is common (`curl -X POST`, clients that always send a content type).
    if request.body().iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    let is_json = header(request, "content-type").and_then(|v| v.split(';').next()).is_some_and(|media| {
        let media = media.trim().to_ascii_lowercase();
        media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
    });
    if !is_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    Ok(())
}

/// The body as a JSON object, once [`check_media_type`] has passed. An empty body reads as `{}`.
pub fn json_object(request: &Request) -> Result<Map<String, Value>, ApiError> {
    let body = request.body();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::invalid("invalid_body", "The request body must be a JSON object.")),
        Err(err) => Err(ApiError::invalid("invalid_json", format!("The request body is not valid JSON: {err}."))),
    }
}

/// Refuses fields a route does not know, naming the first one (`prefix` dots nested objects).
pub fn reject_unknown(map: &Map<String, Value>, known: &[&str], prefix: &str) -> Result<(), ApiError> {
    match map.keys().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(unknown) => {
            let param = format!("{prefix}{unknown}");
            Err(ApiError::invalid_param("parameter_unknown", &param, format!("Unknown parameter: {param}.")))
        }
    }
}

pub fn wrong_type(param: &str, expected: &str) -> ApiError {
    ApiError::invalid_param("parameter_invalid", param, format!("{param} must be {expected}."))
}
