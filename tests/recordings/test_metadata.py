"""Metadata validation and telephone numbers (pure functions)."""

import pytest
from django.core.exceptions import ValidationError

from recordings.metadata import validate_metadata
from recordings.phone import normalise_number, to_e164

VALID = {"call_id": "a1", "extension": "201", "direction": "inbound",
         "started_at": "2026-11-25T14:03:00+01:00", "kind": "auto"}


def test_valid_metadata_is_cleaned():
    cleaned = validate_metadata({**VALID, "remote_number": " 030 1234567 ", "ignored": "x"})
    assert cleaned["remote_number"] == "030 1234567"
    assert cleaned["started_at"] == "2026-11-25T14:03:00+01:00"
    assert "ignored" not in cleaned


def test_utc_designator_is_an_offset():
    assert validate_metadata({**VALID, "started_at": "2026-11-25T13:03:00Z"})


def test_errors_come_per_field_with_codes():
    with pytest.raises(ValidationError) as caught:
        validate_metadata({"extension": "x", "started_at": "2026-11-25 14:03"})
    codes = {field: [e.code for e in errors] for field, errors in
             caught.value.error_dict.items()}
    assert codes == {"call_id": ["required"], "extension": ["invalid_extension"],
                     "direction": ["required"], "started_at": ["naive_datetime"],
                     "kind": ["required"]}


def test_sidecar_that_is_not_an_object_is_refused():
    with pytest.raises(ValidationError):
        validate_metadata(["not", "a", "dict"])


@pytest.mark.parametrize("raw,expected", [
    ("030 1234567", "+49301234567"),
    ("+49 (0)30 1234567", "+49301234567"),
    ("0049 171 1234567", "+491711234567"),
    ("+1 212 555 0100", "+12125550100"),
    ("202", "202"),
    ("anonymous", "anonymous"),
    ("", ""),
])
def test_numbers_are_normalised_to_e164_where_possible(raw, expected, settings):
    settings.PHONE_DEFAULT_REGION = "DE"
    assert normalise_number(raw) == expected


def test_region_decides_national_numbers(settings):
    settings.PHONE_DEFAULT_REGION = "AT"
    assert to_e164("01 5350000") == "+4315350000"
