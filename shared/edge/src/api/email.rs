//! `/v1/email-templates` (with `…/{id}/preview`), `POST /v1/transactional` and `/v1/emails`.

use http::StatusCode;
use serde_json::{json, Map, Value};

use super::body::{json_object, reject_unknown, wrong_type};
use super::list::{page, ListParams};
use loop_adapters::app::App;
use loop_capabilities::accounts::Caller;
use loop_capabilities::email::render::TemplateError;
use loop_capabilities::email::{self, EmailError, TemplateFields, Transactional};
use loop_ground::domain::email::Email;
use loop_ground::error::ApiError;
use loop_ground::http::{self as h, Request, Response};

fn email_error(err: EmailError) -> ApiError {
    match err {
        EmailError::UnknownTemplate => ApiError::not_found("email template"),
        EmailError::Template(err) => template_error(err),
        EmailError::InUse => ApiError::Conflict { code: "template_in_use", message: err.to_string() },
        EmailError::NoSender => ApiError::Conflict { code: "sender_not_configured", message: err.to_string() },
        EmailError::Contact(err) => match err {
            loop_capabilities::contacts::ContactError::Store(err) => err.into(),
            other => ApiError::Conflict { code: "contact_conflict", message: other.to_string() },
        },
        EmailError::Store(err) => err.into(),
    }
}

fn template_error(err: TemplateError) -> ApiError {
    ApiError::invalid_param("template_invalid", err.part, err.to_string())
}

/// A template part: a string of 1 to `max` characters.
fn part(body: &Map<String, Value>, param: &str, max: usize) -> Result<Option<String>, ApiError> {
    match body.get(param) {
        None => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= max => Ok(Some(s.clone())),
        Some(_) => Err(wrong_type(param, &format!("a non-empty string of at most {max} characters"))),
    }
}

const MAX_HTML: usize = 200_000;

fn fields(body: &Map<String, Value>) -> Result<TemplateFields, ApiError> {
    reject_unknown(body, &["name", "subject", "html", "text"], "")?;
    let name = part(body, "name", 200)?;
    if name.as_deref().is_some_and(|n| n.chars().any(char::is_control)) {
        return Err(wrong_type("name", "a name without control characters"));
    }
    let text = match body.get("text") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(_) => Some(part(body, "text", MAX_HTML)?),
    };
    Ok(TemplateFields { name, subject: part(body, "subject", 998)?, html: part(body, "html", MAX_HTML)?, text })
}

pub async fn create_template(app: &App, caller: &Caller, request: &Request) -> Result<Response, ApiError> {
    let body = json_object(request)?;
    let f = fields(&body)?;
    let name = f.name.ok_or_else(|| ApiError::missing_param("name"))?;
    let subject = f.subject.ok_or_else(|| ApiError::missing_param("subject"))?;
    let html = f.html.ok_or_else(|| ApiError::missing_param("html"))?;
    let template = email::create_template(app, &caller.account, name, subject, html, f.text.flatten())
        .await
        .map_err(email_error)?;
    Ok(h::json(StatusCode::CREATED, &template.to_json()))
}

pub async fn list_templates(app: &App, caller: &Caller, request: &Request) -> Result<Response, ApiError> {
    let params = ListParams::parse(request, &[])?;
    let (templates, has_more) =
        app.store.list_templates(&caller.account.id, params.limit, params.starting_after.as_deref()).await?;
    Ok(page(templates.iter().map(|t| t.to_json()).collect(), has_more))
}

pub async fn get_template(app: &App, caller: &Caller, id: &str) -> Result<Response, ApiError> {
    let template =
        app.store.get_template(&caller.account.id, id).await?.ok_or_else(|| ApiError::not_found("email template"))?;
    Ok(h::json(StatusCode::OK, &template.to_json()))
}

pub async fn update_template(app: &App, caller: &Caller, id: &str, request: &Request) -> Result<Response, ApiError> {
    let f = fields(&json_object(request)?)?;
    let template = email::update_template(app, &caller.account, id, f).await.map_err(email_error)?;
    Ok(h::json(StatusCode::OK, &template.to_json()))
}

pub async fn delete_template(app: &App, caller: &Caller, id: &str) -> Result<Response, ApiError> {
    let template = email::delete_template(app, &caller.account, id).await.map_err(email_error)?;
    Ok(h::json(StatusCode::OK, &json!({"id": template.id, "deleted": true})))
}

