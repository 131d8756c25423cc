//! The one place AWS clients are built: endpoint, region and credentials from [`AwsSettings`].

pub mod conflicts;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents, StalledStreamProtectionConfig};
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;

use loop_ground::config::AwsSettings;
use loop_ground::error::StoreError;

#[derive(Clone, Debug)]
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    /// What the KMS and SES clients are built from, on first use ([`AwsClients::kms`],
    /// [`AwsClients::sesv2`]): a function that never seals a secret or sends email then links
    /// none of their SDKs.
    on_first_use: OnFirstUse,
}

#[derive(Clone, Debug)]
struct OnFirstUse {
    shared: aws_config::SdkConfig,
    kms_counter: Option<RequestCounter>,
    ses_counter: Option<RequestCounter>,
}

/// Counts the HTTP requests a client sends, retries included, and names the operations they
/// called: how tests hold Loop to its request budget per event, and each function's IAM policy
/// to what the function calls.
#[derive(Clone, Debug, Default)]
pub struct RequestCounter {
    count: Arc<AtomicUsize>,
    operations: Arc<Mutex<BTreeSet<String>>>,
}

impl RequestCounter {
    pub fn get(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// The operations called since the last reset, as the protocol names them (`BatchGetItem`).
    pub fn operations(&self) -> BTreeSet<String> {
        self.operations.lock().map(|o| o.clone()).unwrap_or_default()
    }

    pub fn reset(&self) {
        self.count.store(0, Ordering::SeqCst);
        if let Ok(mut operations) = self.operations.lock() {
            operations.clear();
        }
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.count.fetch_add(1, Ordering::SeqCst);
        // DynamoDB, SQS and KMS all speak AWS JSON, which names the operation in this header
        // (`DynamoDB_20120810.BatchGetItem`).
        let request = context.request();
        let target = request.headers().get("x-amz-target").unwrap_or("unknown.unknown");
        let mut operation = target.rsplit('.').next().unwrap_or(target).to_owned();
        // SES v2 speaks REST-JSON: the operation is in the method and path.
        if let Some(ses) = ses_operation(request.method(), request.uri()) {
            operation = ses.to_owned();
        }
        let inside = match operation.as_str() {
            "TransactWriteItems" | "TransactGetItems" => transaction_actions(context.request().body().bytes()),
            _ => Vec::new(),
        };
        if let Ok(mut operations) = self.operations.lock() {
            operations.insert(operation);
            operations.extend(inside);
        }
        Ok(())
    }
}

/// The SES v2 operations Loop calls, from their REST method and path.
fn ses_operation(method: &str, uri: &str) -> Option<&'static str> {
    let path = uri.split("://").nth(1).and_then(|rest| rest.find('/').map(|i| &rest[i..])).unwrap_or(uri);
    match method {
        "POST" if path.starts_with("/v2/email/outbound-emails") => Some("SendEmail"),
        "GET" if path.starts_with("/v2/email/identities/") => Some("GetEmailIdentity"),
        "POST" if path.starts_with("/v2/email/identities") => Some("CreateEmailIdentity"),
        _ => None,
    }
}

/// The item actions inside a DynamoDB transaction: IAM authorizes a transaction by these
/// (`Put` as `PutItem`, `ConditionCheck` as `ConditionCheckItem`, ...), not by its own name.
fn transaction_actions(body: Option<&[u8]>) -> Vec<String> {
    let Some(body) = body.and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok()) else {
        return Vec::new();
    };
    let items = body["TransactItems"].as_array().into_iter().flatten();
    items
        .filter_map(|item| item.as_object()?.keys().next().cloned())
        .map(|kind| if kind == "ConditionCheck" { "ConditionCheckItem".to_owned() } else { format!("{kind}Item") })
        .collect()
}

/// Request counters of the clients built with [`AwsClients::counted`].
#[derive(Clone, Debug, Default)]
pub struct RequestCounts {
    pub dynamodb: RequestCounter,
    pub sqs: RequestCounter,
    pub kms: RequestCounter,
    pub sesv2: RequestCounter,
}

impl RequestCounts {
    pub fn reset(&self) {
        self.dynamodb.reset();
        self.sqs.reset();
        self.kms.reset();
        self.sesv2.reset();
    }
}

impl AwsClients {
    pub async fn new(settings: &AwsSettings) -> Self {
        Self::build(settings, None).await
    }

    /// Clients whose requests are counted.
    pub async fn counted(settings: &AwsSettings) -> (Self, RequestCounts) {
        let counts = RequestCounts::default();
        (Self::build(settings, Some(&counts)).await, counts)
    }

