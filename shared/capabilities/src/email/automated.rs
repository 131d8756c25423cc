//! Automated emails (`email.md`, "Automated emails"): a payment request on `TransferFinalized`, a
//! late-payment notice on `LatePayment`, a receipt on a successful `TransferProcessed` — each to the
//! transfer's email, when the account turned it on and has a sending identity. A job is written
//! with the event (`Write::PutMailJob`, in the same transaction), handed to dispatch at once, and
//! found on the due index if that hand-over is lost; the send is claimed first, so each event
//! sends at most one automated email.

use serde_json::{json, Map, Value};

use super::{account_variables, render, send_rendered};
use loop_adapters::app::App;
use loop_adapters::queue::OutgoingMessage;
use loop_adapters::store::{StepClaim, Write, CLAIM_SENDING};
use loop_ground::clock::rfc3339_from_unix;
use loop_ground::domain::account::Account;
use loop_ground::domain::commerce::Transfer;
use loop_ground::domain::email::Email;
use loop_ground::domain::email_template::SentEmail;
use loop_ground::domain::notifications::Notification;
use loop_ground::domain::outbound::{MailPointer, OutboundEvent};
use loop_ground::error::StoreError;
use loop_ground::ids::{new_sortable_id, AccountId};

/// How long a job waits on the due index before the scheduler assumes its hand-over was lost.
const GRACE_SECONDS: i64 = 60;
/// How long a claimed send may stay `sending` before it counts as interrupted (not sent again).
const CLAIM_TIMEOUT_SECONDS: i64 = 120;

/// The jobs the events among `events` need: one per event that may send an automated email.
/// Whether it will (the account's setting, an email to send to) is decided when it is sent;
/// [`super::hand_over`] gives them to dispatch once they are written.
pub fn jobs_for(events: &[OutboundEvent], now: i64) -> Vec<Write> {
    events
        .iter()
        .filter(|e| Notification::for_event(&e.kind).is_some())
        .map(|e| Write::PutMailJob { event_id: e.id.clone(), due_at: now + GRACE_SECONDS })
        .collect()
}

pub fn pointer(account: &AccountId, event_id: &str) -> OutgoingMessage {
    let body = MailPointer { mail: 1, account_id: account.to_string(), event_id: event_id.to_owned() };
    OutgoingMessage { body: serde_json::to_string(&body).unwrap_or_default(), delay_seconds: 0 }
}

/// Sends the automated email of `event_id`, if one is due, once; then drops its job.
pub async fn send(app: &App, account_id: &AccountId, event_id: &str) -> Result<(), StoreError> {
    if let Some(sent) = Box::pin(decide_and_send(app, account_id, event_id)).await? {
        tracing::info!(account = %account_id, event = %event_id, email = %sent.id, status = %sent.status, "automated email");
    }
    app.store.delete_mail_job(account_id, event_id).await
}

/// What the email is about, read when it is sent.
struct Subject {
    which: Notification,
    to: Email,
    variables: Map<String, Value>,
}

async fn subject(app: &App, account: &Account, event: &OutboundEvent) -> Result<Option<Subject>, StoreError> {
    let Some(which) = Notification::for_event(&event.kind) else { return Ok(None) };
    if !account.notifications.enabled(which) {
        return Ok(None);
    }
    let payload: Value = serde_json::from_str(&event.payload).unwrap_or(Value::Null);
    if which == Notification::Receipt && payload["success"] != json!(true) {
        return Ok(None);
    }
    let transfer_id = payload["transferId"].as_str().or(payload["id"].as_str()).unwrap_or_default();
    let Some(transfer) = app.store.get_transfer(&account.id, transfer_id).await? else { return Ok(None) };
    let Some(to) = transfer.email.as_deref().and_then(Email::parse) else { return Ok(None) };
    let mut variables = transfer_variables(account, &transfer);
    if let Some(tx) = payload["transaction"].as_str().filter(|t| *t != "-") {
        variables.insert("transaction".into(), json!(tx));
    }
    Ok(Some(Subject { which, to, variables }))
}

