//! Email (`email.md`): templates (saved only if they parse; [`render`] is the pure renderer),
//! previews, and transactional sends through the account's sending identity, each recorded as
//! what was sent (`sent`, or `failed` with SES's reason: a refusal is final, never retried).

pub mod automated;
pub mod feedback;
pub mod render;
pub mod workflows;

use serde_json::{json, Map, Value};

use crate::contacts::{self, ContactError, ContactFields, Mode};
use loop_adapters::app::App;
use loop_adapters::mailer::{mime, Outgoing, SendError, Unsubscribe};
use loop_adapters::ports::MessageQueue;
use loop_adapters::queue::OutgoingMessage;
use loop_adapters::store::Write;
use loop_ground::domain::account::{Account, EmailSettings};
use loop_ground::domain::email::Email;
use loop_ground::domain::email_template::{EmailTemplate, SentEmail};
use loop_ground::error::StoreError;
use loop_ground::ids::{new_sortable_id, AccountId};
use render::{Rendered, TemplateError};

#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("no such email template")]
    UnknownTemplate,
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("An active workflow sends this template: pause or change the workflow first.")]
    InUse,
    #[error("This account has no sending identity: set email.fromAddress with PATCH /v1/account.")]
    NoSender,
    #[error(transparent)]
    Contact(#[from] ContactError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The fields of a template a request sets; `None` keeps the stored value.
#[derive(Debug, Default)]
pub struct TemplateFields {
    pub name: Option<String>,
    pub subject: Option<String>,
    pub html: Option<String>,
    /// `Some(None)`: derive the text from the HTML.
    pub text: Option<Option<String>>,
}

pub async fn create_template(
    app: &App,
    account: &Account,
    name: String,
    subject: String,
    html: String,
    text: Option<String>,
) -> Result<EmailTemplate, EmailError> {
    render::check(&subject, &html, text.as_deref())?;
    let now_ms = app.clock.now_millis();
    let now = app.clock.now_unix();
    let template = EmailTemplate {
        id: new_sortable_id("et_", now_ms),
        name,
        subject,
        html,
        text,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    if !app.store.put_template(&account.id, &template).await? {
        return Err(StoreError::Unavailable("template id collision; try again".into()).into());
    }
    Ok(template)
}

pub async fn update_template(
    app: &App,
    account: &Account,
    id: &str,
    fields: TemplateFields,
) -> Result<EmailTemplate, EmailError> {
    for _ in 0..4 {
        let current = app.store.get_template(&account.id, id).await?.ok_or(EmailError::UnknownTemplate)?;
        let mut updated = current.clone();
        if let Some(v) = &fields.name {
            updated.name = v.clone();
        }
        if let Some(v) = &fields.subject {
            updated.subject = v.clone();
        }
        if let Some(v) = &fields.html {
            updated.html = v.clone();
        }
        if let Some(v) = &fields.text {
            updated.text = v.clone();
        }
        render::check(&updated.subject, &updated.html, updated.text.as_deref())?;
        if updated == current {
            return Ok(current);
        }
        updated.version = current.version + 1;
        updated.updated_at = app.clock.now_unix();
        if app.store.put_template(&account.id, &updated).await? {
            return Ok(updated);
        }
    }
    Err(StoreError::Unavailable("the template keeps changing; try again".into()).into())
}

pub async fn delete_template(app: &App, account: &Account, id: &str) -> Result<EmailTemplate, EmailError> {
    if workflows::template_in_use(app, &account.id, id).await? {
        return Err(EmailError::InUse);
    }
    for _ in 0..4 {
        let current = app.store.get_template(&account.id, id).await?.ok_or(EmailError::UnknownTemplate)?;
        if app.store.delete_template(&account.id, id, current.version).await? {
            return Ok(current);
        }
    }
    Err(StoreError::Unavailable("the template keeps changing; try again".into()).into())
}

/// Hands what a commit started to dispatch at once: the workflow runs (`Write::PutRun`) and the
/// automated emails (`Write::PutMailJob`) among `writes`. Best effort: both are on the due index,
/// where the scheduler finds them within a minute if this send is lost.
pub async fn hand_over(queue: &impl MessageQueue, account: &AccountId, writes: &[Write]) {
    let messages: Vec<OutgoingMessage> = writes
        .iter()
        .filter_map(|w| match w {
            Write::PutRun(run) => Some(workflows::pointer(account, &run.id, 0)),
            Write::PutMailJob { event_id, .. } => Some(automated::pointer(account, event_id)),
            _ => None,
        })
        .collect();
    if messages.is_empty() {
        return;
    }
    if let Err(err) = queue.send(&messages).await {
        tracing::warn!(account = %account, error = %err, "runs and emails not handed to dispatch; the scheduler will");
    }
}

/// `account` as templates see it.
pub fn account_variables(account: &Account) -> Value {
    json!({"name": account.name, "supportEmail": account.support_email})
}

/// The contact a preview renders for when none is given.
pub fn sample_contact() -> Value {
    json!({"id": "ct_sample", "email": "jane@example.com", "firstName": "Jane", "lastName": "Doe", "userGroup": null,
           "source": "api", "subscribed": true, "userId": null})
}

/// Renders `template` for a preview: the given contact and event properties, or samples.
pub fn preview(
    template: &EmailTemplate,
    account: &Account,
    contact: Option<Value>,
    event_properties: &Map<String, Value>,
    base_url: &str,
) -> Result<Rendered, TemplateError> {
    let unsubscribe = format!("{base_url}/u/preview");
    let variables = render::variables(
        contact.unwrap_or_else(sample_contact),
        Some("preview"),
        event_properties,
        account_variables(account),
        Some(&unsubscribe),
    );
    render::render(template, &variables)
}

/// What became of one send: `sent` with SES's message id, or `failed` with the reason.
pub(crate) struct SendOutcome {
    pub sent: bool,
    pub reason: Option<String>,
    pub ses_message_id: Option<String>,
}

impl SendOutcome {
    pub(crate) fn record_on(self, record: &mut SentEmail) {
        record.status = if self.sent { "sent" } else { "failed" }.to_owned();
        record.reason = self.reason;
        record.ses_message_id = self.ses_message_id;
    }
}

/// Builds and sends one rendered email from the account's sending identity. A refusal (by SES,
/// or an address lettre will not build) is an outcome; SES unavailable is an error (nothing sent).
pub(crate) async fn send_rendered(
    app: &App,
    account: &Account,
    sender: &EmailSettings,
    to: &Email,
    email_id: &str,
    rendered: &Rendered,
    unsubscribe: Option<Unsubscribe<'_>>,
) -> Result<SendOutcome, StoreError> {
    let outgoing = Outgoing {
        from_name: sender.from_name.as_deref(),
        from_address: &sender.from_address,
        to: to.as_str(),
        reply_to: account.reply_to(),
        subject: &rendered.subject,
        text: &rendered.text,
        html: &rendered.html,
        unsubscribe,
    };
    let failed = |reason: String| SendOutcome { sent: false, reason: Some(reason), ses_message_id: None };
    let raw = match mime(&outgoing) {
        Ok(raw) => raw,
        Err(err) => return Ok(failed(err.to_string())),
    };
    // SES hands the tags back with a bounce or complaint: the email it is about (`feedback`).
    let tags = [(feedback::ACCOUNT_TAG, account.id.as_str()), (feedback::EMAIL_TAG, email_id)];
    match app.mailer().send_raw(&sender.from_address, to.as_str(), raw, &tags).await {
        Ok(message_id) => Ok(SendOutcome { sent: true, reason: None, ses_message_id: Some(message_id) }),
        Err(SendError::Refused(reason)) => Ok(failed(reason)),
        Err(SendError::Unavailable(err)) => Err(err),
    }
}

/// `POST /v1/transactional`'s request.
#[derive(Debug)]
pub struct Transactional {
    pub template_id: String,
    pub to: Email,
    pub data_variables: Map<String, Value>,
    pub add_to_audience: bool,
}

/// Renders and sends one transactional email (whether or not the contact is subscribed, with no
/// unsubscribe header) and records it. SES unavailable: an error, nothing recorded (retry is
/// safe). SES refusing it, or a template that fails to render: recorded as `failed`.
pub async fn send_transactional(
    app: &App,
    account: &Account,
    request: &Transactional,
) -> Result<SentEmail, EmailError> {
    let template =
        app.store.get_template(&account.id, &request.template_id).await?.ok_or(EmailError::UnknownTemplate)?;
    let sender = account.email.as_ref().ok_or(EmailError::NoSender)?;
    let contact = if request.add_to_audience {
        let fields = ContactFields { email: Some(request.to.clone()), ..ContactFields::default() };
        contacts::save(app, &account.id, Mode::Upsert, &fields, None).await?.0.contact
    } else {
        app.store.get_contact(&account.id, &request.to).await?
    };
    let contact = contact.map(|c| c.to_json()).unwrap_or_else(|| json!({"email": request.to}));
    let variables = render::variables(contact, None, &request.data_variables, account_variables(account), None);
    let now_ms = app.clock.now_millis();
    let mut record = SentEmail {
        id: new_sortable_id("em_", now_ms),
        to: request.to.clone(),
        subject: template.subject.clone(),
        template_id: template.id.clone(),
        workflow_id: None,
        run_id: None,
        kind: "transactional".to_owned(),
        status: "failed".to_owned(),
        reason: None,
        ses_message_id: None,
        created_at: app.clock.now_unix(),
        feedback: None,
    };
    match render::render(&template, &variables) {
        Err(err) => record.reason = Some(format!("template: {err}")),
        Ok(rendered) => {
            record.subject = rendered.subject.clone();
            let outcome = send_rendered(app, account, sender, &request.to, &record.id, &rendered, None).await?;
            outcome.record_on(&mut record);
        }
    }
    app.store.put_email(&account.id, &record).await?;
    tracing::info!(account = %account.id, email = %record.id, status = %record.status, "transactional email");
    Ok(record)
}
