//! Donations through `/support/` against the Stripe **stand-in** (`py/stripe_standin.py` on PyPI's localstripe;
//! Stripe itself is unreachable here): a one-off gift with the fee covered and a message, paid on the hosted page,
//! settled by the signed `checkout.session.completed`; a monthly one whose subscription and invoices arrive as
//! Stripe sends them. Checked: bad input re-renders the form with the message beside the field and records
//! nothing; a double click is one donation; each payment is recorded, receipted and announced (`donation.received`)
//! once, also when Stripe repeats the event; the account page and the revenue page show them; Stripe down charges
//! nothing.

use serde_json::json;

use crate::helpers::{backends, outbox};
use crate::payments::{SECRET, app_on_standin, eventually, localstripe_or_skip, send_event};

async fn count(app: &crate::helpers::TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(&app.store.pool).await.unwrap()
}

#[tokio::test]
async fn readers_give_once_and_monthly_and_each_gift_is_recorded_receipted_and_announced_once() {
    for backend in backends() {
        let Some(ls) = localstripe_or_skip() else { return };
        let app = app_on_standin(backend, &ls, |c| {
            c.payments.donation_fee_percent = 1.5;
            c.payments.donation_fee_fixed = 20;
        })
        .await;
        app.store
            .create_webhook("https://crm.example.org/hooks", None, &["donation.received"], "whsec_crm", None)
            .await
            .unwrap();
        let b = app.browser();
        let (status, page) = app.get_text(&b, "/support/").await;
        assert_eq!(status, 200);
        for text in ["£5.00", "£10.00", "£25.00", "Every month", "Another amount", "Add the card fee"] {
            assert!(page.contains(text), "{text} on /support/");
        }

        // Bad input: the form again, the message beside its field, what was typed kept, nothing recorded.
        let bad = [
            (vec![("amount", "other"), ("custom", "abc"), ("email", "giver@example.org")], "donate-amount-error"),
            (vec![("amount", "other"), ("custom", "0.20"), ("email", "giver@example.org")], "donate-amount-error"),
            (vec![("amount", "10"), ("email", "not an address")], "donate-email-error"),
        ];
        for (form, field) in bad {
            let r = b.post(app.url("/support/checkout")).form(&form).send().await.unwrap();
            assert_eq!(r.status(), 422, "{form:?}");
            let html = r.text().await.unwrap();
            assert!(html.contains(&format!("id=\"{field}\"")), "{field}: {html}");
            assert!(html.contains("aria-invalid=\"true\""));
        }
        let long = "x".repeat(1001);
        let r = b
            .post(app.url("/support/checkout"))
            .form(&[("amount", "10"), ("email", "giver@example.org"), ("message", &long)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("id=\"donate-message-error\""));
        assert_eq!(count(&app, "SELECT COUNT(*) FROM donations").await, 0, "bad input records nothing");

        // A one-off £10 with the fee covered and a message; a double click is the same donation and session.
        let gift = [
            ("amount", "10"),
            ("cadence", "once"),
            ("cover_fees", "yes"),
            ("message", "For the council reporting <3"),
            ("email", "Giver@Example.org"),
        ];
        let first = b.post(app.url("/support/checkout")).form(&gift).send().await.unwrap();
        assert_eq!(first.status(), 303);
        let to = first.headers()["location"].to_str().unwrap().to_owned();
        assert!(to.starts_with(&ls.url), "{to}");
        let again = b.post(app.url("/support/checkout")).form(&gift).send().await.unwrap();
        assert_eq!(again.headers()["location"].to_str().unwrap(), to, "one session for a double click");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM donations").await, 1);
        let member = app.store.member_by_email("giver@example.org").await.unwrap().expect("the donor has an account");
        assert_eq!(member.source, "donation");
        let d = app.store.member_donations(member.id).await.unwrap();
        assert!(d.is_empty(), "a gift not yet paid is not listed as given");

        let paid = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let r = paid.post(format!("{to}/pay")).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let back = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(back.starts_with(&app.url("/support/thanks?session_id=cs_test_")), "{back}");
        let (_, thanks) = app.get_text(&b, back.trim_start_matches(&app.address)).await;
        assert!(thanks.contains("Thank you for your gift"));
        eventually("the one-off gift is settled", async || {
            app.store.member_donations(member.id).await.unwrap().iter().any(|d| d.status == "paid")
        })
        .await;
        let d = &app.store.member_donations(member.id).await.unwrap()[0];
        assert_eq!((d.amount, d.fee, d.cadence.as_str()), (1000, 36, "once"));
        assert_eq!(d.message.as_deref(), Some("For the council reporting <3"));
        let payments = app.store.member_payments(member.id).await.unwrap();
        assert_eq!(payments.len(), 1);
        assert_eq!((payments[0].amount, payments[0].donation_id), (1036, Some(d.id)));

        // Stripe repeats the checkout's event (a new id, the same session): no second payment, receipt or webhook.
        let session = sqlx::query_scalar::<_, String>(
            "SELECT id FROM stripe_events WHERE type = 'checkout.session.completed' LIMIT 1",
        )
        .fetch_one(&app.store.pool)
        .await
        .unwrap();
        let repeat = json!({ "id": "evt_repeat_1", "type": "checkout.session.completed", "created": newsdesk_store::now(),
            "data": { "object": { "id": "cs_x", "object": "checkout.session", "mode": "payment",
                "customer": app.store.member(member.id).await.unwrap().unwrap().stripe_customer_id,
                "payment_intent": payments[0].stripe_invoice_id, "payment_status": "paid", "amount_total": 1036,
                "currency": "gbp", "metadata": { "donation": d.id.to_string() } } } });
        assert!(!session.is_empty());
        let r = send_event(&app, &repeat, SECRET, newsdesk_store::now()).await;
        assert_eq!(r.status(), 200);
        assert_eq!(app.store.member_payments(member.id).await.unwrap().len(), 1);

        // Monthly: £5 a month, signed in this time (the account from the first gift).
        app.run_jobs().await;
        let signed_in = app.browser();
        crate::members::sign_in_member(&app, &signed_in, "giver@example.org").await;
        let r = signed_in
            .post(app.url("/support/checkout"))
            .form(&[("amount", "5"), ("cadence", "month")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_owned();
        paid.post(format!("{to}/pay")).send().await.unwrap();
        eventually("the monthly gift is active and its first month paid", async || {
            let ds = app.store.member_donations(member.id).await.unwrap();
            let monthly = ds.iter().find(|d| d.cadence == "month");
            let ps = app.store.member_payments(member.id).await.unwrap();
            monthly.is_some_and(|m| {
                m.status == "active" && ps.iter().any(|p| p.donation_id == Some(m.id) && p.status == "paid")
            })
        })
        .await;
        // It gives nobody a paid tier.
        assert_eq!(
            newsdesk_services::members::access_of(&app.state.ctx, member.id).await.unwrap(),
            newsdesk_domain::Access::Member { paid_tiers: vec![] }
        );

        // Receipts (one per payment, none for the repeat) and webhooks (one per payment).
        app.run_jobs().await;
        let mails = outbox(&app);
        let receipts: Vec<_> = mails.iter().filter(|m| m.contains("Thank you for supporting")).collect();
        assert_eq!(receipts.len(), 2, "a receipt for the gift and for the first month");
        // Quoted-printable: £ is =C2=A3.
        assert!(receipts.iter().any(|m| m.contains("=C2=A310.36")), "{receipts:?}");
        assert!(receipts.iter().any(|m| m.contains("=C2=A35.00") && m.contains("every month")));
        assert!(!mails.iter().any(|m| m.contains("Your receipt from")), "no membership receipt for a donation");
        let announced: Vec<String> =
            sqlx::query_scalar("SELECT body FROM webhook_deliveries WHERE event = 'donation.received' ORDER BY id")
                .fetch_all(&app.store.pool)
                .await
                .unwrap();
        assert_eq!(announced.len(), 2, "{announced:?}");
        let first: serde_json::Value = serde_json::from_str(&announced[0]).unwrap();
        assert_eq!(first["data"]["member"]["email"], "giver@example.org");
        assert!(first["data"]["payment"]["amount"].as_i64().is_some());

        // The donor's account lists both; the revenue page counts them.
        let (_, account) = app.get_text(&signed_in, "/account/").await;
        assert!(account.contains("£10.36 on") && account.contains("£5.00 a month since"), "{account}");
        app.create_staff("boss@example.org", "admin", None).await;
        let admin = app.sign_in("boss@example.org").await;
        let (status, revenue) = app.get_text(&admin, "/admin/revenue").await;
        assert_eq!(status, 200);
        assert!(revenue.contains("id=\"donations-this-month\">£15.36<"), "{revenue}");
        assert!(revenue.contains("id=\"monthly-donations\">£5.00<"));
        assert!(revenue.contains("<svg class=\"chart\""));
        let (_, detail) = app.get_text(&admin, &format!("/admin/members/{}", member.id)).await;
        assert!(detail.contains("For the council reporting &lt;3"), "the message, escaped");

        // Stripe down: a clear "try again", nothing charged.
        drop(ls);
        let r = b
            .post(app.url("/support/checkout"))
            .form(&[("amount", "25"), ("email", "later@example.org")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 503);
        assert!(r.text().await.unwrap().contains("Nothing was charged"));
    }
}
