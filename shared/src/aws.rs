//! The one place AWS clients are built: endpoint, region and credentials from [`AwsSettings`].

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use crate::config::AwsSettings;
use crate::error::StoreError;

#[derive(Clone, Debug)]
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub kms: aws_sdk_kms::Client,
}

/// Counts the HTTP requests a client sends, retries included: how tests hold Loop to its
/// request budget per event.
#[derive(Clone, Debug, Default)]
pub struct RequestCounter(Arc<AtomicUsize>);

impl RequestCounter {
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    pub fn reset(&self) {
        self.0.store(0, Ordering::SeqCst);
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// Request counters of a pair of clients built with [`AwsClients::counted`].
#[derive(Clone, Debug, Default)]
pub struct RequestCounts {
    pub dynamodb: RequestCounter,
    pub sqs: RequestCounter,
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
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).region(Region::new(settings.region.clone()));
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
        let mut dynamodb = aws_sdk_dynamodb::config::Builder::from(&shared);
        let mut sqs = aws_sdk_sqs::config::Builder::from(&shared);
        if let Some(counts) = counts {
            dynamodb = dynamodb.interceptor(counts.dynamodb.clone());
            sqs = sqs.interceptor(counts.sqs.clone());
        }
        AwsClients {
            dynamodb: aws_sdk_dynamodb::Client::from_conf(dynamodb.build()),
            sqs: aws_sdk_sqs::Client::from_conf(sqs.build()),
            kms: aws_sdk_kms::Client::new(&shared),
        }
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
            Some(
                "ProvisionedThroughputExceededException"
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
