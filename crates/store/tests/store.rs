//! The store suite: every test runs on SQLite, and on PostgreSQL when `NEWSDESK_TEST_DATABASE_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use newsdesk_store::authors::AuthorInput;
use newsdesk_store::jobs::{self, NewJob};
use newsdesk_store::posts::{PostFilter, PostInput};
use newsdesk_store::testing::{TempDir, TestDb, backends};
use newsdesk_store::{Store, StoreError};

async fn each_backend<F, Fut>(test: F)
where
    F: Fn(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for backend in backends() {
        let dir = TempDir::new("nd-store");
        let db = TestDb::create(backend, dir.path()).await;
        let store = Store::open(&db.url).await.expect("open store");
        assert_eq!(store.backend, backend);
        test(store.clone()).await;
        store.close().await;
        drop(db);
    }
}

fn post(slug: &str, status: &str, published_at: Option<i64>, authors: Vec<i64>, tags: Vec<i64>) -> PostInput {
    PostInput {
        kind: "post".into(),
        slug: slug.into(),
        title: format!("Title {slug}"),
        excerpt: None,
        body_md: "Body".into(),
        body_html: "<p>Body</p>".into(),
        body_doc: String::new(),
        body_text: String::new(),
        body_email_html: String::new(),
        word_count: 1,
        status: status.into(),
        published_at,
        feature_image_id: None,
        feature_image_alt: None,
        feature_image_caption: None,
        feature_image_credit: None,
        author_ids: authors,
        tag_ids: tags,
        related_post_id: None,
        media_ids: vec![],
        linked_post_ids: vec![],
        featured: false,
        parent_id: None,
        meta_title: None,
        meta_description: None,
        language: None,
        translation: Default::default(),
        visibility: "public".into(),
        paid: Default::default(),
    }
}

async fn author(store: &Store, slug: &str, kind: &str) -> i64 {
    store.create_author(AuthorInput { slug, name: slug, kind, bio: None, image_id: None }).await.expect("author").id
}

#[tokio::test]
async fn lists_load_authors_and_tags_in_order() {
    each_backend(|store| async move {
        let a = author(&store, "ana", "person").await;
        let d = author(&store, "metro-desk", "desk").await;
        let t1 = store.create_tag("investigation", "Investigation", None).await.unwrap().id;
        let t2 = store.create_tag("port", "Port", None).await.unwrap().id;
        let now = newsdesk_store::now();
        store.create_post(&post("first", "published", Some(now - 100), vec![d, a], vec![t2, t1]), None).await.unwrap();
        store.create_post(&post("second", "published", Some(now - 10), vec![a], vec![t1]), None).await.unwrap();
        store.create_post(&post("draft", "draft", None, vec![a], vec![]), None).await.unwrap();
        let filter = PostFilter { status: Some("published".into()), ..Default::default() };
        let page = store.list_posts(&filter, 1, 10).await.unwrap();
        assert_eq!(page.total, 2);
        assert_eq!(page.items[0].row.slug, "second", "newest first");
        let first = &page.items[1];
        assert_eq!(first.authors.iter().map(|a| a.slug.as_str()).collect::<Vec<_>>(), ["metro-desk", "ana"]);
        assert_eq!(first.primary_tag().unwrap().slug, "port");
        let by_tag = store.list_posts(&PostFilter { tag_id: Some(t2), ..filter.clone() }, 1, 10).await.unwrap();
        assert_eq!(by_tag.total, 1);
        assert!(store.published_by_slug("draft").await.unwrap().is_none());
        assert!(store.post_by_slug("draft").await.unwrap().is_some());
    })
    .await;
}

#[tokio::test]
async fn unique_slugs_are_conflicts_and_change_nothing() {
    each_backend(|store| async move {
        let a = author(&store, "ana", "person").await;
        store.create_post(&post("same", "draft", None, vec![a], vec![]), None).await.unwrap();
        let err = store.create_post(&post("same", "draft", None, vec![a], vec![]), None).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { field: "slug", .. }), "{err:?}");
        assert_eq!(store.list_posts(&PostFilter::default(), 1, 10).await.unwrap().total, 1);
        let err = store.create_tag("x", "X", None).await.and(store.create_tag("x", "Y", None).await).unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }));
    })
    .await;
}

#[tokio::test]
async fn stale_revision_is_refused() {
    each_backend(|store| async move {
        let a = author(&store, "ana", "person").await;
        let id = store.create_post(&post("p", "draft", None, vec![a], vec![]), None).await.unwrap();
        store.update_post(id, &post("p", "draft", None, vec![a], vec![]), Some(1), None).await.unwrap();
        let err = store.update_post(id, &post("p", "draft", None, vec![a], vec![]), Some(1), None).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { field: "revision", .. }), "{err:?}");
        assert_eq!(store.post(id).await.unwrap().unwrap().row.revision, 2);
    })
    .await;
}

