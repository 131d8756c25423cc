//! The email function's routes: contacts and their events, email templates, transactional email
//! and its records, workflows, `PATCH /v1/account` (a new sender is checked with SES) and the
//! unsubscribe page. The only routes that reach SES, MIME and templates.

use http::Method;

use super::{account, contacts, email, unsubscribe, workflows, Answer, Route, Service};
use crate::edge::HttpFunction;
use loop_adapters::app::App;
use loop_capabilities::accounts::Caller;
use loop_ground::error::ApiError;
use loop_ground::http::Request;

pub(crate) struct Email;

impl Service for Email {
    const FUNCTION: HttpFunction = HttpFunction::Email;

    fn public<'a>(app: &'a App, route: Route<'a>, request: &'a Request) -> Option<Answer<'a>> {
        match route {
            // The token is the credential: no API key.
            Route::Unsubscribe(token) => Some(Box::pin(unsubscribe::serve(app, token, request))),
            _ => None,
        }
    }

    fn dispatch<'a>(app: &'a App, caller: Caller, route: Route<'a>, request: &'a Request) -> Answer<'a> {
        Box::pin(async move {
            match (route, request.method().clone()) {
                (Route::Account, Method::PATCH) => account::patch(app, caller, request).await,
                (Route::Contacts, Method::GET) => contacts::list(app, &caller, request).await,
                (Route::Contacts, Method::POST) => contacts::create(app, &caller, request).await,
                (Route::Contacts, Method::PUT) => contacts::put(app, &caller, request).await,
                (Route::Contact(id), Method::GET) => contacts::get(app, &caller, id).await,
                (Route::Contact(id), Method::DELETE) => contacts::delete(app, &caller, id).await,
                (Route::ContactEvents, Method::GET) => contacts::events(app, &caller, request).await,
                (Route::ContactEvents, Method::POST) => contacts::send_event(app, &caller, request).await,
                (Route::EmailTemplates, Method::GET) => email::list_templates(app, &caller, request).await,
                (Route::EmailTemplates, Method::POST) => email::create_template(app, &caller, request).await,
                (Route::EmailTemplate(id), Method::GET) => email::get_template(app, &caller, id).await,
                (Route::EmailTemplate(id), Method::PATCH) => email::update_template(app, &caller, id, request).await,
                (Route::EmailTemplate(id), Method::DELETE) => email::delete_template(app, &caller, id).await,
                (Route::PreviewTemplate(id), Method::POST) => email::preview(app, &caller, id, request).await,
                (Route::Transactional, Method::POST) => email::send_transactional(app, &caller, request).await,
                (Route::Emails, Method::GET) => email::list_emails(app, &caller, request).await,
                (Route::Email(id), Method::GET) => email::get_email(app, &caller, id).await,
                (Route::Workflows, Method::GET) => workflows::list(app, &caller, request).await,
                (Route::Workflows, Method::POST) => workflows::create(app, &caller, request).await,
                (Route::Workflow(id), Method::GET) => workflows::get(app, &caller, id).await,
                (Route::Workflow(id), Method::PATCH) => workflows::update(app, &caller, id, request).await,
                (Route::Workflow(id), Method::DELETE) => workflows::delete(app, &caller, id).await,
                (Route::WorkflowRuns(id), Method::GET) => workflows::runs(app, &caller, id, request).await,
                (route, _) => Err(ApiError::MethodNotAllowed { allowed: route.allowed() }),
            }
        })
    }
}
