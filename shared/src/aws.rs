//! The one place AWS clients are built: endpoint, region and credentials from [`AwsSettings`].

use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use crate::config::AwsSettings;
use crate::error::StoreError;

#[derive(Clone, Debug)]
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
}

impl AwsClients {
    pub async fn new(settings: &AwsSettings) -> Self {
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
        AwsClients { dynamodb: aws_sdk_dynamodb::Client::new(&shared), sqs: aws_sdk_sqs::Client::new(&shared) }
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