#[tokio::test]
async fn jobs_enqueue_with_their_transaction_only() {
    each_backend(|store| async move {
        let job = |key: &str| NewJob {
            kind: "test",
            payload: serde_json::json!({}),
            run_at: 0,
            dedupe_key: Some(key.into()),
            max_attempts: 3,
        };
        let mut tx = store.pool.begin().await.unwrap();
        jobs::enqueue(&mut tx, &job("rolled-back")).await.unwrap();
        tx.rollback().await.unwrap();
        assert_eq!(store.job_counts().await.unwrap().queued, 0, "a rolled-back transaction leaves no job");
        let mut tx = store.pool.begin().await.unwrap();
        assert!(jobs::enqueue(&mut tx, &job("k")).await.unwrap());
        tx.commit().await.unwrap();
        assert!(!store.enqueue(&job("k")).await.unwrap(), "same dedupe key is not queued twice");
        assert_eq!(store.job_counts().await.unwrap().queued, 1);
    })
    .await;
}

#[tokio::test]
async fn jobs_are_leased_retried_with_backoff_and_reclaimed() {
    each_backend(|store| async move {
        store
            .enqueue(&NewJob {
                kind: "test",
                payload: serde_json::json!({"n": 1}),
                run_at: 0,
                dedupe_key: None,
                max_attempts: 2,
            })
            .await
            .unwrap();
        let job = store.claim_job("w1", 60).await.unwrap().expect("claims the due job");
        assert_eq!(job.attempts, 1);
        assert!(store.claim_job("w2", 60).await.unwrap().is_none(), "a leased job is not claimed twice");
        store.fail_job(&job, "w1", "temporary", false).await.unwrap();
        let row = &store.jobs(None, 10).await.unwrap()[0];
        assert_eq!(row.status, "queued");
        assert!(row.run_at >= newsdesk_store::now() + 5, "retried after a backoff");
        assert!(store.claim_job("w2", 60).await.unwrap().is_none(), "not before the backoff");
        // Make it due again, then let its lease lapse (a crashed worker).
        sqlx::query("UPDATE jobs SET run_at = 0").execute(&store.pool).await.unwrap();
        let job = store.claim_job("w2", -1).await.unwrap().expect("due again");
        let job2 = store.claim_job("w3", 60).await.unwrap().expect("expired lease is reclaimed");
        assert_eq!(job.id, job2.id);
        assert!(!store.renew_job_lease(job.id, "w2", 60).await.unwrap(), "the old holder cannot renew it");
        assert!(store.renew_job_lease(job.id, "w3", -1).await.unwrap(), "its holder can");
        let job3 = store.claim_job("w4", 60).await.unwrap().expect("a lease renewed into the past runs out");
        assert!(store.renew_job_lease(job3.id, "w4", 60).await.unwrap());
        assert!(store.claim_job("w3", 60).await.unwrap().is_none(), "a renewed lease holds");
        sqlx::query("UPDATE jobs SET locked_by = 'w3'").execute(&store.pool).await.unwrap();
        store.complete_job(job.id, "w2").await.unwrap();
        assert_eq!(store.jobs(None, 10).await.unwrap()[0].status, "running", "the old lease holder cannot complete it");
        store.fail_job(&job2, "w3", "still broken", false).await.unwrap();
        let row = &store.jobs(None, 10).await.unwrap()[0];
        assert_eq!(row.status, "failed", "gives up after max_attempts");
        assert_eq!(row.last_error.as_deref(), Some("still broken"));
        assert!(store.retry_job(row.id).await.unwrap());
        assert_eq!(store.job_counts().await.unwrap().queued, 1);
    })
    .await;
}

#[tokio::test]
async fn scheduling_enqueues_a_publish_job_that_is_idempotent() {
    each_backend(|store| async move {
        let a = author(&store, "ana", "person").await;
        let at = newsdesk_store::now() - 1;
        let v0 = store.content_version().await.unwrap();
        let id = store.create_post(&post("later", "scheduled", Some(at), vec![a], vec![]), None).await.unwrap();
        assert_eq!(store.content_version().await.unwrap(), v0, "a scheduled post changes nothing public yet");
        let job = store.claim_job("w", 60).await.unwrap().expect("publish job queued with the post");
        assert_eq!(job.kind, newsdesk_store::posts::JOB_PUBLISH_SCHEDULED);
        assert!(store.publish_if_due(id, at).await.unwrap());
        assert!(!store.publish_if_due(id, at).await.unwrap(), "second run is a no-op");
        assert_eq!(store.post(id).await.unwrap().unwrap().row.status, "published");
        assert!(store.content_version().await.unwrap() > v0);
        // Rescheduled posts ignore the old job.
        let id2 = store.create_post(&post("moved", "scheduled", Some(at), vec![a], vec![]), None).await.unwrap();
        store.set_post_status(id2, "scheduled", Some(at + 3600)).await.unwrap();
        assert!(!store.publish_if_due(id2, at).await.unwrap());
    })
    .await;
}

