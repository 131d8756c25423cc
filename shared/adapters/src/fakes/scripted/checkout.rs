//! Checkout's part of the scripted store: the payment links and sessions a test holds, each read
//! as it was put (a transaction changes none of them: the test scripts what a race would show).

use std::future::Future;

use super::{Call, ScriptedStore};
use crate::fakes::ok;
use crate::ports::CheckoutStore;
use loop_ground::domain::checkout::{CheckoutSession, PaymentLink};
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

impl ScriptedStore {
    /// `get_payment_link` finds this link at its id.
    pub fn holds_payment_link(&self, link: PaymentLink) -> &Self {
        self.script().payment_links.insert(link.id.clone(), link);
        self
    }

    /// `get_session` finds this session at its id.
    pub fn holds_session(&self, session: CheckoutSession) -> &Self {
        self.script().sessions.insert(session.id.clone(), session);
        self
    }
}

impl CheckoutStore for ScriptedStore {
    fn get_payment_link(
        &self,
        _account: &AccountId,
        id: &str,
    ) -> impl Future<Output = Result<Option<PaymentLink>, StoreError>> + Send {
        ok(self.record(Call::GetPaymentLink(id.to_owned())).payment_links.get(id).cloned())
    }

    fn get_session(
        &self,
        _account: &AccountId,
        id: &str,
    ) -> impl Future<Output = Result<Option<CheckoutSession>, StoreError>> + Send {
        ok(self.record(Call::GetSession(id.to_owned())).sessions.get(id).cloned())
    }
}
