//! Language editions of the public site. The site's own language (`[site] language`) keeps the URLs it always had
//! (`/`, `/tag/x/`, `/rss/`, `/search/`); each of `[site] languages` has the same pages under its tag (`/uk/`,
//! `/uk/tag/x/`, `/uk/rss/`, `/uk/search/`), listing only its posts. Articles keep their one URL (`/slug/`) in
//! any language. The router adds an [`Edition`] to the requests of each prefix; the handlers read it like any
//! extractor (absent: the site's own).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use newsdesk_domain::SiteSettings;
use newsdesk_render::views::PostView;

use crate::state::AppState;

#[derive(Debug, Clone)]
pub struct Edition {
    /// The language's canonical tag.
    pub tag: String,
    /// "" for the site's own language, else "/" and the tag in lower case ("/uk", "/pt-br").
    pub prefix: String,
    own: bool,
    /// Whether the site has other languages (else no list filters by language at all).
    multilingual: bool,
}

impl Edition {
    /// The site's own language, at the URLs without a prefix.
    pub fn own(site: &SiteSettings) -> Edition {
        Edition {
            tag: site.language.clone(),
            prefix: String::new(),
            own: true,
            multilingual: !site.languages.is_empty(),
        }
    }

    /// Every edition: the site's own first, then `[site] languages` in their order.
    pub fn all(site: &SiteSettings) -> Vec<Edition> {
        let others = site.languages.iter().map(|tag| Edition {
            tag: tag.clone(),
            prefix: format!("/{}", tag.to_ascii_lowercase()),
            own: false,
            multilingual: true,
        });
        std::iter::once(Edition::own(site)).chain(others).collect()
    }

    /// The edition a post's language belongs to (for its article page's links).
    pub fn of_post(site: &SiteSettings, language: Option<&str>) -> Edition {
        Edition::all(site)
            .into_iter()
            .find(|e| !e.own && Some(e.tag.as_str()) == language)
            .unwrap_or_else(|| Edition::own(site))
    }

    /// The store's language filter for this edition's lists.
    pub fn filter(&self) -> Option<Option<String>> {
        match (self.multilingual, self.own) {
            (false, _) => None,
            (true, true) => Some(None),
            (true, false) => Some(Some(self.tag.clone())),
        }
    }

    /// `path` (from the site's root) in this edition: "/tag/x/" → "/uk/tag/x/".
    pub fn path(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
    }

    /// Puts this edition's prefix on the section and author links of story views (their own URLs stay).
    pub fn localize(&self, views: &mut [PostView]) {
        if self.prefix.is_empty() {
            return;
        }
        for v in views {
            for t in v.tags.iter_mut().chain(v.primary_tag.as_mut()) {
                t.url = self.path(&t.url);
            }
            for a in &mut v.authors {
                a.url = self.path(&a.url);
            }
        }
    }

    /// What every page of the edition adds to its template data: its language and direction, the prefix its
    /// header's links take, and `hreflang` alternates to the same page in every edition (with `x-default`: the
    /// site's own), for the page at `path` (from the root, without a prefix).
    pub fn page_data(&self, site: &SiteSettings, path: &str) -> serde_json::Value {
        let alternates: Vec<serde_json::Value> = if self.multilingual {
            Edition::all(site)
                .iter()
                .map(|e| serde_json::json!({ "hreflang": e.tag, "url": e.path(path) }))
                .chain(std::iter::once(serde_json::json!({ "hreflang": "x-default", "url": path })))
                .collect()
        } else {
            Vec::new()
        };
        serde_json::json!({
            "lang": self.tag,
            "dir": newsdesk_domain::language::direction(&self.tag),
            "edition_prefix": self.prefix,
            "alternates": alternates,
        })
    }
}

impl FromRequestParts<AppState> for Edition {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Edition>().cloned().unwrap_or_else(|| Edition::own(&state.site)))
    }
}

/// Adds an edition's page data to a page's own (the page's keys win).
pub fn with_edition(
    mut data: serde_json::Value,
    edition: &Edition,
    site: &SiteSettings,
    path: &str,
) -> serde_json::Value {
    if let (Some(page), serde_json::Value::Object(extra)) = (data.as_object_mut(), edition.page_data(site, path)) {
        for (k, v) in extra {
            page.entry(k).or_insert(v);
        }
    }
    data
}
