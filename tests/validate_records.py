#!/usr/bin/env python3
"""Validates every run record the test suite wrote against the record schema.

Usage: validate_records.py SCHEMA DIR

DIR holds the records collected during the ctest run (tests/test_support.hpp,
collect_record): each file is the text of an events.jsonl, after a first
"# origin" line. Every line must validate against SCHEMA (docs/schemas/
record.schema.json, JSON Schema draft 7). The check cannot pass vacuously:
it fails when there are no records, and when an event type the schema knows
never appears in any of them (a type the suite never writes is a type whose
fields nobody checks).
"""
import json
import os
import sys

import jsonschema


def main():
    schema_path, records_dir = sys.argv[1], sys.argv[2]
    with open(schema_path, encoding="utf-8") as fh:
        schema = json.load(fh)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    known = set(schema.get("properties", {}).get("type", {}).get("enum", []))
    if not known:
        print("record schema: properties.type.enum lists no event types")
        return 1

    files = sorted(os.listdir(records_dir)) if os.path.isdir(records_dir) else []
    seen, problems, lines = set(), [], 0
    for name in files:
        path = os.path.join(records_dir, name)
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read().splitlines()
        origin = text[0][2:] if text and text[0].startswith("# ") else name
        for number, line in enumerate(text[1:], start=1):
            if not line.strip():
                continue
            lines += 1
            try:
                event = json.loads(line)
            except ValueError as e:
                problems.append(f"{origin}: line {number}: not JSON: {e}")
                continue
            seen.add(event.get("type"))
            for error in validator.iter_errors(event):
                where = "/".join(str(p) for p in error.absolute_path) or "(the event)"
                problems.append(f"{origin}: line {number} ({event.get('type')}): {where}: "
                                f"{error.message}")
    if not files:
        problems.append(f"no records were collected in {records_dir}")
    for missing in sorted(known - seen):
        problems.append(f"no record of the suite has a '{missing}' event")
    for p in problems[:50]:
        print(p)
    if len(problems) > 50:
        print(f"... and {len(problems) - 50} more")
    print(f"{len(files)} records, {lines} events, {len(seen)} event types: "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