    async fn build(settings: &AwsSettings, counts: Option<&RequestCounts>) -> Self {
        // Stalled-stream protection for uploads is off: it re-arms a 100 ms timer and wakes the
        // request's task ten times a second for as long as the request waits for its answer (a
        // long poll, a request queued behind others), yet it can never fire for Loop's requests:
        // their bodies are a few KB, written at once, and a finished upload is never "stalled".
        // Downloads keep it. The idle local runner went from 1.6 to 0.7 ms of CPU a second.
        let stalled_streams = StalledStreamProtectionConfig::enabled().upload_enabled(false).build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()))
            .stalled_stream_protection(stalled_streams);
        if let Some(endpoint) = &settings.endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        if settings.use_dummy_credentials {
            loader = loader.credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "loop-local",
                "loop-local",
                None,
                None,
                "loop-local",
            ));
        }
        let shared = loader.load().await;
        let mut dynamodb =
            aws_sdk_dynamodb::config::Builder::from(&shared).retry_classifier(conflicts::TransactionConflicts);
        let mut sqs = aws_sdk_sqs::config::Builder::from(&shared);
        if let Some(counts) = counts {
            dynamodb = dynamodb.interceptor(counts.dynamodb.clone());
            sqs = sqs.interceptor(counts.sqs.clone());
        }
        AwsClients {
            dynamodb: aws_sdk_dynamodb::Client::from_conf(dynamodb.build()),
            sqs: aws_sdk_sqs::Client::from_conf(sqs.build()),
            on_first_use: OnFirstUse {
                kms_counter: counts.map(|c| c.kms.clone()),
                ses_counter: counts.map(|c| c.sesv2.clone()),
                shared,
            },
        }
    }

    /// A new KMS client: built only where a secret is sealed or opened (a Stripe connection and
    /// its catalogue backfill).
    pub fn kms(&self) -> aws_sdk_kms::Client {
        let mut kms = aws_sdk_kms::config::Builder::from(&self.on_first_use.shared);
        if let Some(counter) = &self.on_first_use.kms_counter {
            kms = kms.interceptor(counter.clone());
        }
        aws_sdk_kms::Client::from_conf(kms.build())
    }

    /// A new SES v2 client: built only where email is sent or senders are checked.
    pub fn sesv2(&self) -> aws_sdk_sesv2::Client {
        let mut sesv2 = aws_sdk_sesv2::config::Builder::from(&self.on_first_use.shared);
        if let Some(counter) = &self.on_first_use.ses_counter {
            sesv2 = sesv2.interceptor(counter.clone());
        }
        aws_sdk_sesv2::Client::from_conf(sesv2.build())
    }
}

/// Sorts an SDK failure into "retry later" and "something is wrong".
pub fn classify<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let detail = aws_sdk_dynamodb::error::DisplayErrorContext(&err).to_string();
    match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            StoreError::Unavailable(detail)
        }
        SdkError::ServiceError(service) => match service.err().code() {
            Some("TransactionCanceledException") => {
                // Nothing was applied; whether that is worth retrying is in the reasons.
                let error: &(dyn std::error::Error + 'static) = service.err();
                let transient = match error.downcast_ref::<TransactWriteItemsError>() {
                    Some(TransactWriteItemsError::TransactionCanceledException(cancel)) => {
                        conflicts::only_transient_reasons(cancel.cancellation_reasons().iter().map(|r| r.code()))
                    }
                    _ => false,
                };
                if transient {
                    StoreError::Unavailable(detail)
                } else {
                    StoreError::Fault(detail)
                }
            }
            Some(
                "ProvisionedThroughputExceededException"
                | "TransactionConflictException"
                | "TransactionInProgressException"
                | "RequestLimitExceeded"
                | "ThrottlingException"
                | "Throttling"
                | "InternalServerError"
                | "InternalFailure"
                | "ServiceUnavailable"
                | "AWS.SimpleQueueService.ServiceUnavailable",
            ) => StoreError::Unavailable(detail),
            _ => StoreError::Fault(detail),
        },
        _ => StoreError::Fault(detail),
    }
}

#[cfg(test)]
mod tests {
    use super::transaction_actions;

    #[test]
    fn a_transaction_is_named_by_the_item_actions_inside_it() {
        let body =
            br#"{"TransactItems":[{"Put":{"TableName":"t"}},{"ConditionCheck":{}},{"Update":{}},{"Delete":{}}]}"#;
        assert_eq!(transaction_actions(Some(body)), ["PutItem", "ConditionCheckItem", "UpdateItem", "DeleteItem"]);
        assert!(transaction_actions(Some(b"not json")).is_empty());
        assert!(transaction_actions(None).is_empty());
    }
}
