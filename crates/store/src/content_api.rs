//! Queries of the Ghost-compatible Content API: published posts or pages matching a filter (Ghost's NQL, parsed by
//! the services crate into [`Filter`]), in an order, a page at a time; and post counts of tags and authors.
//! A filter becomes one SQL `WHERE` with bound values, so nothing the client sends reaches the SQL text.

use std::collections::HashMap;

use sqlx::AssertSqlSafe;

use crate::args::{Arg, bind_args, next};
use crate::{Store, StoreResult, placeholders};

/// What a filter compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Any of the post's tags, by slug (`tag:`, `tags:`, `tags.slug:`).
    Tag,
    /// Any of the post's authors, by slug.
    Author,
    PrimaryTag,
    PrimaryAuthor,
    Featured,
    Slug,
    Id,
    Title,
    PublishedAt,
    UpdatedAt,
    CreatedAt,
    /// Always "public" here (members-only content is never served).
    Visibility,
    /// The post's language as stored: "" for the site's own (the caller maps tags to this).
    Language,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    In,
    NotIn,
    Gt,
    Gte,
    Lt,
    Lte,
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Int(i64),
    Bool(bool),
    Null,
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Cond { field: Field, op: Op, values: Vec<Value> },
}

/// A sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderField {
    PublishedAt,
    UpdatedAt,
    CreatedAt,
    Title,
    Slug,
    Featured,
    Id,
}

/// A page of published posts (or pages) for the Content API.
#[derive(Debug, Clone)]
pub struct ContentQuery {
    /// "post" or "page".
    pub kind: &'static str,
    pub filter: Option<Filter>,
    pub order: Vec<(OrderField, bool)>,
    /// `None`: all.
    pub limit: Option<i64>,
    pub page: i64,
}

fn text(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
    }
}

/// The SQL of one condition, its values bound into `args`.
fn condition(field: Field, op: Op, values: &[Value], args: &mut Vec<Arg>) -> String {
    let negate = matches!(op, Op::Ne | Op::NotIn);
    let list = |args: &mut Vec<Arg>| -> String {
        values.iter().map(|v| next(args, Arg::S(text(v)))).collect::<Vec<_>>().join(", ")
    };
    let related = |table: &str, join: &str, args: &mut Vec<Arg>| -> String {
        let set = list(args);
        let exists = format!(
            "EXISTS (SELECT 1 FROM {table} x JOIN {join} y ON y.id = x.{} WHERE x.post_id = p.id AND y.slug IN ({set}))",
            if table == "post_tags" { "tag_id" } else { "author_id" }
        );
        if negate { format!("NOT {exists}") } else { exists }
    };
    let primary = |table: &str, join: &str, args: &mut Vec<Arg>| -> String {
        let set = list(args);
        let col = if table == "post_tags" { "tag_id" } else { "author_id" };
        let first = format!(
            "(SELECT y.slug FROM {table} x JOIN {join} y ON y.id = x.{col} WHERE x.post_id = p.id ORDER BY x.position LIMIT 1)"
        );
        if negate { format!("COALESCE({first}, '') NOT IN ({set})") } else { format!("{first} IN ({set})") }
    };
    let column = |col: &str, args: &mut Vec<Arg>, numeric: bool| -> String {
        let bind = |v: &Value, args: &mut Vec<Arg>| match (numeric, v) {
            (true, Value::Int(i)) => next(args, Arg::I(*i)),
            (true, other) => next(args, Arg::I(text(other).parse().unwrap_or(0))),
            (false, v) => next(args, Arg::S(text(v))),
        };
        let one = |args: &mut Vec<Arg>| bind(values.first().unwrap_or(&Value::Null), args);
        if values.first() == Some(&Value::Null) {
            return if negate { format!("{col} IS NOT NULL") } else { format!("{col} IS NULL") };
        }
        match op {
            Op::Eq => format!("{col} = {}", one(args)),
            Op::Ne => format!("({col} <> {} OR {col} IS NULL)", one(args)),
            Op::In | Op::NotIn => {
                let set = values.iter().map(|v| bind(v, args)).collect::<Vec<_>>().join(", ");
                if negate { format!("{col} NOT IN ({set})") } else { format!("{col} IN ({set})") }
            }
            Op::Gt => format!("{col} > {}", one(args)),
            Op::Gte => format!("{col} >= {}", one(args)),
            Op::Lt => format!("{col} < {}", one(args)),
            Op::Lte => format!("{col} <= {}", one(args)),
            Op::Contains | Op::StartsWith | Op::EndsWith => {
                let t = crate::like_escape(&text(values.first().unwrap_or(&Value::Null)).to_lowercase());
                let pattern = match op {
                    Op::Contains => format!("%{t}%"),
                    Op::StartsWith => format!("{t}%"),
                    _ => format!("%{t}"),
                };
                format!("lower({col}) LIKE {} ESCAPE '\\'", next(args, Arg::S(pattern)))
            }
        }
    };
    match field {
        Field::Tag => related("post_tags", "tags", args),
        Field::Author => related("post_authors", "authors", args),
        Field::PrimaryTag => primary("post_tags", "tags", args),
        Field::PrimaryAuthor => primary("post_authors", "authors", args),
        Field::Featured => {
            let want = values.first().is_some_and(|v| matches!(v, Value::Bool(true)) || text(v) == "true");
            let want = if negate { !want } else { want };
            format!("p.featured = {}", i64::from(want))
        }
        Field::Visibility => {
            let public = values.iter().any(|v| text(v) == "public");
            if public != negate { "1 = 1".into() } else { "1 = 0".into() }
        }
        Field::Language => column("COALESCE(p.language, '')", args, false),
        Field::Slug => column("p.slug", args, false),
        Field::Id => column("p.id", args, true),
        Field::Title => column("p.title", args, false),
        Field::PublishedAt => column("p.published_at", args, true),
        Field::UpdatedAt => column("p.updated_at", args, true),
        Field::CreatedAt => column("p.created_at", args, true),
    }
}

