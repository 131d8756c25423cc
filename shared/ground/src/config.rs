//! Configuration, read once at cold start into a typed struct.
//!
//! Every knob is an environment variable so that SAM (`template.yaml`), the local runner and
//! `loopctl` configure Loop the same way.

use std::time::Duration;

use thiserror::Error;

/// Where the AWS clients point and how they authenticate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsSettings {
    /// `AWS_ENDPOINT_URL`: an emulator such as moto; `None` means the real AWS endpoints.
    pub endpoint_url: Option<String>,
    /// `AWS_REGION`, then `AWS_DEFAULT_REGION`, then `us-east-1`.
    pub region: String,
    /// Dummy static credentials are used when an emulator is configured and none are set.
    pub use_dummy_credentials: bool,
}

/// Names of the resources that `template.yaml` declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceNames {
    pub table: String,
    /// The delivery queue's URL when known (always, in Lambda); otherwise it is looked up by name.
    pub delivery_queue_url: Option<String>,
    pub delivery_queue_name: String,
    pub dead_letter_queue_url: Option<String>,
    pub dead_letter_queue_name: String,
    /// `LOOP_KMS_KEY_ID`: the KMS key (id, ARN or alias) that seals a restricted Stripe key
    /// while a catalogue backfill needs it.
    pub kms_key_id: String,
    /// `LOOP_SES_CONFIGURATION_SET`: the SES configuration set every email is sent with, whose
    /// event destination reports bounces and complaints (SNS → SQS → dispatch).
    pub ses_configuration_set: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub aws: AwsSettings,
    pub resources: ResourceNames,
    /// Public base URL for hosted checkout pages and Stripe webhook URLs; `None` derives it
    /// from the request's `Host`.
    pub public_base_url: Option<String>,
    /// Added to the wall clock, so tests can make "ten minutes after the due date" arrive now.
    pub clock_offset_seconds: i64,
    pub stripe_tolerance: Duration,
    pub checkout_session_ttl: Duration,
    pub retry_window: Duration,
    pub allow_private_endpoints: bool,
    pub stripe_api: StripeApiSettings,
    pub backfill: BackfillSettings,
    /// `LOOP_CHAINS`: the networks Loop verifies payments on (`payments.md`).
    pub chains: Chains,
    /// The deployment's key for unsubscribe links (`LOOP_UNSUBSCRIBE_KEY`): HMAC-SHA256 over the
    /// account and email, so links cannot be forged and never expire. Against the emulator a
    /// fixed local key stands in when unset; in AWS the template generates one.
    pub unsubscribe_key: Option<crate::secret::Secret>,
}

/// Network id → how to read that chain. Debug never shows an RPC URL (many carry an API key).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Chains(pub std::collections::BTreeMap<u64, ChainSettings>);

#[derive(Clone, PartialEq, Eq)]
pub struct ChainSettings {
    /// A secret of the deployment: never logged, never shown.
    pub rpc_url: crate::secret::Secret,
    /// Blocks on top of a payment's block (its own included) before it counts.
    pub confirmations: u64,
}

impl std::fmt::Debug for ChainSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainSettings").field("rpc_url", &"…").field("confirmations", &self.confirmations).finish()
    }
}

impl Chains {
    pub fn get(&self, network_id: u64) -> Option<&ChainSettings> {
        self.0.get(&network_id)
    }

    /// `{"137": {"rpcUrl": "https://…", "confirmations": 20}}`; confirmations default to 1.
    /// Errors name the network, never the URL.
    pub fn parse(raw: &str) -> Result<Chains, ConfigError> {
        let bad = |reason: String| ConfigError { name: "LOOP_CHAINS", reason };
        let value: serde_json::Value = serde_json::from_str(raw)
            .map_err(|e| bad(format!("not JSON (line {}, column {})", e.line(), e.column())))?;
        let map = value.as_object().ok_or_else(|| bad("expected an object of network ids".into()))?;
        let mut chains = std::collections::BTreeMap::new();
        for (id, entry) in map {
            let network: u64 = id.parse().map_err(|_| bad(format!("{id:?} is not a network id")))?;
            let rpc_url = entry
                .get("rpcUrl")
                .and_then(|u| u.as_str())
                .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
                .ok_or_else(|| bad(format!("network {network}: rpcUrl must be an http(s) URL")))?;
            let confirmations = match entry.get("confirmations") {
                None => 1,
                Some(c) => c
                    .as_u64()
                    .filter(|c| *c >= 1)
                    .ok_or_else(|| bad(format!("network {network}: confirmations must be a positive integer")))?,
            };
            chains.insert(
                network,
                ChainSettings { rpc_url: crate::secret::Secret::new(rpc_url.to_owned()), confirmations },
            );
        }
        Ok(Chains(chains))
    }
}

