//! The Email page: templates (an editor with the server's preview and a test send), workflows
//! (trigger, steps, runs; pause, resume, delete) and the emails sent to an address. Everything is
//! read and done through `/v1/email-templates`, `/v1/workflows`, `/v1/emails`,
//! `/v1/transactional` and `/v1/account`; the page only turns a workflow's steps, written one a
//! line, into the API's JSON.

use http::{header, HeaderValue, Method, StatusCode};
use maud::{html, Markup};
use serde_json::{json, Map, Value};

use super::{next_link, rows, text, Ctx, PageResult, PAGE_SIZE};
use crate::api::list::is_id;
use crate::dashboard::view::{csrf, time};
use crate::dashboard::{enc, redirect};
use loop_capabilities::email;
use loop_ground::domain::email_template::EmailTemplate;
use loop_ground::error::ApiError;
use loop_ground::http::{html_with_csp, public_base_url, Response};

/// A path under `/dashboard/email`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EmailPage<'a> {
    /// The three lists (and, posted: nothing).
    Home,
    /// Posted: a new template.
    Templates,
    /// The editor; posted: save.
    Template(&'a str),
    /// Posted: a test send of the template to an address.
    SendTest(&'a str),
    /// Posted: delete the template (refused while an active workflow sends it).
    DeleteTemplate(&'a str),
    /// The HTML part of the template's preview, alone: what the editor's frame shows.
    PreviewFrame(&'a str),
    /// Posted: a new workflow.
    Workflows,
    /// A workflow with its runs.
    Workflow(&'a str),
    /// Posted: pause, resume or delete a workflow.
    WorkflowAction(&'a str, WorkflowAction),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WorkflowAction {
    Pause,
    Resume,
    Delete,
}

impl<'a> EmailPage<'a> {
    /// The page of the segments after `/dashboard/email`.
    pub fn parse(rest: &[&'a str]) -> Option<Self> {
        match rest {
            [] => Some(EmailPage::Home),
            ["templates"] => Some(EmailPage::Templates),
            ["templates", id] if is_id(id) => Some(EmailPage::Template(id)),
            ["templates", id, "send-test"] if is_id(id) => Some(EmailPage::SendTest(id)),
            ["templates", id, "delete"] if is_id(id) => Some(EmailPage::DeleteTemplate(id)),
            ["templates", id, "preview"] if is_id(id) => Some(EmailPage::PreviewFrame(id)),
            ["workflows"] => Some(EmailPage::Workflows),
            ["workflows", id] if is_id(id) => Some(EmailPage::Workflow(id)),
            ["workflows", id, action] if is_id(id) => {
                let action = match *action {
                    "pause" => WorkflowAction::Pause,
                    "resume" => WorkflowAction::Resume,
                    "delete" => WorkflowAction::Delete,
                    _ => return None,
                };
                Some(EmailPage::WorkflowAction(id, action))
            }
            _ => None,
        }
    }
}

/// Serves a page of the Email section; `None` when it takes no such method.
pub(in crate::dashboard) async fn serve(ctx: &Ctx<'_>, page: EmailPage<'_>, posted: bool) -> Option<PageResult> {
    Some(match (page, posted) {
        (EmailPage::Home, false) => home(ctx, None).await,
        (EmailPage::Templates, true) => create_template(ctx).await,
        (EmailPage::Template(id), false) => editor(ctx, id, None).await,
        (EmailPage::Template(id), true) => save_template(ctx, id).await,
        (EmailPage::SendTest(id), true) => send_test(ctx, id).await,
        (EmailPage::DeleteTemplate(id), true) => delete_template(ctx, id).await,
        (EmailPage::PreviewFrame(id), false) => preview_frame(ctx, id).await,
        (EmailPage::PreviewFrame(id), true) => draft_frame(ctx, id).await,
        (EmailPage::Workflows, true) => create_workflow(ctx).await,
        (EmailPage::Workflow(id), false) => workflow(ctx, id).await,
        (EmailPage::WorkflowAction(id, action), true) => workflow_action(ctx, id, action).await,
        _ => return None,
    })
}

/// What a page says above its content, and the status it answers with.
enum Notice {
    Done(String),
    Refused(StatusCode, String),
}

impl Notice {
    fn status(notice: &Option<Notice>) -> StatusCode {
        match notice {
            Some(Notice::Refused(status, _)) => *status,
            _ => StatusCode::OK,
        }
    }

    fn show(notice: &Option<Notice>) -> Markup {
        html! {
            @match notice {
                Some(Notice::Done(message)) => section.card.notice #done { p { (message) } },
                Some(Notice::Refused(_, message)) => section.card.notice.error role="alert" { p.error #refused { (message) } },
                None => {},
            }
        }
    }

    /// An API refusal a form can show; anything else stays an error page.
    fn of(err: ApiError) -> Result<Notice, ApiError> {
        match err {
            ApiError::InvalidRequest { message, .. } => Ok(Notice::Refused(StatusCode::BAD_REQUEST, message)),
            ApiError::Conflict { code, message } => {
                Ok(Notice::Refused(StatusCode::CONFLICT, format!("{code}: {message}")))
            }
            other => Err(other),
        }
    }
}

/// What `?done=` after a post says (fixed texts: nothing from the query is shown).
fn done_notice(ctx: &Ctx<'_>) -> Option<Notice> {
    let message = match ctx.query("done")?.as_str() {
        "template" => "Template created. Open it to edit, preview and send yourself a test.",
        "workflow" => "Workflow created.",
        "paused" => "Workflow paused: its runs wait until it is resumed.",
        "resumed" => "Workflow resumed.",
        "deleted" => "Workflow deleted: its runs stop.",
        "saved" => "Saved.",
        "template-deleted" => "Template deleted.",
        _ => return None,
    };
    Some(Notice::Done(message.to_owned()))
}

const EXAMPLE_SUBJECT: &str = "Welcome to {{ account.name }}, {{ contact.firstName | default(\"there\") }}";
const EXAMPLE_HTML: &str = "<p>Hi {{ contact.firstName | default(\"there\") }},</p>\n\
<p>Thanks for joining {{ account.name }}.{% if event.plan %} You are on the {{ event.plan }} plan.{% endif %}</p>\n\
<p style=\"color: #667085; font-size: 13px\">Questions? Write to {{ account.supportEmail }}.</p>";

// The page

async fn home(ctx: &Ctx<'_>, notice: Option<Notice>) -> PageResult {
    let notice = notice.or_else(|| done_notice(ctx));
    let mut templates_path = format!("/v1/email-templates?limit={PAGE_SIZE}");
    if let Some(after) = ctx.query("templatesAfter") {
        templates_path.push_str(&format!("&startingAfter={}", enc(&after)));
    }
    let mut workflows_path = format!("/v1/workflows?limit={PAGE_SIZE}");
    if let Some(after) = ctx.query("workflowsAfter") {
        workflows_path.push_str(&format!("&startingAfter={}", enc(&after)));
    }
    let account = ctx.get("/v1/account").await?;
    let templates = ctx.get(&templates_path).await?;
    let workflows = ctx.get(&workflows_path).await?;
    let names = template_names(ctx, &templates).await?;
    let (sent, search_error) = sent_emails(ctx).await?;
    let status = if search_error.is_some() { StatusCode::BAD_REQUEST } else { Notice::status(&notice) };
    let more = |page: &Value, param: &str| {
        page["nextStartingAfter"]
            .as_str()
            .filter(|_| page["hasMore"] == json!(true))
            .map(|next| format!("/dashboard/email?{param}={}", enc(next)))
    };
    let no_templates = rows(&templates).is_empty() && ctx.query("templatesAfter").is_none();
    let field = |name: &str, default: &str| ctx.field(name).map(str::to_owned).unwrap_or_else(|| default.to_owned());
    let searched = ctx.query("email");
    Ok(ctx.page_with(
        status,
        "Email",
        html! {
            h1 { "Email" }
            (Notice::show(&notice))
            (sender(&account))
            section.card #templates-card {
                h2 { "Templates" }
                @if no_templates {
                    p #no-templates { "No templates yet. Create one below (an example is filled in): its subject and HTML use MiniJinja, with " code { "contact" } ", " code { "event" } " and " code { "account" } " variables. Then preview it, send yourself a test, and use it in a workflow or with " code { "POST /v1/transactional" } "." }
                } @else {
                    table #templates {
                        thead { tr { th { "Name" } th { "Subject" } th { "Updated" } } }
                        tbody {
                            @for t in rows(&templates) {
                                @let id = text(&t["id"]);
                                tr data-id=(id) {
                                    td.name { a href={ "/dashboard/email/templates/" (id) } { (text(&t["name"])) } br; small.muted { code { (id) } } }
                                    td { (text(&t["subject"])) }
                                    td { (time(&text(&t["updatedAt"]))) }
                                }
                            }
                        }
                    }
                    @if let Some(href) = more(&templates, "templatesAfter") { p { a.next href=(href) { "More templates →" } } }
                }
                details open[no_templates || ctx.field("subject").is_some()] {
                    summary { "Create a template" }
                    form #create-template method="post" action="/dashboard/email/templates" {
                        (csrf(&ctx.session))
                        label for="template-name" { "Name" }
                        input #template-name type="text" name="name" required maxlength="200" value=(field("name", if no_templates { "Welcome" } else { "" }));
                        label for="template-subject" { "Subject" }
                        input #template-subject type="text" name="subject" required maxlength="998" value=(field("subject", if no_templates { EXAMPLE_SUBJECT } else { "" }));
                        label for="template-html" { "HTML" }
                        textarea #template-html name="html" required rows="8" { (field("html", if no_templates { EXAMPLE_HTML } else { "" })) }
                        p.hint { "The text part is made from the HTML; set your own in the editor." }
                        button type="submit" { "Create template" }
                    }
                }
            }
            section.card #workflows-card {
                h2 { "Workflows" }
                @if rows(&workflows).is_empty() && ctx.query("workflowsAfter").is_none() {
                    p #no-workflows { "No workflows yet. A workflow starts a run for each trigger event of its name (from Stripe, as set on the Stripe page, or from " code { "POST /v1/contact-events" } "), then waits and sends its emails in order." }
                } @else {
                    table #workflows {
                        thead { tr { th { "Name" } th { "Trigger" } th { "Audience" } th { "Steps" } th { "Status" } th {} } }
                        tbody {
                            @for w in rows(&workflows) {
                                @let id = text(&w["id"]);
                                tr data-id=(id) {
                                    td.name { a href={ "/dashboard/email/workflows/" (id) } { (text(&w["name"])) } br; small.muted { code { (id) } } }
                                    td { code { (text(&w["trigger"]["eventName"])) } }
                                    td { @match w["audience"]["userGroup"].as_str() { Some(group) => { "group " (group) }, None => span.muted { "everyone" } } }
                                    td.steps { (steps_summary(&w["steps"], &names)) }
                                    td { span class={ "wf-status status-" (text(&w["status"])) } { (text(&w["status"])) } }
                                    td { (workflow_buttons(ctx, &id, &w["status"])) }
                                }
                            }
                        }
                    }
                    @if let Some(href) = more(&workflows, "workflowsAfter") { p { a.next href=(href) { "More workflows →" } } }
                }
                details open[rows(&workflows).is_empty() || ctx.field("steps").is_some()] {
                    summary { "Create a workflow" }
                    form #create-workflow method="post" action="/dashboard/email/workflows" {
                        (csrf(&ctx.session))
                        div.row {
                            div { label for="workflow-name" { "Name" } input #workflow-name type="text" name="workflowName" required maxlength="200" value=(field("workflowName", "")); }
                            div { label for="event-name" { "Trigger event name" } input #event-name type="text" name="eventName" required maxlength="100" placeholder="signup" value=(field("eventName", "")); }
                            div { label for="user-group" { "User group (optional)" } input #user-group type="text" name="userGroup" maxlength="200" value=(field("userGroup", "")); }
                        }
                        label for="steps" { "Steps, one a line" }
                        textarea #steps name="steps" required rows="4" placeholder="wait 3600\nemail et_…" { (field("steps", "")) }
                        p.hint {
                            code { "wait SECONDS" } " (or " code { "wait 2h" } ", " code { "30m" } ", " code { "1d" } "; up to 90 days) and " code { "email TEMPLATE_ID" } "."
                            @if !names.is_empty() {
                                " Your templates: "
                                @for (i, (id, name)) in names.iter().enumerate() { @if i > 0 { ", " } code { (id) } " (" (name) ")" }
                                "."
                            }
                        }
                        button type="submit" { "Create workflow" }
                    }
                }
            }
            section.card #sent-card {
                h2 { "Emails sent" }
                form.row #sent-search method="get" action="/dashboard/email" {
                    div { label for="sent-email" { "Recipient" } input #sent-email type="text" name="email" placeholder="someone@example.com" value=(searched.clone().unwrap_or_default()); }
                    button type="submit" { "Search" }
                }
                @if let Some(error) = &search_error {
                    p.error role="alert" { (error) }
                } @else if let Some(sent) = &sent {
                    @if rows(sent).is_empty() {
                        p #no-sent { "No email to this address yet." }
                    } @else {
                        table #sent {
                            thead { tr { th { "To" } th { "Subject" } th { "Kind" } th { "Status" } th { "Reason" } th { "When" } } }
                            tbody {
                                @for e in rows(sent) {
                                    tr data-id=(text(&e["id"])) {
                                        td { (text(&e["to"])) br; small.muted { code { (text(&e["id"])) } } }
                                        td { (text(&e["subject"])) }
                                        td { (text(&e["kind"])) }
                                        td { span class={ "status-" (text(&e["status"])) } { (text(&e["status"])) } }
                                        td { (text(&e["reason"])) }
                                        td { (time(&text(&e["createdAt"]))) }
                                    }
                                }
                            }
                        }
                        (next_link("/dashboard/email", sent, &[("email", searched.clone())]))
                    }
                } @else {
                    p.hint { "Search by recipient to see what Loop sent them (workflow, transactional and automated emails) and what became of each." }
                }
            }
        },
    ))
}

/// The account's sending identity, or what to do without one.
fn sender(account: &Value) -> Markup {
    html! {
        @match account["email"]["fromAddress"].as_str() {
            Some(from) => p.hint #sender { "Sending as " strong { (text(&account["email"]["fromName"])) } " " code { (from) } "." },
            None => section.card.notice #no-sender {
                p { "No sending identity yet: templates and workflows can be built and previewed, but nothing is sent. Set the from address (" code { "email.fromAddress" } ", an address or domain verified in Amazon SES) on " a href="/dashboard/settings" { "Settings" } "." }
            },
        }
    }
}

/// Template id → name, for the workflows' steps: from the page's list when it holds them all.
async fn template_names(ctx: &Ctx<'_>, listed: &Value) -> Result<Vec<(String, String)>, ApiError> {
    let all = if listed["hasMore"] == json!(true) || ctx.query("templatesAfter").is_some() {
        ctx.get("/v1/email-templates?limit=100").await?
    } else {
        listed.clone()
    };
    Ok(rows(&all).iter().map(|t| (text(&t["id"]), text(&t["name"]))).collect())
}

/// `GET /v1/emails?email=` for the page's search, or the API's refusal of the address.
async fn sent_emails(ctx: &Ctx<'_>) -> Result<(Option<Value>, Option<String>), ApiError> {
    let Some(email) = ctx.query("email") else { return Ok((None, None)) };
    let mut path = format!("/v1/emails?limit={PAGE_SIZE}&email={}", enc(email.trim()));
    if let Some(after) = ctx.query("startingAfter") {
        path.push_str(&format!("&startingAfter={}", enc(&after)));
    }
    match ctx.get(&path).await {
        Ok(found) => Ok((Some(found), None)),
        Err(ApiError::InvalidRequest { message, .. }) => Ok((None, Some(message))),
        Err(err) => Err(err),
    }
}

/// A duration the way people say it: `1 h`, `30 min`, `2 d`, `90 s`.
fn duration(seconds: u64) -> String {
    match seconds {
        s if s % 86_400 == 0 => format!("{} d", s / 86_400),
        s if s % 3_600 == 0 => format!("{} h", s / 3_600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// "wait 1 h → email Welcome".
fn steps_summary(steps: &Value, names: &[(String, String)]) -> String {
    let name = |id: &str| names.iter().find(|(i, _)| i == id).map_or_else(|| id.to_owned(), |(_, n)| n.clone());
    steps
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|step| match step["type"].as_str() {
            Some("wait") => format!("wait {}", duration(step["seconds"].as_u64().unwrap_or_default())),
            Some("email") => format!("email {}", name(step["templateId"].as_str().unwrap_or_default())),
            _ => text(&step["type"]),
        })
        .collect::<Vec<_>>()
        .join(" → ")
}

fn workflow_buttons(ctx: &Ctx<'_>, id: &str, status: &Value) -> Markup {
    let (toggle, label) = if status == "paused" { ("resume", "Resume") } else { ("pause", "Pause") };
    html! {
        form.inline method="post" action={ "/dashboard/email/workflows/" (id) "/" (toggle) } {
            (csrf(&ctx.session)) button class={ "secondary " (toggle) } type="submit" { (label) }
        }
        " "
        form.inline method="post" action={ "/dashboard/email/workflows/" (id) "/delete" } {
            (csrf(&ctx.session)) button.secondary.delete type="submit" { "Delete" }
        }
    }
}

// Templates

async fn create_template(ctx: &Ctx<'_>) -> PageResult {
    let field = |name: &str| ctx.field(name).unwrap_or_default().to_owned();
    let body = json!({"name": field("name").trim(), "subject": field("subject"), "html": field("html")});
    match ctx.send(Method::POST, "/v1/email-templates", body).await {
        Ok(_) => Ok(redirect("/dashboard/email?done=template")),
        Err(err) => home(ctx, Some(Notice::of(err)?)).await,
    }
}

/// A template's fields as a form holds them.
struct Draft {
    name: String,
    subject: String,
    html: String,
    text: String,
}

impl Draft {
    fn of(template: &Value) -> Self {
        Draft {
            name: text(&template["name"]),
            subject: text(&template["subject"]),
            html: text(&template["html"]),
            text: text(&template["text"]),
        }
    }

    fn posted(ctx: &Ctx<'_>) -> Self {
        let field = |name: &str| ctx.field(name).unwrap_or_default().to_owned();
        Draft { name: field("name"), subject: field("subject"), html: field("html"), text: field("text") }
    }
}

/// The editor: the template's form (or the draft a refused save posted), the server's preview of
/// the saved template, and a test send.
async fn editor(ctx: &Ctx<'_>, id: &str, notice: Option<Notice>) -> PageResult {
    let template = ctx.get(&format!("/v1/email-templates/{id}")).await?;
    let account = ctx.get("/v1/account").await?;
    let notice = notice.or_else(|| sent_notice(ctx)).or_else(|| done_notice(ctx));
    let draft = if ctx.form.iter().any(|(k, _)| k == "subject") { Draft::posted(ctx) } else { Draft::of(&template) };
    let properties_raw = ctx.query("eventProperties").unwrap_or_else(|| DEFAULT_PROPERTIES.to_owned());
    let (preview, preview_error) = match event_properties(&properties_raw) {
        Ok(properties) => preview(ctx, id, properties).await?,
        Err(message) => (None, Some(message)),
    };
    let mut status = Notice::status(&notice);
    if status == StatusCode::OK && preview_error.is_some() && ctx.query("eventProperties").is_some() {
        status = StatusCode::BAD_REQUEST;
    }
    let test_to = ctx
        .field("email")
        .map(str::to_owned)
        .or_else(|| account["supportEmail"].as_str().map(str::to_owned))
        .unwrap_or_default();
    Ok(ctx.page_with(
        status,
        "Email template",
        html! {
            p { a href="/dashboard/email" { "← Email" } }
            h1 { (text(&template["name"])) " " code { (id) } }
            (Notice::show(&notice))
            section.card {
                h2 { "Edit" }
                form #edit-template method="post" action={ "/dashboard/email/templates/" (id) } {
                    (csrf(&ctx.session))
                    label for="template-name" { "Name" }
                    input #template-name type="text" name="name" required maxlength="200" value=(draft.name);
                    label for="template-subject" { "Subject" }
                    input #template-subject type="text" name="subject" required maxlength="998" value=(draft.subject);
                    label for="template-html" { "HTML" }
                    textarea #template-html name="html" required rows="12" { (draft.html) }
                    label for="template-text" { "Text part (empty: made from the HTML)" }
                    textarea #template-text name="text" rows="6" { (draft.text) }
                    p.hint { "Variables: " code { "contact.email" } ", " code { "contact.firstName" } " and the contact's other fields, " code { "event.<property>" } ", " code { "account.name" } ", " code { "account.supportEmail" } ", " code { "unsubscribeUrl" } ". A missing variable renders empty." }
                    input type="hidden" name="eventProperties" value=(properties_raw);
                    button #save-template type="submit" { "Save" }
                    " "
                    button #preview-draft type="submit" formaction={ "/dashboard/email/templates/" (id) "/preview" } formtarget="preview-html" { "Preview changes" }
                    " "
                    small.muted { "Updated " (time(&text(&template["updatedAt"]))) }
                }
            }
            section.card #preview-card {
                h2 { "Preview" }
                form.row #preview method="get" action={ "/dashboard/email/templates/" (id) } {
                    div { label for="event-properties" { "Event properties (JSON), for " code { "event.<property>" } } input #event-properties type="text" name="eventProperties" value=(properties_raw); }
                    button type="submit" { "Preview" }
                }
                p.hint { "The saved template, rendered by the server for a sample contact; " b { "Preview changes" } " (or typing, with JavaScript on) shows your unsaved edits in the frame." }
                @if let Some(error) = &preview_error { p.error #preview-error role="alert" { (error) } }
                @if let Some(rendered) = &preview {
                    table.preview {
                        tbody {
                            tr { th { "Subject" } td #preview-subject { (text(&rendered["subject"])) } }
                        }
                    }
                    h3 { "HTML part" }
                    // Its own response, under its own policy (inline styles and images, no scripts,
                    // sandboxed): a `srcdoc` frame would inherit this page's policy, which blocks
                    // the inline styles emails are made of.
                    iframe #preview-html name="preview-html" sandbox="" title="The HTML part" src={ "/dashboard/email/templates/" (id) "/preview?eventProperties=" (enc(&properties_raw)) } {}
                    details { summary { "HTML source" } pre #preview-source { (text(&rendered["html"])) } }
                    h3 { "Text part" }
                    pre #preview-text { (text(&rendered["text"])) }
                }
            }
            section.card #send-test-card {
                h2 { "Send a test email to yourself" }
                @if account["email"]["fromAddress"].as_str().is_none() {
                    p.hint { "No sending identity yet: the API will answer " code { "sender_not_configured" } ". Set the from address on " a href="/dashboard/settings" { "Settings" } " first." }
                }
                form.row #send-test method="post" action={ "/dashboard/email/templates/" (id) "/send-test" } {
                    (csrf(&ctx.session))
                    div { label for="test-email" { "To" } input #test-email type="email" name="email" required maxlength="254" value=(test_to); }
                    button type="submit" { "Send test" }
                }
                p.hint { "Sent as a transactional email (" code { "POST /v1/transactional" } ") with no data variables; it shows under Emails sent." }
            }
            section.card #delete-template-card {
                h2 { "Delete" }
                form #delete-template method="post" action={ "/dashboard/email/templates/" (id) "/delete" } {
                    (csrf(&ctx.session))
                    button.secondary.delete type="submit" { "Delete template" }
                }
                p.hint { "Refused while an active workflow sends it: pause or delete that workflow first. Emails already sent keep their record." }
            }
        },
    ))
}

/// `DELETE /v1/email-templates/{id}`; a refusal (`409 template_in_use`) is shown on the editor.
async fn delete_template(ctx: &Ctx<'_>, id: &str) -> PageResult {
    match ctx.send(Method::DELETE, &format!("/v1/email-templates/{id}"), json!({})).await {
        Ok(_) => Ok(redirect("/dashboard/email?done=template-deleted")),
        Err(err) => editor(ctx, id, Some(Notice::of(err)?)).await,
    }
}

/// `POST /v1/email-templates/{id}/preview`, or why it did not render.
async fn preview(
    ctx: &Ctx<'_>,
    id: &str,
    properties: Map<String, Value>,
) -> Result<(Option<Value>, Option<String>), ApiError> {
    let path = format!("/v1/email-templates/{id}/preview");
    match ctx.send(Method::POST, &path, json!({"eventProperties": properties})).await {
        Ok(rendered) => Ok((Some(rendered), None)),
        Err(ApiError::InvalidRequest { message, .. }) => Ok((None, Some(message))),
        Err(err) => Err(err),
    }
}

const DEFAULT_PROPERTIES: &str = "{\"plan\": \"Gold\"}";

/// The preview's `eventProperties`, a JSON object.
fn event_properties(raw: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(properties)) => Ok(properties),
        _ => Err(format!("eventProperties must be a JSON object, such as {DEFAULT_PROPERTIES}.")),
    }
}

