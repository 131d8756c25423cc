//! Payment links and checkout sessions.

use super::keys::*;
use super::records::*;
use super::{from_item, Listed, MergedQuery, Store};
use loop_ground::domain::checkout::{CheckoutSession, PaymentLink};
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

impl Store {
    pub async fn get_payment_link(&self, account: &AccountId, id: &str) -> Result<Option<PaymentLink>, StoreError> {
        let item = self.get_one(payment_link_pk(account, id), LINK_RECORD_SK).await?;
        item.map(|i| from_item::<PaymentLinkItem>(i).map(|l| l.link)).transpose()
    }

    pub async fn list_payment_links(
        &self,
        account: &AccountId,
        limit: usize,
        starting_after: Option<&str>,
    ) -> Result<(Vec<PaymentLink>, bool), StoreError> {
        let query =
            MergedQuery::newest(Listing::PaymentLinks.partitions(account), starting_after.map(str::to_owned), limit);
        self.query_merged(query).await?.records(|i| from_item::<PaymentLinkItem>(i).map(|l| l.link))
    }

    pub async fn get_session(&self, account: &AccountId, id: &str) -> Result<Option<CheckoutSession>, StoreError> {
        let item = self.get_one(session_pk(account, id), SESSION_SK).await?;
        item.map(|i| from_item::<SessionItem>(i).map(|x| x.session)).transpose()
    }

    pub async fn list_sessions(
        &self,
        account: &AccountId,
        status: Option<&str>,
        limit: usize,
        starting_after: Option<&str>,
    ) -> Result<Listed<CheckoutSession>, StoreError> {
        let page = self
            .query_merged(MergedQuery {
                partitions: Listing::CheckoutSessions.partitions(account),
                before: starting_after.map(str::to_owned),
                limit,
                filter: status.map(|st| ("#f = :f", "status", st.to_owned())),
            })
            .await?;
        // Session ids sort by time: the index's sort key is the id.
        page.decode(|i| from_item::<SessionItem>(i).map(|x| x.session), |key| key)
    }
}
