//! Full-text search over stories and pages: readers find published ones, staff every one.
//!
//! The index (`post_search`) holds one row per post, whatever its status, and changes in the transaction of every
//! write to it ([`reindex`]); readers' search joins on the post's status, so a story is findable the moment it is
//! live and gone the moment it is not. The engines differ here, on purpose: SQLite uses FTS5 ranked with bm25 (headline weighted 10, dek 4,
//! caption/tags/bylines 3, body 1), PostgreSQL a weighted `tsvector` under a GIN index, queried through
//! `websearch_to_tsquery` and ranked with `ts_rank_cd` (headline A, dek and the rest B, body C). A query reaches
//! either only as bound values built from [`newsdesk_domain::search::Query`], whose words are letters and digits.

use newsdesk_domain::search::{Query, Term};
use sqlx::{AnyConnection, AssertSqlSafe};

use crate::{Backend, Store, StoreResult};

/// PostgreSQL's text-search configuration for each language it stems (by primary subtag); any other language is
/// searched with `simple` (words and prefixes, no stemming). SQLite's FTS5 stems English (Porter) whatever the
/// language: other languages match whole words and prefixes there.
const PG_CONFIGS: &[(&str, &str)] = &[
    ("ar", "arabic"),
    ("ca", "catalan"),
    ("da", "danish"),
    ("de", "german"),
    ("el", "greek"),
    ("en", "english"),
    ("es", "spanish"),
    ("eu", "basque"),
    ("fi", "finnish"),
    ("fr", "french"),
    ("ga", "irish"),
    ("hi", "hindi"),
    ("hu", "hungarian"),
    ("hy", "armenian"),
    ("id", "indonesian"),
    ("it", "italian"),
    ("lt", "lithuanian"),
    ("nb", "norwegian"),
    ("ne", "nepali"),
    ("nl", "dutch"),
    ("nn", "norwegian"),
    ("no", "norwegian"),
    ("pt", "portuguese"),
    ("ro", "romanian"),
    ("ru", "russian"),
    ("sr", "serbian"),
    ("sv", "swedish"),
    ("ta", "tamil"),
    ("tr", "turkish"),
    ("yi", "yiddish"),
];

/// The configuration a query without languages uses (the store's own tests, an English site).
const CONFIG: &str = "english";

/// PostgreSQL's text-search configuration for a language tag.
pub fn pg_config(tag: &str) -> &'static str {
    let primary = tag.split('-').next().unwrap_or(tag).to_ascii_lowercase();
    PG_CONFIGS.iter().find(|(l, _)| *l == primary).map_or("simple", |(_, c)| c)
}

/// SQL choosing the configuration for the language tag `expr` evaluates to (the same table as [`pg_config`]).
fn pg_config_sql(expr: &str) -> String {
    let arms: String = PG_CONFIGS.iter().map(|(l, c)| format!(" WHEN '{l}' THEN '{c}'")).collect();
    format!("(CASE lower(split_part({expr}, '-', 1)){arms} ELSE 'simple' END)::regconfig")
}

/// Marks around matched words in a snippet (control characters no stored text holds; the renderer escapes the
/// snippet and turns them into `<mark>`).
pub const MARK_START: char = '\u{2}';
pub const MARK_END: char = '\u{3}';

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Relevance,
    Newest,
}

/// What to search for, and where.
#[derive(Debug, Clone, Default)]
pub struct SearchFilter {
    pub query: Query,
    pub tag_slug: Option<String>,
    pub author_slug: Option<String>,
    /// Published at or after (Unix seconds).
    pub from: Option<i64>,
    /// Published before (Unix seconds).
    pub to: Option<i64>,
    pub sort: Sort,
    /// Only posts in one language (as [`crate::posts::PostFilter::language`]).
    pub language: Option<Option<String>>,
    /// PostgreSQL: the text-search configurations of the languages searched ([`pg_config`]); English when empty.
    pub configs: Vec<&'static str>,
}