/// The policy of the preview frame: the email's inline styles and its images, nothing else, in
/// a sandbox (no scripts, no forms, an opaque origin), framed only by the dashboard.
const FRAME_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; font-src https: data:; \
                            sandbox; form-action 'none'; frame-ancestors 'self'; base-uri 'none'";

/// `GET …/templates/{id}/preview`: the HTML part alone, as the editor's frame shows it.
async fn preview_frame(ctx: &Ctx<'_>, id: &str) -> PageResult {
    let raw = ctx.query("eventProperties").unwrap_or_else(|| DEFAULT_PROPERTIES.to_owned());
    let (status, body) = match event_properties(&raw) {
        Ok(properties) => match preview(ctx, id, properties).await? {
            (Some(rendered), _) => (StatusCode::OK, text(&rendered["html"])),
            (None, message) => (StatusCode::BAD_REQUEST, html! { p { (message.unwrap_or_default()) } }.into_string()),
        },
        Err(message) => (StatusCode::BAD_REQUEST, html! { p { (message) } }.into_string()),
    };
    Ok(framed(html_with_csp(status, body, FRAME_POLICY)))
}

/// `POST …/templates/{id}/preview`: the editor's unsaved draft, rendered by the same code as
/// `POST /v1/email-templates/{id}/preview` (`email::preview`), into the frame (the editor's
/// "Preview changes" button targets it; `script.js` presses it as you type). Nothing is saved.
async fn draft_frame(ctx: &Ctx<'_>, id: &str) -> PageResult {
    let saved = ctx.get(&format!("/v1/email-templates/{id}")).await?;
    let part = |name: &str| ctx.field(name).map(str::to_owned).filter(|v| !v.trim().is_empty());
    let draft = EmailTemplate {
        id: id.to_owned(),
        name: text(&saved["name"]),
        subject: part("subject").unwrap_or_default(),
        html: part("html").unwrap_or_default(),
        text: part("text"),
        created_at: 0,
        updated_at: 0,
        version: 0,
    };
    let raw = ctx.field("eventProperties").map(str::to_owned).unwrap_or_else(|| DEFAULT_PROPERTIES.to_owned());
    let base = public_base_url(ctx.app.config.public_base_url.as_deref(), ctx.request);
    let (status, body) = match event_properties(&raw) {
        Ok(properties) => match email::preview(&draft, &ctx.session.caller.account, None, &properties, &base) {
            Ok(rendered) => (StatusCode::OK, rendered.html),
            Err(err) => (StatusCode::BAD_REQUEST, html! { p { (err.to_string()) } }.into_string()),
        },
        Err(message) => (StatusCode::BAD_REQUEST, html! { p { (message) } }.into_string()),
    };
    Ok(framed(html_with_csp(status, body, FRAME_POLICY)))
}

