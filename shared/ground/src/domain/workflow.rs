//! Workflows (`email.md`): a trigger event name, an optional audience, and steps run in order —
//! waits and emails. A run is one contact's walk through one workflow's steps, started once per
//! (workflow, trigger event). What a run does next is decided here, purely: the capability reads
//! the run and its workflow, asks [`next_action`], and performs it.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::clock::rfc3339_from_unix;

/// Waits from 1 second to 90 days.
pub const MAX_WAIT_SECONDS: u64 = 90 * 86_400;
/// Steps in one workflow at most.
pub const MAX_STEPS: usize = 50;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkflowStatus {
    Active,
    Paused,
}

impl WorkflowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowStatus::Active => "active",
            WorkflowStatus::Paused => "paused",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Step {
    Wait {
        seconds: u64,
    },
    Email {
        #[serde(rename = "templateId")]
        template_id: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workflow {
    pub id: String,
    pub name: String,
    pub event_name: String,
    /// Only contacts of this user group, when set.
    pub user_group: Option<String>,
    pub steps: Vec<Step>,
    pub status: WorkflowStatus,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: u64,
}

impl Workflow {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "trigger": {"eventName": self.event_name},
            "audience": self.user_group.as_ref().map(|g| json!({"userGroup": g})),
            "steps": self.steps,
            "status": self.status.as_str(),
            "createdAt": rfc3339_from_unix(self.created_at),
            "updatedAt": rfc3339_from_unix(self.updated_at),
        })
    }

    /// Whether a trigger event of this name for a contact of this group starts a run.
    pub fn starts_for(&self, event_name: &str, user_group: Option<&str>) -> bool {
        self.status == WorkflowStatus::Active
            && self.event_name == event_name
            && self.user_group.as_deref().is_none_or(|wanted| user_group == Some(wanted))
    }

    /// The templates its email steps send.
    pub fn template_ids(&self) -> impl Iterator<Item = &str> {
        self.steps.iter().filter_map(|s| match s {
            Step::Email { template_id } => Some(template_id.as_str()),
            Step::Wait { .. } => None,
        })
    }
}

/// What is wrong with a workflow's steps, naming the step.
pub fn check_steps(steps: &[Step]) -> Result<(), String> {
    if steps.is_empty() || steps.len() > MAX_STEPS {
        return Err(format!("steps must hold 1 to {MAX_STEPS} steps"));
    }
    for (i, step) in steps.iter().enumerate() {
        match step {
            Step::Wait { seconds } if *seconds == 0 || *seconds > MAX_WAIT_SECONDS => {
                return Err(format!("steps[{i}].seconds must be 1 to {MAX_WAIT_SECONDS} (90 days)"));
            }
            Step::Email { template_id } if template_id.is_empty() => {
                return Err(format!("steps[{i}].templateId is required"));
            }
            _ => {}
        }
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Waiting,
    Running,
    Completed,
    Stopped,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Waiting => "waiting",
            RunStatus::Running => "running",
            RunStatus::Completed => "completed",
            RunStatus::Stopped => "stopped",
        }
    }
}

/// What became of one step of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepRecord {
    pub index: usize,
    /// `waited`, `sent`, `failed`, `skipped: unsubscribed`, …
    pub status: String,
    pub at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub id: String,
    pub workflow_id: String,
    pub email: String,
    pub trigger_event_id: String,
    /// The trigger event's properties, for the templates (`event.<name>`).
    #[serde(default)]
    pub event_properties: serde_json::Map<String, Value>,
    pub event_name: String,
    pub status: RunStatus,
    /// The step to run next.
    pub next_step: usize,
    /// When the next step is due (a wait's end). Stored as `nextAt`: `dueAt` is the due index's.
    #[serde(rename = "nextAt")]
    pub due_at: i64,
    pub steps: Vec<StepRecord>,
    pub created_at: i64,
    pub version: u64,
    /// Where the deployment's pages are, as the trigger's request said: the unsubscribe link's host.
    #[serde(default)]
    pub base_url: String,
}

impl Run {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "workflowId": self.workflow_id,
            "email": self.email,
            "triggerEventId": self.trigger_event_id,
            "status": self.status.as_str(),
            "steps": self.steps.iter().map(|s| {
                let mut v = json!({"index": s.index, "status": s.status, "at": rfc3339_from_unix(s.at)});
                if let Some(id) = &s.email_id {
                    v["emailId"] = json!(id);
                }
                v
            }).collect::<Vec<_>>(),
            "createdAt": rfc3339_from_unix(self.created_at),
        })
    }
}