/// One result: the post, and a snippet of its body with the matched words between [`MARK_START`] and
/// [`MARK_END`].
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SearchHit {
    pub post_id: i64,
    pub snippet: String,
}

#[derive(Debug, Clone, Default)]
pub struct SearchPage {
    pub hits: Vec<SearchHit>,
    pub total: i64,
}

/// The text of the last column: the photo caption, the public tags and the bylines (`agg` is the engine's string
/// aggregate).
fn extra_sql(agg: &str) -> String {
    format!(
        "COALESCE(p.feature_image_caption, '') || ' ' ||
         COALESCE((SELECT {agg}(t.name, ' ') FROM post_tags pt JOIN tags t ON t.id = pt.tag_id
                   WHERE pt.post_id = p.id AND t.name NOT LIKE '#%'), '') || ' ' ||
         COALESCE((SELECT {agg}(a.name, ' ') FROM post_authors pa JOIN authors a ON a.id = pa.author_id
                   WHERE pa.post_id = p.id), '')"
    )
}

fn is_postgres(conn: &AnyConnection) -> bool {
    conn.backend_name().eq_ignore_ascii_case("postgres") || conn.backend_name().eq_ignore_ascii_case("postgresql")
}

/// Which posts a re-index covers: one, those with a tag or a byline, or all.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope {
    Post(i64),
    Tag(i64),
    Author(i64),
    All,
    /// The posts in the site's own language (after it changed).
    SiteLanguage,
}

impl Scope {
    /// The ids it covers, as SQL for `IN (…)` with at most the one parameter `$1`.
    fn ids(self) -> (&'static str, Option<i64>) {
        match self {
            Scope::Post(id) => ("$1", Some(id)),
            Scope::Tag(id) => ("SELECT post_id FROM post_tags WHERE tag_id = $1", Some(id)),
            Scope::Author(id) => ("SELECT post_id FROM post_authors WHERE author_id = $1", Some(id)),
            Scope::All => ("SELECT id FROM posts", None),
            Scope::SiteLanguage => ("SELECT id FROM posts WHERE language IS NULL", None),
        }
    }
}

/// Brings one post's index row up to date, inside the caller's transaction (removed when the post is gone).
pub(crate) async fn reindex(conn: &mut AnyConnection, post_id: i64) -> StoreResult<()> {
    reindex_scope(conn, Scope::Post(post_id)).await
}

