"""The menu pages: list, create, edit with flow preview, audio, simulator, publish, versions."""

import pytest
from django.urls import reverse

from callrouting.models import Routing

pytestmark = pytest.mark.django_db


def page(tenant, name, **kwargs):
    return reverse(f"callrouting:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


def test_admin_creates_edits_and_publishes_in_german(web, admin_a, tenant_a):
    client = web(admin_a)
    listing = client.get(page(tenant_a, "list"))
    assert listing.status_code == 200
    created = client.post(page(tenant_a, "create"), {"name": "Zentrale", "mode": "opt_in"})
    routing = Routing.unscoped.get(name="Zentrale")
    assert created.status_code == 302 and routing.mode == "opt_in"
    edit = client.get(page(tenant_a, "edit", routing_id=routing.pk))
    html = edit.content.decode()
    assert "<svg" in html and "Einwilligung" in html
    assert "onclick" not in html and "<script>" not in html
    form = {
        "name": "Zentrale",
        "mode": "opt_in",
        "covers_all": "on",
        "numbers": "",
        "objection_key": "9",
        "consent_key": "9",
        "timeout_seconds": "5",
        "repeats": "1",
        "languages": ["de", "en"],
        "text_de": routing.text_de,
        "text_en": routing.text_en,
        "objection_route_to": "",
    }
    refused = client.post(page(tenant_a, "edit", routing_id=routing.pk), form)
    assert refused.status_code == 400 and "zweimal" in refused.content.decode()
    form["consent_key"] = "1"
    form["timeout_seconds"] = "7"
    assert client.post(page(tenant_a, "edit", routing_id=routing.pk), form).status_code == 302
    assert Routing.unscoped.get(pk=routing.pk).timeout_seconds == 7
    published = client.post(page(tenant_a, "publish", routing_id=routing.pk), follow=True)
    assert "Version 1" in published.content.decode()
    versions = client.get(page(tenant_a, "versions", routing_id=routing.pk)).content.decode()
    assert "Einwilligung" in versions and "opt_in" not in versions


def test_flow_preview_follows_unsaved_values(web, admin_a, tenant_a, routing):
    client = web(admin_a)
    url = page(tenant_a, "flow", routing_id=routing.pk)
    saved = client.get(url)
    assert saved["Content-Type"] == "image/svg+xml" and "Taste 9" in saved.content.decode()
    edited = client.get(
        url,
        {
            "name": "X",
            "mode": "opt_out",
            "objection_key": "7",
            "timeout_seconds": "12",
            "repeats": "2",
            "languages": ["de"],
            "text_de": "Drücken Sie {objection_key}.",
            "covers_all": "on",
        },
    )
    body = edited.content.decode()
    assert edited.status_code == 200 and "12 s" in body and "7" in body
    invalid = client.get(
        url,
        {
            **{
                "name": "X",
                "mode": "opt_out",
                "languages": ["de"],
                "text_de": "x {objection_key}",
                "objection_key": "9",
                "repeats": "1",
            },
            "timeout_seconds": "99",
        },
    )
    assert invalid.status_code == 400 and "<svg" in invalid.content.decode()


def test_simulator_on_the_page(web, admin_a, tenant_a, routing):
    html = (
        web(admin_a)
        .get(
            page(tenant_a, "edit", routing_id=routing.pk),
            {"behaviour": "objection_key", "language": "de", "after_seconds": "3"},
        )
        .content.decode()
    )
    assert 'data-outcome="objected"' in html and "verworfen" in html and "abgelehnt" in html


def test_audio_generate_and_play(web, admin_a, tenant_a, routing):
    client = web(admin_a)
    client.post(page(tenant_a, "audio", routing_id=routing.pk), {"language": "de"})
    routing.refresh_from_db()
    wav = client.get(page(tenant_a, "audio-file", routing_id=routing.pk, language="de"))
    assert wav.status_code == 200 and wav.content[:4] == b"RIFF"
    ranged = client.get(
        page(tenant_a, "audio-file", routing_id=routing.pk, language="de"), HTTP_RANGE="bytes=10-19"
    )
    assert ranged.status_code == 206 and len(ranged.content) == 10
    assert (
        client.get(page(tenant_a, "audio-file", routing_id=routing.pk, language="en")).status_code
        == 404
    )


def test_compliance_sees_but_cannot_change(web, compliance_a, agent_a, tenant_a, routing):
    client = web(compliance_a)
    assert client.get(page(tenant_a, "edit", routing_id=routing.pk)).status_code == 200
    assert client.post(page(tenant_a, "publish", routing_id=routing.pk)).status_code == 403
    # The new-routing form is for those who may send it (it showed, then its POST was 403).
    assert client.get(page(tenant_a, "create")).status_code == 403
    assert page(tenant_a, "create") not in client.get(page(tenant_a, "list")).content.decode()
    assert web(agent_a).get(page(tenant_a, "list")).status_code == 403


def test_rollback_from_the_versions_page(web, admin_a, tenant_a, published):
    from callrouting import services

    routing = published.routing
    services.update_routing(actor=admin_a, routing=routing, values={"repeats": 2})
    services.publish_routing(actor=admin_a, routing=routing)
    client = web(admin_a)
    response = client.post(
        page(tenant_a, "rollback", routing_id=routing.pk), {"version": "1"}, follow=True
    )
    assert response.status_code == 200
    routing.refresh_from_db()
    assert routing.published_version.number == 3 and routing.repeats == 1


def test_diff_on_the_page_speaks_german(web, admin_a, tenant_a, published):
    from callrouting import services

    routing = published.routing
    services.update_routing(
        actor=admin_a,
        routing=routing,
        values={"mode": "notice", "text_de": "Wir zeichnen auf.", "text_en": "We record."},
    )
    html = web(admin_a).get(page(tenant_a, "edit", routing_id=routing.pk)).content.decode()
    diff = html.split('id="publish"')[1]
    assert "Hinweis (Deutsch)" in diff and "Wir zeichnen auf." in diff
    assert "nur ansagen" in diff and "ansagen; eine Taste widerspricht" in diff
    assert "Schweigen gilt als" not in diff  # notice and opt_out: silence = notified both
    assert ">opt_out<" not in diff and ">notice<" not in diff


def test_pages_in_english_on_request(web, admin_a, tenant_a, published):
    client = web(admin_a)
    client.cookies["django_language"] = "en"
    html = client.get(page(tenant_a, "edit", routing_id=published.routing_id)).content.decode()
    assert "Announcement audio" in html and "Ansage (Audio)" not in html
    assert "Wait for a key" in html
    listing = client.get(page(tenant_a, "list")).content.decode()
    assert "announce; a key objects" in listing and "version 1" in listing
