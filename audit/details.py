"""An audit event's data in words: a label for every field the parts record, values through
the parts' own labels (choices, reason tables), nested values as labelled lists.

The chain stores codes and field names (they are hashed and must not change); this module is
where they become text in the reader's language. Choices and reason tables are named by dotted
path and imported when first needed, so the audit part imports no other part at load time.
``tests/audit/test_details.py`` proves that every data key recorded in code has a label here.
"""

from __future__ import annotations

import json
import re
from functools import cache

from django.utils import formats
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SYSTEM_ACTOR = "system"

FIELD_LABELS = {
    # accounts, tenants, PBX users
    "account_created": gettext_lazy("New login created"),
    "at": gettext_lazy("Time"),
    "attention_tone": gettext_lazy("Attention tone"),
    "audit_retention_days": gettext_lazy("Keep audit events (days)"),
    "client_type": gettext_lazy("Client type"),
    "device": gettext_lazy("Device"),
    "devices_removed": gettext_lazy("Devices removed"),
    "display_name": gettext_lazy("Name"),
    "expires_at": gettext_lazy("Expires"),
    "is_active": gettext_lazy("Active"),
    "locale": gettext_lazy("Language"),
    "name": gettext_lazy("Name"),
    "pbx_user": gettext_lazy("PBX user"),
    "prefix": gettext_lazy("Token prefix"),
    "record_all_calls": gettext_lazy("Record all calls"),
    "recovery_codes": gettext_lazy("Recovery codes"),
    "recovery_codes_left": gettext_lazy("Recovery codes left"),
    "regulated": gettext_lazy("Regulated firm"),
    "repr": gettext_lazy("Object"),
    "require_2fa_for_all": gettext_lazy("Two-factor login for everyone"),
    "role": gettext_lazy("Role"),
    "slug": gettext_lazy("Short name"),
    "status": gettext_lazy("Status"),
    "timezone": gettext_lazy("Time zone"),
    "token_prefix": gettext_lazy("Token prefix"),
    "username": gettext_lazy("Account"),
    "via": gettext_lazy("Changed in"),
    # licences
    "assigned_at": gettext_lazy("Assigned at"),
    "failed": gettext_lazy("Failed rows"),
    "filename": gettext_lazy("File"),
    "license": gettext_lazy("Licence"),
    "outcomes": gettext_lazy("Outcomes"),
    "quantity": gettext_lazy("Quantity"),
    "rows": gettext_lazy("Rows"),
    "used": gettext_lazy("In use"),
    "valid_from": gettext_lazy("Valid from"),
    "valid_until": gettext_lazy("Valid until"),
    # supervision
    "agent": gettext_lazy("Agent"),
    "agent_tone": gettext_lazy("Tone for the agent"),
    "allowed": gettext_lazy("Allowed"),
    "dialed": gettext_lazy("Dialled code"),
    "mode": gettext_lazy("Mode"),
    "purpose": gettext_lazy("Purpose"),
    "session_id": gettext_lazy("Session"),
    "supervisor": gettext_lazy("Supervisor"),
    # recordings
    "attempts": gettext_lazy("Attempts"),
    "audio_reached_storage": gettext_lazy("Audio reached the storage"),
    "call_id": gettext_lazy("Call"),
    "calls": gettext_lazy("Calls"),
    "calls_erased": gettext_lazy("Calls erased"),
    "calls_kept": gettext_lazy("Calls kept"),
    "case_reference": gettext_lazy("Case reference"),
    "case_references": gettext_lazy("Case references"),
    "consent": gettext_lazy("Consent"),
    "consent_records": gettext_lazy("Consent records"),
    "detail": gettext_lazy("Detail"),
    "estimated_bytes": gettext_lazy("Estimated size (bytes)"),
    "export_id": gettext_lazy("Export"),
    "extension": gettext_lazy("Extension"),
    "file": gettext_lazy("File"),
    "filters": gettext_lazy("Filters"),
    "found": gettext_lazy("Found"),
    "included": gettext_lazy("Included"),
    "ingest_id": gettext_lazy("Ingest"),
    "kind": gettext_lazy("Kind"),
    "matched": gettext_lazy("Matched"),
    "not_included": gettext_lazy("Not included"),
    "note": gettext_lazy("Note"),
    "number": gettext_lazy("Phone number"),
    "objected_at": gettext_lazy("Objected at"),
    "objected_by": gettext_lazy("Objected by"),
    "objection_source": gettext_lazy("Objection reported by"),
    "on_hold": gettext_lazy("On legal hold"),
    "policy_violation": gettext_lazy("Licence missing"),
    "previous_reason": gettext_lazy("Previous reason"),
    "previous_status": gettext_lazy("Previous status"),
    "reason": gettext_lazy("Reason"),
    "recording_id": gettext_lazy("Recording"),
    "recording_ids": gettext_lazy("Recordings"),
    "recordings": gettext_lazy("Recordings"),
    "recordings_erased": gettext_lazy("Recordings erased"),
    "recordings_on_hold": gettext_lazy("Recordings on legal hold"),
    "rejected_at": gettext_lazy("Rejected at"),
    "rendition": gettext_lazy("Rendition"),
    "request_id": gettext_lazy("Request"),
    "retention_days": gettext_lazy("Retention (days)"),
    "section": gettext_lazy("Section"),
    "set_by": gettext_lazy("Set by"),
    "sha256": gettext_lazy("Checksum (SHA-256)"),
    "size": gettext_lazy("Size (bytes)"),
    "source": gettext_lazy("Source"),
    "storage_key": gettext_lazy("Storage key"),
    "subject_request": gettext_lazy("Data-subject request"),
    "truncated": gettext_lazy("Cut off"),
    "when": gettext_lazy("When"),
    "with_audio": gettext_lazy("With audio"),
    # call routing
    "audio_id": gettext_lazy("Audio"),
    "consent_key": gettext_lazy("Consent key"),
    "covers_all": gettext_lazy("All numbers of the tenant"),
    "duration": gettext_lazy("Duration (seconds)"),
    "from": gettext_lazy("From version"),
    "language": gettext_lazy("Language"),
    "languages": gettext_lazy("Languages"),
    "numbers": gettext_lazy("Numbers and extensions"),
    "objection_key": gettext_lazy("Objection key"),
    "objection_route_to": gettext_lazy("After an objection, route to"),
    "outcome": gettext_lazy("Outcome"),
    "repeats": gettext_lazy("Repeats"),
    "routing_version": gettext_lazy("Routing version"),
    "text_de": gettext_lazy("Announcement (German)"),
    "text_en": gettext_lazy("Announcement (English)"),
    "timeout_seconds": gettext_lazy("Timeout (seconds)"),
    "to": gettext_lazy("To version"),
    "values": gettext_lazy("Settings"),
    "version": gettext_lazy("Version"),
    "version_id": gettext_lazy("Version"),
    # the shapes of a change (shown as such only when a part records them otherwise)
    "after": gettext_lazy("After"),
    "before": gettext_lazy("Before"),
    "changes": gettext_lazy("Changed fields"),
    # the audit part itself
    "changed": gettext_lazy("Changed fields"),
    "checkpoint": gettext_lazy("Checkpoint"),
    "count": gettext_lazy("Events"),
    "deleted": gettext_lazy("Deleted"),
    "format": gettext_lazy("Format"),
    "hash": gettext_lazy("Hash"),
    "key": gettext_lazy("Key"),
    "object_lock": gettext_lazy("Object Lock"),
    "ok": gettext_lazy("Intact"),
    "seq": gettext_lazy("Event number"),
    "time_zone": gettext_lazy("Time zone"),
    "up_to_seq": gettext_lazy("Up to event"),
}

