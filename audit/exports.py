"""Streaming exports of a tenant's audit trail (CSV for people, JSONL for machines).

The JSONL export starts with one header line (``"record": "export"``) that states which range
of which chain it holds: the chain, the first and last sequence exported, the chain head (seq
and hash) at export time, the first sequence still kept (after retention purges), whether
filters made it partial, the signing public key and every signed checkpoint of the chain. Then
one event per line in sequence order, with every canonical field plus ``hash``, so
``scripts/verify_audit_export.py`` can verify it offline, without this code base or database.

The CSV export is for reading: the time column is in the tenant's local time or UTC, as asked,
and its heading names the zone.
"""

import csv
import io
import json
from datetime import UTC
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from .actions import action_label
from .chain import event_fields, format_time

CSV_COLUMNS = ["seq", "occurred_at", "actor_type", "actor_id", "actor_label", "action",
               "action_label", "object_type", "object_id", "ip", "data", "prev_hash", "hash"]


def export_header(*, tenant, head, checkpoints, public_key, filters: dict, first_seq,
                  last_seq) -> dict:
    return {
        "record": "export",
        "format": 1,
        "chain": head.chain,
        "tenant": tenant.pk,
        "tenant_slug": tenant.slug,
        "exported_at": format_time(timezone.now()),
        "time_zone": "UTC",
        "chain_first_seq": head.first_seq,
        "head_seq": head.last_seq,
        "head_hash": head.last_hash,
        "first_seq": first_seq,
        "last_seq": last_seq,
        "filtered": bool(filters),
        "filters": filters,
        "public_key": public_key,
        "checkpoints": checkpoints,
    }


def jsonl_lines(events, header: dict | None = None):
    if header is not None:
        yield json.dumps(header, sort_keys=True, ensure_ascii=False) + "\n"
    for event in events:
        fields = event_fields(event)
        fields["hash"] = event.hash
        yield json.dumps(fields, sort_keys=True, ensure_ascii=False) + "\n"


def zone_for(choice: str, tenant=None):
    """``(tzinfo, name)`` for ``local`` (the tenant's time zone) or ``utc``."""
    if choice == "utc":
        return UTC, "UTC"
    name = getattr(tenant, "timezone", "") or settings.TIME_ZONE
    return ZoneInfo(name), name


def csv_lines(events, zone=UTC, zone_name="UTC"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = list(CSV_COLUMNS)
    header[1] = f"occurred_at ({zone_name})"
    writer.writerow(header)
    yield buffer.getvalue()
    for event in events:
        buffer.seek(0)
        buffer.truncate()
        fields = event_fields(event)
        fields["hash"] = event.hash
        fields["occurred_at"] = event.occurred_at.astimezone(zone).isoformat(timespec="seconds")
        fields["action_label"] = action_label(event.action)
        fields["data"] = json.dumps(event.data, sort_keys=True, ensure_ascii=False)
        writer.writerow([fields[column] for column in CSV_COLUMNS])
        yield buffer.getvalue()
