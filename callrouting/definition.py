"""The routing as plain values: validation (pure) and the definition the PBX runs.

``values`` is a dict of the draft's fields (see :data:`FIELDS`); :func:`validate` checks it
without the database and raises ``ValidationError`` with a stable code per field;
:func:`build_definition` turns it into the content of a published version (what the export
serves, without the version's number and date).
"""

from __future__ import annotations

import re
import string

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .choices import (
    DTMF_KEYS,
    LANGUAGES,
    REPEATS_MAX,
    REPEATS_MIN,
    TIMEOUT_MAX,
    TIMEOUT_MIN,
    Mode,
    Outcome,
)
from .defaults import PLACEHOLDERS, render_text

FIELDS = (
    "name",
    "covers_all",
    "numbers",
    "mode",
    "objection_key",
    "consent_key",
    "timeout_seconds",
    "repeats",
    "languages",
    "text_de",
    "text_en",
    "objection_route_to",
)
NUMBER_RE = re.compile(r"^\+?[0-9]{2,20}$")
TEXT_MAX = 1000
NAME_MAX = 100


def normalise_number(value: str) -> str:
    """``+49 (30) 123-45`` → ``+493012345``: spaces, dashes, dots, slashes and brackets go."""
    return re.sub(r"[\s\-./()]", "", str(value or ""))


def parse_numbers(text) -> list[str]:
    """Numbers from a list or from text separated by commas, semicolons or line breaks."""
    items = text if isinstance(text, list | tuple) else re.split(r"[,;\n]", str(text or ""))
    return [normalise_number(item) for item in items if normalise_number(item)]


def keys_in_use(values) -> dict[str, str]:
    """``{"objection": key, "consent": key}`` for the keys the mode uses (others left out)."""
    mode = values.get("mode")
    keys = {}
    if mode == Mode.OPT_OUT:
        keys["objection"] = values.get("objection_key") or ""
    elif mode == Mode.OPT_IN:
        keys["consent"] = values.get("consent_key") or ""
        if values.get("objection_key"):
            keys["objection"] = values["objection_key"]
    return keys


def _placeholders(text):
    try:
        return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}
    except ValueError:
        return {"?"}