#[tokio::test]
async fn login_links_work_once_and_sessions_expire() {
    each_backend(|store| async move {
        let user = store.create_user("ana@example.org", "Ana", "editor", None, None).await.unwrap();
        assert!(matches!(
            store.create_user("ANA@example.org", "x", "editor", None, None).await,
            Ok(_) | Err(StoreError::Conflict { .. })
        ));
        let (_, hash) = newsdesk_store::new_token();
        store.create_login_link("invite", Some(user.id), &hash, 60).await.unwrap();
        assert!(store.peek_login_link(&hash).await.unwrap().is_some());
        assert_eq!(store.consume_login_link(&hash).await.unwrap().unwrap().user_id, Some(user.id));
        assert!(store.consume_login_link(&hash).await.unwrap().is_none(), "single use");
        let (_, expired) = newsdesk_store::new_token();
        store.create_login_link("invite", Some(user.id), &expired, -1).await.unwrap();
        assert!(store.consume_login_link(&expired).await.unwrap().is_none(), "expired");
        store.create_session(user.id, "live", "csrf", 60).await.unwrap();
        store.create_session(user.id, "old", "csrf", -1).await.unwrap();
        assert!(store.session("live").await.unwrap().is_some());
        assert!(store.session("old").await.unwrap().is_none());
        store.set_password(user.id, "hash", Some("live")).await.unwrap();
        assert!(store.session("live").await.unwrap().is_some(), "the current session survives a password change");
    })
    .await;
}

#[tokio::test]
async fn delivery_claims_never_overlap_and_expired_leases_come_back() {
    use newsdesk_store::issues::{DeliveryResult, NewIssue};
    use newsdesk_store::newsletters::{Consent, NewsletterInput};
    use newsdesk_store::subscribers::ImportRow;
    each_backend(|store| async move {
        let n = store
            .create_newsletter(&NewsletterInput {
                slug: "daily",
                name: "Daily",
                visibility: "public",
                ..Default::default()
            })
            .await
            .unwrap();
        let rows: Vec<ImportRow> =
            (0..50).map(|i| ImportRow { email: format!("r{i}@example.org"), name: None }).collect();
        let consent = Consent { ip: None, form_url: None, consent_text: "fixture" };
        assert_eq!(store.import_subscribers(n.id, &rows, true, &consent).await.unwrap().added, 50);
        let issue = NewIssue {
            newsletter_id: n.id,
            idempotency_key: "k",
            kind: "post",
            post_ids: &[],
            subject: "s",
            html: "h",
            text: "t",
            created_by: None,
            visibility: "public",
            whole_html: "",
            whole_text: "",
        };
        let (i, made) = store.create_issue(&issue).await.unwrap();
        assert!(made);
        let (again, made_again) = store.create_issue(&issue).await.unwrap();
        assert!(!made_again && again.id == i.id, "the same key finds the same issue");
        assert_eq!(store.fan_out(i.id).await.unwrap(), 50);
        assert_eq!(store.fan_out(i.id).await.unwrap(), 50, "a second fan-out adds nobody");

        // Two senders at once (two nodes): their claims never share a recipient.
        let (a, b) = tokio::join!(
            store.claim_deliveries(30, 60, "node-a:1:1:x"),
            store.claim_deliveries(30, 60, "node-b:2:2:y")
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.len() + b.len(), 50);
        let mut ids: Vec<i64> = a.iter().chain(&b).map(|c| c.subscriber_id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 50, "no recipient claimed twice");
        assert!(
            store.claim_deliveries(30, 60, "test:1:1:a").await.unwrap().is_empty(),
            "leased rows are not claimed again"
        );

        // Who holds leases, by host; a dead worker's records can be freed at once (the worker judges who is dead).
        assert_eq!(store.lease_holders("node-b:").await.unwrap(), vec!["node-b:2:2:y".to_owned()]);
        assert_eq!(store.lease_holders("node_").await.unwrap(), Vec::<String>::new(), "`_` is no wildcard");
        assert_eq!(store.release_leases_of("node-b:2:2:y").await.unwrap(), b.len() as u64);
        let again = store.claim_deliveries(100, 60, "node-b:3:3:z").await.unwrap();
        assert_eq!(again.len(), b.len(), "freed records are claimed at once, before their lease ends");
        let b = again;

        // The first sender records its results; the second dies. Its rows come back when the lease ends.
        let results: Vec<_> = a.into_iter().map(|c| (c, DeliveryResult::Sent { message_id: "<m>".into() })).collect();
        store.record_deliveries(&results).await.unwrap();
        sqlx::query("UPDATE deliveries SET claimed_until = 1 WHERE status = 'sending'")
            .execute(&store.pool)
            .await
            .unwrap();
        let back = store.claim_deliveries(100, 60, "test:1:1:a").await.unwrap();
        assert_eq!(back.len(), b.len());
        assert!(back.iter().all(|c| c.attempts == 3), "a third attempt");
        assert!(store.finish_issues().await.unwrap().is_empty(), "not done while rows are out");
        let results: Vec<_> =
            back.into_iter().map(|c| (c, DeliveryResult::Sent { message_id: "<m>".into() })).collect();
        store.record_deliveries(&results).await.unwrap();
        assert_eq!(store.finish_issues().await.unwrap(), vec![i.id]);
        let p = store.issue_progress(i.id).await.unwrap();
        assert_eq!((p.total, p.sent, p.remaining()), (50, 50, 0));
    })
    .await;
}