fn framed(mut response: Response) -> Response {
    response.headers_mut().insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    response
}

/// `?sent=em_…` after a test send.
fn sent_notice(ctx: &Ctx<'_>) -> Option<Notice> {
    let id = ctx.query("sent").filter(|id| is_id(id))?;
    Some(Notice::Done(format!("Test email sent: {id}.")))
}

async fn save_template(ctx: &Ctx<'_>, id: &str) -> PageResult {
    let draft = Draft::posted(ctx);
    let body = json!({
        "name": draft.name.trim(),
        "subject": draft.subject,
        "html": draft.html,
        "text": if draft.text.trim().is_empty() { Value::Null } else { json!(draft.text) },
    });
    match ctx.send(Method::PATCH, &format!("/v1/email-templates/{id}"), body).await {
        Ok(_) => Ok(redirect(&format!("/dashboard/email/templates/{id}?done=saved"))),
        Err(err) => editor(ctx, id, Some(Notice::of(err)?)).await,
    }
}

async fn send_test(ctx: &Ctx<'_>, id: &str) -> PageResult {
    let to = ctx.field("email").unwrap_or_default().trim();
    match ctx.send(Method::POST, "/v1/transactional", json!({"transactionalId": id, "email": to})).await {
        Ok(answer) if answer["success"] == json!(true) => {
            Ok(redirect(&format!("/dashboard/email/templates/{id}?sent={}", enc(&text(&answer["id"])))))
        }
        Ok(answer) => {
            let message = format!("Not sent ({}): {}", text(&answer["id"]), text(&answer["reason"]));
            editor(ctx, id, Some(Notice::Refused(StatusCode::OK, message))).await
        }
        Err(err) => editor(ctx, id, Some(Notice::of(err)?)).await,
    }
}

