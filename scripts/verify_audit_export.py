#!/usr/bin/env python3
"""Verify an audit trail exported as JSONL, offline: no database, no Django, stdlib only.

    python scripts/verify_audit_export.py audit-muster.jsonl

Each line is one event with the canonical fields and its ``hash``. The canonical encoding is
JSON with sorted keys and no whitespace over the fields below (``prev_hash`` included);
``hash = sha256(canonical)``. A complete export (seq 1..n) is verified from the genesis hash
(64 zeros); a filtered export is verified run by run (each event that follows its predecessor
by seq must link to it). Exit 0 and ``OK <n> events`` when intact, 1 naming the first bad line.
"""

import hashlib
import json
import sys

FIELDS = ("chain", "seq", "tenant", "occurred_at", "actor_type", "actor_id", "actor_label",
          "action", "object_type", "object_id", "data", "ip", "prev_hash")
GENESIS = "0" * 64


def event_hash(event):
    body = {name: event[name] for name in FIELDS}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def verify(lines):
    previous = None
    count = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        event = json.loads(line)
        if event_hash(event) != event["hash"]:
            return count, f"line {number} (seq {event['seq']}): hash does not match its content"
        if event["seq"] == 1 and event["prev_hash"] != GENESIS:
            return count, f"line {number}: the first event does not start from the genesis hash"
        if previous is not None:
            if event["seq"] <= previous["seq"]:
                return count, f"line {number}: seq {event['seq']} out of order"
            if event["seq"] == previous["seq"] + 1 and event["prev_hash"] != previous["hash"]:
                return count, f"line {number} (seq {event['seq']}): does not link to seq " \
                              f"{previous['seq']}"
        previous = event
        count += 1
    return count, None


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as handle:
        count, failure = verify(handle)
    if failure:
        print(f"BROKEN {failure}")
        return 1
    print(f"OK {count} events")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
