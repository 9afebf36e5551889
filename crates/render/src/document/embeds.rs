//! Known embed providers: from a URL a reader would share, the provider's name, what it is, and the address of its
//! player, loaded only when the reader asks (privacy-friendly hosts where the provider has one).

use url::Url;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbedKind {
    Video,
    Audio,
    Post,
    Map,
    Document,
    Chart,
    Link,
}

impl EmbedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EmbedKind::Video => "video",
            EmbedKind::Audio => "audio",
            EmbedKind::Post => "post",
            EmbedKind::Map => "map",
            EmbedKind::Document => "document",
            EmbedKind::Chart => "chart",
            EmbedKind::Link => "link",
        }
    }

    /// What the link to the provider says: "Watch on YouTube".
    pub fn verb(self) -> &'static str {
        match self {
            EmbedKind::Video => "Watch",
            EmbedKind::Audio => "Listen",
            EmbedKind::Map => "View the map",
            EmbedKind::Document => "Read the document",
            EmbedKind::Chart => "See the chart",
            EmbedKind::Post | EmbedKind::Link => "View",
        }
    }
}

/// What Newsdesk knows about an embed's URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recognised {
    pub provider: String,
    pub kind: EmbedKind,
    /// The player's address, for an iframe made on the reader's click; `None` when the provider has no player that
    /// works without its own script (the preview then only links out).
    pub frame: Option<String>,
    /// Height over width of the player, in per cent.
    pub ratio: u32,
}

fn id_ok(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn host_of(u: &Url) -> String {
    u.host_str().unwrap_or_default().trim_start_matches("www.").trim_start_matches("m.").to_ascii_lowercase()
}

/// Recognises a known provider's URL. `None` for anything that is not an http(s) URL.
pub fn recognise(raw: &str) -> Option<Recognised> {
    let u = Url::parse(raw.trim()).ok()?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return None;
    }
    let host = host_of(&u);
    let segs: Vec<&str> = u.path_segments().map(|s| s.filter(|x| !x.is_empty()).collect()).unwrap_or_default();
    let q = |k: &str| u.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
    let known = |provider: &str, kind, frame: Option<String>, ratio| {
        Some(Recognised { provider: provider.to_owned(), kind, frame, ratio })
    };
    match host.as_str() {
        "youtube.com" | "youtube-nocookie.com" | "youtu.be" | "music.youtube.com" => {
            let id = match (host.as_str(), segs.as_slice()) {
                ("youtu.be", [id, ..]) => Some((*id).to_owned()),
                (_, ["watch"]) => q("v"),
                (_, ["embed" | "shorts" | "live" | "v", id, ..]) => Some((*id).to_owned()),
                _ => None,
            }
            .filter(|id| id_ok(id, 16));
            let frame = id.map(|id| format!("https://www.youtube-nocookie.com/embed/{id}?autoplay=1"));
            known("YouTube", EmbedKind::Video, frame, 5625)
        }
        "vimeo.com" | "player.vimeo.com" => {
            let id = segs.iter().rev().find(|s| s.bytes().all(|b| b.is_ascii_digit())).map(|s| (*s).to_owned());
            known(
                "Vimeo",
                EmbedKind::Video,
                id.map(|id| format!("https://player.vimeo.com/video/{id}?dnt=1&autoplay=1")),
                5625,
            )
        }
        "tiktok.com" => {
            let id = match segs.as_slice() {
                [_, "video", id, ..] if id.bytes().all(|b| b.is_ascii_digit()) => Some((*id).to_owned()),
                _ => None,
            };
            known("TikTok", EmbedKind::Video, id.map(|id| format!("https://www.tiktok.com/embed/v2/{id}")), 17778)
        }
        "soundcloud.com" => {
            let frame = format!(
                "https://w.soundcloud.com/player/?url={}&auto_play=true",
                percent_encoding::utf8_percent_encode(u.as_str(), percent_encoding::NON_ALPHANUMERIC)
            );
            known("SoundCloud", EmbedKind::Audio, (segs.len() >= 2).then_some(frame), 2000)
        }
        "open.spotify.com" => match segs.as_slice() {
            [kind @ ("track" | "episode" | "show" | "album" | "playlist"), id, ..] if id_ok(id, 40) => known(
                "Spotify",
                EmbedKind::Audio,
                Some(format!("https://open.spotify.com/embed/{kind}/{id}")),
                if matches!(*kind, "track" | "episode") { 2500 } else { 5000 },
            ),
            _ => known("Spotify", EmbedKind::Audio, None, 2500),
        },
        "twitter.com" | "x.com" | "mobile.twitter.com" => {
            let id = match segs.as_slice() {
                [_, "status", id, ..] if id.bytes().all(|b| b.is_ascii_digit()) => Some((*id).to_owned()),
                _ => None,
            };
            known(
                "X",
                EmbedKind::Post,
                id.map(|id| format!("https://platform.twitter.com/embed/Tweet.html?id={id}")),
                10000,
            )
        }
        "instagram.com" => match segs.as_slice() {
            [kind @ ("p" | "reel"), id, ..] if id_ok(id, 40) => {
                known("Instagram", EmbedKind::Post, Some(format!("https://www.instagram.com/{kind}/{id}/embed")), 12000)
            }
            _ => known("Instagram", EmbedKind::Post, None, 12000),
        },
        "bsky.app" => known("Bluesky", EmbedKind::Post, None, 10000),
        "facebook.com" | "fb.watch" => known("Facebook", EmbedKind::Post, None, 10000),
        "google.com" | "maps.google.com" | "maps.app.goo.gl"
            if host != "google.com" || segs.first() == Some(&"maps") =>
        {
            let frame = q("q").map(|place| {
                format!(
                    "https://maps.google.com/maps?q={}&output=embed",
                    percent_encoding::utf8_percent_encode(&place, percent_encoding::NON_ALPHANUMERIC)
                )
            });
            known("Google Maps", EmbedKind::Map, frame, 7500)
        }
        "openstreetmap.org" => {
            let frame = (segs.first() == Some(&"export")).then(|| u.to_string());
            known("OpenStreetMap", EmbedKind::Map, frame, 7500)
        }
        "documentcloud.org" | "embed.documentcloud.org" => match segs.as_slice() {
            ["documents", doc, ..] if id_ok(doc, 200) => known(
                "DocumentCloud",
                EmbedKind::Document,
                Some(format!("https://embed.documentcloud.org/documents/{doc}/?embed=1")),
                12941,
            ),
            _ => known("DocumentCloud", EmbedKind::Document, None, 12941),
        },
        "scribd.com" => match segs.as_slice() {
            ["document" | "doc" | "embeds", id, ..] if id.bytes().all(|b| b.is_ascii_digit()) => {
                known("Scribd", EmbedKind::Document, Some(format!("https://www.scribd.com/embeds/{id}/content")), 12941)
            }
            _ => known("Scribd", EmbedKind::Document, None, 12941),
        },
        "datawrapper.dwcdn.net" => match segs.as_slice() {
            [id, rest @ ..] if id_ok(id, 10) => {
                let version = rest.first().filter(|v| v.bytes().all(|b| b.is_ascii_digit())).copied().unwrap_or("1");
                known(
                    "Datawrapper",
                    EmbedKind::Chart,
                    Some(format!("https://datawrapper.dwcdn.net/{id}/{version}/")),
                    6000,
                )
            }
            _ => known("Datawrapper", EmbedKind::Chart, None, 6000),
        },
        "public.flourish.studio" | "flo.uri.sh" => match segs.as_slice() {
            ["visualisation" | "story", id, ..] if id.bytes().all(|b| b.is_ascii_digit()) => {
                known("Flourish", EmbedKind::Chart, Some(format!("https://flo.uri.sh/{}/{id}/embed", segs[0])), 6000)
            }
            _ => known("Flourish", EmbedKind::Chart, None, 6000),
        },
        _ => None,
    }
}