/// The tables, columns and explicitly created indexes one backend's migrations leave, as comparable strings.
async fn schema(store: &Store) -> std::collections::BTreeSet<String> {
    let rows: Vec<String> = match store.backend {
        newsdesk_store::Backend::Sqlite => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
            )
            .fetch_all(&store.pool)
            .await
            .unwrap();
            let mut rows: Vec<String> = tables.iter().map(|t| format!("table {t}")).collect();
            for t in &tables {
                let cols: Vec<String> =
                    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT name FROM pragma_table_info('{t}')")))
                        .fetch_all(&store.pool)
                        .await
                        .unwrap();
                rows.extend(cols.iter().map(|c| format!("column {t}.{c}")));
            }
            let indexes: Vec<String> =
                sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
                    .fetch_all(&store.pool)
                    .await
                    .unwrap();
            rows.extend(indexes.iter().map(|i| format!("index {i}")));
            rows
        }
        newsdesk_store::Backend::Postgres => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT 'table ' || table_name::text FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations'",
            )
            .fetch_all(&store.pool)
            .await
            .unwrap();
            let cols: Vec<String> = sqlx::query_scalar(
                "SELECT 'column ' || table_name::text || '.' || column_name::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'",
            )
            .fetch_all(&store.pool)
            .await
            .unwrap();
            let indexes: Vec<String> = sqlx::query_scalar(
                "SELECT 'index ' || indexname::text FROM pg_indexes WHERE schemaname = current_schema()
                   AND indexname NOT IN (SELECT conname::text FROM pg_constraint)",
            )
            .fetch_all(&store.pool)
            .await
            .unwrap();
            tables.into_iter().chain(cols).chain(indexes).collect()
        }
    };
    // The search indexes are the one part that differs by engine on purpose (FTS5 tables and their shadow tables on
    // SQLite; a tsvector table with a GIN index and pg_trgm indexes on PostgreSQL: store::search and
    // store::subscribers); everything else must be the same.
    rows.into_iter()
        .filter(|r| {
            !r.split_once(' ')
                .is_some_and(|(_, name)| name.starts_with("post_search") || name.starts_with("subscriber_search"))
        })
        .collect()
}

/// Both backends' migrations must leave the same tables, columns and indexes: a query written once must find
/// the same schema (and the same index) under either engine.
#[tokio::test]
async fn both_backends_migrations_make_the_same_tables_columns_and_indexes() {
    let mut schemas = Vec::new();
    for backend in backends() {
        let dir = TempDir::new("nd-schema");
        let db = TestDb::create(backend, dir.path()).await;
        let store = Store::open(&db.url).await.expect("open store");
        schemas.push((backend, schema(&store).await));
        store.close().await;
    }
    let (_, sqlite) = &schemas[0];
    assert!(sqlite.contains("index feed_items_post") && sqlite.contains("column newsletter_issues.stop_reason"));
    match schemas.get(1) {
        Some((_, postgres)) => {
            let only_sqlite: Vec<_> = sqlite.difference(postgres).collect();
            let only_postgres: Vec<_> = postgres.difference(sqlite).collect();
            assert!(
                only_sqlite.is_empty() && only_postgres.is_empty(),
                "only on SQLite: {only_sqlite:?}\nonly on PostgreSQL: {only_postgres:?}"
            );
        }
        None => eprintln!("SKIPPED: schema parity needs PostgreSQL (NEWSDESK_TEST_DATABASE_URL)"),
    }
}