/// What a run does now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing until `until` (a wait step, or a paused workflow: checked again then).
    WaitUntil(i64),
    /// Send the email of step `index` (at most once: the caller claims (run, step) first).
    Send { index: usize, template_id: String },
    /// Every step done.
    Complete,
    /// Its workflow is gone.
    Stop,
}

/// How long a paused workflow's runs wait before they look again: each look costs a queue
/// message and a few reads, so a paused workflow with many waiting runs stays cheap.
pub const PAUSED_RECHECK_SECONDS: i64 = 300;

/// The run's next action at `now`, its workflow as it is now (`None`: deleted). A wait step
/// that began is over at `due_at`; the steps after it run in the same turn.
pub fn next_action(run: &Run, workflow: Option<&Workflow>, now: i64) -> Action {
    let Some(workflow) = workflow else { return Action::Stop };
    if matches!(run.status, RunStatus::Completed | RunStatus::Stopped) {
        return Action::Complete;
    }
    if run.due_at > now {
        return Action::WaitUntil(run.due_at);
    }
    if workflow.status == WorkflowStatus::Paused {
        return Action::WaitUntil(now + PAUSED_RECHECK_SECONDS);
    }
    match workflow.steps.get(run.next_step) {
        None => Action::Complete,
        Some(Step::Wait { seconds }) => Action::WaitUntil(now + *seconds as i64),
        Some(Step::Email { template_id }) => Action::Send { index: run.next_step, template_id: template_id.clone() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workflow(steps: Vec<Step>, status: WorkflowStatus) -> Workflow {
        Workflow {
            id: "wf_1".into(),
            name: "Welcome".into(),
            event_name: "customer.created".into(),
            user_group: None,
            steps,
            status,
            created_at: 0,
            updated_at: 0,
            version: 1,
        }
    }

    fn run(next_step: usize, due_at: i64) -> Run {
        Run {
            id: "wr_1".into(),
            workflow_id: "wf_1".into(),
            email: "a@example.com".into(),
            trigger_event_id: "te_1".into(),
            event_properties: Default::default(),
            event_name: "customer.created".into(),
            status: RunStatus::Running,
            next_step,
            due_at,
            steps: vec![],
            created_at: 0,
            version: 1,
            base_url: String::new(),
        }
    }

    #[test]
    fn steps_run_in_order_with_waits_between() {
        let wf = workflow(
            vec![Step::Wait { seconds: 60 }, Step::Email { template_id: "et_1".into() }],
            WorkflowStatus::Active,
        );
        assert_eq!(next_action(&run(0, 0), Some(&wf), 100), Action::WaitUntil(160));
        assert_eq!(next_action(&run(1, 160), Some(&wf), 100), Action::WaitUntil(160));
        assert_eq!(next_action(&run(1, 160), Some(&wf), 160), Action::Send { index: 1, template_id: "et_1".into() });
        assert_eq!(next_action(&run(2, 160), Some(&wf), 170), Action::Complete);
    }

    #[test]
    fn paused_workflows_hold_their_runs_and_deleted_ones_stop_them() {
        let wf = workflow(vec![Step::Email { template_id: "et_1".into() }], WorkflowStatus::Paused);
        assert_eq!(next_action(&run(0, 0), Some(&wf), 100), Action::WaitUntil(100 + PAUSED_RECHECK_SECONDS));
        assert_eq!(next_action(&run(0, 0), None, 100), Action::Stop);
    }

    #[test]
    fn audiences_and_triggers_choose_who_starts_a_run() {
        let mut wf = workflow(vec![Step::Email { template_id: "et_1".into() }], WorkflowStatus::Active);
        assert!(wf.starts_for("customer.created", None));
        assert!(!wf.starts_for("customer.updated", None));
        wf.user_group = Some("vip".into());
        assert!(wf.starts_for("customer.created", Some("vip")));
        assert!(!wf.starts_for("customer.created", None));
        wf.status = WorkflowStatus::Paused;
        assert!(!wf.starts_for("customer.created", Some("vip")));
    }

    #[test]
    fn steps_are_checked_by_index() {
        assert!(check_steps(&[]).is_err());
        assert_eq!(
            check_steps(&[Step::Wait { seconds: 0 }]).unwrap_err(),
            "steps[0].seconds must be 1 to 7776000 (90 days)"
        );
        assert!(check_steps(&[Step::Wait { seconds: MAX_WAIT_SECONDS + 1 }]).is_err());
        assert!(check_steps(&[Step::Wait { seconds: 1 }, Step::Email { template_id: "et_1".into() }]).is_ok());
        let parsed: Vec<Step> =
            serde_json::from_value(json!([{"type": "wait", "seconds": 5}, {"type": "email", "templateId": "et_9"}]))
                .unwrap();
        assert_eq!(parsed[1], Step::Email { template_id: "et_9".into() });
    }
}