// Workflows

/// The steps of the form's textarea, one a line (`wait 3600`, `wait 2h`, `email et_…`), as the
/// API's JSON; a line that is neither names itself.
fn parse_steps(raw: &str) -> Result<Vec<Value>, String> {
    let mut steps = Vec::new();
    for (n, line) in raw.lines().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let step = match words.as_slice() {
            [] => continue,
            ["wait", amount] => wait_seconds(amount).map(|seconds| json!({"type": "wait", "seconds": seconds})),
            ["email", id] if is_id(id) => Some(json!({"type": "email", "templateId": id})),
            _ => None,
        };
        let step = step.ok_or_else(|| {
            format!(
                "steps, line {}: \"{}\" is not a step: write \"wait 3600\" (or 30m, 2h, 1d) or \"email et_…\".",
                n + 1,
                line.trim()
            )
        })?;
        steps.push(step);
    }
    if steps.is_empty() {
        return Err("steps: write at least one step, such as \"email et_…\".".to_owned());
    }
    Ok(steps)
}

/// `3600`, `90s`, `30m`, `2h`, `1d` in seconds (the API checks the range).
fn wait_seconds(amount: &str) -> Option<u64> {
    let (digits, unit) = match amount.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => amount.split_at(at),
        None => (amount, "s"),
    };
    let n: u64 = digits.parse().ok()?;
    let unit = match unit {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(unit)
}

