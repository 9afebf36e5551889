//! What the editor learns about an address to embed: known providers from the URL alone
//! (`newsdesk_render::document::embeds`), and the title and provider's name from the page's oEmbed (discovered from
//! its `<link rel="alternate" type="application/json+oembed">`, else its `og:title` or `<title>`). Nothing the
//! provider sends is kept but those two texts: its oEmbed HTML (scripts and all) is never stored or shown.
//!
//! The server fetches only public addresses unless `[editor] oembed_private_networks` is on, pins the address it
//! checked for the connection (no DNS rebinding), follows at most three redirects (each checked), waits at most
//! five seconds and reads at most 1 MB.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use newsdesk_render::document::embeds;
use serde::Serialize;

use crate::{Context, ServiceError};

const MAX_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, Serialize)]
pub struct EmbedInfo {
    pub url: String,
    pub provider: String,
    pub title: Option<String>,
    /// "video", "audio", "post", "map", "document", "chart" or "link".
    pub kind: &'static str,
    /// Whether readers can play it on the page (after their click), or only follow the link.
    pub player: bool,
}

/// Whether an address is on a private, loopback, link-local or otherwise non-public network.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private() || v4.is_loopback() || v4.is_link_local() || v4.is_unspecified() || v4.is_broadcast()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xC0) == 64 // carrier-grade NAT
                || v4.octets()[0] == 0
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6.to_ipv4_mapped().is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

/// Why a host cannot be fetched.
#[derive(Debug, PartialEq, Eq)]
pub enum Unreachable {
    NotFound,
    /// Every address it has is private (and private networks are not allowed).
    Private,
}

/// The address to connect to for `host`: its first public one (or any, with `allow_private`). Callers pin the
/// connection to it, so a second lookup cannot lead elsewhere.
pub async fn public_address(host: &str, port: u16, allow_private: bool) -> Result<SocketAddr, Unreachable> {
    let addrs: Vec<SocketAddr> =
        tokio::net::lookup_host((host, port)).await.map_err(|_| Unreachable::NotFound)?.collect();
    if addrs.is_empty() {
        return Err(Unreachable::NotFound);
    }
    addrs.iter().find(|a| allow_private || !is_private(a.ip())).copied().ok_or(Unreachable::Private)
}

/// Fetches a public (or, when allowed, any) http(s) address, text only, bounded in time and size.
async fn fetch(ctx: &Context, url: &url::Url) -> Result<String, ServiceError> {
    let mut url = url.clone();
    for _ in 0..4 {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ServiceError::invalid("url", "embed_url_invalid", "Embeds are web addresses (http or https)."));
        }
        let host = url
            .host_str()
            .ok_or_else(|| ServiceError::invalid("url", "embed_url_invalid", "The address has no host."))?
            .to_owned();
        let port = url.port_or_known_default().unwrap_or(443);
        let addr = match public_address(&host, port, ctx.options.oembed_private_networks).await {
            Ok(a) => a,
            Err(Unreachable::NotFound) => {
                return Err(ServiceError::invalid("url", "embed_unreachable", format!("{host} could not be found.")));
            }
            Err(Unreachable::Private) => {
                return Err(ServiceError::invalid(
                    "url",
                    "embed_private_address",
                    format!("{host} is on a private network; Newsdesk does not fetch it."),
                ));
            }
        };
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(5))
            .resolve(&host, addr)
            .user_agent("Newsdesk embed lookup")
            .build()
            .map_err(|e| ServiceError::Internal(e.into()))?;
        let mut resp = client.get(url.clone()).send().await.map_err(|e| {
            ServiceError::invalid("url", "embed_unreachable", format!("{host} did not answer: {}", e.without_url()))
        })?;
        if resp.status().is_redirection() {
            let next = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| url.join(l).ok())
                .ok_or_else(|| ServiceError::invalid("url", "embed_unreachable", "The address redirects nowhere."))?;
            url = next;
            continue;
        }
        if !resp.status().is_success() {
            return Err(ServiceError::invalid(
                "url",
                "embed_unreachable",
                format!("{host} answered {}.", resp.status().as_u16()),
            ));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| ServiceError::invalid("url", "embed_unreachable", e.without_url().to_string()))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_BYTES {
                body.truncate(MAX_BYTES);
                break;
            }
        }
        return Ok(String::from_utf8_lossy(&body).into_owned());
    }
    Err(ServiceError::invalid("url", "embed_unreachable", "The address redirects too many times."))
}

fn decode_entities(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Every `<tag …>` of one name in a page, as the text inside the brackets.
fn tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let lower = html.to_ascii_lowercase();
    let open = format!("<{name}");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find(&open) {
        let start = from + i + 1;
        let Some(end) = html[start..].find('>') else { break };
        out.push(&html[start..start + end]);
        from = start + end;
    }
    out
}

fn clean_text(s: &str, max: usize) -> Option<String> {
    let t: String = decode_entities(s).split_whitespace().collect::<Vec<_>>().join(" ");
    let t: String = t.chars().filter(|c| !c.is_control()).take(max).collect();
    (!t.is_empty()).then_some(t)
}

/// What the editor shows and stores for an embed address.
pub async fn look_up(ctx: &Context, raw: &str) -> Result<EmbedInfo, ServiceError> {
    let raw = raw.trim();
    let url = url::Url::parse(raw)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| {
            ServiceError::invalid(
                "url",
                "embed_url_invalid",
                format!("\"{}\" is not a web address to embed.", raw.chars().take(80).collect::<String>()),
            )
        })?;
    let known = embeds::recognise(url.as_str());
    let mut info = EmbedInfo {
        url: url.to_string(),
        provider: known.as_ref().map(|k| k.provider.clone()).unwrap_or_else(|| embeds::host_name(url.as_str())),
        title: None,
        kind: known.as_ref().map(|k| k.kind.as_str()).unwrap_or("link"),
        player: known.as_ref().is_some_and(|k| k.frame.is_some()),
    };
    let page = match fetch(ctx, &url).await {
        Ok(p) => p,
        // A known provider embeds without its page; only an unknown one needs the page to say what it is.
        Err(_) if known.is_some() => return Ok(info),
        Err(e) => return Err(e),
    };
    let attr = |tag: &str, name: &str| newsdesk_render::document::attr_value(tag, name).map(|v| decode_entities(&v));
    let oembed = tags(&page, "link").into_iter().find(|t| {
        attr(t, "type").is_some_and(|v| v.eq_ignore_ascii_case("application/json+oembed"))
            && attr(t, "rel").is_some_and(|v| v.eq_ignore_ascii_case("alternate"))
    });
    if let Some(href) = oembed.and_then(|t| attr(t, "href")).and_then(|h| url.join(&h).ok())
        && let Ok(json) = fetch(ctx, &href).await
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(&json)
    {
        info.title = v["title"].as_str().and_then(|t| clean_text(t, 300));
        if known.is_none()
            && let Some(p) = v["provider_name"].as_str().and_then(|p| clean_text(p, 100))
        {
            info.provider = p;
        }
    }
    if info.title.is_none() {
        info.title = tags(&page, "meta")
            .into_iter()
            .find(|t| attr(t, "property").is_some_and(|p| p == "og:title"))
            .and_then(|t| attr(t, "content"))
            .and_then(|t| clean_text(&t, 300))
            .or_else(|| {
                let lower = page.to_ascii_lowercase();
                let start = lower.find("<title")?;
                let open_end = start + page[start..].find('>')? + 1;
                let end = open_end + lower[open_end..].find("</title")?;
                clean_text(&page[open_end..end], 300)
            });
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.4",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "0.0.0.0",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }
}