/// How Loop calls Stripe's API (the connect flow and the catalogue backfill).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StripeApiSettings {
    /// `LOOP_STRIPE_API_BASE`: Stripe's API, or a stand-in in tests.
    pub base_url: String,
    /// `LOOP_STRIPE_RETRY_BASE_MS`: the first backoff after a `429` or a `5xx`; it doubles.
    pub retry_base: Duration,
    /// Requests per call, retries included.
    pub max_attempts: u32,
}

/// How a backfill is cut into queue messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackfillSettings {
    /// `LOOP_BACKFILL_PAGES_PER_RUN`: Stripe list pages one message handles before it hands the
    /// rest to the next message (one Lambda invocation must finish well inside its timeout).
    pub pages_per_run: u32,
    /// `LOOP_BACKFILL_RETRY_SECONDS`: the wait after Stripe failed a run; it doubles per failed run.
    pub retry_delay: Duration,
}

#[derive(Debug, Error, PartialEq, Eq)]
#[error("configuration variable {name} is invalid: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub reason: String,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let endpoint_url = get("AWS_ENDPOINT_URL");
        let region = get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION")).unwrap_or_else(|| "us-east-1".to_owned());
        let has_credentials = get("AWS_ACCESS_KEY_ID").is_some() || get("AWS_PROFILE").is_some();
        let use_dummy_credentials = endpoint_url.is_some() && !has_credentials;
        let emulated = endpoint_url.is_some();
        Ok(Config {
            aws: AwsSettings { endpoint_url, region, use_dummy_credentials },
            resources: ResourceNames {
                table: get("LOOP_TABLE_NAME").unwrap_or_else(|| "loop".to_owned()),
                delivery_queue_url: get("LOOP_DELIVERY_QUEUE_URL"),
                delivery_queue_name: get("LOOP_DELIVERY_QUEUE_NAME").unwrap_or_else(|| "loop-delivery".to_owned()),
                dead_letter_queue_url: get("LOOP_DEAD_LETTER_QUEUE_URL"),
                dead_letter_queue_name: get("LOOP_DEAD_LETTER_QUEUE_NAME")
                    .unwrap_or_else(|| "loop-delivery-dlq".to_owned()),
                kms_key_id: get("LOOP_KMS_KEY_ID").unwrap_or_else(|| "alias/loop".to_owned()),
                ses_configuration_set: get("LOOP_SES_CONFIGURATION_SET"),
            },
            public_base_url: get("LOOP_PUBLIC_BASE_URL").map(|u| u.trim_end_matches('/').to_owned()),
            clock_offset_seconds: parse_or(&get, "LOOP_CLOCK_OFFSET_SECONDS", 0i64)?,
            stripe_tolerance: Duration::from_secs(parse_or(&get, "LOOP_STRIPE_TOLERANCE_SECONDS", 300u64)?),
            checkout_session_ttl: Duration::from_secs(parse_or(&get, "LOOP_CHECKOUT_SESSION_TTL_SECONDS", 86_400u64)?),
            retry_window: Duration::from_secs(parse_or(&get, "LOOP_RETRY_WINDOW_HOURS", 72u64)? * 3600),
            allow_private_endpoints: parse_flag(&get, "LOOP_ALLOW_PRIVATE_ENDPOINTS")?,
            stripe_api: StripeApiSettings {
                base_url: get("LOOP_STRIPE_API_BASE")
                    .map(|u| u.trim_end_matches('/').to_owned())
                    .unwrap_or_else(|| "https://api.stripe.com".to_owned()),
                retry_base: Duration::from_millis(parse_or(&get, "LOOP_STRIPE_RETRY_BASE_MS", 500u64)?),
                max_attempts: 4,
            },
            backfill: BackfillSettings {
                pages_per_run: parse_or(&get, "LOOP_BACKFILL_PAGES_PER_RUN", 20u32)?.max(1),
                retry_delay: Duration::from_secs(parse_or(&get, "LOOP_BACKFILL_RETRY_SECONDS", 30u64)?),
            },
            chains: match get("LOOP_CHAINS") {
                Some(raw) => Chains::parse(&raw)?,
                None => Chains::default(),
            },
            unsubscribe_key: match get("LOOP_UNSUBSCRIBE_KEY") {
                Some(key) if key.len() < 32 => {
                    return Err(ConfigError {
                        name: "LOOP_UNSUBSCRIBE_KEY",
                        reason: "must be at least 32 characters".into(),
                    })
                }
                Some(key) => Some(crate::secret::Secret::new(key)),
                None if emulated => {
                    Some(crate::secret::Secret::new("loop-local-unsubscribe-key-for-the-emulator-only"))
                }
                None => None,
            },
        })
    }
}