async fn create_workflow(ctx: &Ctx<'_>) -> PageResult {
    let field = |name: &str| ctx.field(name).unwrap_or_default().trim().to_owned();
    let steps = match parse_steps(ctx.field("steps").unwrap_or_default()) {
        Ok(steps) => steps,
        Err(message) => return home(ctx, Some(Notice::Refused(StatusCode::BAD_REQUEST, message))).await,
    };
    let mut body = json!({"name": field("workflowName"), "trigger": {"eventName": field("eventName")}, "steps": steps});
    let group = field("userGroup");
    if !group.is_empty() {
        body["audience"] = json!({"userGroup": group});
    }
    match ctx.send(Method::POST, "/v1/workflows", body).await {
        Ok(_) => Ok(redirect("/dashboard/email?done=workflow")),
        Err(err) => home(ctx, Some(Notice::of(err)?)).await,
    }
}

async fn workflow_action(ctx: &Ctx<'_>, id: &str, action: WorkflowAction) -> PageResult {
    let path = format!("/v1/workflows/{id}");
    let done = match action {
        WorkflowAction::Pause => {
            ctx.send(Method::PATCH, &path, json!({"status": "paused"})).await?;
            "paused"
        }
        WorkflowAction::Resume => {
            ctx.send(Method::PATCH, &path, json!({"status": "active"})).await?;
            "resumed"
        }
        WorkflowAction::Delete => {
            ctx.send(Method::DELETE, &path, json!({})).await?;
            "deleted"
        }
    };
    Ok(redirect(&format!("/dashboard/email?done={done}")))
}

