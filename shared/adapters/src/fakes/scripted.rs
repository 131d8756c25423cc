//! A store that answers as a test scripts it and records every call: for the capabilities whose
//! logic is in what they do with the store's answers (ingest, publish's commit, the scheduler,
//! checkout),
//! not in the conditions behind them. No tables: a read answers the next view (or page of the
//! due index, `due`) scripted, a transaction the next outcome scripted (`Ok` once none is left).

mod checkout;
mod due;

use std::any::TypeId;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Mutex, MutexGuard};

use super::ok;
use crate::ports::{CommitStore, IngestStore, WorkflowStore};
use crate::store::{IngestRead, IngestView, Write, WriteError};
use loop_ground::domain::account::Account;
use loop_ground::domain::checkout::{CheckoutSession, PaymentLink};
use loop_ground::domain::contact::Contact;
use loop_ground::domain::email::Email;
use loop_ground::domain::endpoint::EndpointSet;
use loop_ground::domain::workflow::Workflow;
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

/// One call a [`ScriptedStore`] received, in the order received.
#[derive(Clone, Debug)]
pub enum Call {
    ReadForIngest,
    GetContact(Email),
    Workflows,
    /// One transaction, whatever its scripted outcome.
    Write(Vec<Write>),
    MarkPublished(String),
    DeleteOutbox(String),
    /// One page of the due index: its kind (`transfer`, `outbox`, …), the page it resumes after
    /// (`None`: a walk's first read) and the items asked for.
    Due {
        kind: &'static str,
        resumes: Option<usize>,
        size: usize,
    },
    GetAccount(AccountId),
    GetEndpoints(AccountId),
    GetPaymentLink(String),
    GetSession(String),
    /// The parked deliveries of one endpoint removed, by their events' ids.
    Unpark {
        endpoint_id: String,
        events: Vec<String>,
    },
}

#[derive(Default)]
struct Script {
    views: VecDeque<IngestView>,
    contacts: HashMap<Email, Contact>,
    workflows: Vec<Workflow>,
    outcomes: VecDeque<WriteError>,
    due: HashMap<TypeId, due::Pages>,
    due_pages_served: HashMap<&'static str, usize>,
    accounts: HashMap<AccountId, (Account, EndpointSet)>,
    payment_links: HashMap<String, PaymentLink>,
    sessions: HashMap<String, CheckoutSession>,
    calls: Vec<Call>,
}

/// A store answering as scripted, recording what it was asked.
#[derive(Default)]
pub struct ScriptedStore {
    script: Mutex<Script>,
}

impl ScriptedStore {
    fn script(&self) -> MutexGuard<'_, Script> {
        self.script.lock().expect("no test panics while holding the scripted store")
    }

    /// The answer of the next `read_for_ingest` not yet answered. A read beyond the views
    /// scripted panics: the test did not expect it.
    pub fn then_read(&self, view: IngestView) -> &Self {
        self.script().views.push_back(view);
        self
    }

    /// The next transaction not yet answered fails so.
    pub fn then_write_fails(&self, error: WriteError) -> &Self {
        self.script().outcomes.push_back(error);
        self
    }

    /// `get_contact` finds this contact at its email.
    pub fn holds_contact(&self, contact: Contact) -> &Self {
        self.script().contacts.insert(contact.email.clone(), contact);
        self
    }

    pub fn holds_workflows(&self, workflows: Vec<Workflow>) -> &Self {
        self.script().workflows = workflows;
        self
    }

    pub fn calls(&self) -> Vec<Call> {
        self.script().calls.clone()
    }

    /// The transactions attempted, in order, whether or not they were committed.
    pub fn transactions(&self) -> Vec<Vec<Write>> {
        let calls = self.calls();
        calls.into_iter().filter_map(|c| if let Call::Write(writes) = c { Some(writes) } else { None }).collect()
    }

    /// Records the call; answers the script, to take its answer from.
    fn record(&self, call: Call) -> MutexGuard<'_, Script> {
        let mut script = self.script();
        script.calls.push(call);
        script
    }
}

impl CommitStore for ScriptedStore {
    fn write(&self, _account: &AccountId, writes: &[Write]) -> impl Future<Output = Result<(), WriteError>> + Send {
        let outcome = self.record(Call::Write(writes.to_vec())).outcomes.pop_front();
        std::future::ready(outcome.map_or(Ok(()), Err))
    }

    fn delete_outbox(&self, _account: &AccountId, id: &str) -> impl Future<Output = Result<(), StoreError>> + Send {
        drop(self.record(Call::DeleteOutbox(id.to_owned())));
        ok(())
    }
}

impl WorkflowStore for ScriptedStore {
    fn workflows(&self, _account: &AccountId) -> impl Future<Output = Result<Vec<Workflow>, StoreError>> + Send {
        ok(self.record(Call::Workflows).workflows.clone())
    }
}

impl IngestStore for ScriptedStore {
    fn read_for_ingest(
        &self,
        _account: &AccountId,
        _read: &IngestRead<'_>,
    ) -> impl Future<Output = Result<IngestView, StoreError>> + Send {
        let view = self.record(Call::ReadForIngest).views.pop_front();
        ok(view.expect("a read the test scripted no view for"))
    }

    fn get_contact(
        &self,
        _account: &AccountId,
        email: &Email,
    ) -> impl Future<Output = Result<Option<Contact>, StoreError>> + Send {
        ok(self.record(Call::GetContact(email.clone())).contacts.get(email).cloned())
    }

    fn mark_published(
        &self,
        _account: &AccountId,
        stripe_event_id: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        drop(self.record(Call::MarkPublished(stripe_event_id.to_owned())));
        ok(())
    }
}
