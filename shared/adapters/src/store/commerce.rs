//! Catalogue items, transfers and agreements, for the read APIs.

use std::collections::HashMap;

use super::keys::*;
use super::records::*;
use super::{classify, from_item, Listed, MergedQuery, Store};
use loop_ground::domain::commerce::{Agreement, Item, Product, Transfer};
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

impl Store {
    /// Where a page starts: `Some(None)` at the newest record, `Some(Some(key))` below the
    /// `startingAfter` record (its listing key), `None` if that record does not exist.
    async fn cursor(&self, record: Option<String>, sk: &str) -> Result<Option<Option<String>>, StoreError> {
        let Some(pk) = record else { return Ok(Some(None)) };
        Ok(self.get_one(pk, sk).await?.map(|item| match item.get("gsi1sk") {
            Some(aws_sdk_dynamodb::types::AttributeValue::S(key)) => Some(key.clone()),
            _ => None,
        }))
    }

    /// Products by id, in one request.
    async fn products(&self, account: &AccountId, ids: &[&str]) -> Result<HashMap<String, Product>, StoreError> {
        let keys: Vec<(String, String)> =
            ids.iter().map(|id| (product_pk(account, id), PRODUCT_SK.to_owned())).collect();
        let mut products = HashMap::new();
        for chunk in keys.chunks(100) {
            for (_, item) in self.batch_get(chunk).await? {
                let product = from_item::<ProductItem>(item)?.product;
                products.insert(product.stripe_product_id.clone(), product);
            }
        }
        Ok(products)
    }

    /// An item with its product (`None` while the product is unknown).
    pub async fn get_item(
        &self,
        account: &AccountId,
        item_id: &str,
    ) -> Result<Option<(Item, Option<Product>)>, StoreError> {
        let Some(record) = self.get_one(item_pk(account, item_id), ITEM_SK).await? else { return Ok(None) };
        let item = from_item::<CatalogueItem>(record)?.item;
        let product = match &item.stripe_product_id {
            Some(id) => self.products(account, &[id]).await?.remove(id),
            None => None,
        };
        Ok(Some((item, product)))
    }

    /// Items newest first, each with its product if known.
    pub async fn list_items(
        &self,
        account: &AccountId,
        limit: usize,
        starting_after: Option<&str>,
    ) -> Result<(Vec<(Item, Option<Product>)>, bool), StoreError> {
        let Some(before) = self.cursor(starting_after.map(|id| item_pk(account, id)), ITEM_SK).await? else {
            return Ok((Vec::new(), false));
        };
        let page = self.query_merged(MergedQuery::newest(Listing::Items.partitions(account), before, limit)).await?;
        let (items, has_more) = page.records(|i| from_item::<CatalogueItem>(i).map(|c| c.item))?;
        let ids: Vec<&str> = items.iter().filter_map(|i| i.stripe_product_id.as_deref()).collect();
        let mut products = self.products(account, &ids).await?;
        let joined = items
            .into_iter()
            .map(|item| {
                let product = item.stripe_product_id.as_ref().and_then(|id| products.get(id).cloned());
                (item, product)
            })
            .collect();
        products.clear();
        Ok((joined, has_more))
    }

    pub async fn get_transfer(&self, account: &AccountId, id: &str) -> Result<Option<Transfer>, StoreError> {
        self.get_one(transfer_pk(account, id), TRANSFER_SK)
            .await?
            .map(|r| from_item::<TransferItem>(r).map(|t| t.transfer))
            .transpose()
    }

    pub async fn list_transfers(
        &self,
        account: &AccountId,
        status: Option<&str>,
        limit: usize,
        starting_after: Option<&str>,
    ) -> Result<Listed<Transfer>, StoreError> {
        let Some(before) = self.cursor(starting_after.map(|id| transfer_pk(account, id)), TRANSFER_SK).await? else {
            return Ok(Listed { items: Vec::new(), has_more: false, resume_after: None });
        };
        let page = self
            .query_merged(MergedQuery {
                partitions: Listing::Transfers.partitions(account),
                before,
                limit,
                filter: status.map(|s| ("#f = :f", "status", s.to_owned())),
            })
            .await?;
        // The index's sort key is `{created}#{id}` (`by_created`).
        page.decode(|i| from_item::<TransferItem>(i).map(|t| t.transfer), |key| key.rsplit('#').next().unwrap_or(key))
    }

    pub async fn get_agreement(&self, account: &AccountId, id: &str) -> Result<Option<Agreement>, StoreError> {
        self.get_one(agreement_pk(account, id), AGREEMENT_SK)
            .await?
            .map(|r| from_item::<AgreementItem>(r).map(|a| a.agreement))
            .transpose()
    }

    pub async fn list_agreements(
        &self,
        account: &AccountId,
        limit: usize,
        starting_after: Option<&str>,
    ) -> Result<(Vec<Agreement>, bool), StoreError> {
        let Some(before) = self.cursor(starting_after.map(|id| agreement_pk(account, id)), AGREEMENT_SK).await? else {
            return Ok((Vec::new(), false));
        };
        let query = MergedQuery::newest(Listing::Agreements.partitions(account), before, limit);
        self.query_merged(query).await?.records(|i| from_item::<AgreementItem>(i).map(|a| a.agreement))
    }
}

impl Store {
    /// Writes transfers as they are, 25 to a request, without conditions: a bulk load (imports,
    /// and tests that need thousands of records), never the path of live events.
    pub async fn load_transfers(&self, account: &AccountId, transfers: &[Transfer]) -> Result<(), StoreError> {
        use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
        for chunk in transfers.chunks(25) {
            let mut requests = chunk
                .iter()
                .map(|t| {
                    let item = super::to_item(&TransferItem::new(account, t))?;
                    let put = PutRequest::builder()
                        .set_item(Some(item))
                        .build()
                        .map_err(|e| StoreError::Fault(e.to_string()))?;
                    Ok(WriteRequest::builder().put_request(put).build())
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            for _ in 0..5 {
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, std::mem::take(&mut requests))
                    .send()
                    .await
                    .map_err(classify)?;
                requests = output.unprocessed_items.and_then(|mut u| u.remove(&self.table)).unwrap_or_default();
                if requests.is_empty() {
                    break;
                }
            }
            if !requests.is_empty() {
                return Err(StoreError::Unavailable("bulk write throttled".into()));
            }
        }
        Ok(())
    }
}
