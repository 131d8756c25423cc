//! Email templates (`email.md`, "Templates"): a subject, HTML and optional text, in MiniJinja
//! syntax, rendered per contact when an email is sent.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::clock::rfc3339_from_unix;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailTemplate {
    pub id: String,
    pub name: String,
    pub subject: String,
    pub html: String,
    /// `None`: the text part is derived from the HTML when the email is rendered.
    #[serde(default)]
    pub text: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: u64,
}

impl EmailTemplate {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "subject": self.subject,
            "html": self.html,
            "text": self.text,
            "createdAt": rfc3339_from_unix(self.created_at),
            "updatedAt": rfc3339_from_unix(self.updated_at),
        })
    }
}

/// One email Loop sent, or tried to (`email.md`, "What was sent").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentEmail {
    pub id: String,
    pub to: super::email::Email,
    pub subject: String,
    pub template_id: String,
    #[serde(default)]
    pub workflow_id: Option<String>,
    #[serde(default)]
    pub run_id: Option<String>,
    /// `workflow`, `transactional` or `automated`.
    pub kind: String,
    /// `sent`, `failed` (SES refused it: `reason`) or `skipped` (`reason`).
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub ses_message_id: Option<String>,
    pub created_at: i64,
    /// What SES reported after sending: `bounced` (a permanent bounce), `complained`, or
    /// `bounced: transient`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<String>,
}

impl SentEmail {
    pub fn to_json(&self) -> Value {
        let mut shown = json!({
            "id": self.id,
            "to": self.to,
            "subject": self.subject,
            "templateId": self.template_id,
            "kind": self.kind,
            "status": self.status,
            "reason": self.reason,
            "sesMessageId": self.ses_message_id,
            "createdAt": rfc3339_from_unix(self.created_at),
        });
        if let Value::Object(fields) = &mut shown {
            if let Some(workflow) = &self.workflow_id {
                fields.insert("workflowId".into(), json!(workflow));
            }
            if let Some(run) = &self.run_id {
                fields.insert("runId".into(), json!(run));
            }
            if let Some(feedback) = &self.feedback {
                fields.insert("feedback".into(), json!(feedback));
            }
        }
        shown
    }
}
