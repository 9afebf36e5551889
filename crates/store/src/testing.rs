//! Test support (used by this crate's and other crates' integration tests): a database per test.
//!
//! SQLite always; PostgreSQL when `NEWSDESK_TEST_DATABASE_URL` points at a server (a database URL whose database
//! is only used to connect: each test creates `nd_test_<random>` and drops it, even when the test panics). With
//! `NEWSDESK_REQUIRE_ALL=1` a missing PostgreSQL is an error, not a skip.

#![allow(clippy::expect_used)] // test support: a failed set-up should stop the test loudly

use std::path::{Path, PathBuf};

use crate::Backend;

/// The backends this test run covers.
pub fn backends() -> Vec<Backend> {
    let pg = std::env::var("NEWSDESK_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty());
    match pg {
        Some(_) => vec![Backend::Sqlite, Backend::Postgres],
        None => {
            if std::env::var("NEWSDESK_REQUIRE_ALL").as_deref() == Ok("1") {
                panic!(
                    "NEWSDESK_REQUIRE_ALL=1 but NEWSDESK_TEST_DATABASE_URL is not set: PostgreSQL tests cannot be skipped"
                );
            }
            eprintln!("SKIPPED: PostgreSQL half of this test (set NEWSDESK_TEST_DATABASE_URL to run it)");
            vec![Backend::Sqlite]
        }
    }
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("{prefix}-{}", &crate::new_token().0[..12]));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One test's database.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    pg: Option<(String, String)>,
}

impl TestDb {
    /// A SQLite file in `dir`, or a new PostgreSQL database.
    pub async fn create(backend: Backend, dir: &Path) -> TestDb {
        match backend {
            Backend::Sqlite => TestDb { url: format!("sqlite://{}", dir.join("test.db").display()), backend, pg: None },
            Backend::Postgres => {
                let admin = std::env::var("NEWSDESK_TEST_DATABASE_URL").expect("NEWSDESK_TEST_DATABASE_URL");
                let name = format!("nd_test_{}", &crate::new_token().0[..16]);
                sqlx::any::install_default_drivers();
                let pool = sqlx::AnyPool::connect(&admin).await.expect("connect to NEWSDESK_TEST_DATABASE_URL");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&pool)
                    .await
                    .expect("create test database");
                pool.close().await;
                let url = replace_database(&admin, &name);
                TestDb { url, backend, pg: Some((admin, name)) }
            }
        }
    }
}

/// `postgres://u@h:5432/x?opts` with the database replaced by `name`.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map(|(b, q)| (b, Some(q))).unwrap_or((url, None));
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..].find('/').map(|i| scheme_end + i).unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            // Runs on its own thread and runtime: Drop may be called inside (or outside) an async test.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                rt.block_on(async move {
                    if let Ok(pool) = sqlx::AnyPool::connect(&admin).await {
                        let _ =
                            sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                                .execute(&pool)
                                .await;
                        pool.close().await;
                    }
                });
            })
            .join();
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_the_database_name() {
        assert_eq!(super::replace_database("postgres://u@h:5432/postgres", "x"), "postgres://u@h:5432/x");
        assert_eq!(
            super::replace_database("postgres://u@h/db?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(super::replace_database("postgres://u@h:5432", "x"), "postgres://u@h:5432/x");
    }
}
