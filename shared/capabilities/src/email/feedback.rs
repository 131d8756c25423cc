//! Bounces and complaints (`email.md`, "What was sent"): SES publishes them through the
//! configuration set's event destination (SNS), whose topic feeds a queue that dispatch reads. Each
//! email is sent with tags naming its account and its id, which SES hands back: the email is
//! marked, and after a permanent bounce or a complaint its recipient is unsubscribed (publishing
//! `contact.unsubscribed` once), so no workflow writes to that address again.

use serde_json::Value;

use crate::contacts::{self, ContactError};
use loop_adapters::app::App;
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

pub const ACCOUNT_TAG: &str = "loop-account";
pub const EMAIL_TAG: &str = "loop-email";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feedback {
    /// A permanent bounce: the address does not take mail.
    HardBounce,
    /// A transient bounce (a full mailbox): only noted.
    SoftBounce,
    /// The recipient marked it as spam.
    Complaint,
}

impl Feedback {
    pub fn as_str(self) -> &'static str {
        match self {
            Feedback::HardBounce => "bounced",
            Feedback::SoftBounce => "bounced: transient",
            Feedback::Complaint => "complained",
        }
    }

    /// Whether the recipient stops getting workflow email.
    pub fn unsubscribes(self) -> bool {
        matches!(self, Feedback::HardBounce | Feedback::Complaint)
    }
}

/// One notification about one email Loop sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub account: AccountId,
    pub email_id: String,
    pub feedback: Feedback,
}

/// Reads an SES event as the queue holds it: the event itself (SNS raw message delivery), or
/// wrapped in an SNS notification. `None`: not an SES event about an email of Loop's.
pub fn parse(body: &str) -> Option<Notice> {
    let mut event: Value = serde_json::from_str(body).ok()?;
    if event["Type"] == "Notification" {
        event = serde_json::from_str(event["Message"].as_str()?).ok()?;
    }
    // Event publishing says `eventType`; identity notifications say `notificationType`.
    let kind = event["eventType"].as_str().or(event["notificationType"].as_str())?;
    let feedback = match kind {
        "Bounce" if event["bounce"]["bounceType"] == "Permanent" => Feedback::HardBounce,
        "Bounce" => Feedback::SoftBounce,
        "Complaint" => Feedback::Complaint,
        _ => return None,
    };
    let tag = |name: &str| event["mail"]["tags"][name][0].as_str().map(str::to_owned);
    Some(Notice { account: AccountId::parse(&tag(ACCOUNT_TAG)?)?, email_id: tag(EMAIL_TAG)?, feedback })
}

/// Marks the email and, for a permanent bounce or a complaint, unsubscribes its recipient.
pub async fn handle(app: &App, notice: &Notice) -> Result<(), StoreError> {
    let Some(sent) = app.store.get_email(&notice.account, &notice.email_id).await? else { return Ok(()) };
    // The contact first, the mark last: a mark says the notice was handled whole.
    if notice.feedback.unsubscribes() {
        match contacts::unsubscribe(app, &notice.account, &sent.to).await {
            Ok(_) | Err(ContactError::NotFound) => {}
            Err(ContactError::Store(err)) => return Err(err),
            Err(other) => tracing::warn!(account = %notice.account, error = %other, "bounced contact not unsubscribed"),
        }
    }
    app.store.mark_email_feedback(&notice.account, &notice.email_id, notice.feedback.as_str()).await?;
    tracing::info!(account = %notice.account, email = %notice.email_id, feedback = notice.feedback.as_str(), "SES feedback");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "acct_abcdefghijklmnopqrst";

    fn event(kind: &str, detail: &str) -> String {
        format!(
            r#"{{"eventType":"{kind}",{detail},"mail":{{"messageId":"m1","tags":{{"loop-account":["{ACCOUNT}"],"loop-email":["em_1"]}}}}}}"#
        )
    }

    #[test]
    fn bounces_and_complaints_name_their_email_raw_or_wrapped() {
        let hard = event("Bounce", r#""bounce":{"bounceType":"Permanent","bouncedRecipients":[]}"#);
        let notice = parse(&hard).unwrap();
        assert_eq!(
            (notice.account.as_str(), notice.email_id.as_str(), notice.feedback),
            (ACCOUNT, "em_1", Feedback::HardBounce)
        );
        let soft = event("Bounce", r#""bounce":{"bounceType":"Transient"}"#);
        assert_eq!(parse(&soft).unwrap().feedback, Feedback::SoftBounce);
        let complaint = event("Complaint", r#""complaint":{}"#);
        let wrapped = serde_json::json!({"Type": "Notification", "Message": complaint}).to_string();
        assert_eq!(parse(&wrapped).unwrap().feedback, Feedback::Complaint);
        assert!(parse(&event("Delivery", r#""delivery":{}"#)).is_none());
        assert!(parse(r#"{"eventType":"Bounce","bounce":{},"mail":{"tags":{}}}"#).is_none(), "not Loop's email");
        assert!(parse(r#"{"v":1,"accountId":"acct_1"}"#).is_none());
        assert!(!Feedback::SoftBounce.unsubscribes() && Feedback::Complaint.unsubscribes());
    }
}
