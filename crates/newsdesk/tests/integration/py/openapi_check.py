"""Checks the API's OpenAPI document, and real exchanges against it.

Usage: openapi_check.py SPEC.json EXCHANGES.json

1. The document is validated as OpenAPI 3.1 by openapi-spec-validator (which checks it against the OpenAPI 3.1
   schema, resolves every $ref and checks the schemas inside).
2. Each exchange ({"method", "path", "request", "status", "body"}: a request that was made and what it answered) must
   be an operation of the document; its JSON request body must match the operation's requestBody schema, its status
   must be one the operation documents (or its 4XX/5XX range), and its JSON answer must match that response's schema
   (JSON Schema 2020-12, as OpenAPI 3.1 uses).

Prints {"version", "operations", "checked", "errors": [...], "untried": [...]} as JSON; `untried` lists the
operations ("GET /path") no exchange used.
"""
import json
import re
import sys

import jsonschema
from openapi_spec_validator import validate

spec = json.load(open(sys.argv[1], encoding="utf-8"))
exchanges = json.load(open(sys.argv[2], encoding="utf-8"))
validate(spec)

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
operations = sum(1 for item in spec["paths"].values() for m in METHODS if m in item)
errors = []


def template_for(path):
    """The document's path template for a concrete path; literal segments win over parameters."""
    best, best_score = None, -1
    for template in spec["paths"]:
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            score = sum(1 for seg in template.split("/") if seg and not seg.startswith("{"))
            if score > best_score:
                best, best_score = template, score
    return best


def check(schema, value, what):
    # OpenAPI 3.1 schemas are JSON Schema 2020-12; `#/components/...` refs resolve against the document.
    root = dict(schema)
    root["components"] = spec.get("components", {})
    validator = jsonschema.Draft202012Validator(root)
    for e in validator.iter_errors(value):
        where = "/".join(str(p) for p in e.absolute_path)
        errors.append(f"{what}: at /{where}: {e.message}")


def resolve(obj):
    while isinstance(obj, dict) and "$ref" in obj:
        parts = obj["$ref"].lstrip("#/").split("/")
        obj = spec
        for p in parts:
            obj = obj[p]
    return obj


checked = 0
tried = set()
for x in exchanges:
    name = f'{x["method"]} {x["path"]} ({x["status"]})'
    template = template_for(x["path"])
    if template is None:
        errors.append(f"{name}: no path of the document matches")
        continue
    op = spec["paths"][template].get(x["method"].lower())
    if op is None:
        errors.append(f"{name}: {template} documents no {x['method']}")
        continue
    if x.get("request") is not None:
        body = op.get("requestBody")
        content = resolve(body).get("content", {}).get("application/json") if body else None
        if content is None:
            errors.append(f"{name}: sends JSON, but the operation documents no JSON body")
        else:
            check(content.get("schema", {}), x["request"], f"{name} request")
    tried.add(f'{x["method"].upper()} {template}')
    status = str(x["status"])
    responses = op.get("responses", {})
    response = responses.get(status) or responses.get(status[0] + "XX") or responses.get("default")
    if response is None:
        errors.append(f"{name}: status {status} is not documented for {x['method']} {template}")
        continue
    response = resolve(response)
    if x.get("body") is not None:
        content = response.get("content", {}).get("application/json")
        if content is None:
            errors.append(f"{name}: answers JSON, but the response documents none")
        else:
            check(content.get("schema", {}), x["body"], f"{name} answer")
    checked += 1

untried = [f"{m.upper()} {p}" for p, item in spec["paths"].items() for m in METHODS if m in item
           and f"{m.upper()} {p}" not in tried]
print(json.dumps({"version": spec.get("openapi"), "operations": operations, "checked": checked, "errors": errors,
                  "untried": untried}))