def validate(values: dict) -> None:
    """Raise ``ValidationError({field: ValidationError(message, code)})`` for every bad field.

    Codes: ``name_required``, ``name_too_long``, ``invalid_mode``, ``numbers_required``,
    ``invalid_number``, ``duplicate_number``, ``key_required``, ``invalid_key``,
    ``duplicate_key``, ``timeout_out_of_range``, ``repeats_out_of_range``, ``invalid_language``,
    ``text_required``, ``text_too_long``, ``unknown_placeholder``, ``key_not_announced``.
    """
    errors: dict[str, ValidationError] = {}

    def fail(field, message, code):
        errors.setdefault(field, ValidationError(message, code=code))

    name = str(values.get("name") or "").strip()
    if not name:
        fail("name", _("Give the routing a name."), "name_required")
    elif len(name) > NAME_MAX:
        fail(
            "name",
            _("The name may have at most %(n)d characters.") % {"n": NAME_MAX},
            "name_too_long",
        )
    mode = values.get("mode")
    if mode not in Mode.values:
        fail("mode", _("Choose a mode: notice, opt_out or opt_in."), "invalid_mode")
    numbers = values.get("numbers") or []
    if not values.get("covers_all") and not numbers:
        fail(
            "numbers",
            _("List the numbers or extensions this routing covers, or choose all numbers."),
            "numbers_required",
        )
    # Checked with "all numbers" too: the list is kept with the draft and comes back when
    # "all numbers" is switched off, so junk must not be stored in the first place.
    for number in numbers:
        if not NUMBER_RE.match(number):
            fail(
                "numbers",
                _(
                    "“%(number)s” is not a phone number or extension (digits, "
                    "optionally a leading +)."
                )
                % {"number": number},
                "invalid_number",
            )
    if len(set(numbers)) != len(numbers):
        duplicate = next(n for n in numbers if numbers.count(n) > 1)
        fail(
            "numbers",
            _("“%(number)s” is listed twice.") % {"number": duplicate},
            "duplicate_number",
        )
    keys = keys_in_use(values)
    labels = {"objection": _("objection key"), "consent": _("consent key")}
    for role, key in keys.items():
        field = f"{role}_key"
        if not key:
            fail(field, _("This mode needs a %(label)s.") % {"label": labels[role]}, "key_required")
        elif key not in DTMF_KEYS:
            fail(field, _("A key is one of 0–9, * or #."), "invalid_key")
    if len(keys) == 2 and keys["objection"] and keys["objection"] == keys["consent"]:
        fail(
            "consent_key",
            _("Key %(key)s is used twice: the objection key and the consent key must differ.")
            % {"key": keys["consent"]},
            "duplicate_key",
        )
    timeout = _as_int(values.get("timeout_seconds"))
    if timeout is None or not TIMEOUT_MIN <= timeout <= TIMEOUT_MAX:
        fail(
            "timeout_seconds",
            _("The timeout must be between %(min)d and %(max)d seconds.")
            % {"min": TIMEOUT_MIN, "max": TIMEOUT_MAX},
            "timeout_out_of_range",
        )
    repeats = _as_int(values.get("repeats"))
    if repeats is None or not REPEATS_MIN <= repeats <= REPEATS_MAX:
        fail(
            "repeats",
            _("The announcement may be repeated %(min)d to %(max)d times.")
            % {"min": REPEATS_MIN, "max": REPEATS_MAX},
            "repeats_out_of_range",
        )
    languages = values.get("languages") or []
    if (
        not languages
        or any(lang not in LANGUAGES for lang in languages)
        or len(set(languages)) != len(languages)
    ):
        fail("languages", _("Choose German, English or both."), "invalid_language")
    for lang in [lang for lang in languages if lang in LANGUAGES]:
        field = f"text_{lang}"
        text = str(values.get(field) or "").strip()
        if not text:
            fail(field, _("Enter the announcement text for this language."), "text_required")
            continue
        if len(text) > TEXT_MAX:
            fail(
                field,
                _("The announcement may have at most %(n)d characters.") % {"n": TEXT_MAX},
                "text_too_long",
            )
        unknown = _placeholders(text) - set(PLACEHOLDERS)
        if unknown:
            fail(
                field,
                _("Unknown placeholder in the text; use {objection_key} or {consent_key}."),
                "unknown_placeholder",
            )
            continue
        for role, key in keys.items():
            if key and f"{{{role}_key}}" not in text and key not in text:
                fail(
                    field,
                    _("The text must tell the caller the %(label)s (write {%(role)s_key}).")
                    % {"label": labels[role], "role": role},
                    "key_not_announced",
                )
    route = normalise_number(values.get("objection_route_to"))
    if route and not NUMBER_RE.match(route):
        fail(
            "objection_route_to",
            _("“%(number)s” is not a phone number or extension.") % {"number": route},
            "invalid_number",
        )
    if errors:
        raise ValidationError(errors)


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def no_input_outcome(mode: str) -> str:
    """What silence means: consent to be notified (notice, opt_out) or objection (opt_in)."""
    return Outcome.OBJECTED if mode == Mode.OPT_IN else Outcome.NOTIFIED


def build_definition(values: dict, audio: dict[str, dict | None]) -> dict:
    """The content of a published version: plain JSON values, stable key order.

    ``audio`` maps each language to ``{"id", "sha256", "duration", "source"}`` or ``None``.
    """
    keys = keys_in_use(values)
    mode = values["mode"]
    route = normalise_number(values.get("objection_route_to")) if "objection" in keys else ""
    return {
        "name": values["name"].strip(),
        "mode": mode,
        "numbers": {
            "all": bool(values.get("covers_all")),
            "list": [] if values.get("covers_all") else list(values.get("numbers") or []),
        },
        "keys": {
            "objection": keys.get("objection") or None,
            "consent": keys.get("consent") or None,
        },
        "timeout_seconds": int(values["timeout_seconds"]),
        "repeats": int(values["repeats"]),
        "languages": [
            {
                "code": lang,
                "template": values[f"text_{lang}"].strip(),
                "text": render_text(
                    values[f"text_{lang}"].strip(),
                    language=lang,
                    objection_key=keys.get("objection", ""),
                    consent_key=keys.get("consent", ""),
                ),
                "audio": audio.get(lang),
            }
            for lang in values["languages"]
        ],
        "on_no_input": no_input_outcome(mode),
        "on_objection": {"recording": False, "listen_in": False, "route_to": route or None},
    }


def diff_definitions(old: dict, new: dict, prefix: str = "") -> list[dict]:
    """``[{"field", "old", "new"}]`` for every leaf that differs (dotted paths; lists of
    languages compared by language code)."""
    changes = []
    for key in sorted(set(old) | set(new)):
        path = f"{prefix}{key}"
        a, b = old.get(key), new.get(key)
        if key == "languages" and isinstance(a, list) and isinstance(b, list):
            a = {item["code"]: item for item in a}
            b = {item["code"]: item for item in b}
        if isinstance(a, dict) and isinstance(b, dict):
            changes.extend(diff_definitions(a, b, f"{path}."))
        elif a != b:
            changes.append({"field": path, "old": a, "new": b})
    return changes
