//! Email templates (`A#acct#ET#id`, listed newest first on the sharded `email-templates` listing)
//! and the emails sent (`A#acct#EM#id`, listed per recipient on `gsi1`).

use serde::{Deserialize, Serialize};

use super::keys::*;
use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::{from_item, put_if, s, to_item, MergedQuery, PageQuery, Store};
use loop_ground::domain::email::Email;
use loop_ground::domain::email_template::{EmailTemplate, SentEmail};
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;

#[derive(Serialize, Deserialize)]
struct TemplateItem {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    #[serde(flatten)]
    template: EmailTemplate,
}

#[derive(Serialize, Deserialize)]
struct EmailItem {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    #[serde(flatten)]
    email: SentEmail,
}

impl Store {
    pub async fn get_template(&self, account: &AccountId, id: &str) -> Result<Option<EmailTemplate>, StoreError> {
        let item = self.get_one(template_pk(account, id), TEMPLATE_SK).await?;
        item.map(|i| from_item::<TemplateItem>(i).map(|t| t.template)).transpose()
    }

    /// Creates the template (`template.version == 1`) or replaces it at the version before;
    /// `Ok(false)` when a concurrent change won.
    pub async fn put_template(&self, account: &AccountId, template: &EmailTemplate) -> Result<bool, StoreError> {
        let item = to_item(&TemplateItem {
            pk: template_pk(account, &template.id),
            sk: TEMPLATE_SK.to_owned(),
            gsi1pk: Listing::EmailTemplates.partition(account, &template.id),
            gsi1sk: template.id.clone(),
            template: template.clone(),
        })?;
        self.put_versioned(item, template.version).await
    }

    /// Deletes the template if it is still at `version`; `Ok(false)` if it changed meanwhile.
    pub async fn delete_template(&self, account: &AccountId, id: &str, version: u64) -> Result<bool, StoreError> {
        self.delete_at_version(template_pk(account, id), TEMPLATE_SK, version).await
    }

    pub async fn list_templates(
        &self,
        account: &AccountId,
        limit: usize,
        starting_after: Option<&str>,
    ) -> Result<(Vec<EmailTemplate>, bool), StoreError> {
        let query =
            MergedQuery::newest(Listing::EmailTemplates.partitions(account), starting_after.map(str::to_owned), limit);
        self.query_merged(query).await?.records(|i| from_item::<TemplateItem>(i).map(|t| t.template))
    }

    /// Records an email; a second record under the same id is refused (`Ok(false)`). A
    /// workflow's email also gets a pointer on the workflow's list of emails.
    pub async fn put_email(&self, account: &AccountId, email: &SentEmail) -> Result<bool, StoreError> {
        let item = to_item(&EmailItem {
            pk: email_pk(account, &email.id),
            sk: EMAIL_SK.to_owned(),
            gsi1pk: emails_to_partition(account, &email.to),
            gsi1sk: email.id.clone(),
            email: email.clone(),
        })?;
        let created = self.put_new(item).await?;
        if let Some(workflow) = &email.workflow_id {
            let pointer = HashMap::from([
                ("pk".to_owned(), s(workflow_emails_pk(account, workflow))),
                ("sk".to_owned(), s(&email.id)),
            ]);
            self.put(pointer).await?;
        }
        Ok(created)
    }

    /// The emails a workflow sent (or skipped), newest first.
    pub async fn list_emails_of_workflow(
        &self,
        account: &AccountId,
        workflow_id: &str,
        limit: usize,
        starting_after: Option<&str>,
    ) -> Result<(Vec<SentEmail>, bool), StoreError> {
        let page = self
            .page(PageQuery::in_partition(
                workflow_emails_pk(account, workflow_id),
                None,
                starting_after.map(str::to_owned),
                limit,
            ))
            .await?;
        let keys: Vec<(String, String)> = page
            .items
            .iter()
            .filter_map(|i| match i.get("sk") {
                Some(AttributeValue::S(id)) => Some((email_pk(account, id), EMAIL_SK.to_owned())),
                _ => None,
            })
            .collect();
        let mut found = self.batch_get(&keys).await?;
        let emails = keys
            .iter()
            .filter_map(|k| found.remove(k))
            .map(|i| from_item::<EmailItem>(i).map(|e| e.email))
            .collect::<Result<_, _>>()?;
        Ok((emails, page.has_more))
    }

    /// Notes what SES reported after sending the email (a bounce, a complaint).
    pub async fn mark_email_feedback(&self, account: &AccountId, id: &str, feedback: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(email_pk(account, id)))
            .key("sk", s(EMAIL_SK))
            .update_expression("SET feedback = :f")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":f", s(feedback))
            .send()
            .await;
        put_if(result).map(|_| ())
    }

    pub async fn get_email(&self, account: &AccountId, id: &str) -> Result<Option<SentEmail>, StoreError> {
        let item = self.get_one(email_pk(account, id), EMAIL_SK).await?;
        item.map(|i| from_item::<EmailItem>(i).map(|e| e.email)).transpose()
    }

    /// The emails sent to `to`, newest first.
    pub async fn list_emails_to(
        &self,
        account: &AccountId,
        to: &Email,
        limit: usize,
        starting_after: Option<&str>,
    ) -> Result<(Vec<SentEmail>, bool), StoreError> {
        let page = self
            .page(PageQuery::in_index(emails_to_partition(account, to), starting_after.map(str::to_owned), limit))
            .await?;
        page.records(|i| from_item::<EmailItem>(i).map(|e| e.email))
    }
}
