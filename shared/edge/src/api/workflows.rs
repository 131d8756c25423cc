//! `/v1/workflows` and `/v1/workflows/{id}/runs` (`email.md`, "Workflows").

use http::StatusCode;
use serde_json::{json, Map, Value};

use super::body::{json_object, reject_unknown, wrong_type};
use super::list::{page, ListParams};
use loop_adapters::app::App;
use loop_capabilities::accounts::Caller;
use loop_capabilities::email::workflows::{self, WorkflowError, WorkflowFields};
use loop_ground::domain::contact::valid_event_name;
use loop_ground::domain::workflow::{Step, WorkflowStatus, MAX_STEPS, MAX_WAIT_SECONDS};
use loop_ground::error::ApiError;
use loop_ground::http::{self as h, Request, Response};

fn workflow_error(err: WorkflowError) -> ApiError {
    match err {
        WorkflowError::UnknownWorkflow => ApiError::not_found("workflow"),
        WorkflowError::UnknownTemplate { ref param, .. } => {
            ApiError::invalid_param("resource_missing", param.clone(), err.to_string())
        }
        WorkflowError::InvalidSteps(message) => {
            let param = message.split_whitespace().next().unwrap_or("steps").to_owned();
            ApiError::invalid_param("parameter_invalid", param, message)
        }
        WorkflowError::TooMany => ApiError::Conflict { code: "workflow_limit", message: err.to_string() },
        WorkflowError::Store(err) => err.into(),
    }
}

fn text(body: &Map<String, Value>, param: &str, max: usize) -> Result<Option<String>, ApiError> {
    match body.get(param) {
        None => Ok(None),
        Some(Value::String(s))
            if !s.trim().is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control) =>
        {
            Ok(Some(s.clone()))
        }
        Some(_) => Err(wrong_type(param, &format!("a non-empty string of at most {max} characters"))),
    }
}

fn step(i: usize, raw: &Value) -> Result<Step, ApiError> {
    let param = format!("steps[{i}]");
    let Value::Object(step) = raw else { return Err(wrong_type(&param, "an object")) };
    match step.get("type").and_then(Value::as_str) {
        Some("wait") => {
            reject_unknown(step, &["type", "seconds"], &format!("{param}."))?;
            let seconds = step.get("seconds").and_then(Value::as_u64).filter(|s| (1..=MAX_WAIT_SECONDS).contains(s));
            let seconds = seconds.ok_or_else(|| {
                wrong_type(
                    &format!("{param}.seconds"),
                    &format!("a whole number of seconds from 1 to {MAX_WAIT_SECONDS}"),
                )
            })?;
            Ok(Step::Wait { seconds })
        }
        Some("email") => {
            reject_unknown(step, &["type", "templateId"], &format!("{param}."))?;
            match step.get("templateId") {
                Some(Value::String(id)) if super::list::is_id(id) => Ok(Step::Email { template_id: id.clone() }),
                None | Some(Value::Null) => Err(ApiError::missing_param(&format!("{param}.templateId"))),
                Some(_) => Err(wrong_type(&format!("{param}.templateId"), "an email template id (et_…)")),
            }
        }
        _ => Err(wrong_type(&format!("{param}.type"), "\"wait\" or \"email\"")),
    }
}

