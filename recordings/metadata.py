"""The metadata that comes with every recording (push form fields, inbox and spool sidecars).

One validator for every source, so a field answers with the same stable code wherever it
arrives: ``required``, ``invalid_call_id``, ``invalid_extension``, ``invalid_choice``,
``invalid_number``, ``invalid_datetime``, ``naive_datetime``, ``invalid``.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from .choices import CONSENT_OUTCOMES, Consent, Direction, Kind
from .phone import NUMBER_RE

CALL_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@+={}~-]{0,127}$")
EXTENSION_RE = re.compile(r"^[0-9]{2,15}$")
FIELDS = ("call_id", "extension", "direction", "remote_number", "local_number", "started_at",
          "ended_at", "kind", "consent")
REQUIRED = ("call_id", "extension", "direction", "started_at", "kind")


def parse_aware_datetime(value, field: str) -> datetime:
    """An ISO 8601 timestamp with a UTC offset; naive ones are refused (``naive_datetime``)."""
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = parse_datetime(str(value).strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise ValidationError(_("Not an ISO 8601 date and time."), code="invalid_datetime")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValidationError(
            _("The time needs a UTC offset (e.g. 2026-11-25T14:03:00+01:00)."),
            code="naive_datetime",
        )
    return parsed


def _text(data, name) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return str(value).strip()


def validate_metadata(data, *, required=REQUIRED) -> dict:
    """The cleaned metadata (JSON-safe: times as ISO strings) from a form or sidecar mapping.

    Raises ``ValidationError`` with one error per bad field, in the order of ``FIELDS``.
    """
    if not hasattr(data, "get"):
        raise ValidationError({"metadata": ValidationError(
            _("The metadata must be a JSON object."), code="invalid")})
    errors: dict[str, ValidationError] = {}
    cleaned: dict = {}

    def fail(field, message, code):
        errors.setdefault(field, ValidationError(message, code=code))

    for name in FIELDS:
        value = _text(data, name)
        if not value:
            if name in required:
                fail(name, _("This field is required."), "required")
            continue
        if name == "call_id" and not CALL_ID_RE.match(value):
            fail(name, _("1 to 128 letters, digits and . _ : @ + = { } ~ -, starting with a "
                         "letter or digit."), "invalid_call_id")
        elif name == "extension" and not EXTENSION_RE.match(value):
            fail(name, _("An extension consists of 2 to 15 digits."), "invalid_extension")
        elif name == "direction" and value not in Direction.values:
            fail(name, _("One of: %s.") % ", ".join(Direction.values), "invalid_choice")
        elif name == "kind" and value not in Kind.values:
            fail(name, _("One of: %s.") % ", ".join(Kind.values), "invalid_choice")
        elif name == "consent" and value not in (*CONSENT_OUTCOMES, Consent.UNKNOWN):
            fail(name, _("One of: %s.") % ", ".join(Consent.values), "invalid_choice")
        elif name in ("remote_number", "local_number") and not NUMBER_RE.match(value):
            fail(name, _("Not a telephone number."), "invalid_number")
        elif name in ("started_at", "ended_at"):
            try:
                cleaned[name] = parse_aware_datetime(value, name).isoformat()
            except ValidationError as exc:
                errors[name] = exc
            continue
        cleaned[name] = value
    if errors:
        raise ValidationError(errors)
    cleaned.setdefault("remote_number", "")
    return cleaned


def started_at_of(metadata: dict) -> datetime:
    return datetime.fromisoformat(metadata["started_at"])


def ended_at_of(metadata: dict) -> datetime | None:
    value = metadata.get("ended_at")
    return datetime.fromisoformat(value) if value else None
