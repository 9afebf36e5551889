"""A real SMTP server (aiosmtpd) on loopback for the newsletter tests.

Usage: smtp_sink.py PORT OUT.jsonl [--raw] [--auth LOGIN:PASSWORD]

Every accepted message is appended to OUT.jsonl as one JSON line (recipients, Message-ID, and with --raw the whole
message), flushed at once so a test can count deliveries while a send is running. Recipients are answered by rule:
a local part starting with "nouser" gets 550 (no such mailbox); one starting with "tempfail" gets 451 the first
time it is offered, then is accepted. With --auth, AUTH (PLAIN or LOGIN, allowed without TLS on loopback) with
that login and password is required before mail is accepted.
"""
import json
import sys
import time
from email.parser import BytesHeaderParser

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

port, out_path = int(sys.argv[1]), sys.argv[2]
keep_raw = "--raw" in sys.argv
out = open(out_path, "a", buffering=1)
deferred = set()


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        if local.startswith("nouser"):
            return "550 5.1.1 No such user here"
        if local.startswith("tempfail") and address not in deferred:
            deferred.add(address)
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        headers = BytesHeaderParser().parsebytes(envelope.content)
        line = {"to": envelope.rcpt_tos, "message_id": headers.get("Message-ID", "")}
        if keep_raw:
            line["raw"] = envelope.content.decode("utf-8", "replace")
        out.write(json.dumps(line) + "\n")
        out.flush()
        return "250 2.0.0 Message accepted for delivery"


auth = {}
if "--auth" in sys.argv:
    login, password = sys.argv[sys.argv.index("--auth") + 1].split(":", 1)

    def authenticator(server, session, envelope, mechanism, data):
        ok = data.login.decode() == login and data.password.decode() == password
        return AuthResult(success=ok, handled=False)

    auth = {"authenticator": authenticator, "auth_required": True, "auth_require_tls": False}

controller = Controller(Handler(), hostname="127.0.0.1", port=port, data_size_limit=10_000_000, **auth)
controller.start()
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
