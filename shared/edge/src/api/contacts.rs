//! `GET /v1/contacts`, `GET /v1/contact-events`: what Stripe ingest keeps.

use super::list::{page, ListParams};
use loop_adapters::app::App;
use loop_capabilities::accounts::Caller;
use loop_ground::domain::email::Email;
use loop_ground::error::ApiError;
use loop_ground::http::{Request, Response};

fn email_param(raw: &str) -> Result<Email, ApiError> {
    Email::parse(raw)
        .ok_or_else(|| ApiError::invalid_param("parameter_invalid", "email", "email must be an email address."))
}

pub async fn list(app: &App, caller: &Caller, request: &Request) -> Result<Response, ApiError> {
    let params = ListParams::parse(request, &["email"])?;
    let account = &caller.account.id;
    if let Some(email) = params.filter("email") {
        let contact = app.store.get_contact(account, &email_param(email)?).await?;
        return Ok(page(contact.iter().map(|c| c.to_json()).collect(), false));
    }
    let (contacts, has_more) = app.store.list_contacts(account, params.limit, params.starting_after.as_deref()).await?;
    Ok(page(contacts.iter().map(|c| c.to_json()).collect(), has_more))
}

pub async fn events(app: &App, caller: &Caller, request: &Request) -> Result<Response, ApiError> {
    let params = ListParams::parse(request, &["email"])?;
    let email = email_param(params.filter("email").ok_or_else(|| ApiError::missing_param("email"))?)?;
    let (triggers, has_more) =
        app.store.list_triggers(&caller.account.id, &email, params.limit, params.starting_after.as_deref()).await?;
    Ok(page(triggers.iter().map(|t| t.to_json()).collect(), has_more))
}
