//! Keys of workflows, their runs and the claims that make each email step send once.

use loop_ground::ids::AccountId;

pub const WORKFLOW_SK_PREFIX: &str = "WF#";
pub const RUN_SK: &str = "RUN";
pub const STEP_CLAIM_SK: &str = "STEP";
/// In the account's partition: the event names its workflows trigger on.
pub const WORKFLOW_TRIGGERS_SK: &str = "WFTRIGGERS";

/// Every workflow of an account sits in one partition: the few an account has are read in one
/// query, on each trigger event and for the list.
pub fn workflows_pk(account: &AccountId) -> String {
    format!("A#{account}#WORKFLOWS")
}

pub fn workflow_sk(id: &str) -> String {
    format!("{WORKFLOW_SK_PREFIX}{id}")
}

pub fn run_pk(account: &AccountId, id: &str) -> String {
    format!("A#{account}#RUN#{id}")
}

/// The `gsi1` partition of one workflow's runs, newest first by id.
pub fn runs_partition(account: &AccountId, workflow_id: &str) -> String {
    format!("A#{account}#WFRUNS#{workflow_id}")
}

/// The claim on step `index` of run `run_id`: whoever writes it first sends that step's email.
pub fn step_claim_pk(account: &AccountId, run_id: &str, index: usize) -> String {
    format!("A#{account}#RUN#{run_id}#STEP#{index}")
}

pub const MAIL_JOB_SK: &str = "MAILJOB";

/// An automated email to send for the event `event_id` (kept until it is sent or decided against).
pub fn mail_job_pk(account: &AccountId, event_id: &str) -> String {
    format!("A#{account}#MAILJOB#{event_id}")
}
