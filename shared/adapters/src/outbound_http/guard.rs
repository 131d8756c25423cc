//! The SSRF guard: endpoint URLs must be public `https://` URLs, checked when registered and
//! again against every address the host resolves to when a delivery connects (so DNS
//! rebinding cannot reach a private address). `LOOP_ALLOW_PRIVATE_ENDPOINTS=1` lifts it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Why an endpoint URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("url must be an absolute URL")]
    Malformed,
    #[error("url must use https://")]
    NotHttps,
    #[error("url must not contain credentials")]
    Credentials,
    #[error("url's host resolves to a private, loopback or otherwise internal address")]
    Private,
    #[error("url's host does not resolve")]
    Unresolvable,
}

/// Addresses a webhook may never reach: loopback, private, link-local (cloud metadata),
/// CGNAT, multicast, broadcast, unspecified, documentation and other reserved ranges, and the
/// IPv6 prefixes that lead to IPv4 (NAT64, 6to4) or nowhere (discard).
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => forbidden_v4(v4),
            None => forbidden_v6(v6),
        },
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_unspecified()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64.0.0/10
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    let first = segments[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || ip.to_ipv4().is_some_and(forbidden_v4) // IPv4-compatible ::a.b.c.d
        // Prefixes that translate or tunnel to IPv4 (a gateway would carry the request to
        // whatever IPv4 address is embedded, internal ones included) or that discard it:
        || segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] // NAT64 64:ff9b::/96
        || segments[..3] == [0x64, 0xff9b, 1] // local-use NAT64 64:ff9b:1::/48
        || first == 0x2002 // 6to4 2002::/16
        || segments[..4] == [0x100, 0, 0, 0] // discard-only 100::/64
}

/// Checks the URL's form: `https://` (or `http://` when private endpoints are allowed), a host,
/// no credentials. Answers the host and port to resolve.
pub fn check_form(raw: &str, allow_private: bool) -> Result<reqwest::Url, UrlError> {
    if raw.len() > 2048 {
        return Err(UrlError::Malformed);
    }
    let url = reqwest::Url::parse(raw).map_err(|_| UrlError::Malformed)?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err(UrlError::NotHttps),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(UrlError::Malformed);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::Credentials);
    }
    Ok(url)
}

/// The addresses a URL's host resolves to (an IP literal is its own address).
pub async fn resolve(url: &reqwest::Url) -> Result<Vec<SocketAddr>, UrlError> {
    let port = url.port_or_known_default().unwrap_or(443);
    match url.host() {
        Some(url::Host::Ipv4(ip)) => Ok(vec![SocketAddr::new(IpAddr::V4(ip), port)]),
        Some(url::Host::Ipv6(ip)) => Ok(vec![SocketAddr::new(IpAddr::V6(ip), port)]),
        Some(url::Host::Domain(host)) => {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host, port)).await.map_err(|_| UrlError::Unresolvable)?.collect();
            if addrs.is_empty() {
                Err(UrlError::Unresolvable)
            } else {
                Ok(addrs)
            }
        }
        None => Err(UrlError::Malformed),
    }
}

/// A URL is acceptable for registration: the right form, and every address it resolves to public.
pub async fn check_url(raw: &str, allow_private: bool) -> Result<reqwest::Url, UrlError> {
    let url = check_form(raw, allow_private)?;
    if allow_private {
        return Ok(url);
    }
    let addrs = resolve(&url).await?;
    if addrs.iter().any(|a| is_forbidden(a.ip())) {
        return Err(UrlError::Private);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_forbidden_and_public_ones_are_not() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "ff02::1",
            "198.18.0.1",
            "240.0.0.1",
        ] {
            assert!(is_forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "100.128.0.1"] {
            assert!(!is_forbidden(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn nat64_6to4_and_discard_prefixes_are_forbidden_whatever_they_embed() {
        for ip in [
            "64:ff9b::808:808",     // NAT64 of 8.8.8.8: still refused, the gateway decides where it goes
            "64:ff9b::a00:1",       // NAT64 of 10.0.0.1
            "64:ff9b::7f00:1",      // NAT64 of 127.0.0.1
            "64:ff9b:1::a9fe:a9fe", // local-use NAT64 of 169.254.169.254
            "64:ff9b:1:ffff::1",
            "2002:a00:1::1",   // 6to4 of 10.0.0.1
            "2002:808:808::1", // 6to4 of 8.8.8.8
            "100::1",
            "100::ffff:ffff:ffff:ffff",
        ] {
            assert!(is_forbidden(ip.parse().unwrap()), "{ip}");
        }
        // Their neighbours are ordinary public addresses.
        for ip in ["64:ff9b:0:1::1", "64:ff9b:2::1", "2003::1", "2001:4860:4860::8888", "100:0:0:1::1"] {
            assert!(!is_forbidden(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_must_be_https_with_a_host_and_no_credentials() {
        assert!(check_form("https://example.com/hook", false).is_ok());
        assert_eq!(check_form("http://example.com/hook", false), Err(UrlError::NotHttps));
        assert!(check_form("http://example.com/hook", true).is_ok());
        assert_eq!(check_form("ftp://example.com", true), Err(UrlError::NotHttps));
        assert_eq!(check_form("https://user:pw@example.com", false), Err(UrlError::Credentials));
        assert_eq!(check_form("not a url", false), Err(UrlError::Malformed));
        assert_eq!(check_form("https://", false), Err(UrlError::Malformed));
    }

    #[tokio::test]
    async fn literal_and_resolved_private_hosts_are_refused() {
        for url in [
            "https://127.0.0.1/x",
            "https://10.0.0.1/x",
            "https://169.254.169.254/latest",
            "https://[::1]/x",
            "https://localhost/x",
        ] {
            assert_eq!(check_url(url, false).await, Err(UrlError::Private), "{url}");
            assert!(check_url(url, true).await.is_ok(), "{url}");
        }
    }
}
