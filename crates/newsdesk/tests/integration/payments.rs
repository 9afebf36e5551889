//! Stripe against a stateful Stripe **stand-in** (Stripe itself is unreachable here): PyPI's `localstripe` keeps
//! customers, plans and subscriptions and delivers signed webhooks to the app, as Stripe does, and
//! `py/stripe_standin.py` adds the Checkout sessions and customer portal it lacks, with a hosted "Pay" page. The
//! first test also sends events itself, signed with the same secret, to check order, repeats and forgeries.
//! Checked: an event for a customer nobody has yet is kept and applied once checkout links them; duplicates change
//! nothing; forged, unsigned and replayed requests get 400; an older event arriving late never overwrites a newer
//! state; cancelling ends access; a failed payment keeps access for the grace period, then not.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use newsdesk_domain::Access;
use serde_json::{Value, json};

use crate::helpers::{TestApp, backends, outbox, spawn_app_config};

pub(crate) const SECRET: &str = "whsec_newsdesk_test";
pub(crate) const KEY: &str = "sk_test_newsdesk";

/// localstripe on a free port, stopped when dropped.
pub(crate) struct LocalStripe {
    child: Child,
    pub(crate) url: String,
}

impl Drop for LocalStripe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_localstripe() -> Option<LocalStripe> {
    let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/integration/py/stripe_standin.py");
    let child = Command::new("python3")
        .args([script, &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let url = format!("http://127.0.0.1:{port}");
    let ls = LocalStripe { child, url };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(ls);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

pub(crate) fn localstripe_or_skip() -> Option<LocalStripe> {
    let installed = Command::new("python3").args(["-c", "import localstripe"]).status().is_ok_and(|s| s.success());
    if !installed {
        if std::env::var("NEWSDESK_REQUIRE_ALL").as_deref() == Ok("1") {
            panic!("localstripe is missing (pip install localstripe) and NEWSDESK_REQUIRE_ALL=1");
        }
        eprintln!("SKIPPED: Stripe tests (pip install localstripe)");
        return None;
    }
    Some(start_localstripe().expect("localstripe starts"))
}

/// An app whose payments go to the stand-in, and the stand-in's webhooks to the app.
pub(crate) async fn app_on_standin(
    backend: newsdesk_store::Backend,
    ls: &LocalStripe,
    adjust: impl FnOnce(&mut newsdesk::config::Config),
) -> TestApp {
    let app = spawn_app_config(backend, |c| {
        c.payments.stripe_webhook_secret = SECRET.into();
        c.payments.stripe_secret_key = KEY.into();
        c.payments.stripe_api_base = ls.url.clone();
        adjust(c);
    })
    .await;
    stripe(
        ls,
        reqwest::Method::POST,
        "/_config/webhooks/newsdesk",
        &[("url", &app.url("/members/webhooks/stripe")), ("secret", SECRET)],
    )
    .await;
    app
}

pub(crate) async fn stripe(ls: &LocalStripe, method: reqwest::Method, path: &str, form: &[(&str, &str)]) -> Value {
    let r = reqwest::Client::new()
        .request(method, format!("{}{path}", ls.url))
        .bearer_auth(KEY)
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "localstripe {path}: {status} {v}");
    v
}

/// Posts an event to the app signed as Stripe signs (`t` moves the signature's time).
pub(crate) async fn send_event(app: &TestApp, event: &Value, secret: &str, t: i64) -> reqwest::Response {
    let body = serde_json::to_vec(event).unwrap();
    reqwest::Client::new()
        .post(app.url("/members/webhooks/stripe"))
        .header("content-type", "application/json")
        .header("stripe-signature", newsdesk_services::payments::sign(&body, secret, t))
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn access(app: &TestApp, member_id: i64) -> Access {
    newsdesk_services::members::access_of(&app.state.ctx, member_id).await.unwrap()
}

/// Waits (up to 10 s) for `check` to hold.
pub(crate) async fn eventually<F: AsyncFn() -> bool>(what: &str, check: F) {
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not happen within 10 s");
}

async fn event_status(app: &TestApp, kind: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT status FROM stripe_events WHERE type = $1 ORDER BY received_at")
        .bind(kind)
        .fetch_all(&app.store.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn stripe_webhooks_give_and_end_access_once_in_order_and_only_when_signed() {
    for backend in backends() {
        let Some(ls) = localstripe_or_skip() else { return };
        let app = app_on_standin(backend, &ls, |_| {}).await;
        let tier = newsdesk_store::members::TierInput {
            slug: "supporter".into(),
            name: "Supporter".into(),
            description: String::new(),
            benefits: vec![],
            currency: "gbp".into(),
            monthly_price: Some(500),
            yearly_price: None,
            trial_days: 0,
            active: true,
            position: 1,
        };
        app.store.save_tier(None, &tier).await.unwrap();
        let events = ["member.created", "member.updated", "subscription.started", "subscription.cancelled"];
        app.store.create_webhook("https://crm.example.org/hooks", None, &events, "whsec_crm", None).await.unwrap();
        let (member, _) = app.store.find_or_create_member("payer@example.org", "signup").await.unwrap();
        stripe(
            &ls,
            reqwest::Method::POST,
            "/_config/webhooks/newsdesk",
            &[("url", &app.url("/members/webhooks/stripe")), ("secret", SECRET)],
        )
        .await;

        // A subscription made at Stripe before we know whose customer it is.
        let product = stripe(&ls, reqwest::Method::POST, "/v1/products", &[("name", "Supporter")]).await;
        let plan = stripe(
            &ls,
            reqwest::Method::POST,
            "/v1/plans",
            &[
                ("amount", "500"),
                ("currency", "gbp"),
                ("interval", "month"),
                ("product", product["id"].as_str().unwrap()),
            ],
        )
        .await;
        let customer = stripe(
            &ls,
            reqwest::Method::POST,
            "/v1/customers",
            &[
                ("email", "payer@example.org"),
                ("source[object]", "card"),
                ("source[number]", "4242424242424242"),
                ("source[exp_month]", "12"),
                ("source[exp_year]", "2040"),
                ("source[cvc]", "123"),
            ],
        )
        .await;
        let cus = customer["id"].as_str().unwrap().to_owned();
        let sub = stripe(
            &ls,
            reqwest::Method::POST,
            "/v1/subscriptions",
            &[("customer", &cus), ("items[0][plan]", plan["id"].as_str().unwrap()), ("metadata[tier]", "supporter")],
        )
        .await;
        let sub_id = sub["id"].as_str().unwrap().to_owned();
        eventually("localstripe delivers customer.subscription.created", async || {
            event_status(&app, "customer.subscription.created").await == ["unmatched"]
        })
        .await;
        // And the first invoice's payment (it ends any grace period, so it must not land in the middle of one below).
        eventually("localstripe delivers invoice.payment_succeeded", async || {
            event_status(&app, "invoice.payment_succeeded").await == ["unmatched"]
        })
        .await;
        assert_eq!(access(&app, member.id).await, Access::Member { paid_tiers: vec![] }, "unknown customer: no access");

        // Checkout completes (the stand-in's part): the customer is this member; the waiting events apply.
        let now = newsdesk_store::now();
        let checkout = json!({ "id": "evt_checkout_1", "type": "checkout.session.completed", "created": now,
            "data": { "object": { "id": "cs_1", "object": "checkout.session", "customer": cus,
                "client_reference_id": member.id.to_string(), "subscription": sub_id, "mode": "subscription" } } });
        let r = send_event(&app, &checkout, SECRET, now).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<Value>().await.unwrap()["outcome"], "Processed");
        assert_eq!(access(&app, member.id).await, Access::Member { paid_tiers: vec!["supporter".into()] });
        assert_eq!(event_status(&app, "customer.subscription.created").await, ["processed"]);
        let subs = app.store.member_subscriptions(member.id).await.unwrap();
        assert_eq!((subs[0].amount, subs[0].cadence.as_deref()), (Some(500), Some("month")));
        assert!(app.store.member(member.id).await.unwrap().unwrap().stripe_customer_id.as_deref() == Some(&cus));

        // The same event again changes nothing.
        let r = send_event(&app, &checkout, SECRET, now).await;
        assert_eq!(r.json::<Value>().await.unwrap()["outcome"], "Duplicate");
        // Mails, through the queue: a welcome, and one receipt for the first invoice.
        app.run_jobs().await;
        let mails = outbox(&app);
        let count = |subject: &str| mails.iter().filter(|m| m.contains(subject)).count();
        assert_eq!(count("Subject: Welcome to The Test Ledger: your membership has started"), 1, "{mails:?}");
        assert_eq!(count("Subject: Your receipt from The Test Ledger"), 1);
        assert!(mails.iter().any(|m| m.contains("We received your payment of") && m.contains("5.00")));

        // Forged, unsigned and replayed requests: 400 and nothing changes.
        let cancel = json!({ "id": "evt_forged", "type": "customer.subscription.deleted", "created": now,
            "data": { "object": { "id": sub_id, "customer": cus, "status": "canceled", "metadata": { "tier": "supporter" },
                "items": { "data": [{ "plan": { "id": plan["id"], "amount": 500, "currency": "gbp", "interval": "month" } }] } } } });
        let r = send_event(&app, &cancel, "whsec_wrong", now).await;
        assert_eq!(r.status(), 400);
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "signature_invalid");
        let r = reqwest::Client::new()
            .post(app.url("/members/webhooks/stripe"))
            .body(serde_json::to_vec(&cancel).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "unsigned");
        let r = send_event(&app, &cancel, SECRET, now - 3600).await;
        assert_eq!(r.status(), 400, "a signature an hour old is a replay");
        assert_eq!(access(&app, member.id).await, Access::Member { paid_tiers: vec!["supporter".into()] });

        // Out of order: an update older than what we applied is recorded but changes nothing.
        let stale = json!({ "id": "evt_stale", "type": "customer.subscription.updated", "created": now - 86_400,
            "data": { "object": { "id": sub_id, "customer": cus, "status": "incomplete_expired", "metadata": { "tier": "supporter" },
                "items": { "data": [{ "plan": { "id": plan["id"], "amount": 500, "currency": "gbp", "interval": "month" } }] } } } });
        let r = send_event(&app, &stale, SECRET, now).await;
        assert_eq!(r.status(), 200);
        assert_eq!(access(&app, member.id).await, Access::Member { paid_tiers: vec!["supporter".into()] });

        // A failed payment: access for the grace period, then not; a paid invoice ends the grace. These events happen
        // after the worker's run above reconciled with the stand-in (which stamps what it read with its own time), so
        // they are a second newer than that: with `now` a reconciliation that ran a second later would make them stale.
        let later = newsdesk_store::now() + 1;
        let failed = json!({ "id": "evt_failed", "type": "invoice.payment_failed", "created": later,
            "data": { "object": { "id": "in_failed_1", "customer": cus, "subscription": sub_id, "amount_due": 500,
                "amount_paid": 0, "currency": "gbp" } } });
        send_event(&app, &failed, SECRET, now).await;
        let past_due = json!({ "id": "evt_past_due", "type": "customer.subscription.updated", "created": later,
            "data": { "object": { "id": sub_id, "customer": cus, "status": "past_due", "metadata": { "tier": "supporter" },
                "items": { "data": [{ "plan": { "id": plan["id"], "amount": 500, "currency": "gbp", "interval": "month" } }] } } } });
        send_event(&app, &past_due, SECRET, now).await;
        assert_eq!(access(&app, member.id).await, Access::Member { paid_tiers: vec!["supporter".into()] }, "grace");
        sqlx::query("UPDATE member_subscriptions SET past_due_since = $1 WHERE stripe_subscription_id = $2")
            .bind(now - 8 * 86_400)
            .bind(&sub_id)
            .execute(&app.store.pool)
            .await
            .unwrap();
        assert_eq!(access(&app, member.id).await, Access::Member { paid_tiers: vec![] }, "the grace period is over");
        // Stripe tries the card again and fails again: one mail about it, not two.
        let mut again = failed.clone();
        again["id"] = json!("evt_failed_again");
        send_event(&app, &again, SECRET, now).await;
        // (The worker's run also reconciles with the stand-in, which still has the subscription active.)
        app.run_jobs().await;
        let failures = outbox(&app).iter().filter(|m| m.contains("did not go through")).count();
        assert_eq!(failures, 1);
        assert!(outbox(&app).iter().any(|m| m.contains("continues for 7 days") && m.contains("/account/")));
        let payments = app.store.member_payments(member.id).await.unwrap();
        assert!(payments.iter().any(|p| p.stripe_invoice_id == "in_failed_1" && p.status == "failed"));
        assert!(payments.iter().any(|p| p.status == "paid" && p.amount == 500), "the first invoice, from localstripe");
        let recovered = json!({ "id": "evt_recovered", "type": "customer.subscription.updated", "created": later,
            "data": { "object": { "id": sub_id, "customer": cus, "status": "active", "metadata": { "tier": "supporter" },
                "items": { "data": [{ "plan": { "id": plan["id"], "amount": 500, "currency": "gbp", "interval": "month" } }] } } } });
        send_event(&app, &recovered, SECRET, now).await;
        assert_eq!(access(&app, member.id).await, Access::Member { paid_tiers: vec!["supporter".into()] });

        // Cancelled at Stripe: localstripe's own customer.subscription.deleted ends access. It is stamped with the
        // stand-in's clock, so it must come after `later` (the recovery above) to be newer, as at Stripe it would.
        while newsdesk_store::now() <= later {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        stripe(&ls, reqwest::Method::DELETE, &format!("/v1/subscriptions/{sub_id}"), &[]).await;
        eventually("the cancellation ends access", async || {
            access(&app, member.id).await == Access::Member { paid_tiers: vec![] }
        })
        .await;
        let subs = app.store.member_subscriptions(member.id).await.unwrap();
        assert_eq!(subs[0].status, "canceled");
        app.run_jobs().await;
        assert!(outbox(&app).iter().any(|m| m.contains("Subject: Your The Test Ledger membership has ended")));
        // The CRM's endpoint was told, once each (the grace and the recovery in between are not news).
        let sent: Vec<String> = sqlx::query_scalar("SELECT event FROM webhook_deliveries ORDER BY id")
            .fetch_all(&app.store.pool)
            .await
            .unwrap();
        assert_eq!(sent, ["member.created", "subscription.started", "subscription.cancelled"], "{sent:?}");
        let body: String =
            sqlx::query_scalar("SELECT body FROM webhook_deliveries WHERE event = 'subscription.started'")
                .fetch_one(&app.store.pool)
                .await
                .unwrap();
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            (body["data"]["member"]["email"].as_str(), body["data"]["tier"].as_str()),
            (Some("payer@example.org"), Some("supporter"))
        );
    }
}

#[tokio::test]
async fn a_reader_joins_a_paid_tier_through_checkout_and_stripe_being_down_charges_nothing() {
    for backend in backends() {
        let Some(ls) = localstripe_or_skip() else { return };
        let app = app_on_standin(backend, &ls, |_| {}).await;
        let tier = newsdesk_store::members::TierInput {
            slug: "supporter".into(),
            name: "Supporter".into(),
            description: "Keeps the newsroom going.".into(),
            benefits: vec!["Every story".into()],
            currency: "gbp".into(),
            monthly_price: Some(500),
            yearly_price: Some(5000),
            trial_days: 0,
            active: true,
            position: 1,
        };
        app.store.save_tier(None, &tier).await.unwrap();
        let b = app.browser();
        let (status, page) = app.get_text(&b, "/membership/").await;
        assert_eq!(status, 200);
        assert!(page.contains("Join for £5.00 a month") && page.contains("Join for £50.00 a year"), "{page}");

        // A bad address: the page again with the message, nothing made at Stripe.
        let r = b
            .post(app.url("/membership/checkout"))
            .form(&[("tier", "supporter"), ("cadence", "month"), ("email", "nope")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("Please enter a correct email address."));

        // Join: to Stripe's page; a double click gets the same session.
        let join = [("tier", "supporter"), ("cadence", "month"), ("email", "joiner@example.org")];
        let first = b.post(app.url("/membership/checkout")).form(&join).send().await.unwrap();
        assert_eq!(first.status(), 303);
        let to = first.headers()["location"].to_str().unwrap().to_owned();
        assert!(to.starts_with(&ls.url), "{to}");
        let again = b.post(app.url("/membership/checkout")).form(&join).send().await.unwrap();
        assert_eq!(again.headers()["location"].to_str().unwrap(), to, "one session for a double click");
        let member = app.store.member_by_email("joiner@example.org").await.unwrap().unwrap();
        assert!(member.stripe_customer_id.is_some());
        assert!(app.store.tier_by_slug("supporter").await.unwrap().unwrap().stripe_monthly_price_id.is_some());

        // The reader pays on Stripe's page and comes back; the webhooks give them the tier.
        let paid = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let r = paid.post(format!("{to}/pay")).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let back = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(back.starts_with(&app.url("/membership/welcome?session_id=cs_test_")), "{back}");
        let (_, welcome) = app.get_text(&b, back.trim_start_matches(&app.address)).await;
        assert!(welcome.contains("Thank you for joining"));
        eventually("the checkout's webhooks give the tier", async || {
            access(&app, member.id).await == Access::Member { paid_tiers: vec!["supporter".into()] }
        })
        .await;
        eventually("the first invoice is recorded", async || {
            app.store.member_payments(member.id).await.unwrap().iter().any(|p| p.status == "paid" && p.amount == 500)
        })
        .await;
        let subs = app.store.member_subscriptions(member.id).await.unwrap();
        assert_eq!(subs.len(), 1, "one subscription");

        // Downtime: Stripe cancels while its webhooks cannot reach us; the worker's reconciliation catches up.
        stripe(
            &ls,
            reqwest::Method::POST,
            "/_config/webhooks/newsdesk",
            &[("url", "http://127.0.0.1:9/"), ("secret", SECRET)],
        )
        .await;
        let sub_id = subs[0].stripe_subscription_id.clone().unwrap();
        stripe(&ls, reqwest::Method::DELETE, &format!("/v1/subscriptions/{sub_id}"), &[]).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(access(&app, member.id).await, Access::Member { paid_tiers: vec!["supporter".into()] }, "missed");
        app.run_jobs().await;
        assert_eq!(access(&app, member.id).await, Access::Member { paid_tiers: vec![] }, "reconciled");

        // Stripe down: a clear "try again", nothing charged, nothing half-made here.
        drop(ls);
        let r = b
            .post(app.url("/membership/checkout"))
            .form(&[("tier", "supporter"), ("cadence", "year"), ("email", "second@example.org")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 503);
        assert!(r.text().await.unwrap().contains("Nothing was charged"));
    }
}