# Fields whose values are codes of a part's choices, tried in order (the first that knows the
# value names it). Integer choices (supervision's key modes) match integers only.
VALUE_CHOICES = {
    "client_type": ["tenancy.choices.ClientType"],
    "consent": ["recordings.choices.Consent"],
    "outcome": ["callrouting.choices.Outcome", "recordings.choices.Consent"],
    "kind": ["recordings.choices.Kind"],
    "language": ["callrouting.choices.Language"],
    "languages": ["callrouting.choices.Language"],
    "license": ["licensing.choices.License"],
    "locale": ["callrouting.choices.Language"],
    "mode": ["supervision.choices.Mode", "callrouting.choices.Mode"],
    "objection_source": ["recordings.choices.ConsentSource"],
    "previous_status": ["recordings.choices.IngestStatus"],
    "role": ["tenancy.choices.Role"],
    "source": ["recordings.choices.IngestSource", "recordings.choices.ConsentSource"],
    "status": ["recordings.choices.IngestStatus", "tenancy.choices.TenantStatus"],
}

# Reason codes by the action's beginning (the most specific first); person-typed reasons
# ("Demo") are none of these and show as typed.
REASON_TABLES = [
    ("supervision.session_ended", ["supervision.choices.EndReason"]),
    ("supervision.supervisor_left", ["supervision.choices.LeaveReason"]),
    ("supervision.", ["supervision.choices.Reason", "supervision.choices.EndReason"]),
    ("recording", ["recordings.choices.IngestReason", "recordings.choices.DiscardReason"]),
    ("license", ["licensing.policy.REASONS"]),
    (
        "",
        [
            "recordings.choices.IngestReason",
            "recordings.choices.DiscardReason",
            "supervision.choices.EndReason",
            "licensing.policy.REASONS",
        ],
    ),
]