/// Housekeeping: finished jobs older than a week, expired sessions and spent login links go; the rest stays.
#[tokio::test]
async fn purges_remove_old_done_jobs_expired_sessions_and_spent_links_only() {
    each_backend(|store| async move {
        let now = newsdesk_store::now();
        for (kind, status, finished) in [("old", "done", now - 8 * 86_400), ("new", "done", now), ("bad", "failed", 1)]
        {
            let job = NewJob { kind, payload: serde_json::json!({}), run_at: 0, dedupe_key: None, max_attempts: 1 };
            store.enqueue(&job).await.unwrap();
            sqlx::query("UPDATE jobs SET status = $1, finished_at = $2 WHERE kind = $3")
                .bind(status)
                .bind(finished)
                .bind(kind)
                .execute(&store.pool)
                .await
                .unwrap();
        }
        assert_eq!(store.purge_done_jobs(now - 7 * 86_400).await.unwrap(), 1);
        let kinds: Vec<String> =
            sqlx::query_scalar("SELECT kind FROM jobs ORDER BY kind").fetch_all(&store.pool).await.unwrap();
        assert_eq!(kinds, ["bad", "new"], "failed jobs stay for the admin");

        let user = store.create_user("a@example.org", "A", "editor", None, None).await.unwrap();
        store.create_session(user.id, "live", "c1", 3600).await.unwrap();
        store.create_session(user.id, "gone", "c2", 3600).await.unwrap();
        sqlx::query("UPDATE sessions SET expires_at = 1 WHERE token_hash = 'gone'").execute(&store.pool).await.unwrap();
        assert_eq!(store.purge_expired_sessions(now).await.unwrap(), 1);
        assert!(store.session("live").await.unwrap().is_some());

        for hash in ["fresh", "used", "expired"] {
            store.create_login_link("invite", Some(user.id), hash, 3600).await.unwrap();
        }
        sqlx::query("UPDATE login_links SET used_at = 1 WHERE token_hash = 'used'").execute(&store.pool).await.unwrap();
        sqlx::query("UPDATE login_links SET expires_at = 1 WHERE token_hash = 'expired'")
            .execute(&store.pool)
            .await
            .unwrap();
        assert_eq!(store.purge_spent_login_links(now).await.unwrap(), 2);
        let left: Vec<String> =
            sqlx::query_scalar("SELECT token_hash FROM login_links").fetch_all(&store.pool).await.unwrap();
        assert_eq!(left, ["fresh"]);
    })
    .await;
}

