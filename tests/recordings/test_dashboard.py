"""The overview (start page) per role: the recordings-per-day chart drawn as SVG, the tiles
and the filtered lists they link to, tones explained in words, own recent calls for agents and
supervisors instead of the licence stock, and nothing of another tenant."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from recordings.dashboard import chart_bars, tiles
from recordings.models import Ingest

from .archive_factory import make_recording

pytestmark = pytest.mark.django_db


def dashboard(client, tenant):
    response = client.get(
        reverse("tenancy:dashboard", kwargs={"tenant_slug": tenant.slug}) + "?lang=en"
    )
    assert response.status_code == 200
    return response


def by_label(response):
    return {str(t.label): t for t in response.context["tiles"]}


def test_chart_geometry_is_proportional():
    start = date(2026, 3, 1)
    series = [(start + timedelta(days=i), n) for i, n in enumerate([0, 5, 10])]
    chart = chart_bars(series, slug="alpha", width=300, height=90, label_every=2)
    heights = [bar["height"] for bar in chart["bars"]]
    assert heights[0] == 0 and heights[2] == 2 * heights[1] and chart["total"] == 15
    assert "started_after=2026-03-02&started_before=2026-03-03" in chart["bars"][1]["url"]
    assert [bar["show_label"] for bar in chart["bars"]] == [True, False, True]


def test_admin_sees_archive_health_and_links_to_filtered_lists(tenant_a, admin_a, web, tenant_b):
    make_recording(tenant_a, days_ago=0, consent="objected")
    make_recording(tenant_a, days_ago=2, legal_hold=True)
    make_recording(tenant_a, days_ago=20)
    make_recording(tenant_b, days_ago=0, extension="201")  # never counted for tenant A
    Ingest.unscoped.create(
        tenant=tenant_a,
        source="push",
        call_id="q",
        extension="999",
        status="quarantined",
        metadata={},
    )
    response = dashboard(web(admin_a), tenant_a)
    tiles_ = by_label(response)
    assert tiles_["Recordings (7 days)"].value == "2"
    assert "started_after=" in tiles_["Recordings (7 days)"].url
    assert tiles_["Objections (30 days)"].value == "1"
    assert "consent=objected" in tiles_["Objections (30 days)"].url
    assert tiles_["Under legal hold"].value == "1"
    assert tiles_["Under legal hold"].url.endswith("?legal_hold=true")
    assert tiles_["Ingest health"].tone == "warn"
    assert tiles_["Ingest health"].url.endswith("?status=quarantined")
    assert "Storage used" in tiles_ and "Your recent calls" not in tiles_
    chart = tiles_["Recordings per day"]
    assert chart.value == "2" and sum(b["count"] for b in chart.context["bars"]) == 2
    html = response.content.decode()
    assert "<svg" in html and 'class="day"' in html
    assert "needs attention" in html  # the yellow stripe in words
    assert html.count("<a ") >= len(tiles_)


def test_agent_sees_own_recent_calls_not_the_licence_stock(tenant_a, agent_a, web):
    own = make_recording(tenant_a, extension="201", days_ago=0, remote_number="+4930555")
    make_recording(tenant_a, extension="202", days_ago=0)
    response = dashboard(web(agent_a), tenant_a)
    tiles_ = by_label(response)
    recent = tiles_["Your recent calls"]
    assert [r.pk for r in recent.context["recordings"]] == [own.pk]
    assert recent.url.endswith("?extension=201")
    assert tiles_["Recordings (7 days)"].value == "1"  # only what the agent may see
    assert not any("licences" in label for label in tiles_)
    assert "Storage used" not in tiles_ and "Under legal hold" not in tiles_
    assert "+4930555" in response.content.decode()


def test_supervisor_sees_own_recent_calls(tenant_a, supervisor_a, web):
    make_recording(tenant_a, extension="210", days_ago=0)
    tiles_ = by_label(dashboard(web(supervisor_a), tenant_a))
    assert len(tiles_["Your recent calls"].context["recordings"]) == 1
    assert not any("licences" in label for label in tiles_)


def test_compliance_sees_licence_stock(tenant_a, compliance_a, web):
    from licensing.models import LicensePool

    LicensePool.unscoped.create(tenant=tenant_a, license="monitor", quantity=5)
    tiles_ = by_label(dashboard(web(compliance_a), tenant_a))
    assert any("licences" in label for label in tiles_)


def test_tiles_function_takes_the_tenant_from_its_argument(tenant_a, tenant_b, admin_a, admin_b):
    from django.utils import translation

    from hostedpbx.scoping import membership_for

    make_recording(tenant_a, days_ago=0)
    with translation.override("en"):
        out = {
            str(t.label): t
            for t in tiles(
                actor=admin_b, tenant=tenant_b, membership=membership_for(admin_b, tenant_b)
            )
        }
    assert out["Recordings (7 days)"].value == "0"
