"""One filter set for the menu and the API (issue 8 item 2): numbers in any notation, agent,
dates, durations, flags, sorting, strict errors, paging that keeps the filters, CSV, and a
constant number of queries."""

import csv
import io

import pytest
from django.urls import reverse

from recordings.archive_settings import update_recording_settings
from tests.factories import PbxUserFactory

from .conftest import audit_actions
from .test_customer_api import list_url, make_recording

pytestmark = pytest.mark.django_db


def api_ids(client, tenant, **params):
    response = client.get(list_url(tenant), params)
    assert response.status_code == 200, response.json()
    return {r["id"] for r in response.json()["results"]}


def menu_ids(client, **params):
    response = client.get("/t/alpha/recordings/", params)
    assert response.status_code == 200
    return {r.pk for r in response.context["recordings"]}


@pytest.fixture
def numbers(tenant_a, agent_ext_a):
    berlin = make_recording(tenant_a, remote_number="+49301234567", remote_number_raw="030 1234567")
    vienna = make_recording(
        tenant_a, remote_number="+4315123456", remote_number_raw="+43 1 5123456"
    )
    return berlin, vienna


@pytest.mark.parametrize(
    "typed",
    [
        "030 1234567",
        "030/123 45 67",
        "+49 30 1234567",
        "+49301234567",
        "0049301234567",
        "49301234567",
        "1234567",
    ],
)
def test_number_in_any_notation_finds_the_call(typed, numbers, api, web, admin_a, tenant_a):
    berlin, _vienna = numbers
    assert api_ids(api(admin_a), tenant_a, number=typed) == {berlin.pk}
    assert menu_ids(web(admin_a), number=typed) == {berlin.pk}


def test_national_numbers_are_read_with_the_tenants_country(numbers, api, admin_a, tenant_a):
    _berlin, vienna = numbers
    assert api_ids(api(admin_a), tenant_a, number="01 5123456") == set()
    update_recording_settings(actor=admin_a, tenant=tenant_a, changes={"phone_region": "AT"})
    assert api_ids(api(admin_a), tenant_a, number="01 5123456") == {vienna.pk}


def test_agent_by_extension_or_name(api, admin_a, tenant_a, agent_ext_a):
    other = PbxUserFactory(tenant=tenant_a, extension="202", display_name="Bernd Berater")
    anna = make_recording(tenant_a, "201", pbx_user=agent_ext_a)
    bernd = make_recording(tenant_a, "202", pbx_user=other)
    client = api(admin_a)
    assert api_ids(client, tenant_a, agent="202") == {bernd.pk}
    assert api_ids(client, tenant_a, agent="anna") == {anna.pk}
    rows = client.get(list_url(tenant_a), {"agent": "Berater"}).json()["results"]
    assert rows[0]["agent_name"] == "Bernd Berater"


def test_period_presets_and_date_range(api, web, admin_a, tenant_a, agent_ext_a):
    recent = make_recording(tenant_a, minutes_ago=1)
    week = make_recording(tenant_a, minutes_ago=60 * 24 * 3)
    month = make_recording(tenant_a, minutes_ago=60 * 24 * 20)
    old = make_recording(tenant_a, minutes_ago=60 * 24 * 60)
    client = api(admin_a)
    assert api_ids(client, tenant_a, period="7d") == {recent.pk, week.pk}
    assert api_ids(client, tenant_a, period="30d") == {recent.pk, week.pk, month.pk}
    assert recent.pk in api_ids(client, tenant_a, period="today")
    day = old.started_at.astimezone().date().isoformat()
    assert menu_ids(web(admin_a), date_from=day, date_to=day) >= {old.pk}
    assert recent.pk not in menu_ids(web(admin_a), date_from=day, date_to=day)


def test_duration_flags_and_enums(api, admin_a, tenant_a, agent_ext_a):
    short = make_recording(tenant_a, duration=20.0)
    long = make_recording(tenant_a, duration=600.0, legal_hold=True, direction="outbound")
    client = api(admin_a)
    assert api_ids(client, tenant_a, min_duration=60) == {long.pk}
    assert api_ids(client, tenant_a, max_duration=60) == {short.pk}
    assert api_ids(client, tenant_a, legal_hold="true") == {long.pk}
    assert api_ids(client, tenant_a, legal_hold="false") == {short.pk}
    assert api_ids(client, tenant_a, direction="outbound") == {long.pk}


def test_sorting(api, admin_a, tenant_a, agent_ext_a):
    a = make_recording(tenant_a, duration=30.0, minutes_ago=3)
    b = make_recording(tenant_a, duration=90.0, minutes_ago=2)
    c = make_recording(tenant_a, duration=60.0, minutes_ago=1)
    client = api(admin_a)

    def order(sort):
        return [r["id"] for r in client.get(list_url(tenant_a), {"sort": sort}).json()["results"]]

    assert order("newest") == [c.pk, b.pk, a.pk]
    assert order("oldest") == [a.pk, b.pk, c.pk]
    assert order("longest") == [b.pk, c.pk, a.pk]
    assert order("shortest") == [a.pk, c.pk, b.pk]


