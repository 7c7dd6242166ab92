"""Telephone numbers: E.164 where the number allows it, the raw value kept beside it."""

import re

import phonenumbers

from .conf import setting

# A number as a PBX reports it: digits with an optional leading +, the usual separators and
# the keypad's * and #; or a word for a caller without a number.
NUMBER_RE = re.compile(
    r"^(?:\+?[0-9*#(][0-9*#()./ -]{0,62}"
    r"|anonymous|unknown|private|restricted|unavailable)$", re.IGNORECASE)


def default_region() -> str:
    return setting("PHONE_DEFAULT_REGION")


def to_e164(raw: str, region: str | None = None) -> str:
    """``+49301234567`` for ``030 1234567`` (region DE); empty when not a valid public
    number."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region or default_region())
    except phonenumbers.NumberParseException:
        return ""
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return ""


def normalise_number(raw: str, region: str | None = None) -> str:
    """E.164 when possible; internal extensions, anonymous callers and anything else come back
    as given (trimmed)."""
    return to_e164(raw, region) or (raw or "").strip()


def digits_of(raw: str) -> str:
    return re.sub(r"\D", "", raw or "")
