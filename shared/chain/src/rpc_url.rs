//! A network's JSON-RPC URL, a secret of the deployment (many carry an API key): `Debug` and
//! `Display` print `[redacted]`; only [`RpcUrl::expose`] reads it. `LOOP_CHAINS` itself is read
//! with the rest of the configuration (`loop_ground::config::Chains`).

use std::fmt;

use reqwest::Url;

#[derive(Clone, PartialEq, Eq)]
pub struct RpcUrl(Url);

/// Not an absolute http(s) URL. Never carries the input.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the RPC URL is not an absolute http(s) URL")]
pub struct InvalidRpcUrl;

impl RpcUrl {
    pub fn parse(raw: &str) -> Result<Self, InvalidRpcUrl> {
        match Url::parse(raw.trim()) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Ok(RpcUrl(url)),
            _ => Err(InvalidRpcUrl),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_never_prints_and_bad_ones_are_not_echoed() {
        let url = RpcUrl::parse("https://user:key123@rpc.example/v2/key123").unwrap();
        assert!(!format!("{url:?} {url}").contains("key123"));
        assert_eq!(RpcUrl::parse("ftp://key123").unwrap_err(), InvalidRpcUrl);
        assert!(!InvalidRpcUrl.to_string().contains("key123"));
    }
}
