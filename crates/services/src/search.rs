//! Search for readers and front-ends: the query parsed, the store's index asked, the page's posts loaded in one
//! query, and each snippet made safe HTML (escaped, with the matched words in `<mark>`).

use newsdesk_domain::search::Query;
use newsdesk_store::posts::Post;
use newsdesk_store::search::{MARK_END, MARK_START, SearchFilter, Sort};

use crate::{Context, ServiceError};

/// What a reader asked for, as the search form and the API send it.
#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    pub q: &'a str,
    pub tag: Option<&'a str>,
    pub author: Option<&'a str>,
    /// `YYYY-MM-DD` in the site's time zone, from the start of that day.
    pub from: Option<&'a str>,
    /// `YYYY-MM-DD` in the site's time zone, to the end of that day.
    pub to: Option<&'a str>,
    /// "relevance" (the default) or "newest".
    pub sort: Option<&'a str>,
    pub page: i64,
    pub limit: i64,
    /// Only posts in one language (`newsdesk_store::posts::PostFilter::language`); `None` for every language.
    pub language: Option<Option<String>>,
}

pub struct Hit {
    pub post: Post,
    /// Escaped HTML with `<mark>` around the matched words.
    pub snippet_html: String,
}

pub struct Results {
    pub hits: Vec<Hit>,
    pub total: i64,
    pub page: i64,
    pub limit: i64,
}

/// A day's start in the site's time zone, as Unix seconds (`next` for the start of the day after).
fn day_start(ctx: &Context, field: &'static str, text: &str, next: bool) -> Result<i64, ServiceError> {
    let bad = || ServiceError::invalid(field, "date_invalid", format!("{field}: give a date as YYYY-MM-DD."));
    let date: jiff::civil::Date = text.trim().parse().map_err(|_| bad())?;
    let date = if next { date.tomorrow().map_err(|_| bad())? } else { date };
    let zoned = date.to_zoned(ctx.site.timezone.tz().clone()).map_err(|_| bad())?;
    Ok(zoned.timestamp().as_second())
}

pub async fn search(ctx: &Context, r: &Request<'_>) -> Result<Results, ServiceError> {
    let sort = match r.sort.map(str::trim).filter(|s| !s.is_empty()) {
        None | Some("relevance") => Sort::Relevance,
        Some("newest") => Sort::Newest,
        Some(_) => return Err(ServiceError::invalid("sort", "invalid", "sort: \"relevance\" or \"newest\".")),
    };
    let some = |s: Option<&str>| s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let filter = SearchFilter {
        query: Query::parse(r.q),
        tag_slug: some(r.tag),
        author_slug: some(r.author),
        from: some(r.from).map(|d| day_start(ctx, "from", &d, false)).transpose()?,
        to: some(r.to).map(|d| day_start(ctx, "to", &d, true)).transpose()?,
        sort,
        language: r.language.clone(),
        configs: configs(&ctx.site, &r.language),
    };
    let (page, limit) = (r.page.max(1), r.limit.clamp(1, 50));
    let found = ctx.store.search(&filter, limit, (page - 1) * limit).await?;
    let ids: Vec<i64> = found.hits.iter().map(|h| h.post_id).collect();
    let posts = ctx.store.posts_by_ids(&ids).await?;
    let hits = found
        .hits
        .into_iter()
        .zip(posts)
        .map(|(h, post)| Hit { snippet_html: snippet_html(&h.snippet), post })
        .collect();
    Ok(Results { hits, total: found.total, page, limit })
}

/// PostgreSQL's text-search configurations for a search in `language` (`None`: every language of the site).
pub fn configs(site: &newsdesk_domain::SiteSettings, language: &Option<Option<String>>) -> Vec<&'static str> {
    use newsdesk_store::search::pg_config;
    match language {
        Some(None) => vec![pg_config(&site.language)],
        Some(Some(tag)) => vec![pg_config(tag)],
        None => std::iter::once(&site.language).chain(&site.languages).map(|t| pg_config(t)).collect(),
    }
}

/// The engine's snippet as HTML: everything escaped, then the engine's marks turned into `<mark>`.
pub fn snippet_html(raw: &str) -> String {
    let clean: String = raw.chars().filter(|c| !c.is_control() || *c == MARK_START || *c == MARK_END).collect();
    newsdesk_render::feeds::html_escape(&clean).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
}

#[cfg(test)]
mod tests {
    #[test]
    fn snippets_are_escaped_around_the_marks() {
        let raw = "a <b onclick=x> \u{2}barrier\u{3} & \u{1}\"q\"";
        assert_eq!(super::snippet_html(raw), "a &lt;b onclick=x&gt; <mark>barrier</mark> &amp; &quot;q&quot;");
    }
}