fn parse_or<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match get(name) {
        None => Ok(default),
        Some(raw) => {
            raw.trim().parse().map_err(|_| ConfigError { name, reason: format!("expected a number, got {raw:?}") })
        }
    }
}

fn parse_flag(get: &impl Fn(&str) -> Option<String>, name: &'static str) -> Result<bool, ConfigError> {
    match get(name).as_deref().map(str::trim) {
        None | Some("0") | Some("false") => Ok(false),
        Some("1") | Some("true") => Ok(true),
        Some(other) => Err(ConfigError { name, reason: format!("expected 1 or 0, got {other:?}") }),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn chains_parse_with_default_confirmations_and_never_show_their_url() {
        let chains = super::Chains::parse(
            r#"{"137": {"rpcUrl": "https://rpc.example/key-abc123", "confirmations": 20}, "31337": {"rpcUrl": "http://127.0.0.1:8545"}}"#,
        )
        .unwrap();
        assert_eq!(chains.get(137).unwrap().confirmations, 20);
        assert_eq!(chains.get(31337).unwrap().confirmations, 1);
        assert_eq!(chains.get(137).unwrap().rpc_url.expose(), "https://rpc.example/key-abc123");
        assert!(!format!("{chains:?}").contains("abc123"));
        for bad in [
            r#"{"x": {"rpcUrl": "http://a"}}"#,
            r#"{"1": {"rpcUrl": "ftp://key-abc123"}}"#,
            r#"{"1": {"rpcUrl": "http://a", "confirmations": 0}}"#,
            "[]",
            "{",
        ] {
            let err = super::Chains::parse(bad).unwrap_err();
            assert_eq!(err.name, "LOOP_CHAINS");
            assert!(!err.to_string().contains("abc123"), "{err}");
        }
    }

    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_fit_the_local_stack() {
        let c = config(&[]).unwrap();
        assert_eq!(c.aws.region, "us-east-1");
        assert_eq!(c.aws.endpoint_url, None);
        assert!(!c.aws.use_dummy_credentials);
        assert_eq!(c.resources.table, "loop");
        assert_eq!(c.stripe_tolerance, Duration::from_secs(300));
        assert_eq!(c.checkout_session_ttl, Duration::from_secs(86_400));
        assert_eq!(c.retry_window, Duration::from_secs(72 * 3600));
        assert!(!c.allow_private_endpoints);
    }

    #[test]
    fn an_emulator_without_credentials_gets_dummy_ones() {
        let c = config(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")]).unwrap();
        assert!(c.aws.use_dummy_credentials);
        let c = config(&[("AWS_ENDPOINT_URL", "http://x"), ("AWS_ACCESS_KEY_ID", "AKIA")]).unwrap();
        assert!(!c.aws.use_dummy_credentials);
    }

    #[test]
    fn region_falls_back_to_default_region() {
        let c = config(&[("AWS_DEFAULT_REGION", "eu-west-1")]).unwrap();
        assert_eq!(c.aws.region, "eu-west-1");
        let c = config(&[("AWS_DEFAULT_REGION", "eu-west-1"), ("AWS_REGION", "ap-south-1")]).unwrap();
        assert_eq!(c.aws.region, "ap-south-1");
    }

    #[test]
    fn bad_numbers_and_flags_name_the_variable() {
        let err = config(&[("LOOP_CLOCK_OFFSET_SECONDS", "soon")]).unwrap_err();
        assert_eq!(err.name, "LOOP_CLOCK_OFFSET_SECONDS");
        let err = config(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "yes")]).unwrap_err();
        assert_eq!(err.name, "LOOP_ALLOW_PRIVATE_ENDPOINTS");
        assert!(config(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1")]).unwrap().allow_private_endpoints);
    }

    #[test]
    fn trailing_slash_is_dropped_from_the_public_base_url() {
        let c = config(&[("LOOP_PUBLIC_BASE_URL", "https://pay.example.com/")]).unwrap();
        assert_eq!(c.public_base_url.as_deref(), Some("https://pay.example.com"));
    }
}
