"""A webhook endpoint that checks every delivery with the Standard Webhooks reference library (PyPI's
`standardwebhooks`), as a receiver would. Answers 500 to its first FAIL_FIRST requests (to make Newsdesk retry),
400 to a delivery whose signature does not verify, 204 otherwise; appends a JSON line per request to LOG.

    webhook_receiver.py PORT SECRET_FILE LOG FAIL_FIRST
"""
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from standardwebhooks.webhooks import Webhook

port, secret_file, log, fail_first = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
seen = {"n": 0}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
        headers = {k.lower(): v for k, v in self.headers.items()}
        seen["n"] += 1
        entry = {"n": seen["n"], "id": headers.get("webhook-id"), "body": body}
        if seen["n"] <= fail_first:
            entry["answer"] = 500
        else:
            try:
                secret = open(secret_file).read().strip()
                payload = Webhook(secret).verify(body, headers)
                entry["answer"], entry["verified"] = 204, payload
            except Exception as e:  # the library raises WebhookVerificationError
                entry["answer"], entry["error"] = 400, str(e)
        with open(log, "a") as f:
            f.write(json.dumps(entry) + "\n")
        self.send_response(entry["answer"])
        self.end_headers()

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", port), Handler).serve_forever()