fn filter_sql(f: &Filter, args: &mut Vec<Arg>) -> String {
    match f {
        Filter::And(xs) => format!("({})", xs.iter().map(|x| filter_sql(x, args)).collect::<Vec<_>>().join(" AND ")),
        Filter::Or(xs) => format!("({})", xs.iter().map(|x| filter_sql(x, args)).collect::<Vec<_>>().join(" OR ")),
        Filter::Cond { field, op, values } => condition(*field, *op, values, args),
    }
}

impl Store {
    /// Ids of the published posts (or pages) a Content API query asks for, in its order, with the total.
    pub async fn content_post_ids(&self, q: &ContentQuery) -> StoreResult<(Vec<i64>, i64)> {
        let mut args = vec![Arg::S(q.kind.to_owned())];
        let mut cond = "p.status = 'published' AND p.kind = $1".to_owned();
        if let Some(f) = &q.filter {
            cond.push_str(" AND ");
            cond.push_str(&filter_sql(f, &mut args));
        }
        let total: i64 =
            bind_args!(sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM posts p WHERE {cond}"))), &args)
                .fetch_one(&self.pool)
                .await?;
        let mut order: Vec<String> = q
            .order
            .iter()
            .map(|(f, desc)| {
                let col = match f {
                    OrderField::PublishedAt => "p.published_at",
                    OrderField::UpdatedAt => "p.updated_at",
                    OrderField::CreatedAt => "p.created_at",
                    OrderField::Title => "p.title",
                    OrderField::Slug => "p.slug",
                    OrderField::Featured => "p.featured",
                    OrderField::Id => "p.id",
                };
                format!("{col} {}", if *desc { "DESC" } else { "ASC" })
            })
            .collect();
        order.push("p.id DESC".into());
        let window = match q.limit {
            Some(l) => format!(" LIMIT {l} OFFSET {}", (q.page.max(1) - 1) * l),
            None => String::new(),
        };
        let sql = format!("SELECT p.id FROM posts p WHERE {cond} ORDER BY {}{window}", order.join(", "));
        let ids = bind_args!(sqlx::query_scalar(AssertSqlSafe(sql)), &args).fetch_all(&self.pool).await?;
        Ok((ids, total))
    }

    /// Published posts per tag id, for `include=count.posts`.
    pub async fn published_counts_by_tag(&self, ids: &[i64]) -> StoreResult<HashMap<i64, i64>> {
        self.published_counts("post_tags", "tag_id", ids).await
    }

    /// Published posts per author id.
    pub async fn published_counts_by_author(&self, ids: &[i64]) -> StoreResult<HashMap<i64, i64>> {
        self.published_counts("post_authors", "author_id", ids).await
    }

    async fn published_counts(&self, table: &str, col: &str, ids: &[i64]) -> StoreResult<HashMap<i64, i64>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT x.{col}, COUNT(*) FROM {table} x JOIN posts p ON p.id = x.post_id
             WHERE p.status = 'published' AND p.kind = 'post' AND x.{col} IN ({}) GROUP BY x.{col}",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query_as::<_, (i64, i64)>(AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(&self.pool).await?.into_iter().collect())
    }
}