/// The fields a create or update body sets, and the trigger's event name when given.
fn fields(body: &Map<String, Value>) -> Result<(WorkflowFields, Option<String>), ApiError> {
    reject_unknown(body, &["name", "trigger", "audience", "steps", "status"], "")?;
    let event_name = match body.get("trigger") {
        None => None,
        Some(Value::Object(trigger)) => {
            reject_unknown(trigger, &["eventName"], "trigger.")?;
            match trigger.get("eventName") {
                Some(Value::String(name)) if valid_event_name(name) => Some(name.clone()),
                None | Some(Value::Null) => return Err(ApiError::missing_param("trigger.eventName")),
                Some(_) => return Err(wrong_type("trigger.eventName", "a string of 1 to 100 characters without ':'")),
            }
        }
        Some(_) => return Err(wrong_type("trigger", "an object with eventName")),
    };
    let user_group = match body.get("audience") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::Object(audience)) => {
            reject_unknown(audience, &["userGroup"], "audience.")?;
            match audience.get("userGroup") {
                None | Some(Value::Null) => Some(None),
                Some(Value::String(g)) if !g.trim().is_empty() && g.chars().count() <= 200 => Some(Some(g.clone())),
                Some(_) => {
                    return Err(wrong_type("audience.userGroup", "a non-empty string of at most 200 characters"))
                }
            }
        }
        Some(_) => return Err(wrong_type("audience", "an object with userGroup, or null")),
    };
    let steps = match body.get("steps") {
        None => None,
        Some(Value::Array(raw)) if !raw.is_empty() && raw.len() <= MAX_STEPS => {
            Some(raw.iter().enumerate().map(|(i, s)| step(i, s)).collect::<Result<Vec<_>, _>>()?)
        }
        Some(_) => return Err(wrong_type("steps", &format!("an array of 1 to {MAX_STEPS} steps"))),
    };
    let status = match body.get("status") {
        None => None,
        Some(Value::String(s)) if s == "active" => Some(WorkflowStatus::Active),
        Some(Value::String(s)) if s == "paused" => Some(WorkflowStatus::Paused),
        Some(_) => return Err(wrong_type("status", "\"active\" or \"paused\"")),
    };
    let name = text(body, "name", 200)?;
    Ok((WorkflowFields { name, event_name: event_name.clone(), user_group, steps, status }, event_name))
}

/// `POST /v1/workflows` → `201` with the workflow.
pub async fn create(app: &App, caller: &Caller, request: &Request) -> Result<Response, ApiError> {
    let body = json_object(request)?;
    let (mut f, event_name) = fields(&body)?;
    let name = f.name.take().ok_or_else(|| ApiError::missing_param("name"))?;
    let event_name = event_name.ok_or_else(|| ApiError::missing_param("trigger.eventName"))?;
    if f.steps.is_none() {
        return Err(ApiError::missing_param("steps"));
    }
    let workflow = workflows::create(app, &caller.account.id, name, event_name, f).await.map_err(workflow_error)?;
    Ok(h::json(StatusCode::CREATED, &workflow.to_json()))
}

pub async fn list(app: &App, caller: &Caller, request: &Request) -> Result<Response, ApiError> {
    let params = ListParams::parse(request, &[])?;
    let (found, has_more) =
        app.store.list_workflows(&caller.account.id, params.limit, params.starting_after.as_deref()).await?;
    Ok(page(found.iter().map(|w| w.to_json()).collect(), has_more))
}

pub async fn get(app: &App, caller: &Caller, id: &str) -> Result<Response, ApiError> {
    let workflow =
        app.store.get_workflow(&caller.account.id, id).await?.ok_or_else(|| ApiError::not_found("workflow"))?;
    Ok(h::json(StatusCode::OK, &workflow.to_json()))
}

pub async fn update(app: &App, caller: &Caller, id: &str, request: &Request) -> Result<Response, ApiError> {
    let (f, _) = fields(&json_object(request)?)?;
    let workflow = workflows::update(app, &caller.account.id, id, f).await.map_err(workflow_error)?;
    Ok(h::json(StatusCode::OK, &workflow.to_json()))
}

pub async fn delete(app: &App, caller: &Caller, id: &str) -> Result<Response, ApiError> {
    let workflow = workflows::delete(app, &caller.account.id, id).await.map_err(workflow_error)?;
    Ok(h::json(StatusCode::OK, &json!({"id": workflow.id, "deleted": true})))
}

/// `GET /v1/workflows/{id}/runs`, newest first.
pub async fn runs(app: &App, caller: &Caller, id: &str, request: &Request) -> Result<Response, ApiError> {
    let params = ListParams::parse(request, &[])?;
    if app.store.get_workflow(&caller.account.id, id).await?.is_none() {
        return Err(ApiError::not_found("workflow"));
    }
    let (found, has_more) =
        app.store.list_runs(&caller.account.id, id, params.limit, params.starting_after.as_deref()).await?;
    Ok(page(found.iter().map(workflows::run_json).collect(), has_more))
}
