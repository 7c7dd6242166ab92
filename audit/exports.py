"""Streaming exports of a tenant's audit trail (CSV for people, JSONL for machines).

The JSONL export carries every canonical field plus ``hash``, one event per line in sequence
order, so ``scripts/verify_audit_export.py`` can verify it offline, without this code base or
its database. An unfiltered export verifies from the genesis hash; a filtered one verifies each
run of consecutive events.
"""

import csv
import io
import json

from .chain import event_fields

CSV_COLUMNS = ["seq", "occurred_at", "actor_type", "actor_id", "actor_label", "action",
               "object_type", "object_id", "ip", "data", "prev_hash", "hash"]


def jsonl_lines(events):
    for event in events:
        fields = event_fields(event)
        fields["hash"] = event.hash
        yield json.dumps(fields, sort_keys=True, ensure_ascii=False) + "\n"


def csv_lines(events):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    for event in events:
        buffer.seek(0)
        buffer.truncate()
        fields = event_fields(event)
        fields["hash"] = event.hash
        fields["data"] = json.dumps(event.data, sort_keys=True, ensure_ascii=False)
        writer.writerow([fields[column] for column in CSV_COLUMNS])
        yield buffer.getvalue()
