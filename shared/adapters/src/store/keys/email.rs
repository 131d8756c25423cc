//! Keys of email templates and of the emails sent.

use loop_ground::domain::email::Email;
use loop_ground::ids::AccountId;

pub const TEMPLATE_SK: &str = "TEMPLATE";
pub const EMAIL_SK: &str = "EMAIL";

pub fn template_pk(account: &AccountId, id: &str) -> String {
    format!("A#{account}#ET#{id}")
}

pub fn email_pk(account: &AccountId, id: &str) -> String {
    format!("A#{account}#EM#{id}")
}

/// The `gsi1` partition of the emails sent to one address, newest first by id.
pub fn emails_to_partition(account: &AccountId, to: &Email) -> String {
    format!("A#{account}#emails-to#{to}")
}

/// A workflow's emails, newest first: one small pointer item per email (`sk` = its id).
pub fn workflow_emails_pk(account: &AccountId, workflow_id: &str) -> String {
    format!("A#{account}#WFEM#{workflow_id}")
}