/// Brings the index rows of `scope` up to date in two statements, inside the caller's transaction: the posts whose
/// tag or byline was renamed, or all of them after an archive is restored.
pub(crate) async fn reindex_scope(conn: &mut AnyConnection, scope: Scope) -> StoreResult<()> {
    let (ids, param) = scope.ids();
    let (key, insert) = if is_postgres(conn) {
        (
            "post_id",
            format!(
                "INSERT INTO post_search (post_id, config, document)
                 SELECT p.id, c.cfg,
                        setweight(to_tsvector(c.cfg, p.title), 'A') ||
                        setweight(to_tsvector(c.cfg, COALESCE(p.excerpt, '')), 'B') ||
                        setweight(to_tsvector(c.cfg, {extra}), 'B') ||
                        setweight(to_tsvector(c.cfg, p.body_text), 'C')",
                extra = extra_sql("string_agg")
            ),
        )
    } else {
        (
            "rowid",
            format!(
                "INSERT INTO post_search (rowid, title, dek, body, extra)
                 SELECT p.id, p.title, COALESCE(p.excerpt, ''), p.body_text, {extra}",
                extra = extra_sql("group_concat")
            ),
        )
    };
    // Everything, for all posts: rows of posts that are gone go too.
    let only =
        |column: &str| if matches!(scope, Scope::All) { String::new() } else { format!(" WHERE {column} IN ({ids})") };
    let delete = format!("DELETE FROM post_search{}", only(key));
    let from = if key == "post_id" {
        // Each post in its own language's configuration (the site's when it names none).
        let cfg = pg_config_sql("COALESCE(p.language, (SELECT language FROM site_state WHERE id = 1))");
        format!("FROM posts p CROSS JOIN LATERAL (SELECT {cfg} AS cfg) c")
    } else {
        "FROM posts p".to_owned()
    };
    let insert = format!("{insert} {from} WHERE p.id IN ({ids})");
    let mut statements = vec![delete, insert];
    if key == "rowid" {
        statements.push(format!("DELETE FROM post_search_posts{}", only("id")));
        statements.push(format!(
            "INSERT INTO post_search_posts (id, kind, status, published_at, language)
             SELECT id, kind, status, published_at, language FROM posts WHERE id IN ({ids})"
        ));
    }
    for sql in statements {
        let mut q = sqlx::query(AssertSqlSafe(sql));
        if let Some(v) = param {
            q = q.bind(v);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A subquery selecting the ids of the posts, whatever their status, whose index row matches `query` (for the
/// staff's lists), or `None` for a query with nothing to find. `bind` adds a value and answers its placeholder.
pub(crate) fn matching_ids(
    backend: Backend,
    query: &Query,
    configs: &[&'static str],
    bind: &mut dyn FnMut(String) -> String,
) -> Option<String> {
    if query.is_empty() {
        return None;
    }
    Some(match backend {
        Backend::Sqlite => format!("SELECT rowid FROM post_search WHERE post_search MATCH {}", bind(fts5_match(query))),
        Backend::Postgres => {
            let (web, prefix) = tsquery_parts(query);
            let (web, prefix) = (bind(web), bind(prefix.unwrap_or_default()));
            format!("SELECT s.post_id FROM post_search s WHERE {}", pg_match(configs, &web, &prefix).0)
        }
    })
}

/// PostgreSQL's match on `s` (post_search) for the configurations of the languages searched (English when none is
/// named), with the query's parts bound at `web` and `prefix`: the condition — one per configuration, each a
/// constant tsquery the GIN index serves — and the row's own tsquery, for ranking and headlines.
fn pg_match(configs: &[&'static str], web: &str, prefix: &str) -> (String, String) {
    let mut configs: Vec<&str> = if configs.is_empty() { vec![CONFIG] } else { configs.to_vec() };
    configs.sort_unstable();
    configs.dedup();
    let q = |c: &str| format!("(websearch_to_tsquery('{c}', {web}) && to_tsquery('{c}', {prefix}))");
    let cond: Vec<String> =
        configs.iter().map(|c| format!("(s.config = '{c}'::regconfig AND s.document @@ {})", q(c))).collect();
    let row_query = match configs.as_slice() {
        [one] => q(one),
        many => {
            let arms: String = many.iter().map(|c| format!(" WHEN '{c}'::regconfig THEN {}", q(c))).collect();
            format!("(CASE s.config{arms} END)")
        }
    };
    (format!("({})", cond.join(" OR ")), row_query)
}

/// FTS5's query: each word quoted (it is letters and digits only), phrases as quoted runs, the prefix with `*`,
/// exclusions after `NOT`.
fn fts5_match(query: &Query) -> String {
    let render = |t: &Term| format!("\"{}\"{}", t.words.join(" "), if t.prefix { "*" } else { "" });
    let wanted: Vec<String> = query.terms.iter().filter(|t| !t.negated).map(render).collect();
    let unwanted: Vec<String> = query.terms.iter().filter(|t| t.negated).map(render).collect();
    let mut out = format!("({})", wanted.join(" AND "));
    if !unwanted.is_empty() {
        out.push_str(&format!(" NOT ({})", unwanted.join(" OR ")));
    }
    out
}

/// PostgreSQL's query: the terms for `websearch_to_tsquery` (each word quoted, so `or` is a word, not an
/// operator), and the prefix term for `to_tsquery` (`dredging <-> con:*`), which websearch syntax cannot say.
fn tsquery_parts(query: &Query) -> (String, Option<String>) {
    let mut web = Vec::new();
    let mut prefix = None;
    for t in &query.terms {
        if t.prefix {
            let mut words = t.words.clone();
            if let Some(last) = words.last_mut() {
                last.push_str(":*");
            }
            prefix = Some(words.join(" <-> "));
        } else {
            web.push(format!("{}\"{}\"", if t.negated { "-" } else { "" }, t.words.join(" ")));
        }
    }
    (web.join(" "), prefix)
}

impl Store {
    /// Records the site's own language (`[site] language`); when it changed, PostgreSQL re-indexes the posts that
    /// follow it in its text-search configuration, in the same transaction. Answers whether it changed.
    pub async fn set_site_language(&self, tag: &str) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query("UPDATE site_state SET language = $1 WHERE id = 1 AND language <> $1")
            .bind(tag)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        if changed && self.backend == Backend::Postgres {
            reindex_scope(&mut tx, Scope::SiteLanguage).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Published posts matching `filter`, best (or newest) first, `limit` from `offset`, with the total (what
    /// readers may find: drafts and scheduled posts are in the index for staff, never in these results).
    pub async fn search(&self, filter: &SearchFilter, limit: i64, offset: i64) -> StoreResult<SearchPage> {
        if filter.query.is_empty() {
            return Ok(SearchPage::default());
        }
        // Filters on the post, bound after the query's own parameters (numbered from `first`).
        let filters = |first: usize| {
            let mut sql = String::new();
            let mut n = first;
            if filter.tag_slug.is_some() {
                sql.push_str(&format!(
                    " AND EXISTS (SELECT 1 FROM post_tags pt JOIN tags t ON t.id = pt.tag_id
                                  WHERE pt.post_id = p.id AND t.slug = ${n})"
                ));
                n += 1;
            }
            if filter.author_slug.is_some() {
                sql.push_str(&format!(
                    " AND EXISTS (SELECT 1 FROM post_authors pa JOIN authors a ON a.id = pa.author_id
                                  WHERE pa.post_id = p.id AND a.slug = ${n})"
                ));
                n += 1;
            }
            if filter.from.is_some() {
                sql.push_str(&format!(" AND p.published_at >= ${n}"));
                n += 1;
            }
            if filter.to.is_some() {
                sql.push_str(&format!(" AND p.published_at < ${n}"));
                n += 1;
            }
            match &filter.language {
                None => {}
                Some(None) => sql.push_str(" AND p.language IS NULL"),
                Some(Some(_)) => {
                    sql.push_str(&format!(" AND p.language = ${n}"));
                    n += 1;
                }
            }
            (sql, n)
        };
        macro_rules! bind_filters {
            ($q:expr) => {{
                let mut q = $q;
                if let Some(s) = &filter.tag_slug {
                    q = q.bind(s.clone());
                }
                if let Some(s) = &filter.author_slug {
                    q = q.bind(s.clone());
                }
                if let Some(v) = filter.from {
                    q = q.bind(v);
                }
                if let Some(v) = filter.to {
                    q = q.bind(v);
                }
                if let Some(Some(tag)) = &filter.language {
                    q = q.bind(tag.clone());
                }
                q
            }};
        }
        match self.backend {
            Backend::Sqlite => {
                let matching = fts5_match(&filter.query);
                let (where_more, n) = filters(2);
                let order = match filter.sort {
                    Sort::Relevance => "score, p.published_at DESC, p.id DESC",
                    Sort::Newest => "p.published_at DESC, p.id DESC",
                };
                // The index drives the join (CROSS JOIN keeps that order); snippets, costly, are made afterwards for
                // the page's rows only — SQLite would otherwise make one for every match before sorting.
                let from = format!(
                    "FROM post_search s CROSS JOIN post_search_posts p ON p.id = s.rowid
                     WHERE post_search MATCH $1 AND p.status = 'published'{where_more}"
                );
                let ids: Vec<(i64, f64)> = bind_filters!(
                    sqlx::query_as(AssertSqlSafe(format!(
                        "SELECT p.id, bm25(post_search, 10.0, 4.0, 1.0, 3.0) AS score
                     {from} ORDER BY {order} LIMIT ${n} OFFSET ${}",
                        n + 1
                    )))
                    .bind(&matching)
                )
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.pool)
                .await?;
                let mut hits: Vec<SearchHit> = Vec::with_capacity(ids.len());
                if !ids.is_empty() {
                    let mut q = sqlx::query_as::<_, SearchHit>(AssertSqlSafe(format!(
                        "SELECT rowid AS post_id, snippet(post_search, 2, char(2), char(3), '…', 24) AS snippet
                         FROM post_search WHERE post_search MATCH $1 AND rowid IN ({})",
                        crate::placeholders(2, ids.len())
                    )))
                    .bind(&matching);
                    for (id, _) in &ids {
                        q = q.bind(*id);
                    }
                    let mut snippets = q.fetch_all(&self.pool).await?;
                    for (id, _) in &ids {
                        if let Some(i) = snippets.iter().position(|h| h.post_id == *id) {
                            hits.push(snippets.swap_remove(i));
                        }
                    }
                }
                let total: i64 =
                    bind_filters!(sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) {from}"))).bind(&matching))
                        .fetch_one(&self.pool)
                        .await?;
                Ok(SearchPage { hits, total })
            }
            Backend::Postgres => {
                let (web, prefix) = tsquery_parts(&filter.query);
                let prefix = prefix.unwrap_or_default();
                if web.is_empty() && prefix.is_empty() {
                    return Ok(SearchPage::default());
                }
                // An empty part is an empty tsquery, which `&&` leaves out.
                let (matches, row_query) = pg_match(&filter.configs, "$1", "$2");
                let (first, second) = (web, prefix);
                let (where_more, n) = filters(3);
                let order = match filter.sort {
                    Sort::Relevance => "score DESC, p.published_at DESC, p.id DESC",
                    Sort::Newest => "p.published_at DESC, p.id DESC",
                };
                let from = format!(
                    "FROM post_search s JOIN posts p ON p.id = s.post_id
                     WHERE {matches} AND p.status = 'published'{where_more}"
                );
                // The headline (costly) only for the page's rows.
                let hits = bind_filters!(
                    sqlx::query_as::<_, SearchHit>(AssertSqlSafe(format!(
                        "SELECT page.post_id,
                            ts_headline(page.cfg, p.body_text, page.q,
                                'StartSel=' || chr(2) || ', StopSel=' || chr(3) ||
                                ', MaxWords=36, MinWords=16, MaxFragments=2, FragmentDelimiter=\" … \"') AS snippet
                     FROM (SELECT p.id AS post_id, s.config AS cfg, {row_query} AS q,
                                  ts_rank_cd(s.document, {row_query}) AS score, p.published_at
                           {from} ORDER BY {order} LIMIT ${n} OFFSET ${}) page
                     JOIN posts p ON p.id = page.post_id
                     ORDER BY {}",
                        n + 1,
                        order.replace("p.published_at", "page.published_at").replace("p.id", "page.post_id"),
                    )))
                    .bind(&first)
                    .bind(&second)
                )
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.pool)
                .await?;
                let total: i64 = bind_filters!(
                    sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) {from}"))).bind(&first).bind(&second)
                )
                .fetch_one(&self.pool)
                .await?;
                Ok(SearchPage { hits, total })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_queries_quote_every_word() {
        let q = Query::parse(r#"barrier "dredging contract" -opinion del"#);
        assert_eq!(fts5_match(&q), r#"("barrier" AND "dredging contract" AND "del"*) NOT ("opinion")"#);
        assert_eq!(tsquery_parts(&q), (r#""barrier" "dredging contract" -"opinion""#.to_owned(), Some("del:*".into())));
        let q = Query::parse("dredging-con");
        assert_eq!(tsquery_parts(&q), (String::new(), Some("dredging <-> con:*".into())));
    }
}