/// Search: the headline match ranks first on both engines, stems and prefixes match, phrases and exclusions hold,
/// filters narrow, and the index follows publish, edit, unpublish and delete in the same write.
#[tokio::test]
async fn search_ranks_stems_and_follows_every_write() {
    use newsdesk_domain::search::Query;
    use newsdesk_store::search::{SearchFilter, Sort};
    each_backend(|store| async move {
        let maya = author(&store, "maya-coleman", "person").await;
        let harbour = store.create_tag("harbour", "Harbour", None).await.unwrap().id;
        let courts = store.create_tag("courts", "Courts", None).await.unwrap().id;
        let story = |slug: &str, title: &str, body: &str, at: i64, tags: Vec<i64>| {
            let mut p = post(slug, "published", Some(at), vec![maya], tags);
            p.title = title.into();
            p.body_text = body.into();
            p
        };
        let lead = store
            .create_post(
                &story(
                    "barrier-delay",
                    "Barrier vote delayed to June",
                    "The board met on Tuesday.",
                    3_000,
                    vec![harbour],
                ),
                None,
            )
            .await
            .unwrap();
        let mention = store
            .create_post(
                &story(
                    "ferry-times",
                    "New ferry timetable",
                    "Crews mentioned the barrier once in passing while the board delays its decision.",
                    2_000,
                    vec![harbour],
                ),
                None,
            )
            .await
            .unwrap();
        let court = store
            .create_post(
                &story(
                    "dredging-case",
                    "Dredging contract goes to court",
                    "The dredging contract was signed in 2019; the barrier is not part of it.",
                    1_000,
                    vec![courts],
                ),
                None,
            )
            .await
            .unwrap();
        let draft = post("secret-barrier", "draft", None, vec![maya], vec![]);
        store.create_post(&draft, None).await.unwrap();

        let find = |q: &str| {
            let store = store.clone();
            let filter = SearchFilter { query: Query::parse(q), ..Default::default() };
            async move { store.search(&filter, 10, 0).await.unwrap() }
        };
        let ids = |page: &newsdesk_store::search::SearchPage| page.hits.iter().map(|h| h.post_id).collect::<Vec<_>>();

        let page = find("barrier").await;
        assert_eq!(page.total, 3, "the draft is never found");
        assert_eq!(page.hits[0].post_id, lead, "the headline match ranks first");
        assert_eq!(ids(&find("delays").await)[0], lead, "a stemmed form finds it");
        assert!(ids(&find("barri").await).contains(&lead), "the last word is a prefix");
        assert_eq!(ids(&find("\"dredging contract\"").await), [court]);
        assert_eq!(ids(&find("\"contract dredging\"").await), Vec::<i64>::new(), "a phrase keeps its order");
        assert!(!ids(&find("barrier -dredging").await).contains(&court));
        assert_eq!(find("-barrier").await.total, 0, "only an exclusion finds nothing");
        assert_eq!(ids(&find("maya").await).len(), 3, "bylines are searched");
        for q in ["\"unbalanced", "a* NEAR(b) & | ! :", "'; DROP TABLE posts; --", &"x".repeat(10_000), "🙂 Київ"]
        {
            find(q).await; // an answer, never an error
        }
        let snippet = &find("passing").await.hits[0].snippet;
        assert!(snippet.contains('\u{2}') && snippet.contains('\u{3}'), "matched words are marked: {snippet:?}");

        let mut filter =
            SearchFilter { query: Query::parse("barrier"), tag_slug: Some("harbour".into()), ..Default::default() };
        filter.sort = Sort::Newest;
        assert_eq!(ids(&store.search(&filter, 10, 0).await.unwrap()), [lead, mention]);
        filter.from = Some(2_500);
        assert_eq!(ids(&store.search(&filter, 10, 0).await.unwrap()), [lead]);
        let paged = SearchFilter { query: Query::parse("barrier"), sort: Sort::Newest, ..Default::default() };
        let second = store.search(&paged, 1, 1).await.unwrap();
        assert_eq!((ids(&second), second.total), (vec![mention], 3));

        // The index follows every write, in the same transaction.
        store
            .update_post(
                court,
                &story(
                    "dredging-case",
                    "Dredging contract goes to court",
                    "Nothing about it now.",
                    1_000,
                    vec![courts],
                ),
                None,
                None,
            )
            .await
            .unwrap();
        assert!(!ids(&find("barrier").await).contains(&court), "an edit re-indexes");
        store.set_post_status(lead, "draft", None).await.unwrap();
        assert!(!ids(&find("barrier").await).contains(&lead), "an unpublished story is gone at once");
        store.set_post_status(lead, "published", Some(3_000)).await.unwrap();
        assert!(ids(&find("barrier").await).contains(&lead));
        store.update_tag(harbour, "harbour", "Waterfront", None).await.unwrap();
        assert_eq!(ids(&find("waterfront").await).len(), 2, "a renamed tag is searched by its new name");
        store.delete_post(mention).await.unwrap();
        assert!(!ids(&find("ferry").await).contains(&mention), "a deleted story is gone");
    })
    .await;
}

