//! Creates the tables and queues that `template.yaml` declares, on the emulator: one source of
//! truth for AWS and for the local stack. Existing resources are left as they are.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use loop_adapters::aws::{classify, AwsClients};
use loop_ground::config::ResourceNames;
use loop_ground::error::StoreError;
use serde_yaml::Value;
use thiserror::Error;

/// The template, compiled in, so the runner needs no path to find it.
pub const TEMPLATE: &str = include_str!("../../template.yaml");

#[derive(Debug, Error)]
pub enum ProvisionError {
    #[error("template.yaml: {0}")]
    Template(String),
    #[error("cannot create {resource}: {source}")]
    Aws { resource: String, source: StoreError },
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    pub logical_id: String,
    pub attributes: Vec<(String, String)>,
    pub key_schema: Vec<(String, String)>,
    pub indexes: Vec<IndexSpec>,
    pub ttl_attribute: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexSpec {
    pub name: String,
    pub key_schema: Vec<(String, String)>,
    pub projection: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueueSpec {
    pub logical_id: String,
    pub attributes: BTreeMap<String, String>,
    /// Logical id of the dead-letter queue and the receive count before a message moves there.
    pub redrive: Option<(String, u32)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TemplateResources {
    pub tables: Vec<TableSpec>,
    pub queues: Vec<QueueSpec>,
    /// Logical ids of the KMS keys.
    pub keys: Vec<String>,
    /// The API Gateway routes (`HttpApi` events of the functions), which the runner serves from
    /// `loop_edge::edge::ROUTES`: read here so that a test can hold the two to each other.
    pub http_routes: Vec<HttpRouteSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct HttpRouteSpec {
    /// Logical id of the function the route invokes.
    pub function: String,
    /// `BuildProperties.Binary` of that function.
    pub binary: String,
    pub method: String,
    pub path: String,
}

pub fn read_template(text: &str) -> Result<TemplateResources, ProvisionError> {
    let doc: Value = serde_yaml::from_str(text).map_err(|e| ProvisionError::Template(e.to_string()))?;
    let resources = doc
        .get("Resources")
        .and_then(Value::as_mapping)
        .ok_or_else(|| ProvisionError::Template("no Resources".into()))?;
    let mut tables = Vec::new();
    let mut queues = Vec::new();
    let mut keys = Vec::new();
    let mut http_routes = Vec::new();
    for (id, resource) in resources {
        let id = id.as_str().unwrap_or_default().to_owned();
        let props = resource.get("Properties").cloned().unwrap_or(Value::Null);
        match resource.get("Type").and_then(Value::as_str) {
            Some("AWS::DynamoDB::Table") => tables.push(table_spec(id, &props)?),
            Some("AWS::SQS::Queue") => queues.push(queue_spec(id, &props)?),
            Some("AWS::KMS::Key") => keys.push(id),
            Some("AWS::Serverless::Function") => http_routes.extend(http_route_specs(&id, resource, &props)?),
            _ => {}
        }
    }
    // Dead-letter queues first: their ARNs go into the redrive policies.
    queues.sort_by_key(|q| q.redrive.is_some());
    Ok(TemplateResources { tables, queues, keys, http_routes })
}

fn http_route_specs(function: &str, resource: &Value, props: &Value) -> Result<Vec<HttpRouteSpec>, ProvisionError> {
    let events = props.get("Events").and_then(Value::as_mapping);
    let http_events =
        events.into_iter().flatten().filter(|(_, e)| e.get("Type").and_then(Value::as_str) == Some("HttpApi"));
    let binary = resource.get("Metadata").and_then(|m| m.get("BuildProperties")).and_then(|b| b.get("Binary"));
    let binary = binary.and_then(Value::as_str).unwrap_or_default();
    http_events
        .map(|(name, event)| {
            let field = |key: &str| {
                event
                    .get("Properties")
                    .and_then(|p| p.get(key))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| ProvisionError::Template(format!("{function}: HttpApi event {name:?} has no {key}")))
            };
            Ok(HttpRouteSpec {
                function: function.to_owned(),
                binary: binary.to_owned(),
                method: field("Method")?,
                path: field("Path")?,
            })
        })
        .collect()
}

fn pairs(list: Option<&Value>, a: &str, b: &str) -> Vec<(String, String)> {
    list.and_then(Value::as_sequence)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| Some((item.get(a)?.as_str()?.to_owned(), item.get(b)?.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

fn table_spec(logical_id: String, props: &Value) -> Result<TableSpec, ProvisionError> {
    let key_schema = pairs(props.get("KeySchema"), "AttributeName", "KeyType");
    if key_schema.is_empty() {
        return Err(ProvisionError::Template(format!("{logical_id} has no KeySchema")));
    }
    let indexes = props
        .get("GlobalSecondaryIndexes")
        .and_then(Value::as_sequence)
        .map(|list| {
            list.iter()
                .map(|index| IndexSpec {
                    name: index.get("IndexName").and_then(Value::as_str).unwrap_or_default().to_owned(),
                    key_schema: pairs(index.get("KeySchema"), "AttributeName", "KeyType"),
                    projection: index
                        .get("Projection")
                        .and_then(|p| p.get("ProjectionType"))
                        .and_then(Value::as_str)
                        .unwrap_or("ALL")
                        .to_owned(),
                })
                .collect()
        })
        .unwrap_or_default();
    let ttl = props.get("TimeToLiveSpecification");
    let ttl_attribute = ttl
        .filter(|t| t.get("Enabled").and_then(Value::as_bool).unwrap_or(false))
        .and_then(|t| t.get("AttributeName"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(TableSpec {
        attributes: pairs(props.get("AttributeDefinitions"), "AttributeName", "AttributeType"),
        key_schema,
        indexes,
        ttl_attribute,
        logical_id,
    })
}

fn queue_spec(logical_id: String, props: &Value) -> Result<QueueSpec, ProvisionError> {
    let mut attributes = BTreeMap::new();
    for name in ["VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "ReceiveMessageWaitTimeSeconds"] {
        if let Some(value) = props.get(name) {
            let value = match value {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.clone(),
                _ => continue,
            };
            attributes.insert(name.to_owned(), value);
        }
    }
    let redrive = match props.get("RedrivePolicy") {
        None => None,
        Some(policy) => {
            let target = policy.get("deadLetterTargetArn").and_then(get_att_target).ok_or_else(|| {
                ProvisionError::Template(format!("{logical_id}: deadLetterTargetArn must be !GetAtt <Queue>.Arn"))
            })?;
            let count = policy.get("maxReceiveCount").and_then(Value::as_u64).unwrap_or(3) as u32;
            Some((target, count))
        }
    };
    Ok(QueueSpec { logical_id, attributes, redrive })
}

/// `!GetAtt Queue.Arn` → `Queue`.
fn get_att_target(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "GetAtt" => {
            tagged.value.as_str().and_then(|s| s.strip_suffix(".Arn")).map(str::to_owned)
        }
        _ => None,
    }
}

/// The local name of a template resource: the configured names for Loop's own resources.
pub fn local_name(names: &ResourceNames, logical_id: &str) -> String {
    match logical_id {
        "LoopTable" => names.table.clone(),
        "DeliveryQueue" => names.delivery_queue_name.clone(),
        "DeliveryDeadLetterQueue" => names.dead_letter_queue_name.clone(),
        // Made, as in AWS, though the local runner reads SES's (absent) feedback nowhere.
        "EmailFeedbackQueue" => format!("{}-email-feedback", names.delivery_queue_name),
        "LoopKey" => names.kms_key_id.clone(),
        other => other.to_owned(),
    }
}

/// Creates every table and queue of `resources` that does not exist yet.
pub async fn provision(
    clients: &AwsClients,
    names: &ResourceNames,
    resources: &TemplateResources,
) -> Result<(), ProvisionError> {
    for table in &resources.tables {
        create_table(&clients.dynamodb, &local_name(names, &table.logical_id), table).await?;
    }
    let mut arns = BTreeMap::new();
    for queue in &resources.queues {
        let name = local_name(names, &queue.logical_id);
        let arn = create_queue(&clients.sqs, &name, queue, &arns).await?;
        arns.insert(queue.logical_id.clone(), arn);
    }
    for key in &resources.keys {
        create_key(&clients.kms(), &local_name(names, key)).await?;
    }
    Ok(())
}

/// Makes a key for `alias` unless the alias exists. Locally the configured key id is an alias
/// (`alias/loop`), so every run and test finds the same key.
async fn create_key(client: &aws_sdk_kms::Client, alias: &str) -> Result<(), ProvisionError> {
    let aws = |source| ProvisionError::Aws { resource: format!("KMS key {alias}"), source };
    if !alias.starts_with("alias/") || client.describe_key().key_id(alias).send().await.is_ok() {
        return Ok(());
    }
    let key = client.create_key().description("Loop: seals restricted Stripe keys").send().await;
    let key_id = key.map_err(|e| aws(classify(e)))?.key_metadata.map(|m| m.key_id).unwrap_or_default();
    match client.create_alias().alias_name(alias).target_key_id(key_id).send().await {
        Ok(_) => Ok(()),
        // Another runner made it first: theirs is used.
        Err(err) if err.as_service_error().is_some_and(|e| e.is_already_exists_exception()) => Ok(()),
        Err(err) => Err(aws(classify(err))),
    }
}

async fn create_table(client: &aws_sdk_dynamodb::Client, name: &str, spec: &TableSpec) -> Result<(), ProvisionError> {
    let aws = |source| ProvisionError::Aws { resource: format!("table {name}"), source };
    let key = |(attr, kind): &(String, String)| {
        KeySchemaElement::builder()
            .attribute_name(attr)
            .key_type(KeyType::from(kind.as_str()))
            .build()
            .map_err(|e| aws(StoreError::Fault(e.to_string())))
    };
    let mut request = client.create_table().table_name(name).billing_mode(BillingMode::PayPerRequest);
    for (attr, kind) in &spec.attributes {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(attr)
                .attribute_type(ScalarAttributeType::from(kind.as_str()))
                .build()
                .map_err(|e| aws(StoreError::Fault(e.to_string())))?,
        );
    }
    for element in &spec.key_schema {
        request = request.key_schema(key(element)?);
    }
    for index in &spec.indexes {
        let mut gsi = GlobalSecondaryIndex::builder()
            .index_name(&index.name)
            .projection(Projection::builder().projection_type(ProjectionType::from(index.projection.as_str())).build());
        for element in &index.key_schema {
            gsi = gsi.key_schema(key(element)?);
        }
        request = request.global_secondary_indexes(gsi.build().map_err(|e| aws(StoreError::Fault(e.to_string())))?);
    }
    match request.send().await {
        Ok(_) => {}
        Err(err) if err.as_service_error().is_some_and(|e| e.is_resource_in_use_exception()) => return Ok(()),
        Err(err) => return Err(aws(classify(err))),
    }
    if let Some(attribute) = &spec.ttl_attribute {
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(attribute)
                    .enabled(true)
                    .build()
                    .map_err(|e| aws(StoreError::Fault(e.to_string())))?,
            )
            .send()
            .await
            .map_err(|e| aws(classify(e)))?;
    }
    Ok(())
}

async fn create_queue(
    client: &aws_sdk_sqs::Client,
    name: &str,
    spec: &QueueSpec,
    arns: &BTreeMap<String, String>,
) -> Result<String, ProvisionError> {
    let aws = |source| ProvisionError::Aws { resource: format!("queue {name}"), source };
    let mut request = client.create_queue().queue_name(name);
    for (attr, value) in &spec.attributes {
        request = request.attributes(QueueAttributeName::from(attr.as_str()), value);
    }
    if let Some((target, count)) = &spec.redrive {
        let arn = arns.get(target).ok_or_else(|| {
            ProvisionError::Template(format!("{}: unknown dead-letter queue {target}", spec.logical_id))
        })?;
        let policy = serde_json::json!({"deadLetterTargetArn": arn, "maxReceiveCount": count}).to_string();
        request = request.attributes(QueueAttributeName::RedrivePolicy, policy);
    }
    let url = request.send().await.map_err(|e| aws(classify(e)))?.queue_url.unwrap_or_default();
    let attributes = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| aws(classify(e)))?;
    attributes
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| aws(StoreError::Fault("queue has no ARN".into())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_declares_one_table_with_its_indexes_and_three_queues() {
        let resources = read_template(TEMPLATE).unwrap();
        assert_eq!(resources.tables.len(), 1);
        let table = &resources.tables[0];
        assert_eq!(table.logical_id, "LoopTable");
        let index_names: Vec<&str> = table.indexes.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(index_names, ["gsi1", "due"]);
        assert_eq!(table.ttl_attribute.as_deref(), Some("expiresAt"));
        let queues: Vec<&str> = resources.queues.iter().map(|q| q.logical_id.as_str()).collect();
        assert_eq!(queues, ["DeliveryDeadLetterQueue", "EmailFeedbackQueue", "DeliveryQueue"]);
        assert_eq!(resources.queues[2].redrive, Some(("DeliveryDeadLetterQueue".to_owned(), 3)));
        assert_eq!(resources.keys, ["LoopKey"]);
    }
}