/// `POST /v1/email-templates/{id}/preview` `{contact?, eventProperties?}` → `{subject, html, text}`.
pub async fn preview(app: &App, caller: &Caller, id: &str, request: &Request) -> Result<Response, ApiError> {
    let body = json_object(request)?;
    reject_unknown(&body, &["contact", "eventProperties"], "")?;
    let contact = match body.get("contact") {
        None | Some(Value::Null) => None,
        Some(Value::Object(c)) => Some(Value::Object(c.clone())),
        Some(_) => return Err(wrong_type("contact", "an object")),
    };
    let properties = match body.get("eventProperties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(_) => return Err(wrong_type("eventProperties", "an object")),
    };
    let template =
        app.store.get_template(&caller.account.id, id).await?.ok_or_else(|| ApiError::not_found("email template"))?;
    let base = super::checkout::base_url(app, request);
    let rendered = email::preview(&template, &caller.account, contact, &properties, &base).map_err(template_error)?;
    Ok(h::json(StatusCode::OK, &json!({"subject": rendered.subject, "html": rendered.html, "text": rendered.text})))
}

/// `POST /v1/transactional` `{transactionalId, email, dataVariables?, addToAudience?}` →
/// `200 {"success": true, "id": "em_…"}`; a send SES refused is recorded and answered with
/// `success: false` and SES's reason (sending it again would not help).
pub async fn send_transactional(app: &App, caller: &Caller, request: &Request) -> Result<Response, ApiError> {
    let body = json_object(request)?;
    reject_unknown(&body, &["transactionalId", "email", "dataVariables", "addToAudience", "attachments"], "")?;
    if body.contains_key("attachments") {
        return Err(ApiError::invalid_param("parameter_unsupported", "attachments", "attachments are not supported."));
    }
    let template_id = match body.get("transactionalId") {
        None | Some(Value::Null) => return Err(ApiError::missing_param("transactionalId")),
        Some(Value::String(id)) if super::list::is_id(id) => id.clone(),
        Some(_) => return Err(wrong_type("transactionalId", "an email template id (et_…)")),
    };
    let to = match body.get("email") {
        None | Some(Value::Null) => return Err(ApiError::missing_param("email")),
        Some(Value::String(raw)) => Email::parse(raw)
            .ok_or_else(|| ApiError::invalid_param("parameter_invalid", "email", "email must be an email address."))?,
        Some(_) => return Err(wrong_type("email", "an email address")),
    };
    let data_variables = match body.get("dataVariables") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(v)) => v.clone(),
        Some(_) => return Err(wrong_type("dataVariables", "an object")),
    };
    let add_to_audience = match body.get("addToAudience") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(wrong_type("addToAudience", "a boolean")),
    };
    let request = Transactional { template_id, to, data_variables, add_to_audience };
    let sent = match email::send_transactional(app, &caller.account, &request).await {
        Err(EmailError::UnknownTemplate) => {
            return Err(ApiError::not_found_param("transactionalId", "No such email template."));
        }
        other => other.map_err(email_error)?,
    };
    let mut answer = json!({"success": sent.status == "sent", "id": sent.id});
    if let Some(reason) = &sent.reason {
        answer["status"] = json!(sent.status);
        answer["reason"] = json!(reason);
    }
    Ok(h::json(StatusCode::OK, &answer))
}

/// `GET /v1/emails?email=…` or `?workflowId=…`, newest first.
pub async fn list_emails(app: &App, caller: &Caller, request: &Request) -> Result<Response, ApiError> {
    let params = ListParams::parse(request, &["email", "workflowId"])?;
    let (emails, has_more) = match (params.filter("email"), params.filter("workflowId")) {
        (Some(raw), _) => {
            let to = Email::parse(raw).ok_or_else(|| {
                ApiError::invalid_param("parameter_invalid", "email", "email must be an email address.")
            })?;
            app.store.list_emails_to(&caller.account.id, &to, params.limit, params.starting_after.as_deref()).await?
        }
        (None, Some(workflow)) if super::list::is_id(workflow) => {
            app.store
                .list_emails_of_workflow(&caller.account.id, workflow, params.limit, params.starting_after.as_deref())
                .await?
        }
        (None, Some(_)) => return Err(wrong_type("workflowId", "a workflow id (wf_…)")),
        (None, None) => return Err(ApiError::missing_param("email")),
    };
    Ok(page(emails.iter().map(|e| e.to_json()).collect(), has_more))
}

pub async fn get_email(app: &App, caller: &Caller, id: &str) -> Result<Response, ApiError> {
    let sent = app.store.get_email(&caller.account.id, id).await?.ok_or_else(|| ApiError::not_found("email"))?;
    Ok(h::json(StatusCode::OK, &sent.to_json()))
}
