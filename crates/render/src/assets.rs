//! Static assets embedded in the binary (theme CSS, admin CSS and JS), served under `/assets/`.

use std::sync::LazyLock;

pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static str,
}

pub const ASSETS: &[Asset] = &[
    Asset { name: "theme.css", content_type: "text/css; charset=utf-8", body: include_str!("../assets/theme.css") },
    Asset { name: "admin.css", content_type: "text/css; charset=utf-8", body: include_str!("../assets/admin.css") },
    Asset {
        name: "editor.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/editor.js"),
    },
    Asset {
        name: "editor.bundle.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/editor.bundle.js"),
    },
    Asset {
        name: "embeds.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/embeds.js"),
    },
    Asset {
        name: "signup.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/signup.js"),
    },
    Asset {
        name: "search.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/search.js"),
    },
    Asset { name: "logo.svg", content_type: "image/svg+xml", body: include_str!("../assets/logo.svg") },
    Asset { name: "live.js", content_type: "text/javascript; charset=utf-8", body: include_str!("../assets/live.js") },
    Asset {
        name: "meter.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/meter.js"),
    },
];

/// A short hash of all assets, appended to asset URLs so they can be cached for a year.
pub static VERSION: LazyLock<String> = LazyLock::new(|| {
    // FNV-1a: stable across builds and platforms, no dependency needed.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for a in ASSETS {
        for b in a.body.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{:08x}", h as u32)
});

pub fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}
