"""Parses a /metrics answer with the Prometheus client's own text-format parser (PyPI prometheus_client) and prints
its families as JSON: {name: {"type": …, "samples": [{"name", "labels", "value"}]}}. A malformed exposition fails."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

text = open(sys.argv[1], encoding="utf-8").read()
out = {}
for family in text_string_to_metric_families(text):
    out[family.name] = {
        "type": family.type,
        "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in family.samples],
    }
print(json.dumps(out))
