//! Workflows (all of an account's in one partition, `A#acct#WORKFLOWS` / `WF#id`), their runs
//! (`A#acct#RUN#id`, listed per workflow on `gsi1`, on the `due` index while they wait) and the
//! claims on their email steps (`A#acct#RUN#id#STEP#n`), written before a send so that each
//! (run, step) sends at most once.

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::{classify, from_item, put_if, s, to_item, Due, DueCursor, Item, PageQuery, Store};
use loop_ground::domain::workflow::{Run, RunStatus, Workflow};
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

/// Workflows an account may have: all are read on each of its trigger events, in one query.
pub const MAX_WORKFLOWS: usize = 100;

#[derive(Serialize, Deserialize)]
struct WorkflowItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    workflow: Workflow,
}

#[derive(Serialize, Deserialize)]
pub(super) struct RunItem {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    /// Present while the run waits or runs: the scheduler finds it when it is due.
    #[serde(rename = "duePk", default, skip_serializing_if = "Option::is_none")]
    due_pk: Option<String>,
    #[serde(rename = "dueAt", default, skip_serializing_if = "Option::is_none")]
    due_at: Option<String>,
    #[serde(rename = "accountId")]
    account_id: AccountId,
    #[serde(flatten)]
    run: Run,
}

impl RunItem {
    pub(super) fn new(account: &AccountId, run: &Run) -> Self {
        let live = matches!(run.status, RunStatus::Waiting | RunStatus::Running);
        RunItem {
            pk: run_pk(account, &run.id),
            sk: RUN_SK.to_owned(),
            gsi1pk: runs_partition(account, &run.workflow_id),
            gsi1sk: run.id.clone(),
            due_pk: live.then(|| due_partition("run", &run.id)),
            due_at: live.then(|| due_key(run.due_at, &run.id)),
            account_id: account.clone(),
            run: run.clone(),
        }
    }
}

/// The claim on one email step of a run: `sending` from the moment it is written until the send's
/// outcome replaces it (`sent`, `failed`, `skipped: …`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepClaim {
    pub run_id: String,
    pub index: usize,
    /// The id the email is (or will be) recorded under.
    pub email_id: String,
    pub status: String,
    pub at: i64,
}

pub const CLAIM_SENDING: &str = "sending";

#[derive(Serialize, Deserialize)]
struct StepClaimItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    claim: StepClaim,
}

/// An automated email to send for an outbound event, written with the event: on the due
/// index (after a grace), so the scheduler hands it to dispatch if the message sent at once is lost.
#[derive(Serialize, Deserialize)]
pub(super) struct MailJobItem {
    pk: String,
    sk: String,
    #[serde(rename = "duePk")]
    due_pk: String,
    #[serde(rename = "dueAt")]
    due_at: String,
    #[serde(rename = "accountId")]
    account_id: AccountId,
    #[serde(rename = "eventId")]
    event_id: String,
}

impl MailJobItem {
    pub(super) fn new(account: &AccountId, event_id: &str, due_at: i64) -> Self {
        MailJobItem {
            pk: mail_job_pk(account, event_id),
            sk: MAIL_JOB_SK.to_owned(),
            due_pk: due_partition("mail", event_id),
            due_at: due_key(due_at, event_id),
            account_id: account.clone(),
            event_id: event_id.to_owned(),
        }
    }
}

/// The event names an account's workflows were active on: a string set, only ever added to
/// (`ADD` is atomic and commutes, so concurrent workflow changes never lose a name; a name no
/// workflow uses any more only costs a read of the workflows when it is triggered).
#[derive(Serialize, Deserialize)]
pub(super) struct TriggersItem {
    pub(super) names: std::collections::BTreeSet<String>,
}

