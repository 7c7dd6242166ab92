"""In a real Chromium: an admin grants a supervisor to two agents, and the live page shows a
session started through the PBX API, following its mode change without a reload."""

import pytest

from licensing import services as licensing
from supervision.models import SupervisionGrant
from tests.conftest import browser_log_in
from tests.factories import PbxUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_grants_two_agents_and_watches_a_live_session(
    live_server, page, tenant_a, admin_a, agent_ext_a, supervisor_ext_a, node_a, pbx_api, password
):
    PbxUserFactory(tenant=tenant_a, extension="202", display_name="Ben Berater")
    licensing.set_license_pool(actor=None, tenant=tenant_a, license="monitor", quantity=5)
    licensing.assign_license(actor=None, tenant=tenant_a, extension="201", license="monitor")

    browser_log_in(page, live_server, "alice", password, f"/t/{tenant_a.slug}/")
    page.click("nav.sidenav >> text=Mithören")
    page.wait_for_url(f"{live_server.url}/t/{tenant_a.slug}/supervision/")
    page.click("nav.sv-tabs >> text=Mehrere auf einmal")

    form = page.get_by_test_id("bulk-form")
    form.locator("select[name=supervisor]").select_option("210")
    form.locator("input[name=agents][value='201']").check()
    form.locator("input[name=agents][value='202']").check()
    form.locator("input[name=purpose]").fill("Einarbeitung")
    form.locator("button[type=submit]").click()
    page.get_by_test_id("bulk-result").wait_for()
    assert page.locator("[data-outcome=granted]").count() == 2
    assert sorted(
        SupervisionGrant.unscoped.filter(supervisor=supervisor_ext_a).values_list(
            "agent__extension", flat=True
        )
    ) == ["201", "202"]

    page.click("nav.sv-tabs >> text=Live")
    page.wait_for_selector("#live-table[data-loaded='1']")
    assert page.locator("#live-table tbody tr[data-session]").count() == 0

    pbx = pbx_api(node_a)
    body = pbx.post(
        "/api/pbx/v1/supervision/authorize/",
        {"supervisor": "210", "dialed": "201*24*1#", "call_id": "b-1"},
        format="json",
    ).json()
    assert body["allowed"] is True
    row = page.locator(f"#live-table tr[data-session='{body['session_id']}']")
    row.wait_for(timeout=15000)
    assert row.locator("td").nth(0).inner_text() == "201"
    assert row.locator("td.supervisors").inner_text() == "210"
    assert "Nur mithören" in row.locator("td.mode").inner_text()

    pbx.post(
        f"/api/pbx/v1/supervision/sessions/{body['session_id']}/events/",
        {"supervisor": "210", "event": "key", "key": "3"},
        format="json",
    )
    page.wait_for_selector(
        f"#live-table tr[data-session='{body['session_id']}'][data-mode='3']", timeout=15000
    )
    assert "Mit Agent und Anrufer sprechen" in row.locator("td.mode").inner_text()

    pbx.post(
        f"/api/pbx/v1/supervision/sessions/{body['session_id']}/events/",
        {"supervisor": "210", "event": "leave"},
        format="json",
    )
    row.wait_for(state="detached", timeout=15000)


def test_supervision_pages_never_scroll_sideways_on_a_phone(live_server, page):
    from django.core.management import call_command

    call_command("seed_demo", "--quiet-logins", stdout=None)
    page.set_viewport_size({"width": 390, "height": 800})
    browser_log_in(page, live_server, "muster.admin", "demo-pbx-2026")
    for path in [
        "",
        "grants/",
        "grants/bulk/",
        "agents/201/",
        "supervisors/210/",
        "sessions/",
        "settings/",
    ]:
        page.goto(f"{live_server.url}/t/muster/supervision/{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
