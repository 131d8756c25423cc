//! Payment links and checkout sessions.

use super::records::*;
use super::{classify, from_item, s, PageQuery, Store, BY_CREATION};
use crate::domain::checkout::{CheckoutSession, PaymentLink};
use crate::error::StoreError;
use crate::ids::AccountId;
use crate::store::Due;

impl Store {
    pub async fn get_payment_link(&self, account: &AccountId, id: &str) -> Result<Option<PaymentLink>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(payment_link_pk(account, id)))
            .key("sk", s(LINK_RECORD_SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        output.item.map(|i| from_item::<PaymentLinkItem>(i).map(|l| l.link)).transpose()
    }

    pub async fn list_payment_links(
        &self,
        account: &AccountId,
        limit: usize,
        starting_after: Option<&str>,
    ) -> Result<(Vec<PaymentLink>, bool), StoreError> {
        let page = self
            .page(PageQuery {
                index: BY_CREATION,
                partition: listing(account, "payment-links"),
                sort_prefix: None,
                before: starting_after.map(str::to_owned),
                limit,
                filter: None,
            })
            .await?;
        let links = page
            .items
            .into_iter()
            .map(|i| from_item::<PaymentLinkItem>(i).map(|l| l.link))
            .collect::<Result<_, _>>()?;
        Ok((links, page.has_more))
    }

    pub async fn get_session(&self, account: &AccountId, id: &str) -> Result<Option<CheckoutSession>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(session_pk(account, id)))
            .key("sk", s(SESSION_SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        output.item.map(|i| from_item::<SessionItem>(i).map(|x| x.session)).transpose()
    }

    pub async fn list_sessions(
        &self,
        account: &AccountId,
        status: Option<&str>,
        limit: usize,
        starting_after: Option<&str>,
    ) -> Result<(Vec<CheckoutSession>, bool), StoreError> {
        let page = self
            .page(PageQuery {
                index: BY_CREATION,
                partition: listing(account, "checkout-sessions"),
                sort_prefix: None,
                before: starting_after.map(str::to_owned),
                limit,
                filter: status.map(|st| ("#f = :f", "status", st.to_owned())),
            })
            .await?;
        let sessions =
            page.items.into_iter().map(|i| from_item::<SessionItem>(i).map(|x| x.session)).collect::<Result<_, _>>()?;
        Ok((sessions, page.has_more))
    }

    /// Open sessions past their expiry, with their accounts.
    pub async fn due_sessions(&self, now: i64) -> Result<Due<(AccountId, CheckoutSession)>, StoreError> {
        let (items, items_read) = self.due_items("session", now).await?;
        let records = items
            .into_iter()
            .map(|i| from_item::<SessionItem>(i).map(|x| (x.account_id, x.session)))
            .collect::<Result<_, _>>()?;
        Ok(Due { records, items_read })
    }
}