impl Store {
    /// Adds `event_name` to the account's workflow triggers (before the workflow is written, so
    /// that no trigger of an active workflow is ever missing from the set).
    pub async fn add_workflow_trigger(&self, account: &AccountId, event_name: &str) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(account_pk(account)))
            .key("sk", s(WORKFLOW_TRIGGERS_SK))
            .update_expression("ADD #n :n")
            .expression_attribute_names("#n", "names")
            .expression_attribute_values(":n", AttributeValue::Ss(vec![event_name.to_owned()]))
            .send()
            .await
            .map(|_| ())
            .map_err(classify)
    }

    /// A page of automated emails whose first hand-over may have been lost: (account, event id).
    pub async fn due_mail_jobs(
        &self,
        now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> Result<Due<(AccountId, String)>, StoreError> {
        self.due_page("mail", now, from, page_size, |i| from_item::<MailJobItem>(i).map(|j| (j.account_id, j.event_id)))
            .await
    }

    /// The automated email of `event_id` is decided (sent, failed, or not to send).
    pub async fn delete_mail_job(&self, account: &AccountId, event_id: &str) -> Result<(), StoreError> {
        self.delete_key(mail_job_pk(account, event_id), MAIL_JOB_SK).await
    }

    /// Creates the workflow (`version == 1`) or replaces it at the version before; `Ok(false)`
    /// when a concurrent change won.
    pub async fn put_workflow(&self, account: &AccountId, workflow: &Workflow) -> Result<bool, StoreError> {
        let item = to_item(&WorkflowItem {
            pk: workflows_pk(account),
            sk: workflow_sk(&workflow.id),
            workflow: workflow.clone(),
        })?;
        self.put_versioned(item, workflow.version).await
    }

    pub async fn get_workflow(&self, account: &AccountId, id: &str) -> Result<Option<Workflow>, StoreError> {
        let item = self.get_one(workflows_pk(account), &workflow_sk(id)).await?;
        item.map(|i| from_item::<WorkflowItem>(i).map(|w| w.workflow)).transpose()
    }

    /// The account's workflows, newest first, after `starting_after` when given.
    pub async fn list_workflows(
        &self,
        account: &AccountId,
        limit: usize,
        starting_after: Option<&str>,
    ) -> Result<(Vec<Workflow>, bool), StoreError> {
        let page = self
            .page(PageQuery::in_partition(
                workflows_pk(account),
                Some(WORKFLOW_SK_PREFIX),
                starting_after.map(workflow_sk),
                limit,
            ))
            .await?;
        page.records(|i| from_item::<WorkflowItem>(i).map(|w| w.workflow))
    }

    /// Every workflow of the account (at most [`MAX_WORKFLOWS`]), for a trigger event to match.
    pub async fn workflows(&self, account: &AccountId) -> Result<Vec<Workflow>, StoreError> {
        Ok(self.list_workflows(account, MAX_WORKFLOWS, None).await?.0)
    }

    /// Deletes the workflow if it is still at `version`; `Ok(false)` if it changed meanwhile.
    pub async fn delete_workflow(&self, account: &AccountId, id: &str, version: u64) -> Result<bool, StoreError> {
        self.delete_at_version(workflows_pk(account), &workflow_sk(id), version).await
    }

    pub async fn get_run(&self, account: &AccountId, id: &str) -> Result<Option<Run>, StoreError> {
        let item = self.get_one(run_pk(account, id), RUN_SK).await?;
        item.map(|i| from_item::<RunItem>(i).map(|r| r.run)).transpose()
    }

    /// Replaces the run if it is still at `run.version - 1`; `Ok(false)` when another worker
    /// moved it first. (Runs are created with their trigger event, in its transaction.)
    pub async fn update_run(&self, account: &AccountId, run: &Run) -> Result<bool, StoreError> {
        let previous = AttributeValue::N(run.version.saturating_sub(1).to_string());
        self.put_where(to_item(&RunItem::new(account, run))?, "version = :v", (":v", previous)).await
    }

    /// One workflow's runs, newest first.
    pub async fn list_runs(
        &self,
        account: &AccountId,
        workflow_id: &str,
        limit: usize,
        starting_after: Option<&str>,
    ) -> Result<(Vec<Run>, bool), StoreError> {
        let page = self
            .page(PageQuery::in_index(runs_partition(account, workflow_id), starting_after.map(str::to_owned), limit))
            .await?;
        page.records(|i| from_item::<RunItem>(i).map(|r| r.run))
    }

    /// A page of runs due at `now` (a wait over, or a step to retry), with their accounts.
    pub async fn due_runs(
        &self,
        now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> Result<Due<(AccountId, Run)>, StoreError> {
        self.due_page("run", now, from, page_size, |i| from_item::<RunItem>(i).map(|r| (r.account_id, r.run))).await
    }

    /// Writes the claim on a step if none exists; `Ok(false)` when one does (read it).
    pub async fn claim_step(&self, account: &AccountId, claim: &StepClaim) -> Result<bool, StoreError> {
        self.put_new(self.step_claim_item(account, claim)?).await
    }

    /// Records the step's outcome on its claim (only its holder writes it).
    pub async fn finish_step(&self, account: &AccountId, claim: &StepClaim) -> Result<(), StoreError> {
        self.put(self.step_claim_item(account, claim)?).await
    }

    /// Removes a claim whose email was not sent (SES unavailable), so that a retry sends it.
    pub async fn release_step(&self, account: &AccountId, claim: &StepClaim) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(step_claim_pk(account, &claim.run_id, claim.index)))
            .key("sk", s(STEP_CLAIM_SK))
            .condition_expression("emailId = :e AND #s = :sending")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":e", s(&claim.email_id))
            .expression_attribute_values(":sending", s(CLAIM_SENDING))
            .send()
            .await;
        put_if(result).map(|_| ())
    }

    pub async fn get_step_claim(
        &self,
        account: &AccountId,
        run_id: &str,
        index: usize,
    ) -> Result<Option<StepClaim>, StoreError> {
        let item = self.get_one(step_claim_pk(account, run_id, index), STEP_CLAIM_SK).await?;
        item.map(|i| from_item::<StepClaimItem>(i).map(|c| c.claim)).transpose()
    }

    fn step_claim_item(&self, account: &AccountId, claim: &StepClaim) -> Result<Item, StoreError> {
        to_item(&StepClaimItem {
            pk: step_claim_pk(account, &claim.run_id, claim.index),
            sk: STEP_CLAIM_SK.to_owned(),
            claim: claim.clone(),
        })
    }
}