/// Staff search: the post list finds drafts by words in their bodies (the index holds every post; readers' search
/// still finds only published ones), and the subscriber list finds any part of an address or name, literally
/// (`_` and `%` are characters, not wildcards), through an index the engine can use, following renames and deletes.
#[tokio::test]
async fn staff_search_finds_drafts_by_body_and_subscribers_by_any_part() {
    use newsdesk_domain::search::Query;
    use newsdesk_store::Backend;
    use newsdesk_store::newsletters::{Consent, NewsletterInput};
    use newsdesk_store::search::SearchFilter;
    use newsdesk_store::subscribers::ImportRow;
    each_backend(|store| async move {
        let maya = author(&store, "maya-coleman", "person").await;
        let mut draft = post("pier-draft", "draft", None, vec![maya], vec![]);
        draft.title = "Pier inspection".into();
        draft.body_text = "Inspectors found corrosion under the eastern pilings.".into();
        let draft = store.create_post(&draft, None).await.unwrap();
        let published = store.create_post(&post("other", "published", Some(1_000), vec![maya], vec![]), None).await.unwrap();
        let list = |q: &str| {
            let store = store.clone();
            let filter = PostFilter { search: Some(q.into()), ..Default::default() };
            async move { store.list_posts(&filter, 1, 20).await.unwrap().items.iter().map(|p| p.row.id).collect::<Vec<_>>() }
        };
        assert_eq!(list("inspector").await, [draft], "a stemmed word of a draft's body");
        assert_eq!(list("corro").await, [draft], "the last word as a prefix");
        assert_eq!(list("spect").await, [draft], "a headline's half word, as typed");
        assert_eq!(list("title other").await, [published]);
        assert!(list("100%_").await.is_empty(), "wildcards are characters");
        let corrosion = SearchFilter { query: Query::parse("corrosion"), ..Default::default() };
        assert_eq!(store.search(&corrosion, 10, 0).await.unwrap().total, 0, "readers never find a draft");

        let n = store
            .create_newsletter(&NewsletterInput { slug: "daily", name: "Daily", visibility: "public", ..Default::default() })
            .await
            .unwrap();
        let mut rows: Vec<ImportRow> =
            (0..40).map(|i| ImportRow { email: format!("reader{i}@example.org"), name: None }).collect();
        rows.push(ImportRow { email: "ana_okafor@harbour.example".into(), name: Some("Ana Okafor".into()) });
        rows.push(ImportRow { email: "anaxokafor@harbour.example".into(), name: None });
        let consent = Consent { ip: None, form_url: None, consent_text: "fixture" };
        store.import_subscribers(n.id, &rows, true, &consent).await.unwrap();
        let find = |q: &str| {
            let store = store.clone();
            let q = q.to_owned();
            async move {
                let (rows, total) = store.subscriptions(n.id, None, &q, 100, 0).await.unwrap();
                assert_eq!(rows.len() as i64, total);
                rows.into_iter().map(|r| r.email).collect::<Vec<_>>()
            }
        };
        assert_eq!(find("ana_o").await, ["ana_okafor@harbour.example"], "`_` is an underscore");
        assert_eq!(find("OKAF").await.len(), 2, "any part, any case");
        assert_eq!(find("Ana Ok").await, ["ana_okafor@harbour.example"], "the name");
        assert_eq!(find("er3@").await, ["reader3@example.org"]);
        assert_eq!(find("7@").await.len(), 4, "two characters still match (by a scan): reader7, 17, 27, 37");
        assert_eq!(find("").await.len(), 42);
        assert!(find("\"quoted\" % *").await.is_empty());
        let ana = store.subscriber_by_email("ana_okafor@harbour.example").await.unwrap().unwrap();
        store.rename_subscriber(ana.id, Some("Ana Mensah")).await.unwrap();
        assert_eq!(find("mensah").await, ["ana_okafor@harbour.example"], "a rename is found at once");
        assert!(find("Ana Ok").await.is_empty());

        // The engine can answer from an index rather than reading every row.
        let plan: Vec<String> = match store.backend {
            Backend::Sqlite => sqlx::query_as::<_, (i64, i64, i64, String)>(
                "EXPLAIN QUERY PLAN SELECT rowid FROM subscriber_search WHERE subscriber_search MATCH '\"okaf\"'",
            )
            .fetch_all(&store.pool)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.3)
            .collect(),
            Backend::Postgres => {
                let mut tx = store.pool.begin().await.unwrap();
                sqlx::query("SET LOCAL enable_seqscan = off").execute(&mut *tx).await.unwrap();
                let plan = sqlx::query_scalar(
                    "EXPLAIN SELECT id FROM subscribers WHERE email LIKE '%okaf%' OR lower(COALESCE(name, '')) LIKE '%okaf%'",
                )
                .fetch_all(&mut *tx)
                .await
                .unwrap();
                tx.rollback().await.unwrap();
                plan
            }
        };
        let plan = plan.join("\n");
        assert!(plan.contains("VIRTUAL TABLE INDEX") || plan.contains("subscriber_search_email"), "{plan}");
    })
    .await;
}