@pytest.mark.parametrize(
    "params",
    [
        {"legal_hold": "maybe"},
        {"direction": "sideways"},
        {"sort": "random"},
        {"date_from": "1900-01-01"},
        {"started_after": "0001-01-01T00:00:00+01:00"},
        {"started_before": "9999-12-31T23:59:59-05:00"},
        {"date_from": "2026-02-30"},
        {"min_duration": "-5"},
        {"min_duration": "100", "max_duration": "10"},
        {"date_from": "2026-05-02", "date_to": "2026-05-01"},
        {"period": "forever"},
    ],
)
def test_invalid_filters_answer_400_in_the_api_and_a_form_error_in_the_menu(
    params, api, web, admin_a, tenant_a, agent_ext_a
):
    make_recording(tenant_a)
    response = api(admin_a).get(list_url(tenant_a), params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_filter" and body["detail"] and body["errors"]
    page = web(admin_a).get("/t/alpha/recordings/", params)
    assert page.status_code == 200 and page.context["form"].errors
    assert page.context["recordings"] == []
    assert 'class="error"' in page.content.decode()


def test_paging_keeps_the_filters_in_the_url(api, web, admin_a, tenant_a, agent_ext_a):
    for minutes in range(60):
        make_recording(
            tenant_a, minutes_ago=minutes, direction="outbound" if minutes % 2 else "inbound"
        )
    client = web(admin_a)
    first = client.get("/t/alpha/recordings/", {"direction": "outbound"})
    assert len(first.context["recordings"]) == 30 and not first.context["next_link"]
    small = api(admin_a).get(list_url(tenant_a), {"direction": "inbound", "page_size": 20})
    next_url = small.json()["next"]
    assert "direction=inbound" in next_url
    seen = [r["id"] for r in small.json()["results"]]
    while next_url:
        body = api(admin_a).get(next_url).json()
        seen += [r["id"] for r in body["results"]]
        next_url = body["next"]
    assert len(seen) == len(set(seen)) == 30
    menu = client.get("/t/alpha/recordings/", {"kind": "auto"})
    assert "kind=auto" in menu.context["next_link"]
    second = client.get(menu.context["next_link"])
    assert (
        len(second.context["recordings"]) == 10 and "kind=auto" in second.context["previous_link"]
    )


@pytest.mark.parametrize("rows", [3, 30])
def test_queries_do_not_grow_with_rows(
    rows, api, web, admin_a, tenant_a, agent_ext_a, django_assert_max_num_queries
):
    for minutes in range(rows):
        make_recording(tenant_a, minutes_ago=minutes, pbx_user=agent_ext_a)
    client, menu = api(admin_a), web(admin_a)
    client.get(list_url(tenant_a))
    with django_assert_max_num_queries(14):
        assert (
            client.get(list_url(tenant_a), {"number": "030 1234567", "agent": "Anna"}).status_code
            == 200
        )
    with django_assert_max_num_queries(16):
        assert menu.get("/t/alpha/recordings/", {"number": "030 1234567"}).status_code == 200


def test_csv_export_of_the_filtered_list_is_streamed_and_audited(
    api, web, admin_a, agent_a, tenant_a, agent_ext_a, supervisor_ext_a
):
    inbound = make_recording(tenant_a, "201", pbx_user=agent_ext_a)
    make_recording(tenant_a, "201", direction="outbound")
    theirs = make_recording(tenant_a, "210")
    response = web(admin_a).get("/t/alpha/recordings/csv/", {"direction": "inbound"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {int(r["id"]) for r in rows} == {inbound.pk, theirs.pk}
    assert next(r for r in rows if int(r["id"]) == inbound.pk)["agent"] == "Anna Agentin"
    assert "recording.metadata_exported" in audit_actions(tenant_a)
    mine = api(agent_a).get("/api/v1/tenants/alpha/recordings/csv/")
    ids = {
        int(r["id"]) for r in csv.DictReader(io.StringIO(b"".join(mine.streaming_content).decode()))
    }
    assert theirs.pk not in ids and inbound.pk in ids
    bad = api(admin_a).get("/api/v1/tenants/alpha/recordings/csv/", {"legal_hold": "maybe"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_filter"
    assert web(admin_a).get("/t/alpha/recordings/csv/", {"kind": "x"}).status_code == 400


def test_list_shows_agent_name_mss_grouped_number_and_no_destructive_button(
    web, admin_a, tenant_a, agent_ext_a
):
    make_recording(tenant_a, pbx_user=agent_ext_a, duration=125.4)
    html = (
        web(admin_a)
        .get(reverse("recordings:list", kwargs={"tenant_slug": "alpha"}))
        .content.decode()
    )
    assert "Anna Agentin" in html and "2:05" in html and "+49 30 1234567" in html
    assert "danger" not in html.split("<tbody>")[1]
    assert 'form="bulk-actions"' in html and 'id="bulk-actions"' in html
    assert '<div class="table-scroll">' in html
