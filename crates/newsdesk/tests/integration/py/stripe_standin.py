"""A stand-in for Stripe, for tests (Stripe itself is unreachable here): PyPI's localstripe — a real, stateful fake
of Stripe's API (customers, products, plans, subscriptions, invoices, signed webhooks) — with what it lacks added:
Checkout sessions and the customer portal, each with a hosted page a browser can use.

    python3 stripe_standin.py PORT

POST /v1/checkout/sessions answers {id, url}; the url's page has a "Pay" button which, as Stripe's own page would,
attaches a test card, creates the subscription (localstripe then sends customer.subscription.created and the
invoice events), sends checkout.session.completed to the registered webhooks, and redirects to success_url.
A one-off payment (`mode=payment`, an inline `price_data`) completes with `payment_status: paid`, its
`amount_total` and a made-up `payment_intent`; a subscription may name an inline monthly `price_data` instead of a
price, which becomes a localstripe product and plan.
POST /v1/billing_portal/sessions answers {id, url}; its page can cancel the subscription at the period's end.
An Idempotency-Key makes a repeated session request answer the first session.
"""

import sys
import secrets

from aiohttp import web

import localstripe.server as ls
from localstripe.resources import Customer, Event, Plan, Product, Subscription, store
from localstripe.webhooks import schedule_webhook

SESSIONS = {}
BY_KEY = {}
BASE = ""


class Obj:
    def __init__(self, data):
        self.data = data

    def _export(self, expand=None):
        return self.data


async def create_session(request):
    data = await ls.get_post_data(request) or {}
    key = request.headers.get("Idempotency-Key")
    if key and key in BY_KEY:
        return ls.json_response(SESSIONS[BY_KEY[key]])
    customer = data.get("customer")
    Customer._api_retrieve(customer)  # 404 if unknown
    items = data.get("line_items") or []
    price = items[0].get("price") if items else None
    inline = items[0].get("price_data") if items else None
    amount = None
    if inline:
        amount = int(inline["unit_amount"])
        if data.get("mode") == "subscription":
            product = Product._api_create(name=inline.get("product_data", {}).get("name", "Donation"))
            plan = Plan._api_create(amount=amount, currency=inline["currency"],
                                    interval=inline["recurring"]["interval"], product=product.id)
            price = plan.id
    sid = "cs_test_" + secrets.token_hex(12)
    session = {
        "id": sid, "object": "checkout.session", "mode": data.get("mode"), "customer": customer,
        "client_reference_id": data.get("client_reference_id"), "metadata": data.get("metadata") or {},
        "subscription_data": data.get("subscription_data") or {}, "price": price,
        "success_url": data.get("success_url"), "cancel_url": data.get("cancel_url"),
        "url": f"{BASE}/_config/hosted/checkout/{sid}", "status": "open", "subscription": None,
        "amount_total": amount, "currency": (inline or {}).get("currency"), "payment_status": "unpaid",
        "payment_intent": None,
    }
    SESSIONS[sid] = session
    if key:
        BY_KEY[key] = sid
    return ls.json_response(session)


async def checkout_page(request):
    s = SESSIONS.get(request.match_info["id"])
    if not s:
        raise web.HTTPNotFound()
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Checkout (test stand-in)</title></head>
<body><main><h1>Pay (test stand-in for Stripe Checkout)</h1><form method="post" action="{s['url']}/pay">
<button type="submit">Pay</button></form><p><a href="{s['cancel_url']}">Back</a></p></main></body></html>"""
    return web.Response(text=html, content_type="text/html")


async def pay(request):
    s = SESSIONS.get(request.match_info["id"])
    if not s:
        raise web.HTTPNotFound()
    if s["status"] != "complete" and s["mode"] == "payment":
        s["status"] = "complete"
        s["payment_status"] = "paid"
        s["payment_intent"] = "pi_test_" + secrets.token_hex(12)
        exported = {k: v for k, v in s.items() if k not in ("subscription_data", "price")}
        schedule_webhook(Event("checkout.session.completed", Obj(exported)))
    elif s["status"] != "complete":
        Customer._api_add_source(s["customer"], source={
            "object": "card", "number": "4242424242424242", "exp_month": "12", "exp_year": "2040", "cvc": "123"})
        sub_data = s["subscription_data"]
        trial = sub_data.get("trial_period_days")
        sub = Subscription._api_create(
            customer=s["customer"], items=[{"plan": s["price"]}], metadata=sub_data.get("metadata") or {},
            trial_period_days=int(trial) if trial else None)
        s["status"] = "complete"
        s["payment_status"] = "paid"
        s["subscription"] = sub.id
        exported = {k: v for k, v in s.items() if k not in ("subscription_data", "price")}
        schedule_webhook(Event("checkout.session.completed", Obj(exported)))
    raise web.HTTPSeeOther(s["success_url"].replace("{CHECKOUT_SESSION_ID}", s["id"]))


async def create_portal(request):
    data = await ls.get_post_data(request) or {}
    customer = data.get("customer")
    Customer._api_retrieve(customer)
    pid = "bps_" + secrets.token_hex(8)
    return ls.json_response({"id": pid, "object": "billing_portal.session", "customer": customer,
                             "return_url": data.get("return_url"),
                             "url": f"{BASE}/_config/hosted/portal/{customer}?return={data.get('return_url')}"})


async def portal_page(request):
    return web.Response(text="<!doctype html><title>Billing (test stand-in)</title><h1>Billing</h1>",
                        content_type="text/html")


def main():
    global BASE
    port = int(sys.argv[1])
    BASE = f"http://127.0.0.1:{port}"
    app = ls.app
    app.router.add_post("/v1/checkout/sessions", create_session)
    app.router.add_post("/v1/billing_portal/sessions", create_portal)
    app.router.add_get("/_config/hosted/checkout/{id}", checkout_page)
    app.router.add_post("/_config/hosted/checkout/{id}/pay", pay)
    app.router.add_get("/_config/hosted/portal/{customer}", portal_page)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main()