/// A workflow, its steps, and its runs newest first, paged.
async fn workflow(ctx: &Ctx<'_>, id: &str) -> PageResult {
    let workflow = ctx.get(&format!("/v1/workflows/{id}")).await?;
    let mut runs_path = format!("/v1/workflows/{id}/runs?limit={PAGE_SIZE}");
    if let Some(after) = ctx.query("startingAfter") {
        runs_path.push_str(&format!("&startingAfter={}", enc(&after)));
    }
    let runs = ctx.get(&runs_path).await?;
    let templates = ctx.get("/v1/email-templates?limit=100").await?;
    let names: Vec<(String, String)> = rows(&templates).iter().map(|t| (text(&t["id"]), text(&t["name"]))).collect();
    let steps = workflow["steps"].as_array().map(Vec::as_slice).unwrap_or_default();
    Ok(ctx.page(
        "Workflow",
        html! {
            p { a href="/dashboard/email" { "← Email" } }
            h1 { (text(&workflow["name"])) " " code { (id) } }
            section.card {
                table #workflow {
                    tbody {
                        tr { th { "Trigger event" } td { code { (text(&workflow["trigger"]["eventName"])) } } }
                        tr { th { "Audience" } td { @match workflow["audience"]["userGroup"].as_str() { Some(g) => { "user group " (g) }, None => "every contact" } } }
                        tr { th { "Status" } td { span class={ "wf-status status-" (text(&workflow["status"])) } { (text(&workflow["status"])) } } }
                        tr { th { "Created" } td { (time(&text(&workflow["createdAt"]))) } }
                    }
                }
                h2 { "Steps" }
                ol #steps-list {
                    @for step in steps {
                        li {
                            @match step["type"].as_str() {
                                Some("wait") => { "Wait " (duration(step["seconds"].as_u64().unwrap_or_default())) },
                                Some("email") => {
                                    @let template = text(&step["templateId"]);
                                    "Email "
                                    a href={ "/dashboard/email/templates/" (template) } { (names.iter().find(|(i, _)| *i == template).map_or(template.as_str(), |(_, n)| n.as_str())) }
                                    " " small.muted { code { (template) } }
                                },
                                _ => { (text(&step["type"])) },
                            }
                        }
                    }
                }
                (workflow_buttons(ctx, id, &workflow["status"]))
            }
            section.card {
                h2 { "Runs" }
                @if rows(&runs).is_empty() {
                    p #no-runs { "No runs yet. A trigger event named " code { (text(&workflow["trigger"]["eventName"])) } " starts one for its contact while the workflow is active: send one with " code { "POST /v1/contact-events" } " or from Stripe." }
                } @else {
                    table #runs {
                        thead { tr { th { "Contact" } th { "Trigger event" } th { "Status" } th { "Steps" } th { "Started" } } }
                        tbody {
                            @for r in rows(&runs) {
                                tr data-id=(text(&r["id"])) {
                                    td { a href={ "/dashboard/contact?email=" (enc(&text(&r["contact"]["email"]))) } { (text(&r["contact"]["email"])) } }
                                    td { code { (text(&r["triggerEventId"])) } }
                                    td { span class={ "status-" (text(&r["status"])) } { (text(&r["status"])) } }
                                    td {
                                        @for s in r["steps"].as_array().map(Vec::as_slice).unwrap_or_default() {
                                            div {
                                                "#" (text(&s["index"])) " " (text(&s["status"])) " "
                                                @if let Some(email) = s["emailId"].as_str() { code { (email) } " " }
                                                small.muted { (time(&text(&s["at"]))) }
                                            }
                                        }
                                    }
                                    td { (time(&text(&r["createdAt"]))) }
                                }
                            }
                        }
                    }
                    (next_link(&format!("/dashboard/email/workflows/{id}"), &runs, &[]))
                }
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_read_one_a_line_and_a_bad_line_is_named() {
        let steps = parse_steps("wait 3600\n\n  email et_1  \r\nwait 2h\nwait 30m\nwait 1d").unwrap();
        assert_eq!(
            steps,
            vec![
                json!({"type": "wait", "seconds": 3600}),
                json!({"type": "email", "templateId": "et_1"}),
                json!({"type": "wait", "seconds": 7200}),
                json!({"type": "wait", "seconds": 1800}),
                json!({"type": "wait", "seconds": 86400}),
            ]
        );
        let err = parse_steps("email et_1\nsleep 5").unwrap_err();
        assert!(err.starts_with("steps, line 2: \"sleep 5\""), "{err}");
        assert!(parse_steps("wait soon").unwrap_err().contains("line 1"));
        assert!(parse_steps("email <script>").unwrap_err().contains("line 1"));
        assert!(parse_steps("wait 99999999999999999999h").is_err());
        assert!(parse_steps(" \n ").unwrap_err().contains("at least one"));
    }

    #[test]
    fn steps_are_summarized_with_template_names() {
        let names = vec![("et_1".to_owned(), "Welcome".to_owned())];
        let steps = json!([{"type": "wait", "seconds": 3600}, {"type": "email", "templateId": "et_1"},
                           {"type": "wait", "seconds": 90}, {"type": "email", "templateId": "et_2"}]);
        assert_eq!(steps_summary(&steps, &names), "wait 1 h → email Welcome → wait 90 s → email et_2");
    }

    #[test]
    fn paths_name_email_pages() {
        assert_eq!(EmailPage::parse(&[]), Some(EmailPage::Home));
        assert_eq!(EmailPage::parse(&["templates", "et_1"]), Some(EmailPage::Template("et_1")));
        assert_eq!(EmailPage::parse(&["templates", "et_1", "send-test"]), Some(EmailPage::SendTest("et_1")));
        assert_eq!(EmailPage::parse(&["templates", "et_1", "preview"]), Some(EmailPage::PreviewFrame("et_1")));
        assert_eq!(
            EmailPage::parse(&["workflows", "wf_1", "pause"]),
            Some(EmailPage::WorkflowAction("wf_1", WorkflowAction::Pause))
        );
        assert_eq!(EmailPage::parse(&["workflows", "wf_1", "explode"]), None);
        assert_eq!(EmailPage::parse(&["templates", "a b"]), None);
    }
}