/// The hosts players are loaded from, for the public pages' `frame-src`.
pub const FRAME_HOSTS: &[&str] = &[
    "https://www.youtube-nocookie.com",
    "https://player.vimeo.com",
    "https://www.tiktok.com",
    "https://w.soundcloud.com",
    "https://open.spotify.com",
    "https://platform.twitter.com",
    "https://www.instagram.com",
    "https://maps.google.com",
    "https://www.openstreetmap.org",
    "https://embed.documentcloud.org",
    "https://www.scribd.com",
    "https://datawrapper.dwcdn.net",
    "https://flo.uri.sh",
];

/// Whether a URL, on its own line, is one to embed rather than link (a bare video link in Markdown, a pasted URL).
pub fn is_embeddable(raw: &str) -> bool {
    recognise(raw).is_some_and(|r| r.frame.is_some())
}

/// The site's name for an embed whose provider Newsdesk does not know: its host.
pub fn host_name(raw: &str) -> String {
    Url::parse(raw).ok().map(|u| host_of(&u)).unwrap_or_else(|| "another site".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_providers_newsrooms_embed() {
        let yt = recognise("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=10").unwrap();
        assert_eq!(yt.provider, "YouTube");
        assert_eq!(yt.frame.as_deref(), Some("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1"));
        assert_eq!(recognise("https://youtu.be/dQw4w9WgXcQ").unwrap().frame, yt.frame);
        assert_eq!(
            recognise("https://vimeo.com/76979871").unwrap().frame.unwrap(),
            "https://player.vimeo.com/video/76979871?dnt=1&autoplay=1"
        );
        assert_eq!(recognise("https://x.com/ledger/status/123456").unwrap().kind, EmbedKind::Post);
        assert!(recognise("https://www.documentcloud.org/documents/2435-harbour-contract").unwrap().frame.is_some());
        assert!(recognise("https://open.spotify.com/episode/4rOoJ6Egrf8K2IrywzwOMk").unwrap().frame.is_some());
        assert!(recognise("https://example.org/video").is_none());
        assert!(recognise("javascript:alert(1)").is_none());
        // An id that is not an id gives no player, never a crafted one.
        assert_eq!(recognise("https://www.youtube.com/watch?v=%22%3E%3Cscript%3E").unwrap().frame, None);
        assert!(is_embeddable("https://youtu.be/dQw4w9WgXcQ"));
        assert!(!is_embeddable("https://bsky.app/profile/x/post/y"));
    }
}