# Words stored as values by the parts (not enums of their own).
VALUE_WORDS = {
    "when": {
        "at_ingest": gettext_lazy("when it arrived"),
        "after_storage": gettext_lazy("after it was stored"),
    },
    "via": {"admin": gettext_lazy("the provider's administration")},
}


@cache
def _labels_of(path: str) -> dict:
    table = import_string(path)
    if isinstance(table, dict):
        return {str(key): value for key, value in table.items()}
    return dict(table.choices)


def _choice_label(paths, value):
    for path in paths:
        labels = _labels_of(path)
        if value in labels:
            return str(labels[value])
    return None


def field_label(name: str) -> str:
    label = FIELD_LABELS.get(name)
    return str(label) if label else name.replace("_", " ").capitalize()


def actor_text(label: str) -> str:
    """The actor as people read it: the system as "System", everyone else as recorded."""
    return _("System") if label == SYSTEM_ACTOR else label


def _reason_text(value: str, action: str) -> str:
    for prefix, paths in REASON_TABLES:
        if action.startswith(prefix):
            found = _choice_label(paths, value)
            if found:
                return found
    return value


_NOTE_RE = re.compile(r"^reported with ingest (?P<ingest>[\w-]+)$")
_PAIR_RE = re.compile(r"^\s*(\w+)\s*[=:]\s*(.*?)\s*$")


def _note_text(value: str) -> str:
    found = _NOTE_RE.match(value)
    if found:
        return _("reported with ingest %(ingest)s") % {"ingest": found["ingest"]}
    return value


def _detail_text(value: str) -> str:
    """``name=value; name=value`` (the ingest's reason parameters) as labelled pairs."""
    parts = [_PAIR_RE.match(part) for part in value.split(";") if part.strip()]
    if not parts or not all(parts):
        return value
    return "; ".join(f"{field_label(m[1])}: {show_value(m[2], m[1])}" for m in parts)


def show_value(value, name: str = "", action: str = "") -> str:
    """``value`` of field ``name`` (of an event of ``action``) in the reader's language."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name in VALUE_CHOICES and not isinstance(value, list | dict):
        found = _choice_label(VALUE_CHOICES[name], value)
        if found:
            return found
    if name in VALUE_WORDS and value in VALUE_WORDS[name]:
        return str(VALUE_WORDS[name][value])
    if isinstance(value, int | float):
        return formats.number_format(value)
    if isinstance(value, str):
        if name in ("reason", "previous_reason"):
            return _reason_text(value, action)
        if name == "policy_violation" and value.endswith("_not_held"):
            return (
                _choice_label(["licensing.choices.License"], value.removesuffix("_not_held"))
                or value
            )
        if name in ("set_by", "objected_by") or value == SYSTEM_ACTOR:
            return actor_text(value)
        if name == "note":
            return _note_text(value)
        if name == "detail":
            return _detail_text(value)
        moment = parse_datetime(value) if len(value) >= 19 and value[4:5] == "-" else None
        return formats.date_format(moment, "SHORT_DATETIME_FORMAT") if moment else value
    if isinstance(value, list):
        return ", ".join(show_value(item, name, action) for item in value) or "—"
    if isinstance(value, dict):
        return "; ".join(
            f"{field_label(key)}: {show_value(item, key, action)}" for key, item in value.items()
        )
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
