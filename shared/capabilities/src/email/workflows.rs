//! Workflows (`email.md`, "Workflows"): saved with their templates checked; started as runs in
//! the transaction that records their trigger event (so once per (workflow, trigger event),
//! however often the trigger is delivered); moved on by [`advance`], which dispatch calls for a
//! run's queue message and the scheduler for a run due on the `due` index. Waits are the run's
//! `dueAt` (SQS delays up to 15 minutes, the due index beyond): no Lambda sleeps. An email step
//! is claimed before it is sent, so each (run, step) sends at most one email under retries,
//! duplicates and concurrent workers.

use std::collections::{BTreeSet, HashMap};

use serde_json::{json, Map, Value};

use super::{account_variables, render, send_rendered, EmailError};
use loop_adapters::app::App;
use loop_adapters::mailer::Unsubscribe;
use loop_adapters::ports::WorkflowStore;
use loop_adapters::queue::OutgoingMessage;
use loop_adapters::store::{StepClaim, Write, CLAIM_SENDING, MAX_WORKFLOWS};
use loop_ground::domain::account::Account;
use loop_ground::domain::contact::{Contact, TriggerEvent};
use loop_ground::domain::email::Email;
use loop_ground::domain::email_template::SentEmail;
use loop_ground::domain::outbound::RunPointer;
use loop_ground::domain::workflow::{
    check_steps, next_action, Action, Run, RunStatus, Step, StepRecord, Workflow, WorkflowStatus,
};
use loop_ground::error::StoreError;
use loop_ground::ids::{new_sortable_id, AccountId};

#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("no such workflow")]
    UnknownWorkflow,
    /// A step names a template the account does not have: the parameter, e.g. `steps[1].templateId`.
    #[error("No such email template.")]
    UnknownTemplate { param: String, template_id: String },
    #[error("{0}")]
    InvalidSteps(String),
    #[error("An account has at most {MAX_WORKFLOWS} workflows: delete one first.")]
    TooMany,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The fields of a workflow a request sets; `None` keeps the stored value.
#[derive(Debug, Default)]
pub struct WorkflowFields {
    pub name: Option<String>,
    pub event_name: Option<String>,
    /// `Some(None)`: every contact.
    pub user_group: Option<Option<String>>,
    pub steps: Option<Vec<Step>>,
    pub status: Option<WorkflowStatus>,
}

async fn check_templates(app: &App, account: &AccountId, steps: &[Step]) -> Result<(), WorkflowError> {
    check_steps(steps).map_err(WorkflowError::InvalidSteps)?;
    for (i, step) in steps.iter().enumerate() {
        if let Step::Email { template_id } = step {
            if app.store.get_template(account, template_id).await?.is_none() {
                return Err(WorkflowError::UnknownTemplate {
                    param: format!("steps[{i}].templateId"),
                    template_id: template_id.clone(),
                });
            }
        }
    }
    Ok(())
}