/// Translations: posts join one group per story, one post per language; linking to itself or to a story in the same
/// language is refused and changes nothing; deleting a post takes it out, and a group of one is no group.
#[tokio::test]
async fn translation_groups_hold_one_post_per_language() {
    use newsdesk_store::posts::Translation;
    each_backend(|store| async move {
        let maya = author(&store, "maya", "person").await;
        let make = |slug: &str, language: Option<&str>| {
            let mut p = post(slug, "published", Some(1_000), vec![maya], vec![]);
            p.language = language.map(str::to_owned);
            p
        };
        let en = store.create_post(&make("barrier-vote", None), None).await.unwrap();
        let mut uk_input = make("holosuvannia-shchodo-bariera", Some("uk"));
        uk_input.translation = Translation::Of(en);
        let uk = store.create_post(&uk_input, None).await.unwrap();
        let group = |id: i64| {
            let store = store.clone();
            async move { store.post(id).await.unwrap().unwrap().row.translation_group }
        };
        assert_eq!((group(en).await, group(uk).await), (Some(en), Some(en)));
        let members = store.translations(&[en]).await.unwrap();
        let langs: Vec<_> = members[&en].iter().map(|t| (t.id, t.language.clone())).collect();
        assert_eq!(langs, [(en, None), (uk, Some("uk".to_owned()))]);

        // A second Ukrainian version is refused, in the same transaction as its save: nothing is written.
        let mut second = make("druha-versiia", Some("uk"));
        second.translation = Translation::Of(uk);
        let err = store.create_post(&second, None).await.unwrap_err();
        assert!(matches!(&err, newsdesk_store::StoreError::Conflict { field: "translation_of", .. }), "{err:?}");
        assert!(store.post_by_slug("druha-versiia").await.unwrap().is_none(), "the refused save left nothing");
        let mut itself = make("barrier-vote", None);
        itself.translation = Translation::Of(en);
        let err = store.update_post(en, &itself, None, None).await.unwrap_err();
        assert!(err.to_string().contains("itself"), "{err}");
        // Changing a member's language to one its group has is refused too.
        let mut now_english = make("holosuvannia-shchodo-bariera", None);
        now_english.translation = Translation::Keep;
        assert!(store.update_post(uk, &now_english, None, None).await.is_err());
        assert_eq!(store.post(uk).await.unwrap().unwrap().row.language.as_deref(), Some("uk"));

        // A third language joins through any member; deleting the group's key re-keys it; one left is no group.
        let mut fr = make("vote-sur-la-barriere", Some("fr"));
        fr.translation = Translation::Of(uk);
        let fr = store.create_post(&fr, None).await.unwrap();
        assert_eq!(group(fr).await, Some(en));
        store.delete_post(en).await.unwrap();
        assert_eq!((group(uk).await, group(fr).await), (Some(uk), Some(uk)));
        let mut unlink = make("vote-sur-la-barriere", Some("fr"));
        unlink.translation = Translation::Unlink;
        store.update_post(fr, &unlink, None, None).await.unwrap();
        assert_eq!((group(uk).await, group(fr).await), (None, None));
    })
    .await;
}

/// Each post is indexed in its own language's text-search configuration on PostgreSQL (its own, or the site's),
/// and a search in a language stems as that language does; when the site's language changes, the posts that
/// follow it are re-indexed. SQLite stems English only: other languages match whole words and prefixes there.
#[tokio::test]
async fn search_stems_each_post_in_its_own_language() {
    use newsdesk_domain::search::Query;
    use newsdesk_store::Backend;
    use newsdesk_store::search::{SearchFilter, pg_config};
    each_backend(|store| async move {
        let maya = author(&store, "maya", "person").await;
        let mut de = post("haeuser", "published", Some(1_000), vec![maya], vec![]);
        de.language = Some("de".into());
        de.title = "Neue Häuser am Hafen".into();
        de.body_text = "Die Stadt baut Wohnungen.".into();
        let de = store.create_post(&de, None).await.unwrap();
        let mut en = post("houses", "published", Some(2_000), vec![maya], vec![]);
        en.title = "New houses by the harbour".into();
        let en = store.create_post(&en, None).await.unwrap();
        let find = |q: &str, language: Option<Option<String>>, configs: Vec<&'static str>| {
            let store = store.clone();
            let filter = SearchFilter { query: Query::parse(q), language, configs, ..Default::default() };
            async move { store.search(&filter, 10, 0).await.unwrap().hits.iter().map(|h| h.post_id).collect::<Vec<_>>() }
        };
        assert_eq!(pg_config("de-AT"), "german");
        assert_eq!(pg_config("uk"), "simple", "no Ukrainian stemmer in PostgreSQL: words and prefixes");
        assert_eq!(find("häuser", Some(Some("de".into())), vec!["german"]).await, [de]);
        assert_eq!(find("house", Some(None), vec!["english"]).await, [en]);
        let both = find("hafen OR houses", None, vec!["english", "german"]).await;
        assert!(both.is_empty() || both.len() <= 2, "every word must match; an answer, never an error");
        if store.backend == Backend::Postgres {
            assert_eq!(find("hauses", Some(Some("de".into())), vec!["german"]).await, [de], "German stemming");
            let config: String = sqlx::query_scalar("SELECT config::text FROM post_search WHERE post_id = $1")
                .bind(en)
                .fetch_one(&store.pool)
                .await
                .unwrap();
            assert_eq!(config, "english");
            assert!(store.set_site_language("de-DE").await.unwrap());
            assert!(!store.set_site_language("de-DE").await.unwrap(), "no change, no re-index");
            let config: String = sqlx::query_scalar("SELECT config::text FROM post_search WHERE post_id = $1")
                .bind(en)
                .fetch_one(&store.pool)
                .await
                .unwrap();
            assert_eq!(config, "german", "posts in the site's language follow it");
        }
    })
    .await;
}
