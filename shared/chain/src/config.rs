//! `LOOP_CHAINS`: the networks Loop verifies payments on.
//!
//! `{"137": {"rpcUrl": "https://…", "confirmations": 20}}` — keys are decimal network (chain)
//! ids, `confirmations` defaults to 1. The RPC URL is a secret of the deployment (many carry an
//! API key): it is held in an [`RpcUrl`], which prints as `[redacted]`, and no error here ever
//! echoes it (nor any other value of the JSON, since a misplaced URL could sit anywhere).

use std::collections::BTreeMap;
use std::fmt;

use reqwest::Url;
use serde_json::Value;

/// The environment variable [`Chains::from_env`] reads.
pub const ENV_VAR: &str = "LOOP_CHAINS";

/// Confirmations required when a network's entry does not say.
pub const DEFAULT_CONFIRMATIONS: u64 = 1;

/// A network's JSON-RPC URL: `Debug` and `Display` print `[redacted]`; only
/// [`RpcUrl::expose`] reads it.
#[derive(Clone, PartialEq, Eq)]
pub struct RpcUrl(Url);

impl RpcUrl {
    /// An absolute `http` or `https` URL. The error never contains the input.
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        match Url::parse(raw.trim()) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Ok(RpcUrl(url)),
            _ => Err(ConfigError::new("rpcUrl", "is not an absolute http(s) URL")),
        }
    }

    pub fn expose(&self) -> &Url {
        &self.0
    }
}

impl fmt::Debug for RpcUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RpcUrl([redacted])")
    }
}

impl fmt::Display for RpcUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// One network's entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainConfig {
    pub rpc_url: RpcUrl,
    /// Blocks a payment's block needs on top of it, itself included (at least 1).
    pub confirmations: u64,
}

/// Every network Loop may verify on, by network id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chains(BTreeMap<u64, ChainConfig>);

impl Chains {
    /// Reads [`ENV_VAR`]; unset or blank means no network is configured.
    pub fn from_env() -> Result<Self, ConfigError> {
        match std::env::var(ENV_VAR) {
            Ok(raw) if !raw.trim().is_empty() => Self::parse(&raw),
            _ => Ok(Chains::default()),
        }
    }

    /// Parses the JSON of `LOOP_CHAINS`. Unknown fields are refused (a misspelt
    /// `"confirmation"` must not silently mean 1).
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        let value: Value = serde_json::from_str(raw).map_err(|e| {
            // serde_json's syntax errors name a position, never the text.
            ConfigError::new("", format!("is not valid JSON (line {}, column {})", e.line(), e.column()))
        })?;
        let Value::Object(networks) = value else {
            return Err(ConfigError::new("", "must be a JSON object keyed by network id"));
        };
        let mut chains = BTreeMap::new();
        for (key, entry) in &networks {
            let network_id = key
                .parse::<u64>()
                .ok()
                .filter(|id| *id > 0 && key.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| ConfigError::new(key, "is not a decimal network id"))?;
            chains.insert(network_id, Self::entry(key, entry)?);
        }
        Ok(Chains(chains))
    }

    fn entry(key: &str, entry: &Value) -> Result<ChainConfig, ConfigError> {
        let Value::Object(fields) = entry else {
            return Err(ConfigError::new(key, "must be an object with rpcUrl and confirmations"));
        };
        if let Some(unknown) = fields.keys().find(|k| !matches!(k.as_str(), "rpcUrl" | "confirmations")) {
            return Err(ConfigError::new(format!("{key}.{unknown}"), "is not a known field (rpcUrl, confirmations)"));
        }
        let rpc_url = match fields.get("rpcUrl") {
            Some(Value::String(raw)) => RpcUrl::parse(raw).map_err(|e| e.within(key))?,
            Some(_) => return Err(ConfigError::new(format!("{key}.rpcUrl"), "must be a string")),
            None => return Err(ConfigError::new(format!("{key}.rpcUrl"), "is missing")),
        };
        let confirmations = match fields.get("confirmations") {
            None => DEFAULT_CONFIRMATIONS,
            Some(v) => v
                .as_u64()
                .filter(|n| *n >= 1)
                .ok_or_else(|| ConfigError::new(format!("{key}.confirmations"), "must be an integer of at least 1"))?,
        };
        Ok(ChainConfig { rpc_url, confirmations })
    }

    pub fn get(&self, network_id: u64) -> Option<&ChainConfig> {
        self.0.get(&network_id)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Network ids in ascending order, with their entries.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &ChainConfig)> {
        self.0.iter().map(|(id, c)| (*id, c))
    }
}

