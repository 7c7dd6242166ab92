"""The metadata that comes with every recording (push form fields, inbox and spool sidecars).

One validator for every source, so a field answers with the same stable code wherever it
arrives: ``required``, ``invalid_call_id``, ``invalid_extension``, ``invalid_choice``,
``invalid_number``, ``invalid_datetime``, ``naive_datetime``, ``datetime_out_of_range``,
``datetime_in_future``, ``invalid``.

Call ids: the PBX owns the call ids it reports. A recording uploaded in the customer menu
gets an id of its own space, ``portal:<id>`` (:data:`PORTAL_PREFIX`), so an upload never
claims (and never learns about) a call the PBX reports; the PBX may not use that prefix.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from .choices import CONSENT_OUTCOMES, Consent, Direction, Kind
from .phone import NUMBER_RE

CALL_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@+={}~-]{0,127}$")
EXTENSION_RE = re.compile(r"^[0-9]{2,15}$")
FIELDS = ("call_id", "extension", "direction", "remote_number", "local_number", "started_at",
          "ended_at", "kind", "consent")
REQUIRED = ("call_id", "extension", "direction", "started_at", "kind")
PORTAL_PREFIX = "portal:"
# Dates outside this range are refused: no call was recorded before, and a clock ahead by
# more than this is broken.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(days=1)


def portal_call_id(call_id: str) -> str:
    """The portal's own id for a call named ``call_id`` by an upload."""
    return call_id if call_id.startswith(PORTAL_PREFIX) else PORTAL_PREFIX + call_id


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
    try:
        in_utc = parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        in_utc = None
    if in_utc is None or in_utc < EARLIEST:
        raise ValidationError(_("The date is out of range."), code="datetime_out_of_range")
    if in_utc > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError(_("The date lies in the future."), code="datetime_in_future")
    return parsed


def _text(data, name) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return str(value).strip()


def validate_metadata(data, *, required=REQUIRED, portal: bool = False) -> dict:
    """The cleaned metadata (JSON-safe: times as ISO strings) from a form or sidecar mapping.
    ``portal``: an upload in the customer menu, whose call id must be ``portal:…`` (and no
    other source's may be).

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
        if name == "call_id" and (not CALL_ID_RE.match(value)
                                  or value.startswith(PORTAL_PREFIX) != portal):
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


def error_codes(exc: ValidationError) -> str:
    """``field: code; field: code`` of a validation error (stored as a rejection's detail and
    rendered per field and code in the reader's language)."""
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {error.code}" for field, errors in exc.error_dict.items()
                         for error in errors)
    return "; ".join(str(error.code or "invalid") for error in exc.error_list)
