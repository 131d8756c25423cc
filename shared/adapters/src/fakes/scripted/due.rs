//! The scheduler's part of the scripted store: the due index as pages a test scripts, per kind
//! of record, in the order read; and the accounts its sweeps look up.

use std::any::{Any, TypeId};
use std::future::{Future, Ready};

use super::{Call, ScriptedStore};
use crate::fakes::ok;
use crate::ports::{EndpointsStore, ParkedStore, ScheduleStore};
use crate::store::records::OutboxItem;
use crate::store::{Confirming, Due, DueCursor, Parked};
use loop_ground::domain::account::Account;
use loop_ground::domain::checkout::CheckoutSession;
use loop_ground::domain::commerce::Transfer;
use loop_ground::domain::endpoint::EndpointSet;
use loop_ground::domain::workflow::Run;
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

/// The pages of one kind, as scripted: the kind is the records' type.
pub(super) type Pages = std::collections::VecDeque<Result<Box<dyn Any + Send>, StoreError>>;

impl ScriptedStore {
    /// The next page of `T`s the due index answers: `(AccountId, Transfer)`, `OutboxItem`, … as
    /// [`ScheduleStore`] reads them. Once none is left, a read answers an empty last page.
    pub fn then_due<T: Any + Send>(&self, records: Vec<T>) -> &Self {
        self.script().due.entry(TypeId::of::<T>()).or_default().push_back(Ok(Box::new(records)));
        self
    }

    /// The next read of the `T`s of the due index fails so.
    pub fn then_due_fails<T: Any + Send>(&self, error: StoreError) -> &Self {
        self.script().due.entry(TypeId::of::<T>()).or_default().push_back(Err(error));
        self
    }

    /// `get_account` finds this account, and `get_endpoints` these endpoints of it.
    pub fn holds_account(&self, account: Account, endpoints: EndpointSet) -> &Self {
        self.script().accounts.insert(account.id.clone(), (account, endpoints));
        self
    }

    /// Answers one read of `kind`: the next page scripted, and a cursor to the one after it
    /// while another is scripted.
    fn due<T: Any>(&self, kind: &'static str, from: DueCursor, size: usize) -> Ready<Result<Due<T>, StoreError>> {
        let mut script = self.record(Call::Due { kind, resumes: from.fake_page(), size });
        let pages = script.due.entry(TypeId::of::<T>()).or_default();
        let page = match pages.pop_front() {
            Some(Ok(records)) => *records.downcast::<Vec<T>>().expect("pages are kept by their records' type"),
            Some(Err(error)) => return std::future::ready(Err(error)),
            None => Vec::new(),
        };
        let more = !pages.is_empty();
        let served = script.due_pages_served.entry(kind).or_default();
        *served += 1;
        let next = more.then(|| DueCursor::after_fake_page(*served));
        ok(Due { items_read: page.len(), records: page, corrupt: 0, next })
    }
}

/// The endpoints of an account held by `holds_account` (the scheduler's and checkout's read).
impl EndpointsStore for ScriptedStore {
    fn get_endpoints(&self, account: &AccountId) -> impl Future<Output = Result<EndpointSet, StoreError>> + Send {
        let script = self.record(Call::GetEndpoints(account.clone()));
        ok(script.accounts.get(account).map(|(_, endpoints)| endpoints.clone()).unwrap_or_default())
    }
}

impl ParkedStore for ScriptedStore {
    fn unpark(
        &self,
        _account: &AccountId,
        endpoint_id: &str,
        released: &[Parked],
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let events = released.iter().map(|p| p.event_id.clone()).collect();
        drop(self.record(Call::Unpark { endpoint_id: endpoint_id.to_owned(), events }));
        ok(())
    }
}

impl ScheduleStore for ScriptedStore {
    fn due_transfers(
        &self,
        _now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> impl Future<Output = Result<Due<(AccountId, Transfer)>, StoreError>> + Send {
        self.due("transfer", from, page_size)
    }

    fn due_confirmings(
        &self,
        _now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> impl Future<Output = Result<Due<(AccountId, Confirming)>, StoreError>> + Send {
        self.due("confirming", from, page_size)
    }

    fn due_sessions(
        &self,
        _now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> impl Future<Output = Result<Due<(AccountId, CheckoutSession)>, StoreError>> + Send {
        self.due("session", from, page_size)
    }

    fn due_outboxes(
        &self,
        _now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> impl Future<Output = Result<Due<OutboxItem>, StoreError>> + Send {
        self.due("outbox", from, page_size)
    }

    fn due_parked(
        &self,
        _now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> impl Future<Output = Result<Due<(AccountId, String, Parked)>, StoreError>> + Send {
        self.due("parked", from, page_size)
    }

    fn due_runs(
        &self,
        _now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> impl Future<Output = Result<Due<(AccountId, Run)>, StoreError>> + Send {
        self.due("run", from, page_size)
    }

    fn due_mail_jobs(
        &self,
        _now: i64,
        from: DueCursor,
        page_size: usize,
    ) -> impl Future<Output = Result<Due<(AccountId, String)>, StoreError>> + Send {
        self.due("mail", from, page_size)
    }

    fn get_account(&self, id: &AccountId) -> impl Future<Output = Result<Option<Account>, StoreError>> + Send {
        ok(self.record(Call::GetAccount(id.clone())).accounts.get(id).map(|(account, _)| account.clone()))
    }
}