/// `event` as the automated templates see it: the transfer's amount, token, due date, pay page.
fn transfer_variables(account: &Account, t: &Transfer) -> Map<String, Value> {
    let mut v = Map::new();
    v.insert("amount".into(), json!(t.amount));
    v.insert("tokenSymbol".into(), json!(account.crypto.token_symbol));
    v.insert("networkName".into(), json!(account.crypto.network_name));
    v.insert("transferId".into(), json!(t.id));
    v.insert("invoiceId".into(), json!(t.invoice_id));
    if let Some(due) = t.due_date {
        // The date alone: `2026-12-07`.
        v.insert("dueDate".into(), json!(rfc3339_from_unix(due).get(..10).unwrap_or_default()));
    }
    for (name, value) in [("paymentUrl", &t.payment_url), ("item", &t.item), ("transaction", &t.transaction)] {
        if let Some(value) = value {
            v.insert(name.into(), json!(value));
        }
    }
    if let Some(payment) = &t.payment {
        v.insert("transaction".into(), json!(payment.transaction_hash));
    }
    v
}

async fn decide_and_send(app: &App, account_id: &AccountId, event_id: &str) -> Result<Option<SentEmail>, StoreError> {
    let Some(account) = app.store.get_account(account_id).await? else { return Ok(None) };
    let Some(event) = app.store.get_event(account_id, event_id).await? else { return Ok(None) };
    let Some(subject) = subject(app, &account, &event).await? else { return Ok(None) };
    let Some(sender) = account.email.clone() else { return Ok(None) };
    let template = match account.notifications.template(subject.which) {
        Some(id) => app.store.get_template(account_id, id).await?,
        None => None,
    }
    .unwrap_or_else(|| subject.which.default_template());

    let now = app.clock.now_unix();
    let mut claim = StepClaim {
        run_id: event_id.to_owned(),
        index: 0,
        email_id: new_sortable_id("em_", app.clock.now_millis()),
        status: CLAIM_SENDING.into(),
        at: now,
    };
    if !app.store.claim_step(account_id, &claim).await? {
        let Some(held) = app.store.get_step_claim(account_id, event_id, 0).await? else { return Ok(None) };
        if held.status == CLAIM_SENDING && now - held.at < CLAIM_TIMEOUT_SECONDS {
            return Err(StoreError::Unavailable("another worker is sending this email".into()));
        }
        if held.status == CLAIM_SENDING {
            // Its sender stopped between the claim and the outcome: it may have sent.
            app.store.finish_step(account_id, &StepClaim { status: "failed: interrupted".into(), ..held }).await?;
        }
        return Ok(None);
    }
    let variables = render::variables(
        json!({"email": subject.to}),
        Some(subject.which.as_str()),
        &subject.variables,
        account_variables(&account),
        None,
    );
    let mut record = SentEmail {
        id: claim.email_id.clone(),
        to: subject.to.clone(),
        subject: template.subject.clone(),
        template_id: template.id.clone(),
        workflow_id: None,
        run_id: None,
        kind: "automated".into(),
        status: "failed".into(),
        reason: None,
        ses_message_id: None,
        created_at: now,
        feedback: None,
    };
    match render::render(&template, &variables) {
        Err(err) => record.reason = Some(format!("template: {err}")),
        Ok(rendered) => {
            record.subject = rendered.subject.clone();
            match send_rendered(app, &account, &sender, &subject.to, &record.id, &rendered, None).await {
                Ok(outcome) => outcome.record_on(&mut record),
                Err(err) => {
                    // Not sent: the claim goes, so that the retry sends it.
                    app.store.release_step(account_id, &claim).await?;
                    return Err(err);
                }
            }
        }
    }
    app.store.put_email(account_id, &record).await?;
    claim.status = record.status.clone();
    app.store.finish_step(account_id, &claim).await?;
    Ok(Some(record))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_events_that_may_send_an_automated_email_get_a_job() {
        let events = [
            OutboundEvent::loop_family("TransferFinalized", Map::new(), 1_000),
            OutboundEvent::envelope("contact.created", json!({}), 1_000),
            OutboundEvent::loop_family("LatePayment", Map::new(), 1_000),
        ];
        let jobs = jobs_for(&events, 10);
        assert_eq!(jobs.len(), 2);
        assert!(matches!(&jobs[0], Write::PutMailJob { event_id, due_at: 70 } if *event_id == events[0].id));
    }
}
