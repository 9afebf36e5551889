//! Who is asking: the client's address for rate limits, logs and consent records. Behind a load balancer every
//! connection comes from the balancer, so `[server] trusted_proxies` names the proxies (addresses or CIDR ranges)
//! whose `X-Forwarded-For` is believed. The header is read from the right, skipping trusted proxies; the first
//! address that is not one of them is the client. A request from anywhere else keeps its own address, whatever
//! it claims in the header — so a reader cannot dodge a limit, or pin one on someone else, by sending one.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::state::AppState;

/// One trusted address or range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    net: IpAddr,
    prefix: u8,
}

impl Range {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, canonical(ip)) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if self.prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(self.prefix)) };
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if self.prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(self.prefix)) };
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4 address mapped into IPv6 (`::ffff:10.0.0.1`, as a dual-stack socket reports it) as plain IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<Range>);

impl TrustedProxies {
    /// Parses `["127.0.0.1", "10.0.0.0/8", "fd00::/8"]`; the error names the entry that is not an address or range.
    pub fn parse(entries: &[String]) -> Result<TrustedProxies, String> {
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            let text = e.trim();
            let (addr, prefix) = match text.split_once('/') {
                Some((a, p)) => (a, Some(p)),
                None => (text, None),
            };
            let bad = || format!("[server] trusted_proxies: \u{201c}{text}\u{201d} is not an IP address or CIDR range");
            let net = canonical(addr.parse::<IpAddr>().map_err(|_| bad())?);
            let max = if net.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
                None => max,
            };
            out.push(Range { net, prefix });
        }
        Ok(TrustedProxies(out))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|r| r.contains(ip))
    }

    /// The client of a connection from `peer` carrying these `X-Forwarded-For` values.
    pub fn client(&self, peer: IpAddr, forwarded: &[&str]) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<&str> = forwarded.iter().flat_map(|v| v.split(',')).map(str::trim).collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Ok(ip) = hop.parse::<IpAddr>().map(canonical) else {
                // Garbage in the chain: what is left of it cannot be believed.
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// The client's address (the port is the connection's). Use it instead of `ConnectInfo` everywhere.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub SocketAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer =
            parts.extensions.get::<ConnectInfo<SocketAddr>>().map_or(SocketAddr::from(([0, 0, 0, 0], 0)), |c| c.0);
        let forwarded: Vec<&str> =
            parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        let ip = state.trusted_proxies.client(peer.ip(), &forwarded);
        Ok(ClientAddr(SocketAddr::new(ip, peer.port())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_client_is_the_first_untrusted_hop_from_the_right() {
        let p = proxies(&["127.0.0.1", "10.0.0.0/8"]);
        assert_eq!(p.client(ip("127.0.0.1"), &["203.0.113.7"]), ip("203.0.113.7"));
        // A reader's own header is on the left: the balancer appends what it saw.
        assert_eq!(p.client(ip("127.0.0.1"), &["198.51.100.1, 203.0.113.7, 10.1.2.3"]), ip("203.0.113.7"));
        assert_eq!(p.client(ip("10.9.9.9"), &["198.51.100.1", "203.0.113.7"]), ip("203.0.113.7"), "two headers");
        // Not from a trusted proxy: the header is ignored.
        assert_eq!(p.client(ip("203.0.113.50"), &["198.51.100.1"]), ip("203.0.113.50"));
        // Only proxies in the chain, or none: the leftmost believable hop, else the peer.
        assert_eq!(p.client(ip("127.0.0.1"), &["10.0.0.5"]), ip("10.0.0.5"));
        assert_eq!(p.client(ip("127.0.0.1"), &[]), ip("127.0.0.1"));
        // Garbage stops the walk at the last good hop.
        assert_eq!(p.client(ip("127.0.0.1"), &["203.0.113.7, nonsense"]), ip("127.0.0.1"));
        // IPv4 mapped into IPv6 counts as IPv4; IPv6 ranges work.
        assert_eq!(p.client(ip("::ffff:127.0.0.1"), &["2001:db8::1"]), ip("2001:db8::1"));
        let v6 = proxies(&["fd00::/8"]);
        assert_eq!(v6.client(ip("fd12::1"), &["2001:db8::7"]), ip("2001:db8::7"));
        assert_eq!(
            TrustedProxies::default().client(ip("127.0.0.1"), &["203.0.113.7"]),
            ip("127.0.0.1"),
            "off by default"
        );
    }

    #[test]
    fn bad_entries_are_named() {
        for bad in ["10.0.0.0/33", "example.org", "10.0.0.1/x", "::1/129"] {
            let e = TrustedProxies::parse(&[bad.to_string()]).unwrap_err();
            assert!(e.contains(bad), "{e}");
        }
        assert!(TrustedProxies::parse(&["0.0.0.0/0".into(), "::/0".into()]).is_ok());
    }
}