/// A bad `LOOP_CHAINS`: the path of the offending key (`"137.confirmations"`) and what is wrong,
/// never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{ENV_VAR}{}{key} {problem}", if key.is_empty() { "" } else { ": " })]
pub struct ConfigError {
    pub key: String,
    pub problem: String,
}

impl ConfigError {
    fn new(key: impl Into<String>, problem: impl Into<String>) -> Self {
        ConfigError { key: key.into(), problem: problem.into() }
    }

    fn within(self, network: &str) -> Self {
        ConfigError { key: format!("{network}.{}", self.key), ..self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "https://polygon.example/v2/apikey123";

    #[test]
    fn networks_parse_with_their_confirmations_and_a_default_of_one() {
        let chains = Chains::parse(&format!(
            r#"{{"137": {{"rpcUrl": "{SECRET}", "confirmations": 20}}, "31337": {{"rpcUrl": "http://127.0.0.1:8545"}}}}"#
        ))
        .unwrap();
        let polygon = chains.get(137).unwrap();
        assert_eq!(polygon.rpc_url.expose().as_str(), SECRET);
        assert_eq!(polygon.confirmations, 20);
        assert_eq!(chains.get(31337).unwrap().confirmations, 1);
        assert!(chains.get(1).is_none());
        assert_eq!(chains.iter().map(|(id, _)| id).collect::<Vec<_>>(), [137, 31337]);
    }

    #[test]
    fn an_empty_object_configures_no_network() {
        assert!(Chains::parse("{}").unwrap().is_empty());
    }

    #[test]
    fn the_rpc_url_never_prints() {
        let chains = Chains::parse(&format!(r#"{{"137": {{"rpcUrl": "{SECRET}"}}}}"#)).unwrap();
        let config = chains.get(137).unwrap();
        for shown in [format!("{chains:?}"), format!("{config:?}"), config.rpc_url.to_string()] {
            assert!(!shown.contains("apikey123"), "{shown}");
            assert!(!shown.contains("polygon.example"), "{shown}");
        }
    }

    #[test]
    fn errors_name_the_bad_key_and_never_echo_a_value() {
        let cases = [
            (r#"{"137": {"rpcUrl": "ftp://apikey123.example"}}"#.to_owned(), "137.rpcUrl"),
            (r#"{"137": {"rpcUrl": "apikey123"}}"#.to_owned(), "137.rpcUrl"),
            (r#"{"137": {"rpcUrl": 5}}"#.to_owned(), "137.rpcUrl"),
            (r#"{"137": {}}"#.to_owned(), "137.rpcUrl"),
            (format!(r#"{{"137": {{"rpcUrl": "{SECRET}", "confirmations": 0}}}}"#), "137.confirmations"),
            (format!(r#"{{"137": {{"rpcUrl": "{SECRET}", "confirmations": "apikey123"}}}}"#), "137.confirmations"),
            (format!(r#"{{"137": {{"rpcUrl": "{SECRET}", "confirmation": 3}}}}"#), "137.confirmation"),
            (format!(r#"{{"polygon": {{"rpcUrl": "{SECRET}"}}}}"#), "polygon"),
            (format!(r#"{{"0x89": {{"rpcUrl": "{SECRET}"}}}}"#), "0x89"),
            (format!(r#"{{"0": {{"rpcUrl": "{SECRET}"}}}}"#), "0"),
            (format!(r#"{{"137": "{SECRET}"}}"#), "137"),
        ];
        for (raw, key) in cases {
            let err = Chains::parse(&raw).unwrap_err();
            assert_eq!(err.key, key, "{raw}");
            let shown = err.to_string();
            assert!(shown.starts_with(&format!("LOOP_CHAINS: {key} ")), "{shown}");
            assert!(!shown.contains("apikey123"), "{shown}");
        }
    }

    #[test]
    fn malformed_json_is_reported_by_position_only() {
        for raw in [format!(r#"{{"137": {{"rpcUrl": "{SECRET}""#), format!(r#"["{SECRET}"]"#), "nope".to_owned()] {
            let shown = Chains::parse(&raw).unwrap_err().to_string();
            assert!(shown.starts_with("LOOP_CHAINS "), "{shown}");
            assert!(!shown.contains("apikey123"), "{shown}");
        }
    }
}
