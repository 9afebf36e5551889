"""Checks that each file is well-formed XML; prints {file: error or null}."""
import json
import sys
import xml.etree.ElementTree as ET

result = {}
for path in sys.argv[1:]:
    try:
        ET.parse(path)
        result[path] = None
    except ET.ParseError as e:
        result[path] = str(e)
print(json.dumps(result))
