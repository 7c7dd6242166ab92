"""Customer API (drafts, publish, simulate, versions, diff, rollback, audio, report) and the
PBX export with its JSON Schema, ETag and 304."""

import io

import jsonschema
import numpy as np
import pytest
import soundfile
from django.urls import reverse

from callrouting.schema import EXPORT_SCHEMA

pytestmark = pytest.mark.django_db


def url(tenant, name, **kwargs):
    return reverse(name, kwargs={"tenant_slug": tenant.slug, **kwargs})


def test_admin_creates_edits_publishes_and_rolls_back(api, admin_a, tenant_a):
    client = api(admin_a)
    created = client.post(
        url(tenant_a, "routing-list"),
        {
            "name": "Support",
            "mode": "opt_out",
            "covers_all": False,
            "numbers": ["+49 30 1234-0", "201"],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["numbers"] == ["+493012340", "201"] and body["published_version"] is None
    detail = url(tenant_a, "routing-detail", routing_id=body["id"])
    bad = client.patch(detail, {"timeout_seconds": 60}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "timeout_out_of_range"
    assert (
        client.patch(detail, {"timeout_seconds": 7}, format="json").json()["timeout_seconds"] == 7
    )
    published = client.post(url(tenant_a, "routing-publish", routing_id=body["id"]))
    assert published.status_code == 201 and published.json()["number"] == 1
    client.patch(detail, {"repeats": 3}, format="json")
    diff = client.get(url(tenant_a, "routing-diff", routing_id=body["id"]))
    assert diff.json()["changes"] == [{"field": "repeats", "old": 1, "new": 3}]
    client.post(url(tenant_a, "routing-publish", routing_id=body["id"]))
    versions = client.get(url(tenant_a, "routing-versions", routing_id=body["id"])).json()
    assert [v["number"] for v in versions] == [2, 1]
    diff = client.get(url(tenant_a, "routing-diff", routing_id=body["id"]) + "?from=1&to=2")
    assert diff.json()["changes"] == [{"field": "repeats", "old": 1, "new": 3}]
    rolled = client.post(
        url(tenant_a, "routing-rollback", routing_id=body["id"]), {"version": 1}, format="json"
    )
    assert rolled.status_code == 201 and rolled.json()["rolled_back_to"] == 1
    again = client.post(
        url(tenant_a, "routing-rollback", routing_id=body["id"]), {"version": 1}, format="json"
    )
    assert again.status_code == 400 and again.json()["code"] == "already_current"


def test_overlap_and_duplicate_key_answer_stable_codes(api, admin_a, tenant_a, published):
    client = api(admin_a)
    other = client.post(url(tenant_a, "routing-list"), {"name": "Two"}, format="json").json()
    response = client.post(url(tenant_a, "routing-publish", routing_id=other["id"]))
    assert response.status_code == 400 and response.json()["code"] == "overlapping_numbers"
    response = client.patch(
        url(tenant_a, "routing-detail", routing_id=other["id"]),
        {"mode": "opt_in", "consent_key": "9"},
        format="json",
    )
    assert response.json()["code"] == "duplicate_key"


def test_roles(api, compliance_a, agent_a, tenant_a, routing):
    assert api(compliance_a).get(url(tenant_a, "routing-list")).status_code == 200
    response = api(compliance_a).post(url(tenant_a, "routing-publish", routing_id=routing.pk))
    assert response.status_code == 403 and response.json()["code"] == "role_not_permitted"
    assert api(agent_a).get(url(tenant_a, "routing-list")).status_code == 403


def test_simulate_draft_and_published(api, admin_a, tenant_a, routing):
    client = api(admin_a)
    sim = url(tenant_a, "routing-simulate", routing_id=routing.pk)
    body = client.post(
        sim, {"behaviour": "objection_key", "after_seconds": 2}, format="json"
    ).json()
    assert body["outcome"] == "objected" and body["recording"] == "discarded"
    assert body["listen_in"] == "refused" and body["steps"][-2]["key"] == "9"
    response = client.post(sim, {"behaviour": "no_key", "source": "published"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "not_published"
    response = client.post(sim, {"behaviour": "sing"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid_choice"


def test_audio_generate_and_upload(api, admin_a, tenant_a, routing):
    client = api(admin_a)
    endpoint = url(tenant_a, "routing-audio", routing_id=routing.pk)
    generated = client.post(endpoint, {"language": "en"}, format="json")
    assert generated.status_code == 201 and generated.json()["source"] == "generated"
    buffer = io.BytesIO()
    soundfile.write(buffer, np.zeros(16000), 16000, format="WAV")
    buffer.seek(0)
    buffer.name = "greeting.wav"
    uploaded = client.post(endpoint, {"language": "de", "audio": buffer}, format="multipart")
    assert uploaded.status_code == 201 and uploaded.json()["duration"] == pytest.approx(1.0)
    junk = io.BytesIO(b"junk" * 100)
    junk.name = "x.wav"
    refused = client.post(endpoint, {"language": "de", "audio": junk}, format="multipart")
    assert refused.status_code == 400 and refused.json()["code"] == "not_audio"


def test_schema_is_served(api, admin_a, tenant_a, pbx_api, node_a):
    assert api(admin_a).get(url(tenant_a, "routing-schema")).json() == EXPORT_SCHEMA
    assert pbx_api(node_a).get(reverse("pbx-routing-schema")).json() == EXPORT_SCHEMA


def test_pbx_export_follows_the_schema_with_etag_and_304(
    pbx_api, node_a, admin_a, routing, tenant_b, node_b
):
    from callrouting import services

    client = pbx_api(node_a)
    empty = client.get(reverse("pbx-routing"))
    assert empty.status_code == 200 and empty.json()["routings"] == []
    services.publish_routing(actor=admin_a, routing=routing)
    first = client.get(reverse("pbx-routing"))
    body = first.json()
    jsonschema.validate(body, EXPORT_SCHEMA)
    assert first["ETag"] != empty["ETag"]
    item = body["routings"][0]
    assert (item["version"], item["mode"], item["keys"]["objection"]) == (1, "opt_out", "9")
    assert item["report"]["routing_version"] == item["version_id"]
    not_modified = client.get(reverse("pbx-routing"), HTTP_IF_NONE_MATCH=first["ETag"])
    assert not_modified.status_code == 304 and not_modified["ETag"] == first["ETag"]
    assert not_modified.content == b""
    services.update_routing(actor=admin_a, routing=routing, values={"timeout_seconds": 9})
    draft_only = client.get(reverse("pbx-routing"), HTTP_IF_NONE_MATCH=first["ETag"])
    assert draft_only.status_code == 304, "an unpublished draft changes nothing for the PBX"
    services.publish_routing(actor=admin_a, routing=routing)
    changed = client.get(reverse("pbx-routing"), HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed.json()["routings"][0]["timeout_seconds"] == 9
    jsonschema.validate(changed.json(), EXPORT_SCHEMA)

    audio = item["languages"][0]["audio"]
    wav = client.get(audio["url"])
    assert wav.status_code == 200 and wav["Content-Type"] == "audio/wav"
    info = soundfile.info(io.BytesIO(wav.content))
    assert (info.samplerate, info.channels) == (8000, 1)
    part = client.get(audio["url"], HTTP_RANGE="bytes=0-99")
    assert part.status_code == 206 and len(part.content) == 100
    assert pbx_api(node_b).get(audio["url"]).status_code == 404
    assert pbx_api(node_b).get(reverse("pbx-routing")).json()["routings"] == []


def test_new_routing_gets_the_default_texts_of_its_mode(api, admin_a, tenant_a):
    body = (
        api(admin_a)
        .post(url(tenant_a, "routing-list"), {"name": "In", "mode": "opt_in"}, format="json")
        .json()
    )
    assert "{consent_key}" in body["text_de"] and "{consent_key}" in body["text_en"]


def test_unknown_language_is_refused_by_code(api, admin_a, tenant_a, routing):
    response = api(admin_a).patch(
        url(tenant_a, "routing-detail", routing_id=routing.pk),
        {"languages": ["fr"]},
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_language"