pub async fn create(
    app: &App,
    account: &AccountId,
    name: String,
    event_name: String,
    fields: WorkflowFields,
) -> Result<Workflow, WorkflowError> {
    let steps = fields.steps.unwrap_or_default();
    check_templates(app, account, &steps).await?;
    if app.store.workflows(account).await?.len() >= MAX_WORKFLOWS {
        return Err(WorkflowError::TooMany);
    }
    let now_ms = app.clock.now_millis();
    let now = app.clock.now_unix();
    let workflow = Workflow {
        id: new_sortable_id("wf_", now_ms),
        name,
        event_name,
        user_group: fields.user_group.flatten(),
        steps,
        status: fields.status.unwrap_or(WorkflowStatus::Active),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    if workflow.status == WorkflowStatus::Active {
        app.store.add_workflow_trigger(account, &workflow.event_name).await?;
    }
    if !app.store.put_workflow(account, &workflow).await? {
        return Err(StoreError::Unavailable("workflow id collision; try again".into()).into());
    }
    Ok(workflow)
}

pub async fn update(
    app: &App,
    account: &AccountId,
    id: &str,
    fields: WorkflowFields,
) -> Result<Workflow, WorkflowError> {
    if let Some(steps) = &fields.steps {
        check_templates(app, account, steps).await?;
    }
    for _ in 0..4 {
        let current = app.store.get_workflow(account, id).await?.ok_or(WorkflowError::UnknownWorkflow)?;
        let mut updated = current.clone();
        if let Some(v) = &fields.name {
            updated.name = v.clone();
        }
        if let Some(v) = &fields.event_name {
            updated.event_name = v.clone();
        }
        if let Some(v) = &fields.user_group {
            updated.user_group = v.clone();
        }
        if let Some(v) = &fields.steps {
            updated.steps = v.clone();
        }
        if let Some(v) = fields.status {
            updated.status = v;
        }
        if updated == current {
            return Ok(current);
        }
        updated.version = current.version + 1;
        updated.updated_at = app.clock.now_unix();
        if updated.status == WorkflowStatus::Active {
            app.store.add_workflow_trigger(account, &updated.event_name).await?;
        }
        if app.store.put_workflow(account, &updated).await? {
            return Ok(updated);
        }
    }
    Err(StoreError::Unavailable("the workflow keeps changing; try again".into()).into())
}

/// Deletes the workflow; its runs stop at their next step.
pub async fn delete(app: &App, account: &AccountId, id: &str) -> Result<Workflow, WorkflowError> {
    for _ in 0..4 {
        let current = app.store.get_workflow(account, id).await?.ok_or(WorkflowError::UnknownWorkflow)?;
        if app.store.delete_workflow(account, id, current.version).await? {
            return Ok(current);
        }
    }
    Err(StoreError::Unavailable("the workflow keeps changing; try again".into()).into())
}

/// Whether an active workflow sends `template_id`: such a template cannot be deleted.
pub async fn template_in_use(app: &App, account: &AccountId, template_id: &str) -> Result<bool, EmailError> {
    let workflows = app.store.workflows(account).await?;
    Ok(workflows.iter().any(|w| w.status == WorkflowStatus::Active && w.template_ids().any(|t| t == template_id)))
}

/// The runs a trigger event starts: one per active workflow on its name whose audience holds
/// the contact. Pure; the caller writes them with the trigger event, in one transaction.
pub fn runs_for(
    workflows: &[Workflow],
    trigger: &TriggerEvent,
    contact: Option<&Contact>,
    base_url: &str,
    now_ms: i64,
) -> Vec<Run> {
    let group = contact.and_then(|c| c.user_group.as_deref());
    let properties = match &trigger.event_properties {
        Value::Object(p) => p.clone(),
        _ => Map::new(),
    };
    workflows
        .iter()
        .filter(|w| w.starts_for(&trigger.event_name, group))
        .map(|w| Run {
            id: new_sortable_id("wr_", now_ms),
            workflow_id: w.id.clone(),
            email: trigger.email.to_string(),
            trigger_event_id: trigger.id.clone(),
            event_properties: properties.clone(),
            event_name: trigger.event_name.clone(),
            status: RunStatus::Running,
            next_step: 0,
            due_at: now_ms.div_euclid(1000),
            steps: Vec::new(),
            created_at: now_ms.div_euclid(1000),
            version: 1,
            base_url: base_url.to_owned(),
        })
        .collect()
}

/// Runs one trigger event starts at most: they are written in its transaction (100 items at most).
pub const MAX_RUNS_PER_TRIGGER: usize = 20;

/// The runs the trigger events among `writes` start at `now_ms`, each for its contact as
/// `writes` leave it (or as `known` holds it). Reads the account's workflows, once (`cache`),
/// and only when a trigger event is among the writes — and, when `trigger_names` (the account's
/// workflow triggers, read with the rest) is given, only when one of those is among them.
#[allow(clippy::too_many_arguments)] // each is one input of the rule; a struct would only rename them
pub async fn started_by(
    store: &impl WorkflowStore,
    now_ms: i64,
    account: &AccountId,
    writes: &[Write],
    known: &HashMap<Email, Contact>,
    trigger_names: Option<&BTreeSet<String>>,
    base_url: &str,
    cache: &mut Option<Vec<Workflow>>,
) -> Result<Vec<Run>, StoreError> {
    let triggers: Vec<&TriggerEvent> = writes
        .iter()
        .filter_map(|w| if let Write::PutTrigger(t) = w { Some(t) } else { None })
        .filter(|t| trigger_names.is_none_or(|names| names.contains(&t.event_name)))
        .collect();
    if triggers.is_empty() {
        return Ok(Vec::new());
    }
    if cache.is_none() {
        *cache = Some(store.workflows(account).await?);
    }
    let workflows = cache.as_deref().unwrap_or_default();
    let mut runs = Vec::new();
    for trigger in triggers {
        let written = writes.iter().find_map(|w| match w {
            Write::PutContact { contact, .. } if contact.email == trigger.email => Some(contact),
            _ => None,
        });
        let contact = written.or_else(|| known.get(&trigger.email));
        runs.extend(runs_for(workflows, trigger, contact, base_url, now_ms));
    }
    if runs.len() > MAX_RUNS_PER_TRIGGER {
        tracing::warn!(account = %account, runs = runs.len(), "more workflows match than a trigger starts; the newest are started");
        runs.truncate(MAX_RUNS_PER_TRIGGER);
    }
    Ok(runs)
}

pub(crate) fn pointer(account: &AccountId, run_id: &str, delay_seconds: u32) -> OutgoingMessage {
    let body = RunPointer { run: 1, account_id: account.to_string(), run_id: run_id.to_owned() };
    OutgoingMessage { body: serde_json::to_string(&body).unwrap_or_default(), delay_seconds }
}

/// The longest delay SQS holds a message for; longer waits are left to the due index.
const MAX_QUEUE_DELAY: i64 = 900;
/// How long a claimed step may stay `sending` before another worker takes it as interrupted.
const CLAIM_TIMEOUT_SECONDS: i64 = 120;
/// Steps one call moves a run through at most (a run of many email steps goes on in the next).
const MAX_TURNS: usize = 20;

/// Moves the run on as far as it can go now: sends its due email steps, starts its next wait,
/// or ends it. Safe to call any number of times, concurrently.
pub async fn advance(app: &App, account_id: &AccountId, run_id: &str) -> Result<(), StoreError> {
    let Some(account) = app.store.get_account(account_id).await? else {
        // The account is gone: its runs stop, and leave the due index.
        if let Some(run) = app.store.get_run(account_id, run_id).await? {
            if matches!(run.status, RunStatus::Waiting | RunStatus::Running) {
                let stopped = Run { status: RunStatus::Stopped, version: run.version + 1, ..run };
                app.store.update_run(account_id, &stopped).await?;
            }
        }
        return Ok(());
    };
    for _ in 0..MAX_TURNS {
        let Some(run) = app.store.get_run(account_id, run_id).await? else { return Ok(()) };
        if matches!(run.status, RunStatus::Completed | RunStatus::Stopped) {
            return Ok(());
        }
        let workflow = app.store.get_workflow(account_id, &run.workflow_id).await?;
        let now = app.clock.now_unix();
        let mut next = run.clone();
        next.version = run.version + 1;
        match next_action(&run, workflow.as_ref(), now) {
            Action::Stop => next.status = RunStatus::Stopped,
            Action::Complete => next.status = RunStatus::Completed,
            Action::WaitUntil(until) => {
                let starts_wait = run.due_at <= now
                    && workflow.as_ref().is_some_and(|w| {
                        w.status == WorkflowStatus::Active
                            && matches!(w.steps.get(run.next_step), Some(Step::Wait { .. }))
                    });
                if starts_wait {
                    next.steps.push(StepRecord {
                        index: run.next_step,
                        status: "waited".into(),
                        at: until,
                        email_id: None,
                    });
                    next.next_step += 1;
                }
                next.status = RunStatus::Waiting;
                next.due_at = until;
                if app.store.update_run(account_id, &next).await? {
                    if until - now <= MAX_QUEUE_DELAY {
                        app.queue.send(&[pointer(account_id, run_id, (until - now).max(0) as u32)]).await?;
                    }
                    return Ok(());
                }
                continue;
            }
            Action::Send { index, template_id } => {
                let Some(record) = send_step(app, &account, &run, index, &template_id).await? else {
                    return Err(StoreError::Unavailable("another worker is sending this step".into()));
                };
                next.steps.push(record);
                next.next_step = index + 1;
                next.status = RunStatus::Running;
                next.due_at = now;
            }
        }
        if app.store.update_run(account_id, &next).await?
            && matches!(next.status, RunStatus::Completed | RunStatus::Stopped)
        {
            return Ok(());
        }
    }
    Ok(())
}

/// Sends step `index`'s email once: the first worker to claim the step sends it and records
/// the outcome on the claim; a later one reads that outcome. `None`: another worker holds the
/// claim and is still sending.
async fn send_step(
    app: &App,
    account: &Account,
    run: &Run,
    index: usize,
    template_id: &str,
) -> Result<Option<StepRecord>, StoreError> {
    let now_ms = app.clock.now_millis();
    let now = app.clock.now_unix();
    let mut claim = StepClaim {
        run_id: run.id.clone(),
        index,
        email_id: new_sortable_id("em_", now_ms),
        status: CLAIM_SENDING.into(),
        at: now,
    };
    if !app.store.claim_step(&account.id, &claim).await? {
        let Some(held) = app.store.get_step_claim(&account.id, &run.id, index).await? else { return Ok(None) };
        if held.status != CLAIM_SENDING {
            return Ok(Some(StepRecord { index, status: held.status, at: held.at, email_id: Some(held.email_id) }));
        }
        if now - held.at < CLAIM_TIMEOUT_SECONDS {
            return Ok(None);
        }
        // Its sender stopped between the claim and the outcome: it may have sent, so this step
        // is not sent again (at most one email per step).
        let interrupted = StepClaim { status: "failed: interrupted".into(), at: now, ..held };
        app.store.finish_step(&account.id, &interrupted).await?;
        return Ok(Some(StepRecord {
            index,
            status: interrupted.status,
            at: now,
            email_id: Some(interrupted.email_id),
        }));
    }
    let mut record = SentEmail {
        id: claim.email_id.clone(),
        to: Email::parse(&run.email)
            .ok_or_else(|| StoreError::Corrupt(format!("run {} has no valid email", run.id)))?,
        subject: String::new(),
        template_id: template_id.to_owned(),
        workflow_id: Some(run.workflow_id.clone()),
        run_id: Some(run.id.clone()),
        kind: "workflow".into(),
        status: "failed".into(),
        reason: None,
        ses_message_id: None,
        created_at: now,
        feedback: None,
    };
    let step_status = match compose(app, account, run, template_id, &record.to).await {
        Err(err) => {
            // Not sent: the claim goes, so that a retry sends it.
            app.store.release_step(&account.id, &claim).await?;
            return Err(err);
        }
        Ok(Composed::Skip(reason)) => {
            record.status = "skipped".into();
            record.reason = Some(reason.into());
            format!("skipped: {reason}")
        }
        Ok(Composed::Fail(reason)) => {
            record.reason = Some(reason);
            "failed".into()
        }
        Ok(Composed::Send { rendered, sender, unsubscribe_url, mailto }) => {
            record.subject = rendered.subject.clone();
            let unsubscribe = Unsubscribe { url: &unsubscribe_url, mailto: mailto.as_deref() };
            match send_rendered(app, account, &sender, &record.to, &record.id, &rendered, Some(unsubscribe)).await {
                Ok(outcome) => outcome.record_on(&mut record),
                Err(err) => {
                    app.store.release_step(&account.id, &claim).await?;
                    return Err(err);
                }
            }
            record.status.clone()
        }
    };
    app.store.put_email(&account.id, &record).await?;
    claim.status = step_status;
    app.store.finish_step(&account.id, &claim).await?;
    tracing::info!(account = %account.id, run = %run.id, step = index, status = %claim.status, "workflow email");
    Ok(Some(StepRecord { index, status: claim.status, at: now, email_id: Some(claim.email_id) }))
}

enum Composed {
    Skip(&'static str),
    Fail(String),
    Send {
        rendered: render::Rendered,
        sender: loop_ground::domain::account::EmailSettings,
        unsubscribe_url: String,
        mailto: Option<String>,
    },
}

/// What step's email says, for the contact as it is now; or why it is not sent.
async fn compose(
    app: &App,
    account: &Account,
    run: &Run,
    template_id: &str,
    to: &Email,
) -> Result<Composed, StoreError> {
    let Some(contact) = app.store.get_contact(&account.id, to).await? else {
        return Ok(Composed::Skip("contact deleted"));
    };
    if !contact.subscribed {
        return Ok(Composed::Skip("unsubscribed"));
    }
    let Some(sender) = account.email.clone() else {
        return Ok(Composed::Fail("This account has no sending identity (email.fromAddress).".into()));
    };
    let Some(mut template) = app.store.get_template(&account.id, template_id).await? else {
        return Ok(Composed::Fail(format!("template {template_id} was deleted")));
    };
    let Some(key) = app.config.unsubscribe_key.as_ref() else {
        return Err(StoreError::Fault("LOOP_UNSUBSCRIBE_KEY is not set".into()));
    };
    let token = loop_ground::domain::unsubscribe::token(key, &account.id, to.as_str());
    let unsubscribe_url = format!("{}/u/{token}", run.base_url.trim_end_matches('/'));
    with_unsubscribe_footer(&mut template);
    let variables = render::variables(
        contact.to_json(),
        Some(&run.event_name),
        &run.event_properties,
        account_variables(account),
        Some(&unsubscribe_url),
    );
    let rendered = match render::render(&template, &variables) {
        Ok(rendered) => rendered,
        Err(err) => return Ok(Composed::Fail(format!("template: {err}"))),
    };
    let mailto = account.reply_to().map(|address| format!("mailto:{address}?subject=unsubscribe"));
    Ok(Composed::Send { rendered, sender, unsubscribe_url, mailto })
}

/// Marketing email carries an unsubscribe link in its body: a template without one gets a
/// footer with it.
fn with_unsubscribe_footer(template: &mut loop_ground::domain::email_template::EmailTemplate) {
    if !template.html.contains("unsubscribeUrl") {
        template
            .html
            .push_str("\n<p style=\"font-size:12px;color:#666\"><a href=\"{{ unsubscribeUrl }}\">Unsubscribe</a></p>");
    }
    if let Some(text) = &mut template.text {
        if !text.contains("unsubscribeUrl") {
            text.push_str("\n\nUnsubscribe: {{ unsubscribeUrl }}");
        }
    }
}

/// A run as the API shows it, with its contact's email.
pub fn run_json(run: &Run) -> Value {
    let mut shown = run.to_json();
    shown["contact"] = json!({"email": run.email});
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workflow(id: &str, event: &str, group: Option<&str>, status: WorkflowStatus) -> Workflow {
        Workflow {
            id: id.into(),
            name: id.into(),
            event_name: event.into(),
            user_group: group.map(str::to_owned),
            steps: vec![Step::Email { template_id: "et_1".into() }],
            status,
            created_at: 0,
            updated_at: 0,
            version: 1,
        }
    }

    #[test]
    fn a_trigger_starts_one_run_per_matching_active_workflow() {
        let workflows = [
            workflow("wf_a", "signup", None, WorkflowStatus::Active),
            workflow("wf_b", "signup", Some("vip"), WorkflowStatus::Active),
            workflow("wf_c", "signup", None, WorkflowStatus::Paused),
            workflow("wf_d", "other", None, WorkflowStatus::Active),
        ];
        let trigger = TriggerEvent {
            id: "te_1".into(),
            event_name: "signup".into(),
            email: Email::parse("a@example.com").unwrap(),
            event_properties: json!({"plan": "pro"}),
            stripe_event_id: None,
            created_at: 1,
        };
        let runs = runs_for(&workflows, &trigger, None, "https://loop.example", 5_000);
        assert_eq!(runs.iter().map(|r| r.workflow_id.as_str()).collect::<Vec<_>>(), ["wf_a"]);
        assert_eq!(runs[0].event_properties["plan"], "pro");
        assert_eq!((runs[0].trigger_event_id.as_str(), runs[0].due_at), ("te_1", 5));
    }

    #[test]
    fn templates_without_an_unsubscribe_link_get_a_footer() {
        let mut t = loop_ground::domain::email_template::EmailTemplate {
            id: "et_1".into(),
            name: "n".into(),
            subject: "s".into(),
            html: "<p>Hi</p>".into(),
            text: Some("Hi".into()),
            created_at: 0,
            updated_at: 0,
            version: 1,
        };
        with_unsubscribe_footer(&mut t);
        assert!(t.html.contains("{{ unsubscribeUrl }}") && t.text.as_deref().unwrap().contains("{{ unsubscribeUrl }}"));
        let before = t.clone();
        with_unsubscribe_footer(&mut t);
        assert_eq!(t, before);
    }
}
