"""Extracts structured data with extruct and prints the JSON-LD items. Usage: jsonld.py FILE URL"""
import json
import sys

import extruct

html = open(sys.argv[1], encoding="utf-8").read()
data = extruct.extract(html, base_url=sys.argv[2], syntaxes=["json-ld", "opengraph"], uniform=True)
print(json.dumps({"jsonld": data["json-ld"], "opengraph": data["opengraph"]}))
