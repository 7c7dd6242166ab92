"""Hostile and nonsensical PBX bodies answer 400 with a stable code, never 500 (issue 7,
item 9): dates at the edges of the calendar, dates far in the future, numbers that are not
numbers; the same rules for push metadata, consent and end reports."""

import datetime

import pytest
from django.utils import timezone

from recordings.models import Ingest
from tests.factories import CallFactory

from .conftest import metadata

EDGE_DATES = [
    ("0001-01-01T00:00:00+01:00", "datetime_out_of_range"),
    ("9999-12-31T23:59:59-01:00", "datetime_out_of_range"),
    ("9999-12-31T23:59:59+01:00", "datetime_in_future"),
    ("1999-12-31T23:59:59+00:00", "datetime_out_of_range"),
]


def far_future():
    return (timezone.now() + datetime.timedelta(days=30)).isoformat()


@pytest.mark.parametrize("value,code", [*EDGE_DATES, (None, "datetime_in_future")])
def test_push_with_a_date_at_the_edges_is_refused(push, wav, value, code):
    response = push(wav, started_at=value or far_future())
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not Ingest.unscoped.exists()


@pytest.mark.parametrize("number", ["'; DROP TABLE", "call me maybe", "+49 30 <script>",
                                    "\x00123"])
def test_push_with_a_number_that_is_not_a_number_is_refused(push, wav, number):
    response = push(wav, remote_number=number)
    assert response.status_code == 400 and response.json()["code"] == "invalid_number"


@pytest.mark.parametrize("number", ["030 1234567", "+49 (0)30 1234567", "202", "anonymous",
                                    "*31#0171 123"])
def test_real_numbers_pass(push, wav, number):
    assert push(wav, remote_number=number).status_code == 202


@pytest.mark.parametrize("field", ["at", "started_at"])
@pytest.mark.parametrize("value,code", EDGE_DATES)
def test_consent_report_with_edge_dates(pbx_api, node_a, tenant_a, field, value, code):
    CallFactory(tenant=tenant_a, call_id="edge-1")
    response = pbx_api(node_a).post("/api/pbx/v1/calls/edge-1/consent/",
                                    {"outcome": "consented", field: value}, format="json")
    assert response.status_code == 400 and response.json()["code"] == code


@pytest.mark.parametrize("value,code", EDGE_DATES)
def test_end_report_with_edge_dates(pbx_api, node_a, tenant_a, value, code):
    CallFactory(tenant=tenant_a, call_id="edge-2")
    response = pbx_api(node_a).post("/api/pbx/v1/calls/edge-2/end/", {"ended_at": value},
                                    format="json")
    assert response.status_code == 400 and response.json()["code"] == code


def test_consent_report_with_a_bad_number_or_extension(pbx_api, node_a, tenant_a):
    CallFactory(tenant=tenant_a, call_id="edge-3")
    client = pbx_api(node_a)
    bad_number = client.post("/api/pbx/v1/calls/edge-3/consent/",
                             {"outcome": "notified", "remote_number": "not a number"},
                             format="json")
    assert bad_number.status_code == 400 and bad_number.json()["code"] == "invalid_number"
    bad_extension = client.post("/api/pbx/v1/calls/edge-3/consent/",
                                {"outcome": "notified", "extension": "12ab"}, format="json")
    assert bad_extension.status_code == 400
    assert bad_extension.json()["code"] == "invalid_extension"


def test_sidecar_dates_follow_the_same_rule():
    from django.core.exceptions import ValidationError

    from recordings.metadata import validate_metadata

    with pytest.raises(ValidationError) as caught:
        validate_metadata(metadata(started_at="0001-01-01T00:00:00+01:00"))
    assert caught.value.error_dict["started_at"][0].code == "datetime_out_of_range"

